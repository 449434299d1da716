"""W&B logging of an eval: scores in the run summary, the predictions as a table, the report files as an artifact.

During training the eval logs into the training's active run. Otherwise a run of its own, started by
finetune.core.tracking (mode resolution, bounded init, offline fallback): its files go under the run folder's wandb/
when there is a run folder, else the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from finetune.core import tracking as core_tracking

REPORT_FILES = ("results.json", "predictions.jsonl", "report.md", "report.html")
TABLE_TEXT_LIMIT = 2000


def summary_values(results: dict) -> dict[str, float]:
    """Flat `eval/<task>/<metric>` keys (plus _ci_low/_ci_high, base/ and delta/ variants)."""
    out = {}
    for task, entry in results["tasks"].items():
        groups = [("", entry["metrics"]), ("base/", (entry.get("baseline") or {}).get("metrics") or {}),
                  ("delta/", entry.get("comparison") or {})]
        for prefix, metrics in groups:
            for metric, e in metrics.items():
                key = f"eval/{task}/{prefix}{metric}"
                out[key] = e.get("value", e.get("delta"))
                for bound in ("ci_low", "ci_high"):
                    if e.get(bound) is not None:
                        out[f"{key}_{bound}"] = e[bound]
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
    run.log({"eval/predictions": predictions_table(output_dir / "predictions.jsonl")})
    artifact = wandb.Artifact(f"eval-report-{run.id}", type="eval-report",
                              metadata={"model": results["model"], "tasks": list(results["tasks"])})
    for file_name in REPORT_FILES:
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
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            table.add_data(*[_cell(row.get(c)) for c in columns])
    return table


def _cell(value):
    if value is None or isinstance(value, (int, float)):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:TABLE_TEXT_LIMIT]
