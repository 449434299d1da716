"""`searchtune leaderboard RUN_OR_SWEEP...`: N runs in one table (leaderboard.md) and one self-contained page
(leaderboard.html): per run the swept keys, every eval metric with its interval, the paired Δ against a reference run
on the same examples, train time and tokens/s.

A sweep folder stands for its trials (trials/*/). Swept keys are the keys a trial's trial.json overrides plus every
recipe key whose value differs between the runs. The paired Δ is evals.compare's pairing (matching task and doc_id)
and evals.stats' intervals; a task scored on other examples (another data file, other doc_ids) gets no Δ, and the
page says so. A run is shown by its folder's name; where two runs given share it (two sweeps that both have `ref`),
each is shown as SWEEP/NAME (its sweep folder's name, else its parent folder's), and --reference takes that form.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from finetune.core import io
from finetune.core.errors import UserError
from finetune.core.run import Results, RunFolder, Score, read_json
from evals import report, stats, tasks_manager

TRIAL_FILE = "trial.json"  # written into each trial's run folder by finetune.sweep
SUMMARY_FILE = "sweep.json"
# Keys that differ between any two runs without being a setting.
NOT_SETTINGS = ("output_dir", "logging.run_name", "train.resume")
FILES = ("leaderboard.md", "leaderboard.html")


@dataclass
class Entry:
    run: RunFolder
    results: Results
    settings: dict  # flattened resolved recipe
    overrides: dict  # a trial's swept values (empty for a plain run)
    objective: dict = field(default_factory=dict)  # a trial's sweep objective {task, metric, direction}
    deltas: dict = field(default_factory=dict)  # task -> {metric: Score} against the reference; absent: not paired
    unpaired: dict = field(default_factory=dict)  # task -> why no Δ
    label: str = ""  # its name on the board (see `labels`)

    def __post_init__(self):
        self.label = self.label or self.run.name


def flatten(tree, prefix: str = "") -> dict:
    if isinstance(tree, dict):
        return {k: v for key, value in tree.items() for k, v in flatten(value, f"{prefix}{key}.").items()}
    return {prefix[:-1]: tree}


def expand(paths: list[str]) -> list[tuple[RunFolder, dict]]:
    """Run folders with their sweep trial info: a sweep folder becomes its trials, in the sweep's order."""
    out = []
    for raw in paths:
        path = Path(raw)
        trials = path / "trials"
        if trials.is_dir():
            summary = read_json(path / SUMMARY_FILE) or {}
            order = [t["name"] for t in summary.get("trials", [])]
            folders = sorted((p for p in trials.iterdir() if (p / TRIAL_FILE).is_file()),
                             key=lambda p: (order.index(p.name) if p.name in order else len(order), p.name))
            done = [p for p in folders if RunFolder(p).results_file.is_file()]
            if not done:
                raise UserError(f"{path}: no trial of this sweep has eval results yet; run `searchtune sweep` first")
            objective = summary.get("objective") or {}
            out += [(RunFolder(p), {**(read_json(p / TRIAL_FILE) or {}), "objective": objective}) for p in done]
        elif RunFolder(path).recipe_file.is_file():
            if not RunFolder(path).results_file.is_file():
                raise UserError(f"{path}: no {RunFolder(path).results_file.name} in its eval folder; evaluate it first "
                                f"(`searchtune eval {path}`)")
            out.append((RunFolder(path), read_json(path / TRIAL_FILE) or {}))
        else:
            raise UserError(f"{path}: neither a run folder (recipe.yaml) nor a sweep folder (trials/); pass the "
                            "output_dir of a training run or of a sweep")
    return out


def _unscored(paths: list[str]) -> list[tuple[Path, dict]]:
    """The trial folders of the sweeps given that have no eval results, with their sweep.json entries."""
    out = []
    for raw in paths:
        summary = read_json(Path(raw) / SUMMARY_FILE) if (Path(raw) / "trials").is_dir() else None
        for t in (summary or {}).get("trials", []):
            folder = Path(raw) / "trials" / t["name"]
            if not RunFolder(folder).results_file.is_file():
                out.append((folder, t))
    return out


