"""evals where another process is the point: a fresh interpreter's imports, and W&B's own reader of an offline run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MINI_RESULTS = {"model": {"base": "m", "adapter": None}, "tasks": {"t": {"metrics": {"bleu": {"value": 12.5, "ci_low": 10.0,
                                                                                        "ci_high": 15.0}}}}}


def test_importing_the_metrics_is_cheap():
    code = "import sys, evals.metrics, finetune.core.retrieval; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def _eval_output(folder: Path) -> Path:
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(MINI_RESULTS))
    row = {"task": "t", "doc_id": 0, "input": "x", "reference": "y", "prediction": "z", "scores": {"bleu": [1.0] * 10}}
    (folder / "predictions.jsonl").write_text(json.dumps(row) + "\n")
    return folder


def test_eval_logs_into_the_active_training_run(tmp_path):
    """An offline run keeps its summary only in its .wandb log: `wandb leet` (W&B's reader) reads it back."""
    import wandb

    from evals import tracking

    out = _eval_output(tmp_path / "eval")
    run = wandb.init(mode="offline", dir=str(tmp_path), project="searchtune", settings=wandb.Settings(silent=True))
    try:
        assert tracking.log_eval(MINI_RESULTS, out, mode="offline") is run
        assert wandb.run is run  # the training run stays open for the trainer to finish
    finally:
        run.finish()
    inspect = subprocess.run([str(Path(sys.executable).parent / "wandb"), "leet", "inspect", "--summary", "--json",
                              str(tmp_path / "wandb")], capture_output=True, text=True, timeout=120)
    assert json.loads(inspect.stdout)["summary"]["eval/t/bleu_ci_low"] == 10.0
