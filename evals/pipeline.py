"""One evaluation, shared by the eval CLI and training: lm-eval generates and scores, this module adds bootstrap
confidence intervals, the base-vs-tuned comparison, the result files, the reports and W&B logging.

Output folder:
  results.json       scores with 95% CIs, dataset fingerprints and decoding settings (the Hub model card reads it)
  predictions.jsonl  one line per example and task: prompt, input, reference, predictions, per-example scores
  report.md, report.html
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import logging
import shutil
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path

from finetune.core.io import file_sha256
from finetune.core.errors import UserError
from finetune.core.provenance import package_versions
from evals import stats

log = logging.getLogger("searchtune")

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
PACKAGES = ("torch", "transformers", "peft", "lm_eval", "datasets", "sacrebleu", "rouge_score", "bm25s",
            "sentence-transformers", "wandb")
# Doc fields that are plumbing rather than model input.
_NOT_INPUT = ("references", "source", "collection", "instruction")
# Docs per lm-eval pass. Each pass's samples are written to predictions.jsonl as prediction rows and dropped, keeping
# only the per-example scores, so memory stays flat however many examples a task has. Tasks with a metric that only
# lm-eval can aggregate (no per-example form here) run in one pass.
PASS_DOCS = 1000


def searchtune_tasks() -> list[str]:
    return sorted(p.stem for p in TASKS_DIR.glob("*.yaml") if not p.name.startswith("_"))


def task_utils():
    """evals/tasks/utils.py (lm-eval loads the same file by path for the YAML tasks)."""
    from evals.tasks import utils

    return utils


# Where a recipe's training source lives -> the eval source key that holds the same kind of data.
_FOLDER_KEYS = {"canard": "canard", "trec-cast": "cast2020", "disfl-qa": "disflqa", "dialogsum": "dialogsum",
                "aeslc": "aeslc", "scitldr": "scitldr"}
_SAMPLE_KEYS = {"query_rewrite": "qr_sample", "summarize": "sum_sample"}


def recipe_instructions(recipe: dict) -> dict[str, str]:
    """Source key -> the instruction a recipe trained that kind of data with (only where it set one).

    Keys come from the training file's folder under the data root (dialogsum/train.jsonl -> dialogsum) or from
    `sample:` paths, so a model trained on a mixture with per-source instructions is evaluated with the same ones.
    """
    data = recipe.get("data") or {}
    sources = data.get("train") or []
    out: dict[str, str] = {}
    for source in [sources] if isinstance(sources, dict) else sources:
        instruction = source.get("instruction") or data.get("instruction")
        path = str(source.get("path") or "")
        key = _SAMPLE_KEYS.get(data.get("task")) if path.startswith("sample:") else _FOLDER_KEYS.get(Path(path).parent.name)
        if instruction and key:
            out.setdefault(key, instruction)
    return out


def _check_keys(option: str, given: dict | None, keys) -> None:
    keys = list(keys)
    for key in given or {}:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise UserError(f"{option} {key}=...: unknown key; {hint}known keys: {', '.join(keys)}")


@functools.lru_cache(maxsize=4)
def _manager(include_defaults: bool, data: tuple, instructions: tuple):
    from lm_eval.tasks import TaskManager

    metadata = {k: dict(v) for k, v in (("searchtune_data", data), ("searchtune_instructions", instructions)) if v}
    return TaskManager(include_path=str(TASKS_DIR), include_defaults=include_defaults, metadata=metadata or None)


def task_manager(names: list[str], data: dict[str, str] | None = None, instructions: dict[str, str] | None = None):
    """A TaskManager that knows the requested names; lm-eval's own 14k-task index (5 s) only when needed.

    data: source key -> file; instructions: source key -> instruction text (see evals/tasks/utils.py).
    """
    utils = task_utils()
    _check_keys("--data", data, utils.DATA_KEYS)
    _check_keys("--instruction", instructions, utils.SOURCES)
    ours = set(searchtune_tasks())
    manager = _manager(any(n not in ours for n in names), tuple(sorted((data or {}).items())),
                       tuple(sorted((instructions or {}).items())))
    known = set(manager.all_tasks)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(ours) + sorted(known - ours), n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise UserError(
                f"--task {name}: unknown task; {hint}searchtune tasks: {', '.join(sorted(ours))} "
                "(any lm-eval task name also works)"
            )
    return manager


def load_tasks(names: list[str], data: dict[str, str] | None = None, instructions: dict[str, str] | None = None) -> dict:
    loaded = task_manager(names, data, instructions).load(list(names))
    for task in loaded["tasks"].values():
        if task.get_config("num_fewshot") is None:
            task.set_config(key="num_fewshot", value=0)
        task.set_fewshot_seed(seed=1234)
    return loaded


def _is_peft(model) -> bool:
    try:
        from peft import PeftModel
    except ImportError:
        return False
    return isinstance(model, PeftModel)


def evaluate(
    model,
    tokenizer,
    tasks: list[str],
    output_dir,
    *,
    limit: int | None = None,
    batch_size: int | str = 16,
    baseline: bool | str = False,
    data: dict[str, str] | None = None,
    instructions: dict[str, str] | None = None,
    run_dir=None,
    wandb_mode: str = "auto",
    wandb_project: str = "searchtune",
    model_info: dict,
) -> dict:
    """Score `model` (and, with `baseline`, the same model with its adapter switched off) on `tasks`.

    `data` maps source keys to data files, `instructions` source keys to the instruction the model was trained with
    (evals/tasks/utils.py lists the keys).

    Returns the results.json content. Generations are cached in OUTPUT/.cache while running, so an interrupted
    eval started again with the same arguments continues where it stopped; the cache is removed on success.
    """
    from lm_eval import evaluator

    from evals import report, tracking
    from evals.lm import SearchtuneLM

    output_dir = Path(output_dir)
    if baseline and not _is_peft(model):
        raise UserError("--baseline base: the model has no adapter to switch off; pass --adapter or --run")
    loaded = load_tasks(tasks, data, instructions)
    output_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = output_dir / ".cache"
    fingerprint = hashlib.sha256(json.dumps(model_info, sort_keys=True).encode()).hexdigest()[:12]

    variants = [("tuned", nullcontext)] + ([("base", model.disable_adapter)] if baseline else [])
    lms = {variant: SearchtuneLM(model, tokenizer, batch_size=batch_size,
                                 cache_file=cache_dir / f"generations-{variant}-{fingerprint}.jsonl")
           for variant, _ in variants}
    task_objs = loaded["tasks"]
    aggregates = {name: _aggregates(task) for name, task in task_objs.items()}
    runs = {variant: {"scores": {name: [] for name in task_objs}, "results": {}, "seconds": 0.0}
            for variant, _ in variants}
    partial = output_dir / "predictions.jsonl.partial"
    with partial.open("w", encoding="utf-8") as f:
        for kwargs, offset in _passes(loaded, limit, aggregates):
            outs = {}
            for variant, context in variants:
                log.info("Evaluating the %s model on %s", variant, ", ".join(kwargs["task_dict"]["tasks"]))
                started = time.perf_counter()
                with context():
                    outs[variant] = evaluator.evaluate(lm=lms[variant], bootstrap_iters=0, log_samples=True,
                                                       apply_chat_template=True, **kwargs)
                runs[variant]["seconds"] += time.perf_counter() - started
            for name in kwargs["task_dict"]["tasks"]:
                tuned = _samples(outs["tuned"], name, offset)
                base = _samples(outs["base"], name, offset) if baseline else None
                for row in prediction_rows(name, tuned, base, aggregates[name]):
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                for variant, samples in (("tuned", tuned), ("base", base)):
                    if samples is not None:
                        runs[variant]["scores"][name] += [_scores(s, aggregates[name]) for s in samples]
                        runs[variant]["results"][name] = outs[variant]["results"].get(name, {})
    partial.replace(output_dir / "predictions.jsonl")

    results = summarize(task_objs, runs, lms["tuned"].batch_size, data, model_info)
    (output_dir / "results.json").write_text(json.dumps(results, indent=2, default=str, allow_nan=False) + "\n")
    history = load_log_history(run_dir)
    report.write_reports(output_dir, results, PredictionsFile(output_dir / "predictions.jsonl"), log_history=history)
    tracking.log_eval(results, output_dir, mode=wandb_mode, project=wandb_project, run_dir=run_dir)
    shutil.rmtree(cache_dir, ignore_errors=True)
    return results


# --------------------------------------------------------------------------------------- results


def _passes(loaded: dict, limit: int | None, aggregates: dict) -> list[tuple[dict, int]]:
    """(evaluator.evaluate keyword arguments, doc_id offset) of each pass: PASS_DOCS docs of one task at a time."""
    if loaded.get("groups") or not all(all(a.values()) for a in aggregates.values()):
        return [({"task_dict": loaded, "limit": limit}, 0)]
    out = []
    for name, task in loaded["tasks"].items():
        n = len(task.eval_docs) if limit is None else min(int(limit), len(task.eval_docs))
        for start in range(0, n, PASS_DOCS):
            # lm-eval numbers the selected docs from 0 (hence the offset) and tests `i in samples` per doc: a range
            # answers that in constant time.
            out.append(({"task_dict": {**loaded, "tasks": {name: task}},
                         "samples": {name: range(start, min(n, start + PASS_DOCS))}}, start))
    return out


def _scores(sample: dict, aggregates: dict) -> dict:
    return {"doc_id": sample["doc_id"], **{m: sample.get(m) for m in aggregates}}


class PredictionsFile:
    """predictions.jsonl as rows, read again on each pass over it (the reports go over the rows several times)."""

    def __init__(self, path: Path):
        self.path = path

    def __iter__(self):
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def summarize(tasks: dict, runs: dict, batch_size: int, data: dict | None, model_info: dict) -> dict:
    """results.json from the per-example scores (and, for metrics only lm-eval aggregates, its results)."""
    base = runs.get("base")
    results = {
        "model": {"base": str(model_info.get("base")), "adapter": _str_or_none(model_info.get("adapter"))},
        "tasks": {},
        "packages": package_versions(PACKAGES),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        # Wall time of generation and scoring in this call (generations restored from .cache cost next to nothing).
        "timing": {variant: _timing(run) for variant, run in runs.items()},
    }
    for name, task in tasks.items():
        tuned_samples = runs["tuned"]["scores"][name]
        base_samples = base["scores"][name] if base else None
        aggregates = _aggregates(task)
        entry = {
            "dataset": dataset_info(task, data, n=len(tuned_samples)),
            "decoding": decoding_info(task, batch_size),
            "metrics": stats.score_metrics(tuned_samples, aggregates, runs["tuned"]["results"].get(name, {}),
                                           task.higher_is_better()),
        }
        if base_samples is not None:
            entry["baseline"] = {"metrics": stats.score_metrics(base_samples, aggregates, base["results"].get(name, {}),
                                                                task.higher_is_better())}
            entry["comparison"] = stats.compare_metrics(base_samples, tuned_samples, aggregates)
        results["tasks"][name] = entry
    return results


def _timing(run: dict) -> dict:
    examples = sum(len(scores) for scores in run["scores"].values())
    seconds = run["seconds"]
    return {"seconds": round(seconds, 1), "examples": examples,
            "examples_per_second": round(examples / seconds, 3) if seconds else None}


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def _samples(out: dict, task: str, offset: int = 0) -> list[dict]:
    samples = sorted(out["samples"][task], key=lambda s: s["doc_id"])
    for s in samples:
        s["doc_id"] += offset
    return samples


def _aggregates(task) -> dict[str, str | None]:
    """Metric -> name of its evals.metrics aggregate ("mean", "bleu"), or None when it has no bootstrap form."""
    from lm_eval.api.metrics import mean as lm_mean

    from evals.metrics import AGGREGATES

    ours = (TASKS_DIR / "utils.py").resolve()
    names = {}
    for metric, fn in task.aggregation().items():
        code = getattr(fn, "__code__", None)
        if code and Path(code.co_filename).resolve() == ours and fn.__name__ in AGGREGATES:
            names[metric] = fn.__name__
        else:  # lm-eval's own aggregations: only its plain mean has a per-example bootstrap here
            names[metric] = "mean" if fn is lm_mean else None
    return names


def dataset_info(task, data: dict | None, n: int) -> dict:
    source = (task.config.dataset_kwargs or {}).get("source") if task.config.custom_dataset else None
    if source:
        path = task_utils().resolve_path(source, data)
        return {"name": source, "path": str(path.resolve()), "sha256": file_sha256(path), "n": n}
    name = "/".join(x for x in (task.config.dataset_path, task.config.dataset_name) if x)
    return {"name": name, "path": name, "sha256": None, "n": n}


def decoding_info(task, batch_size: int) -> dict:
    gen = task.config.generation_kwargs or {}
    until = gen.get("until") or []
    return {
        "do_sample": bool(gen.get("do_sample", False)),
        "max_new_tokens": gen.get("max_gen_toks"),
        "apply_chat_template": True,
        "batch_size": int(batch_size),
        "until": [until] if isinstance(until, str) else list(until),
    }


# ----------------------------------------------------------------------------------- predictions


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def prediction_rows(task: str, tuned: list[dict], base: list[dict] | None, aggregates: dict) -> list[dict]:
    base_by_id = {s["doc_id"]: s for s in base or []}
    rows = []
    for sample in tuned:
        doc = sample["doc"]
        other = base_by_id.get(sample["doc_id"])
        if isinstance(doc, dict) and "references" in doc:
            refs = doc["references"]
            reference = refs[0] if len(refs) == 1 else refs
            given = {k: v for k, v in doc.items() if k not in _NOT_INPUT}
        else:
            reference, given = sample["target"], doc
        rows.append(_jsonable({
            "task": task,
            "doc_id": sample["doc_id"],
            "prompt": sample["arguments"][0][0],
            "input": given,
            "reference": reference,
            "prediction": _response(sample),
            "baseline_prediction": _response(other) if other else None,
            "scores": {m: sample.get(m) for m in aggregates},
            "baseline_scores": {m: other.get(m) for m in aggregates} if other else None,
        }))
    return rows


def _response(sample: dict):
    """The generated text; for multiple-choice tasks, the (log-likelihood, is-greedy) of every choice."""
    responses = sample["filtered_resps"]
    return responses[0] if len(responses) == 1 else responses


def write_predictions(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_predictions(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_log_history(run_dir) -> list[dict] | None:
    """The trainer's log_history (a list of step dicts) from a run folder, if there is one."""
    if not run_dir:
        return None
    path = Path(run_dir) / "log_history.json"
    if not path.is_file():
        return None
    history = json.loads(path.read_text())
    return history.get("log_history") if isinstance(history, dict) else history


