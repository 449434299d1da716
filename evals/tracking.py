"""W&B logging of an eval: scores in the run summary, the predictions as a table, the report files as an artifact.

During training the eval logs into the training's active run. Otherwise a run of its own: online with
WANDB_API_KEY set, else offline files (under the run folder's wandb/ when there is a run folder, else the output
folder). `wandb.init` gets a bounded timeout and falls back to offline with a one-line warning; it never hangs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

INIT_TIMEOUT_S = 30
REPORT_FILES = ("results.json", "predictions.jsonl", "report.md", "report.html")
TABLE_TEXT_LIMIT = 2000


def resolve_mode(mode: str | None) -> str:
    if mode and mode != "auto":
        return mode
    if os.environ.get("WANDB_MODE") in ("online", "offline", "disabled"):
        return os.environ["WANDB_MODE"]
    return "online" if os.environ.get("WANDB_API_KEY") else "offline"


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


def _init(mode: str, project: str, directory: Path, name: str | None, config: dict):
    import wandb

    directory.mkdir(parents=True, exist_ok=True)
    kwargs = dict(project=project, name=name, job_type="eval", dir=str(directory), config=config,
                  settings=wandb.Settings(init_timeout=INIT_TIMEOUT_S, silent=True))
    try:
        return wandb.init(mode=mode, **kwargs)
    except Exception as e:  # noqa: BLE001 - any failure to reach W&B must not lose the eval
        if mode == "offline":
            raise
        print(f"[searchtune] warning: wandb.init ({mode}) failed ({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
              "logging offline instead", file=sys.stderr)
        return wandb.init(mode="offline", **kwargs)


def log_eval(results: dict, output_dir, *, run=None, mode: str | None = "auto", project: str = "searchtune",
             run_dir=None, name: str | None = None):
    """Log into `run`, else the active wandb run, else a new run (finished here). Returns the run used, or None."""
    mode = resolve_mode(mode)
    if mode == "disabled":
        return None
    import wandb

    output_dir = Path(output_dir)
    run = run or wandb.run
    own = run is None
    if own:
        directory = Path(run_dir) if run_dir else output_dir
        run = _init(mode, project, directory, name or f"eval-{(Path(run_dir) if run_dir else output_dir).name}",
                    {"model": results["model"], "tasks": list(results["tasks"])})
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