def labels(folders: list[Path]) -> list[str]:
    """Each run's name on the board: its folder's name, or SWEEP/NAME where another run given has that name too."""
    names = [f.name for f in folders]
    return [f"{_qualifier(f)}/{f.name}" if names.count(f.name) > 1 else f.name for f in folders]


def _qualifier(folder: Path) -> str:
    """The sweep folder's name for a trial (SWEEP/trials/NAME), the parent folder's for any other run."""
    parent = folder.resolve().parent
    return parent.parent.name if parent.name == "trials" else parent.name


def not_scored(paths: list[str], entries: list[Entry] = ()) -> list[str]:
    """The trials of the sweeps given that have no eval results, each with its state and failure reason (named as
    `labels` names them among `entries` and themselves)."""
    unscored = _unscored(paths)
    names = labels([e.run.path for e in entries] + [folder for folder, _ in unscored])[len(entries):]
    return [f"{name} ({str(t.get('state', '')).lower()})" + (f": {t['fail_reason']}" if t.get("fail_reason") else "")
            for name, (_, t) in zip(names, unscored)]


def load(paths: list[str]) -> list[Entry]:
    entries = []
    for run, trial in expand(paths):
        tree = yaml.safe_load(run.recipe_file.read_text(encoding="utf-8")) or {}
        entries.append(Entry(run, run.results(), flatten(tree), dict(trial.get("overrides") or {}),
                             dict(trial.get("objective") or {})))
    # The trials not on the board count too: `ref` scored in one sweep and failed in another is two names.
    for e, label in zip(entries, labels([e.run.path for e in entries] + [f for f, _ in _unscored(paths)])):
        e.label = label
    seen = {}
    for e in entries:
        first = seen.setdefault(e.label, e)
        if first is not e:
            same = first.run.path.resolve() == e.run.path.resolve()
            raise UserError(f"leaderboard: {first.run.path} and {e.run.path} are "
                            + ("the same run; pass each run once" if same else
                               f"both named {e.label}; rename one of their folders"))
    return entries


def swept_keys(entries: list[Entry]) -> list[str]:
    keys = [k for e in entries for k in e.overrides]
    keys += [k for k in sorted({k for e in entries for k in e.settings})
             if len({json.dumps(e.settings.get(k), sort_keys=True) for e in entries}) > 1]
    return [k for k in dict.fromkeys(keys) if not k.startswith(NOT_SETTINGS)]


def pick_reference(entries: list[Entry], reference: str | None) -> Entry:
    """The run named `reference` (its name on the board, its bare folder name where that is one run's, or its path)."""
    if reference is None:
        return entries[0]
    named = [e for e in entries if reference in (e.label, e.run.name)]
    if len(named) > 1:
        raise UserError(f"--reference {reference}: {len(named)} runs given are named {reference} "
                        f"({', '.join(e.label for e in named)}); name one of those")
    named += [e for e in entries if reference == str(e.run.path) or Path(reference).resolve() == e.run.path.resolve()]
    if named:
        return named[0]
    raise UserError(f"--reference {reference}: not one of the runs given ({', '.join(e.label for e in entries)}); "
                    "name one of them")


def pair(reference: Entry, entry: Entry) -> None:
    """The paired Δ (entry − reference) per task, over matching (task, doc_id), or the reason there is none."""
    ref_rows = {(r["task"], r["doc_id"]): r for r in reference.run.predictions()}
    rows = {(r["task"], r["doc_id"]): r for r in entry.run.predictions()}
    for task, result in entry.results.tasks.items():
        theirs = reference.results.tasks.get(task)
        if theirs is None:
            entry.unpaired[task] = f"the reference {reference.label} has no {task}"
            continue
        if result.dataset.sha256 != theirs.dataset.sha256:
            entry.unpaired[task] = f"scored on another data file than {reference.label}"
            continue
        mine = {k for k in rows if k[0] == task}
        if not mine or mine != {k for k in ref_rows if k[0] == task}:
            entry.unpaired[task] = f"scored on other examples than {reference.label}"
            continue
        keys = sorted(mine, key=str)
        aggregates = {m: a for m, a in tasks_manager.configured_aggregates(task).items() if a}
        comparison = stats.paired_comparison([ref_rows[k]["scores"] for k in keys], [rows[k]["scores"] for k in keys],
                                             aggregates)
        entry.deltas[task] = {m: Score.parse(v) for m, v in comparison.items()}


