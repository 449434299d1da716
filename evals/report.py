"""Human-readable reports of an eval: report.md (tables) and report.html (one self-contained file, inline SVG).

Both read the results.json structure and the predictions rows that evals.pipeline writes. "B" is the model under
test (`prediction`, `metrics`), "A" the reference it is compared with (`baseline_prediction`, `baseline`); the
labels say what they are (tuned/base for an eval, two run names for `--compare`).
"""

from __future__ import annotations

import heapq
import html
import json
import math
from decimal import Decimal
from pathlib import Path

from finetune.core import io
from finetune.core.run import REPORT_FILES, Dataset, Results, Score, decoding_line
from evals.metrics import CEILING, FLOOR, GAP, ROUGE_PROTOCOLS, rouge_protocol, unsupported_spans

# The per-example metric that orders wins and losses and feeds the scatter plot: the first one a task has.
MAIN_METRICS = ("bm25_ndcg@3", "rougeL", "rouge1_recall", "exact_match", "acc_norm", "acc")
TOP_N = 10
COLORS = ("#1f77b4", "#ff7f0e")  # B, A


def write_reports(output_dir, results: dict, predictions: list[dict], log_history: list[dict] | None = None,
                  labels: tuple[str, str] = ("tuned", "base")) -> None:
    md, page = (Path(output_dir) / name for name in REPORT_FILES)
    io.write_text(md, markdown(results, predictions, labels))
    io.write_text(page, html_report(results, predictions, log_history, labels))


def _typed(results: Results | dict) -> Results:
    return results if isinstance(results, Results) else Results.from_dict(results)


def main_metric(task: str, predictions: list[dict]) -> str | None:
    for row in predictions:
        if row["task"] == task:
            numeric = [m for m, v in (row.get("scores") or {}).items() if isinstance(v, (int, float))]
            return next((m for m in MAIN_METRICS if m in numeric), numeric[0] if numeric else None)
    return None


def _fmt(x, digits: int = 3) -> str:
    """`digits` significant digits, always positional: 100 is "100", not "1e+02"."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return format(Decimal(f"{x:.{digits}g}"), "f")


LOWER = " ↓"
LEGEND = "↓ lower is better."


def _name(metric: str, score: Score | None) -> str:
    """The metric's name, marked when its task declares that lower is better."""
    return metric + LOWER if score is not None and score.higher_is_better is False else metric


def _n(score: Score | None, dataset: Dataset) -> str:
    """The examples the metric is defined on (results.json before per-metric n: the task's n)."""
    n = score.n if score is not None and score.n is not None else dataset.n
    return "n/a" if n is None else str(n)


def _interval_note(results: Results) -> str:
    kinds = {score.interval or "bootstrap" for task in results.tasks.values()
             for group in (task.metrics, task.baseline, task.comparison) for score in group.values()}
    notes = {"wilson": "Wilson score intervals for proportions (exact match, rates; their paired differences: "
                       "Newcombe's score interval)",
             "bootstrap": "bootstrap over examples otherwise" if "wilson" in kinds else "bootstrap over examples",
             "stderr": "lm-eval's standard error for metrics it aggregates itself"}
    return ("95% confidence intervals: " + "; ".join(notes[k] for k in notes if k in kinds)
            + ". n is the number of examples a metric is defined on. " + LEGEND)


def summary_text(results: Results | dict) -> str:
    """The console summary: each metric with its n, 95% CI and, with a baseline, the paired difference."""
    results = _typed(results)
    lines = []
    for task in results.tasks.values():
        lines.append(f"{task.name} (n={task.dataset.n})")
        for metric, e in task.metrics.items():
            line = (f"  {_name(metric, e):<28} {_fmt(e.value, 4)} [{_fmt(e.ci_low, 4)}, {_fmt(e.ci_high, 4)}]  "
                    f"n={_n(e, task.dataset)}")
            if metric in task.comparison:
                c = task.comparison[metric]
                line += f"   Δ vs base {c.value:+.4g} [{_fmt(c.ci_low, 4)}, {_fmt(c.ci_high, 4)}]"
            lines.append(line)
    if any(e.higher_is_better is False for task in results.tasks.values() for e in task.metrics.values()):
        lines.append(LEGEND)
    for variant, t in results.timing.items():
        lines.append(f"{variant} model: {t.examples} examples in {t.seconds:.0f} s")
    return "\n".join(lines)


