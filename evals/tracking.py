"""W&B logging of an eval: scores in the run summary, the predictions as a table, the report files as an artifact.

During training the eval logs into the training's active run. Otherwise a run of its own, started by
finetune.core.tracking (mode resolution, bounded init, offline fallback): its files go under the run folder's wandb/
when there is a run folder, else the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from finetune.core import tracking as core_tracking
from finetune.core.run import PREDICTIONS_FILE, REPORT_FILES, RESULTS_FILE, Results, read_predictions

ARTIFACT_FILES = (RESULTS_FILE, PREDICTIONS_FILE, *REPORT_FILES)
TABLE_TEXT_LIMIT = 2000


def summary_values(results: dict) -> dict[str, float]:
    """Flat `eval/<task>/<metric>` keys (plus _ci_low/_ci_high, base/ and delta/ variants)."""
    out = {}
    for task in Results.from_dict(results).tasks.values():
        for prefix, scores in (("", task.metrics), ("base/", task.baseline), ("delta/", task.comparison)):
            for metric, score in scores.items():
                key = f"eval/{task.name}/{prefix}{metric}"
                out[key] = score.value
                for bound, value in (("ci_low", score.ci_low), ("ci_high", score.ci_high)):
                    if value is not None:
                        out[f"{key}_{bound}"] = value
    return out


def log_eval(results: dict, output_dir, *, mode: str | None = "auto", project: str = "searchtune", run_dir=None):
    """Log into the active wandb run, else a new run (finished here). Returns the run used, or None."""
    mode = core_tracking.resolve_mode(mode)
    if mode == "disabled":
        return None
    import wandb

    output_dir = Path(output_dir)
    run = wandb.run
    own = run is None
    if own:
        directory = Path(run_dir) if run_dir else output_dir
        run = core_tracking.init(core_tracking.reachable_mode(mode), project=project, name=f"eval-{directory.name}",
                                 directory=directory, job_type="eval",
                                 config={"model": results["model"], "tasks": list(results["tasks"])})
    run.summary.update(summary_values(results))
    run.log({"eval/predictions": predictions_table(output_dir / PREDICTIONS_FILE)})
    artifact = wandb.Artifact(f"eval-report-{run.id}", type="eval-report",
                              metadata={"model": results["model"], "tasks": list(results["tasks"])})
    for file_name in ARTIFACT_FILES:
        if (output_dir / file_name).is_file():
            artifact.add_file(str(output_dir / file_name))
    run.log_artifact(artifact)
    if own:
        run.finish()
    return run


def predictions_table(path: Path):
    import wandb

    columns = ["task", "doc_id", "input", "reference", "prediction", "baseline_prediction", "scores", "baseline_scores"]
    table = wandb.Table(columns=columns)
    for row in read_predictions(path):
        table.add_data(*[_cell(row.get(c)) for c in columns])
    return table


def _cell(value):
    if value is None or isinstance(value, (int, float)):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:TABLE_TEXT_LIMIT]