# ---------------------------------------------------------------------------------------- compare


def _eval_folder(path: Path) -> Path:
    for folder in (path, path / "eval"):
        if (folder / "results.json").is_file():
            return folder
    raise UserError(f"--compare {path}: no results.json there or in {path / 'eval'}; point at an eval output "
                    "folder or a run folder that has been evaluated")


def _load_eval(path: Path) -> tuple[Path, dict, list[dict]]:
    folder = _eval_folder(path)
    results = json.loads((folder / "results.json").read_text())
    pred_path = folder / "predictions.jsonl"
    if not pred_path.is_file():
        raise UserError(f"--compare {path}: {pred_path} is missing; re-run the eval to write it")
    rows = read_predictions(pred_path)
    if not rows:
        raise UserError(f"--compare {path}: {pred_path} is empty; re-run the eval")
    return folder, results, rows


def compare_runs(path_a: Path, path_b: Path, output_dir: Path) -> dict:
    """Side-by-side report of two evals; deltas are B minus A, paired over matching (task, doc_id)."""
    from evals import report

    folder_a, results_a, rows_a = _load_eval(path_a)
    folder_b, results_b, rows_b = _load_eval(path_b)
    common = [t for t in results_b["tasks"] if t in results_a["tasks"]]
    if not common:
        raise UserError(f"--compare: {path_a} and {path_b} share no task; evaluate both on the same --task")
    by_key_a = {(r["task"], r["doc_id"]): r for r in rows_a}
    out = {
        "model": results_b["model"],
        "compared": {"a": {"path": str(folder_a), "model": results_a["model"]},
                     "b": {"path": str(folder_b), "model": results_b["model"]}},
        "tasks": {},
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    predictions = []
    for task in common:
        entry_a, entry_b = results_a["tasks"][task], results_b["tasks"][task]
        sha_a, sha_b = entry_a["dataset"].get("sha256"), entry_b["dataset"].get("sha256")
        if sha_a != sha_b:
            raise UserError(f"--compare: task {task} was scored on different data files ({entry_a['dataset']['path']} "
                            f"vs {entry_b['dataset']['path']}); compare evals of the same data")
        pairs = [(by_key_a[(r["task"], r["doc_id"])], r) for r in rows_b if (r["task"], r["doc_id"]) in by_key_a]
        if not pairs:
            raise UserError(f"--compare: task {task} has no example in common between the two evals")
        sample = pairs[0][1]["scores"]
        aggregates = {m: "bleu" if isinstance(v, list) else "mean" for m, v in sample.items()
                      if isinstance(v, (list, int, float)) or v is None}
        out["tasks"][task] = {
            "dataset": {**entry_b["dataset"], "n": len(pairs)},
            "decoding": entry_b["decoding"],
            "metrics": entry_b["metrics"],
            "baseline": {"metrics": entry_a["metrics"]},
            "comparison": stats.paired_comparison([a["scores"] for a, _ in pairs], [b["scores"] for _, b in pairs], aggregates),
        }
        predictions += [{**b, "baseline_prediction": a["prediction"], "baseline_scores": a["scores"]} for a, b in pairs]
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "comparison.json").write_text(json.dumps(out, indent=2, allow_nan=False) + "\n")
    write_predictions(output_dir / "predictions.jsonl", predictions)
    name_a, name_b = _run_name(folder_a), _run_name(folder_b)
    if name_a == name_b:
        name_a, name_b = f"A:{name_a}", f"B:{name_b}"
    report.write_reports(output_dir, out, predictions, labels=(name_b, name_a))
    return out


def _run_name(folder: Path) -> str:
    """runs/NAME for its default eval folder, runs/NAME/eval-X as NAME/eval-X, else the folder's own name."""
    folder = folder.resolve()
    if (folder.parent / "recipe.yaml").is_file():
        return folder.parent.name if folder.name == "eval" else f"{folder.parent.name}/{folder.name}"
    return folder.name