def _ci(score: Score | None) -> str:
    if score is None:
        return "n/a"
    sign = "+" if score.is_delta and score.finite and score.value > 0 else ""
    return f"{sign}{_fmt(score.value)} [{_fmt(score.ci_low)}, {_fmt(score.ci_high)}]"


def _split(metrics: dict) -> tuple[list[str], list[str]]:
    """(plain metrics, retrieval metrics that have a floor and a ceiling); their gap-closed shares go with the latter."""
    bounded = [m for m in metrics if m + FLOOR in metrics and m + CEILING in metrics]
    hidden = {m + s for m in bounded for s in (FLOOR, CEILING, GAP)}
    return [m for m in metrics if m not in bounded and m not in hidden], bounded


GAP_MEASURE = "ndcg@3"  # the measure of the gap-closed bars and the per-turn gain plot


def retrievers(metrics: dict) -> list[str]:
    """Retrievers with a gap-closed share of GAP_MEASURE (`bm25_ndcg@3_gap_closed` -> bm25), in results order."""
    suffix = f"_{GAP_MEASURE}{GAP}"
    return [m[: -len(suffix)] for m in metrics if m.endswith(suffix)]


def turn_number(qid) -> int | None:
    """The turn of a conversation turn id (CAsT's `81_3` -> 3, 2022's `132_1-3` -> 3), None without one."""
    tail = str(qid or "").rsplit("_", 1)[-1].rsplit("-", 1)[-1] if "_" in str(qid or "") else ""
    return int(tail) if tail.isdigit() else None


def per_turn_gain(task: str, predictions, retriever: str) -> list[tuple[float, float]]:
    """(turn, mean of rewrite minus raw utterance on GAP_MEASURE) for each turn number of the task's examples."""
    metric = f"{retriever}_{GAP_MEASURE}"
    gains: dict[int, list[float]] = {}
    for row in predictions:
        scores = row.get("scores") or {}
        turn = turn_number((row.get("input") or {}).get("qid"))
        if row["task"] == task and turn is not None and None not in (scores.get(metric), scores.get(metric + FLOOR)):
            gains.setdefault(turn, []).append(scores[metric] - scores[metric + FLOOR])
    return [(float(t), sum(v) / len(v)) for t, v in sorted(gains.items())]


def _dataset_line(dataset: Dataset) -> str:
    sha = (dataset.sha256 or "")[:12] or "n/a"
    return f"{dataset.name} ({dataset.path}, sha256 {sha}, n={dataset.n})"