def build(paths: list[str], reference: str | None = None) -> tuple[list[Entry], Entry, list[str]]:
    entries = load(paths)
    ref = pick_reference(entries, reference)
    for e in entries:
        if e is not ref:
            pair(ref, e)
    return entries, ref, swept_keys(entries)


def _value(v) -> str:
    return json.dumps(v) if isinstance(v, (list, dict)) else str(v)


def _metrics(entries: list[Entry]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((t, m) for e in entries for t, r in e.results.tasks.items() for m in r.metrics))


def _train(e: Entry) -> str:
    m = e.run.manifest()
    time_s = f"{m.train_runtime_s:.0f} s" if m.train_runtime_s is not None else "n/a"
    return f"{time_s}, {report._fmt(m.tokens_per_second)}"


def rows(entries: list[Entry], ref: Entry, keys: list[str]) -> tuple[list[str], list[list[str]]]:
    metrics = _metrics(entries)
    many_tasks = len({t for t, _ in metrics}) > 1
    label = {(t, m): f"{t}/{m}" if many_tasks else m for t, m in metrics}
    header = ["run", *keys]
    for tm in metrics:
        header += [label[tm], f"Δ {label[tm]} vs {ref.label}"]
    header += ["train loss", "train time, tokens/s"]
    table = []
    for e in entries:
        row = [e.label + (" (reference)" if e is ref else "")] + [_value(e.settings.get(k, "")) for k in keys]
        for task, metric in metrics:
            result = e.results.tasks.get(task)
            row.append(report._ci(result.metrics.get(metric)) if result else "n/a")
            row.append("—" if e is ref else report._ci(e.deltas[task].get(metric)) if task in e.deltas
                       else "not paired" if task in e.unpaired else "n/a")
        row += [report._fmt(e.run.manifest().train_loss, 4), _train(e)]
        table.append(row)
    return header, table


def notes(entries: list[Entry]) -> list[str]:
    return [f"{e.label}, {task}: no paired Δ ({why})." for e in entries for task, why in e.unpaired.items()]


