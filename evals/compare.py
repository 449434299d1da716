"""`searchtune eval --compare A B`: two evals side by side, example by example; deltas are B minus A, paired over
matching (task, doc_id), with the same intervals as an eval's own base-vs-tuned comparison."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from finetune.core import io
from finetune.core.errors import UserError
from finetune.core.run import PREDICTIONS_FILE, RESULTS_FILE, Results, RunFolder, read_predictions, read_results
from evals import stats, tasks_manager
from evals.predictions import write_predictions


def _eval_folder(path: Path) -> Path:
    for folder in (path, RunFolder(path).eval_dir):
        if (folder / RESULTS_FILE).is_file():
            return folder
    raise UserError(f"--compare {path}: no {RESULTS_FILE} there or in {RunFolder(path).eval_dir}; point at an eval "
                    "output folder or a run folder that has been evaluated")


def _load_eval(path: Path) -> tuple[Path, Results, list[dict]]:
    folder = _eval_folder(path)
    results = read_results(folder)
    if not results.raw:
        raise UserError(f"--compare {path}: {folder / RESULTS_FILE} is unreadable; re-run the eval")
    pred_path = folder / PREDICTIONS_FILE
    if not pred_path.is_file():
        raise UserError(f"--compare {path}: {pred_path} is missing; re-run the eval to write it")
    rows = list(read_predictions(pred_path))
    if not rows:
        raise UserError(f"--compare {path}: {pred_path} is empty; re-run the eval")
    return folder, results, rows


def compare_runs(path_a: Path, path_b: Path, output_dir: Path) -> dict:
    """Side-by-side report of two evals; deltas are B minus A, paired over matching (task, doc_id), or over doc_id
    for two single-task evals of one data file under different tasks."""
    from evals import report

    folder_a, results_a, rows_a = _load_eval(path_a)
    folder_b, results_b, rows_b = _load_eval(path_b)
    common = [(t, t) for t in results_b.tasks if t in results_a.tasks]
    if not common and len(results_a.tasks) == len(results_b.tasks) == 1:
        # Two variants of one task over the same file (searchtune_sum_qmsum against its first-N baseline
        # searchtune_sum_qmsum_first) number the same examples alike; each pair's reference is checked below.
        (task_a,), (task_b,) = results_a.tasks, results_b.tasks
        common = [(task_a, task_b)]
    if not common:
        raise UserError(f"--compare: {path_a} and {path_b} share no task; evaluate both on the same --task")
    by_key_a = {(r["task"], r["doc_id"]): r for r in rows_a}
    out = {
        "model": results_b.model,
        "compared": {"a": {"path": str(folder_a), "model": results_a.model},
                     "b": {"path": str(folder_b), "model": results_b.model}},
        "tasks": {},
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    predictions = []
    for task_a, task in common:
        data_a, data_b = results_a.tasks[task_a].dataset, results_b.tasks[task].dataset
        if data_a.sha256 != data_b.sha256:
            raise UserError(f"--compare: task {task} was scored on different data files ({data_a.path} vs "
                            f"{data_b.path}); compare evals of the same data")
        # The entries are copied as written, so the comparison's JSON holds what the evals' results.json held.
        entry_a, entry_b = results_a.raw["tasks"][task_a], results_b.raw["tasks"][task]
        pairs = [(by_key_a[(task_a, r["doc_id"])], r) for r in rows_b
                 if r["task"] == task and (task_a, r["doc_id"]) in by_key_a]
        if not pairs:
            raise UserError(f"--compare: task {task} has no example in common between the two evals")
        if task_a != task and any(a.get("reference") != b.get("reference") for a, b in pairs):
            raise UserError(f"--compare: tasks {task_a} and {task} number different examples alike (their "
                            "references differ); evaluate both on the same --task")
        aggregates = {m: a for m, a in tasks_manager.configured_aggregates(task).items() if a}
        out["tasks"][task] = {
            "dataset": {**entry_b["dataset"], "n": len(pairs)},
            "decoding": entry_b["decoding"],
            "metrics": entry_b["metrics"],
            "baseline": {"metrics": entry_a["metrics"], **({"task": task_a} if task_a != task else {})},
            "comparison": stats.paired_comparison([a["scores"] for a, _ in pairs], [b["scores"] for _, b in pairs], aggregates),
        }
        predictions += [{**b, "baseline_prediction": a["prediction"], "baseline_scores": a["scores"]} for a, b in pairs]
    io.write_text(output_dir / "comparison.json", json.dumps(out, indent=2, allow_nan=False) + "\n")
    write_predictions(output_dir / PREDICTIONS_FILE, predictions)
    name_a, name_b = _run_name(folder_a), _run_name(folder_b)
    if name_a == name_b:
        name_a, name_b = f"A:{name_a}", f"B:{name_b}"
    report.write_reports(output_dir, out, predictions, labels=(name_b, name_a))
    return out


def _run_name(folder: Path) -> str:
    """runs/NAME for its default eval folder, runs/NAME/eval-X as NAME/eval-X, else the folder's own name."""
    folder = folder.resolve()
    run = RunFolder(folder.parent)
    if run.recipe_file.is_file():
        return run.name if folder == run.eval_dir else f"{run.name}/{folder.name}"
    return folder.name