def _short(value, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _input_text(row: dict) -> str:
    given = row.get("input")
    if isinstance(given, dict):
        if "query" in given and "history" in given:
            return " | ".join(list(given["history"] or []) + [f"→ {given['query']}"])
        if "document" in given:
            return given["document"]
    return _short(given, 10_000)


def swings(task: str, predictions, metric: str) -> tuple[list[tuple], list[tuple]]:
    """(wins, losses): the TOP_N examples where B beats A most on `metric`, and where A beats B most.

    `predictions` may be rows streamed from predictions.jsonl: only the TOP_N of each side are held."""
    def scored(sign: int):
        for i, row in enumerate(predictions):
            if row["task"] != task or not row.get("baseline_scores"):
                continue
            b, a = row["scores"].get(metric), row["baseline_scores"].get(metric)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and (b - a) * sign > 0:
                yield (b - a) * sign, i, b - a, row

    # Ties: the later example first among wins, the earlier among losses.
    wins = [(d, row) for _, _, d, row in heapq.nlargest(TOP_N, scored(1), key=lambda item: item[:2])]
    losses = [(d, row) for _, _, d, row in heapq.nlargest(TOP_N, scored(-1), key=lambda item: (item[0], -item[1]))]
    return wins, losses


def protocol_line(metrics: dict) -> str | None:
    """Which reference protocol each ROUGE name of a task stands for (None for a task without ROUGE)."""
    used = {rouge_protocol(m) for m in metrics}
    named = {suffix: text for suffix, text in ROUGE_PROTOCOLS.items() if text in used}
    if not named:
        return None
    return "ROUGE protocol: " + "; ".join(f"`rouge*{suffix}` {text}" for suffix, text in named.items())


def unsupported_examples(task: str, predictions) -> list[tuple[dict, list[str], list[str] | None]]:
    """Up to TOP_N summaries of a task with numbers or capitalized spans missing from the source (the faithfulness
    metric's misses): (row, the tuned summary's spans, the base summary's or None without a base)."""
    out = []
    for row in predictions:
        given = row.get("input")
        if row["task"] != task or not isinstance(given, dict) or not isinstance(given.get("document"), str):
            continue
        if not isinstance(row.get("prediction"), str):
            continue
        tuned = unsupported_spans(row["prediction"], given["document"])
        base = row.get("baseline_prediction")
        base = unsupported_spans(base, given["document"]) if isinstance(base, str) else None
        if tuned or base:
            out.append((row, tuned, base))
            if len(out) == TOP_N:
                break
    return out


def located_examples(task: str, predictions) -> list[dict]:
    """The first TOP_N rows of a located task (evals.registry meeting sources): the input carries the kept passages."""
    out = []
    for row in predictions:
        given = row.get("input")
        if row["task"] == task and isinstance(given, dict) and "passages" in given:
            out.append(row)
            if len(out) == TOP_N:
                break
    return out


def passages_cell(passages: list, spans: list) -> str:
    """Turn ranges of the kept passages, ★ on each that overlaps a gold relevant_text_span."""
    def gold(first, last):
        return any(first <= int(end) and int(start) <= last for start, end in spans or [])

    return ", ".join(f"{first}-{last}" + (" ★" if gold(first, last) else "") for first, last in passages) or "—"


def per_query_line(entry: dict, n: int | None) -> str | None:
    """Generation and scoring seconds per example of each model (results.json `seconds`), where recorded."""
    seconds = entry.get("seconds") if isinstance(entry, dict) else None
    if not seconds or not n:
        return None
    return "Time per query: " + ", ".join(f"{variant} {s / n:.2f} s" for variant, s in seconds.items())


# ---------------------------------------------------------------------------------------- markdown


def _md_cell(text) -> str:
    return _short(text).replace("|", "\\|")


def markdown(results: Results | dict, predictions: list[dict], labels: tuple[str, str]) -> str:
    b, a = labels
    raw = results.get("tasks", {}) if isinstance(results, dict) else {}
    results = _typed(results)
    model = results.model
    lines = ["# Evaluation report", "",
             f"Model: base `{model.get('base')}`, adapter `{model.get('adapter')}`. Created {results.created_at}.",
             f"Figures are corpus-level values. {_interval_note(results)}", ""]
    for entry in results.tasks.values():
        task, metrics, comparison = entry.name, entry.metrics, entry.comparison
        base = entry.baseline if entry.has_baseline else None
        lines += [f"## {task}", "", f"- Data: {_dataset_line(entry.dataset)}",
                  f"- Decoding: {decoding_line(entry.decoding)}"]
        extra = [protocol_line(metrics), per_query_line(raw.get(task), entry.dataset.n)]
        lines += [f"- {line}" for line in extra if line] + [""]
        plain, bounded = _split(metrics)
        header = f"| metric | n | {b} |" + (f" {a} | {b} − {a} (paired) |" if base is not None else "")
        lines += [header, "|---" * (header.count("|") - 1) + "|"]
        for m in plain:
            row = f"| {_name(m, metrics[m])} | {_n(metrics[m], entry.dataset)} | {_ci(metrics[m])} |"
            if base is not None:
                row += f" {_ci(base.get(m))} | {_ci(comparison.get(m))} |"
            lines.append(row)
        if bounded:
            lines += ["", "Retrieval over the judged collection: the raw utterance is the floor, the manual rewrite "
                          "the ceiling; gap closed = (system − floor) / (ceiling − floor), paired bootstrap interval.",
                      ""]
            header = f"| metric | n | floor (raw utterance) | {b} |" + (f" {a} |" if base is not None else "") + \
                f" ceiling (manual rewrite) | gap closed by {b} |" + (f" {b} − {a} (paired) |" if base is not None else "")
            lines += [header, "|---" * (header.count("|") - 1) + "|"]
            for m in bounded:
                row = (f"| {_name(m, metrics[m])} | {_n(metrics[m], entry.dataset)} | {_ci(metrics[m + FLOOR])} "
                       f"| {_ci(metrics[m])} |")
                if base is not None:
                    row += f" {_ci(base.get(m))} |"
                row += f" {_ci(metrics[m + CEILING])} | {_ci(metrics.get(m + GAP))} |"
                lines.append(row + (f" {_ci(comparison.get(m))} |" if base is not None else ""))
        metric = main_metric(task, predictions)
        if base is not None and metric:
            wins, losses = swings(task, predictions, metric)
            for title, items in ((f"Biggest wins of {b} over {a}", wins), (f"Biggest losses of {b} to {a}", losses)):
                lines += ["", f"### {title} on {metric}", ""]
                if not items:
                    lines.append("(none)")
                    continue
                lines += [f"| doc | Δ | input | reference | {a} | {b} |", "|---|---|---|---|---|---|"]
                for delta, row in items:
                    lines.append(
                        f"| {row['doc_id']} | {delta:+.3g} | {_md_cell(_input_text(row))} | {_md_cell(row['reference'])} "
                        f"| {_md_cell(row['baseline_prediction'])} | {_md_cell(row['prediction'])} |"
                    )
        located = located_examples(task, predictions)
        if located:
            lines += ["", "### Located passages (transcript turns kept; ★ overlaps a gold span)", "",
                      f"| doc | query | passages | span recall | {b} summary | reference |", "|---|---|---|---|---|---|"]
            for row in located:
                given = row["input"]
                recall = (row.get("scores") or {}).get("span_recall")
                lines.append(f"| {row['doc_id']} | {_md_cell(given.get('query') or '')} | "
                             f"{_md_cell(passages_cell(given['passages'], given.get('spans')))} | {_fmt(recall)} | "
                             f"{_md_cell(row['prediction'])} | {_md_cell(row['reference'])} |")
        unsupported = unsupported_examples(task, predictions)
        if unsupported:
            lines += ["", "### Unsupported spans (numbers and capitalized spans not found in the source)", "",
                      f"| doc | {b} summary | unsupported in {b} |" + (f" unsupported in {a} |" if base is not None else ""),
                      "|---|---|---|" + ("---|" if base is not None else "")]
            for row, tuned, other in unsupported:
                line = f"| {row['doc_id']} | {_md_cell(row['prediction'])} | {_md_cell(', '.join(tuned) or '—')} |"
                lines.append(line + (f" {_md_cell(', '.join(other or []) or '—')} |" if base is not None else ""))
        lines.append("")
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------- SVG


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    return next(step * exp for step in (1, 2, 2.5, 5, 10) if step * exp >= value)


def _svg_head(w: float, h: float, title: str, title_x: float, title_y: float) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img">',
            f'<title>{html.escape(title)}</title>',
            f'<text x="{title_x}" y="{title_y}" text-anchor="middle" font-size="12" font-weight="bold">'
            f'{html.escape(title)}</text>']