def markdown(entries: list[Entry], ref: Entry, keys: list[str], skipped: list[str] = ()) -> str:
    header, table = rows(entries, ref, keys)
    out = ["# Leaderboard", "",
           f"{len(entries)} runs; values with their 95% interval; Δ is each run minus `{ref.label}`, paired over "
           "the same examples. Train time and tokens/s from each run's manifest.json.", "",
           "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(report._md_cell(c) for c in row) + " |" for row in table]
    extra = notes(entries) + [f"Not on the board: {n}" for n in skipped]
    return "\n".join(out + ([""] + [f"- {n}" for n in extra] if extra else [])) + "\n"


def objective_of(entries: list[Entry]) -> tuple[str, str] | None:
    for e in entries:
        if e.objective.get("task") and e.objective.get("metric"):
            return e.objective["task"], e.objective["metric"]
    metrics = _metrics(entries)
    return metrics[0] if metrics else None


def key_panel(key: str, points: list[tuple[object, float, str]], y_label: str) -> str:
    """The objective against one swept key: numbers on a linear axis, anything else one slot per value."""
    w, h, left, top, bottom = 260, 200, 44, 24, 40
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x, _, _ in points)
    categories = [] if numeric else list(dict.fromkeys(_value(x) for x, _, _ in points))
    xs = [float(x) for x, _, _ in points] if numeric else [categories.index(_value(x)) for x, _, _ in points]
    lo_x, hi_x = (min(xs), max(xs)) if xs else (0.0, 1.0)
    ys = [y for _, y, _ in points] or [0.0]
    lo_y, hi_y = min(0.0, min(ys)), report._nice_max(max(ys))

    def sx(v: float) -> float:
        return left + 12 + (w - left - 24) * ((v - lo_x) / ((hi_x - lo_x) or 1) if hi_x > lo_x else 0.5)

    def sy(v: float) -> float:
        return top + (h - top - bottom) * (hi_y - v) / ((hi_y - lo_y) or 1)

    parts = report._svg_head(w, h, key, w / 2, 14) + [
        f'<line x1="{left}" y1="{sy(lo_y)}" x2="{w - 8}" y2="{sy(lo_y)}" stroke="#444"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{sy(lo_y)}" stroke="#444"/>',
        f'<text x="12" y="{h / 2}" text-anchor="middle" font-size="10" transform="rotate(-90 12 {h / 2})">'
        f'{html.escape(y_label)}</text>']
    parts += report._y_ticks((lo_y, hi_y), left - 4, sy)
    ticks = [(v, report._fmt(v)) for v in sorted(set(xs))] if numeric else list(enumerate(categories))
    for v, text in ticks[:8]:
        parts.append(f'<text x="{sx(v):.1f}" y="{h - bottom + 14}" text-anchor="middle" font-size="9">'
                     f'{html.escape(str(text)[:18])}</text>')
    for x, (_, y, label) in zip(xs, points):
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="{report.COLORS[0]}" fill-opacity="0.7">'
                     f'<title>{html.escape(label)}: {report._fmt(y)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def html_page(entries: list[Entry], ref: Entry, keys: list[str], skipped: list[str] = ()) -> str:
    header, table = rows(entries, ref, keys)
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Leaderboard</title>",
           f"<style>{report._STYLE}</style></head><body><h1>Leaderboard</h1>",
           f"<p class='meta'>{len(entries)} runs. Values with their 95% interval; Δ is each run minus "
           f"<code>{html.escape(ref.label)}</code>, paired over the same examples.</p>",
           report._table(header, table)]
    extra = notes(entries) + [f"Not on the board: {n}" for n in skipped]
    out += [f"<p class='meta'>{html.escape(n)}</p>" for n in extra]
    objective = objective_of(entries)
    if objective and keys:
        task, metric = objective
        out.append(f"<h2>{html.escape(metric)} against each swept key</h2><div class='panels'>")
        for key in keys:
            points = [(e.settings.get(key), e.results.tasks[task].metrics[metric].value, e.label) for e in entries
                      if task in e.results.tasks and metric in e.results.tasks[task].metrics
                      and e.results.tasks[task].metrics[metric].finite]
            out.append(key_panel(key, points, metric))
        out.append("</div>")
    out.append("<h2>Every metric, run by run</h2><div class='panels'>")
    for task, metric in _metrics(entries):
        bars = [(e.label, e.results.tasks[task].metrics.get(metric)) for e in entries if task in e.results.tasks]
        out.append(report.bar_panel(metric, bars, width=max(220, 70 * len(bars))))
    out.append("</div></body></html>")
    return "\n".join(out)


def write_leaderboard(paths: list[str], output_dir: Path, reference: str | None = None,
                      wandb_mode: str | None = "disabled") -> tuple[Path, Path]:
    entries, ref, keys = build(paths, reference)
    skipped = not_scored(paths, entries)
    md, page = (Path(output_dir) / name for name in FILES)
    io.write_text(md, markdown(entries, ref, keys, skipped))
    io.write_text(page, html_page(entries, ref, keys, skipped))
    log_to_wandb(entries, ref, keys, Path(output_dir), wandb_mode, group=_group(paths))
    return md, page


def _group(paths: list[str]) -> str | None:
    """The W&B group of a single sweep's leaderboard: the sweep's, which its trials' runs are in."""
    sweeps = [Path(p) for p in paths if (Path(p) / "trials").is_dir()]
    return sweeps[0].resolve().name if len(paths) == 1 and sweeps else None


def log_to_wandb(entries: list[Entry], ref: Entry, keys: list[str], output_dir: Path, mode: str | None,
                 group: str | None) -> None:
    """The table as a W&B table and both files as an artifact, in a run of its own (offline without a key)."""
    from finetune.core import tracking

    mode = tracking.resolve_mode(mode)
    if mode == "disabled":
        return
    import wandb

    header, table = rows(entries, ref, keys)
    run = tracking.init(tracking.reachable_mode(mode), project="searchtune", name=f"leaderboard-{output_dir.name}",
                        directory=output_dir, job_type="leaderboard", group=group,
                        config={"runs": [e.label for e in entries], "reference": ref.label})
    run.log({"leaderboard": wandb.Table(columns=header, data=table)})
    artifact = wandb.Artifact(f"leaderboard-{run.id}", type="leaderboard")
    for name in FILES:
        artifact.add_file(str(output_dir / name))
    run.log_artifact(artifact)
    run.finish()