def _y_ticks(ticks, x: float, y) -> list[str]:
    """Tick labels right-aligned at `x`, at height y(tick)."""
    return [f'<text x="{x}" y="{y(tick) + 4}" text-anchor="end" font-size="10">{_fmt(tick)}</text>' for tick in ticks]


def bar_panel(metric: str, bars: list[tuple[str, Score | None]], floor: Score | None = None,
              ceiling: Score | None = None, width: int = 220) -> str:
    """One metric: a bar per model with its CI as an error bar; dashed floor/ceiling lines when given."""
    w, h, left, top, bottom = width, 170, 40, 22, 28
    entries = [(label, e) for label, e in bars if e is not None]
    refs = [r for r in (floor, ceiling) if r is not None]
    top_value = max([e.ci_high or e.value for _, e in entries] + [r.value for r in refs] + [0])
    low_value = min([e.ci_low or e.value for _, e in entries] + [0])
    span_hi, span_lo = _nice_max(top_value), -_nice_max(-low_value) if low_value < 0 else 0.0
    plot_h = h - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (span_hi - v) / ((span_hi - span_lo) or 1)

    parts = _svg_head(w, h, metric, w / 2, 14) + [
             f'<line x1="{left}" y1="{y(0)}" x2="{w - 8}" y2="{y(0)}" stroke="#444"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>']
    parts += _y_ticks((span_lo, (span_lo + span_hi) / 2, span_hi), left - 4, y)
    slot = (w - left - 16) / max(1, len(entries))
    for i, (label, e) in enumerate(entries):
        x0 = left + 8 + i * slot
        bw = slot * 0.6
        color = COLORS[i % len(COLORS)]
        y_top, y_zero = sorted((y(e.value), y(0)))
        parts.append(f'<rect x="{x0:.1f}" y="{y_top:.1f}" width="{bw:.1f}" height="{max(0.5, y_zero - y_top):.1f}" '
                     f'fill="{color}"><title>{html.escape(label)}: {html.escape(_ci(e))}</title></rect>')
        if e.ci_low is not None and e.ci_high is not None:
            cx = x0 + bw / 2
            parts.append(f'<line x1="{cx:.1f}" y1="{y(e.ci_low):.1f}" x2="{cx:.1f}" y2="{y(e.ci_high):.1f}" '
                         f'stroke="#000" stroke-width="1.5"/>')
            for v in (e.ci_low, e.ci_high):
                parts.append(f'<line x1="{cx - 5:.1f}" y1="{y(v):.1f}" x2="{cx + 5:.1f}" y2="{y(v):.1f}" stroke="#000"/>')
        parts.append(f'<text x="{x0 + bw / 2:.1f}" y="{h - 10}" text-anchor="middle" font-size="10">'
                     f'{html.escape(label)}</text>')
    for name, ref, dash in (("floor", floor, "4 3"), ("ceiling", ceiling, "8 3")):
        if ref is not None:
            parts.append(f'<line x1="{left}" y1="{y(ref.value):.1f}" x2="{w - 8}" y2="{y(ref.value):.1f}" '
                         f'stroke="#2ca02c" stroke-dasharray="{dash}"><title>{name}: {html.escape(_ci(ref))}</title></line>')
            parts.append(f'<text x="{w - 8}" y="{y(ref.value) - 3:.1f}" text-anchor="end" font-size="9" '
                         f'fill="#2ca02c">{name}</text>')
    parts.append("</svg>")
    return "".join(parts)


def scatter(points: list[tuple[float, float, str]], x_label: str, y_label: str, title: str) -> str:
    """Per-example scores, A on x and B on y; points above the diagonal are examples B does better on."""
    size, pad = 320, 44
    values = [v for x, y, _ in points for v in (x, y)] or [0.0, 1.0]
    lo, hi = min(0.0, min(values)), _nice_max(max(values))
    span = (hi - lo) or 1.0

    def sx(v: float) -> float:
        return pad + (size - 2 * pad) * (v - lo) / span

    def sy(v: float) -> float:
        return size - pad - (size - 2 * pad) * (v - lo) / span

    parts = _svg_head(size, size, title, size / 2, 16) + [
             f'<rect x="{pad}" y="{pad}" width="{size - 2 * pad}" height="{size - 2 * pad}" fill="none" stroke="#444"/>',
             f'<line x1="{sx(lo)}" y1="{sy(lo)}" x2="{sx(hi)}" y2="{sy(hi)}" stroke="#999" stroke-dasharray="4 3"/>',
             f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" font-size="11">{html.escape(x_label)}</text>',
             f'<text x="12" y="{size / 2}" text-anchor="middle" font-size="11" '
             f'transform="rotate(-90 12 {size / 2})">{html.escape(y_label)}</text>']
    for tick in (lo, hi):
        parts.append(f'<text x="{sx(tick)}" y="{size - pad + 14}" text-anchor="middle" font-size="10">{_fmt(tick)}</text>')
    parts += _y_ticks((lo, hi), pad - 4, sy)
    for x, y, label in points:
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{COLORS[0]}" fill-opacity="0.55">'
                     f'<title>{html.escape(label)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(series: dict[str, list[tuple[float, float]]], title: str, x_label: str) -> str:
    w, h, left, right, top, bottom = 560, 260, 52, 110, 26, 36
    xs = [x for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts]
    x_lo, x_hi = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y_lo, y_hi = min(0.0, min(ys)), _nice_max(max(ys))

    def sx(v: float) -> float:
        return left + (w - left - right) * (v - x_lo) / (x_hi - x_lo)

    def sy(v: float) -> float:
        return h - bottom - (h - top - bottom) * (v - y_lo) / ((y_hi - y_lo) or 1)

    parts = _svg_head(w, h, title, (w - right) / 2, 16) + [
             f'<rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}" fill="none" stroke="#444"/>',
             f'<text x="{(w - right) / 2}" y="{h - 6}" text-anchor="middle" font-size="11">{html.escape(x_label)}</text>']
    parts += _y_ticks((y_lo, (y_lo + y_hi) / 2, y_hi), left - 4, sy)
    for tick in (x_lo, x_hi):
        parts.append(f'<text x="{sx(tick)}" y="{h - bottom + 14}" text-anchor="middle" font-size="10">{_fmt(tick, 6)}</text>')
    for i, (name, pts) in enumerate(series.items()):
        color = ("#1f77b4", "#d62728", "#2ca02c")[i % 3]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.8"/>')
        if len(pts) == 1:
            parts.append(f'<circle cx="{sx(pts[0][0]):.1f}" cy="{sy(pts[0][1]):.1f}" r="3" fill="{color}"/>')
        parts.append(f'<text x="{w - right + 8}" y="{top + 14 + 16 * i}" font-size="11" fill="{color}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def loss_series(log_history: list[dict]) -> dict[str, list[tuple[float, float]]]:
    series: dict[str, list[tuple[float, float]]] = {}
    for row in log_history or []:
        for key in ("loss", "eval_loss"):
            if isinstance(row.get(key), (int, float)) and isinstance(row.get("step"), (int, float)):
                series.setdefault(key, []).append((float(row["step"]), float(row[key])))
    return series


# ------------------------------------------------------------------------------------------- HTML

_STYLE = """body{font-family:system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.panels{display:flex;flex-wrap:wrap;gap:8px}
.meta{color:#555;font-size:13px}.ex td{max-width:320px}"""


def _table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def html_report(results: Results | dict, predictions: list[dict], log_history: list[dict] | None,
                labels: tuple[str, str]) -> str:
    b, a = labels
    results = _typed(results)
    model = results.model
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Evaluation report</title>",
           f"<style>{_STYLE}</style></head><body><h1>Evaluation report</h1>",
           f"<p class='meta'>Model: base <code>{html.escape(str(model.get('base')))}</code>, adapter "
           f"<code>{html.escape(str(model.get('adapter')))}</code>. Created {html.escape(str(results.created_at))}. "
           f"Bars show corpus-level values, whiskers the confidence interval. {html.escape(_interval_note(results))}</p>"]
    series = loss_series(log_history or [])
    if series:
        out += ["<h2>Training loss</h2>", line_chart(series, "Training loss", "step")]
    for entry in results.tasks.values():
        task, metrics, comparison = entry.name, entry.metrics, entry.comparison
        base = entry.baseline if entry.has_baseline else None
        out += [f"<h2>{html.escape(task)}</h2>",
                f"<p class='meta'>Data: {html.escape(_dataset_line(entry.dataset))}<br>"
                f"Decoding: {html.escape(decoding_line(entry.decoding))}</p>"]
        plain, bounded = _split(metrics)
        panels = [bar_panel(_name(m, metrics[m]), [(b, metrics.get(m)), (a, (base or {}).get(m))]) for m in plain]
        panels += [bar_panel(_name(m, metrics[m]), [(b, metrics.get(m)), (a, (base or {}).get(m))], metrics[m + FLOOR],
                             metrics[m + CEILING]) for m in bounded]
        out.append("<div class='panels'>" + "".join(panels) + "</div>")
        names = retrievers(metrics)
        if names:
            gap = f"_{GAP_MEASURE}{GAP}"
            bars = [(f"{r} {label}", scores.get(r + gap)) for r in names
                    for label, scores in ((b, metrics), (a, base)) if scores is not None]
            out += [f"<h3>Share of the raw-to-reference gap closed ({GAP_MEASURE})</h3>",
                    "<p class='meta'>0 is the raw utterance (floor), 1 the reference rewrite (ceiling); whiskers: "
                    "paired bootstrap over turns.</p>",
                    bar_panel(f"{GAP_MEASURE} gap closed", bars, Score(0.0), Score(1.0), width=max(220, 90 * len(bars)))]
            gains = {r: per_turn_gain(task, predictions, r) for r in names}
            if any(gains.values()):
                out += [f"<h3>Per-turn gain of {b} over the raw utterance ({GAP_MEASURE})</h3>",
                        line_chart({r: pts for r, pts in gains.items() if pts},
                                   f"{b} minus raw utterance, mean {GAP_MEASURE} per turn", "turn")]
        header = ["metric", "n", b] + ([a, f"{b} − {a} (paired)"] if base is not None else [])
        rows = [[_name(m, metrics[m]), _n(metrics[m], entry.dataset), _ci(metrics[m])]
                + ([_ci(base.get(m)), _ci(comparison.get(m))] if base is not None else [])
                for m in plain + bounded]
        rows += [[m + suffix, _n(metrics[m + suffix], entry.dataset), _ci(metrics[m + suffix])]
                 + ([_ci(base.get(m + suffix)), ""] if base is not None and suffix == GAP else
                    ["", ""] if base is not None else [])
                 for m in bounded for suffix in (FLOOR, CEILING, GAP) if m + suffix in metrics]
        out.append(_table(header, rows))
        metric = main_metric(task, predictions)
        if base is not None and metric:
            points = [(row["baseline_scores"][metric], row["scores"][metric], f"doc {row['doc_id']}")
                      for row in predictions
                      if row["task"] == task and row.get("baseline_scores")
                      and isinstance(row["scores"].get(metric), (int, float))
                      and isinstance(row["baseline_scores"].get(metric), (int, float))]
            out.append(scatter(points, f"{a} {metric}", f"{b} {metric}", f"Per-example {metric}: {a} vs {b}"))
            wins, losses = swings(task, predictions, metric)
            for title, items in ((f"Biggest wins of {b} over {a} on {metric}", wins),
                                 (f"Biggest losses of {b} to {a} on {metric}", losses)):
                out.append(f"<h3>{html.escape(title)}</h3>")
                out.append(_table(["doc", "Δ", "input", "reference", a, b],
                                  [[row["doc_id"], f"{d:+.3g}", _short(_input_text(row), 400), _short(row["reference"], 300),
                                    _short(row["baseline_prediction"] or "", 300), _short(row["prediction"] or "", 300)]
                                   for d, row in items], "ex") if items else "<p>(none)</p>")
    out.append("</body></html>")
    return "\n".join(out)
