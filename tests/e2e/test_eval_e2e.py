"""The eval as a user runs it, in a subprocess: `searchtune eval` end to end with offline W&B, and lm-eval's own CLI
on the searchtune task folder (`--include_path evals/tasks`) with no help from this checkout's sys.path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RESULT_KEYS = {"model", "tasks", "packages", "created_at", "timing"}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def html_tags(path: Path) -> list[str]:
    parser = _Tags()
    parser.feed(path.read_text())
    parser.close()
    return parser.tags


def test_eval_cli_end_to_end_with_offline_wandb(tmp_path, tiny_model_dir, qr_rows):
    data = write_jsonl(tmp_path / "qr.jsonl", qr_rows)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k not in ("WANDB_MODE", "WANDB_API_KEY")}
    env["HF_HUB_OFFLINE"] = "1"
    proc = subprocess.run(
        [str(BIN / "searchtune"), "eval", "--model", str(tiny_model_dir), "--task", "searchtune_qr_sample",
         "--data", f"qr_sample={data}", "--limit", "4", "--output", str(out), "--wandb-mode", "offline"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("results.json", "predictions.jsonl", "report.md", "report.html"):
        assert (out / name).is_file(), name
    results = json.loads((out / "results.json").read_text())
    assert set(results) == RESULT_KEYS
    assert results["model"] == {"base": str(tiny_model_dir), "adapter": None}
    assert set(results["timing"]) == {"tuned"} and results["timing"]["tuned"]["examples"] == 4
    assert results["timing"]["tuned"]["seconds"] > 0
    task = results["tasks"]["searchtune_qr_sample"]
    assert set(task) == {"dataset", "decoding", "metrics", "seconds"} and task["seconds"]["tuned"] > 0
    assert task["dataset"]["n"] == 4 and task["dataset"]["path"] == str(data) and len(task["dataset"]["sha256"]) == 64
    assert task["decoding"] == {"do_sample": False, "max_new_tokens": 64, "apply_chat_template": True, "batch_size": 16,
                                "until": task["decoding"]["until"]}
    assert set(task["metrics"]) == {"exact_match", "bleu", "rouge1_recall", "history_term_recall", "unnecessary_change_rate"}
    for entry in task["metrics"].values():
        assert {"value", "ci_low", "ci_high"} <= set(entry) and entry["ci_low"] <= entry["value"] <= entry["ci_high"]
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and set(rows[0]) == {"task", "doc_id", "prompt", "input", "reference", "prediction",
                                               "baseline_prediction", "scores", "baseline_scores"}
    assert "svg" in html_tags(out / "report.html")
    assert not (out / ".cache").exists()

    inspect = subprocess.run([str(BIN / "wandb"), "leet", "inspect", "--summary", "--json",
                              str(out / "wandb")], capture_output=True, text=True, timeout=120)
    assert inspect.returncode == 0, inspect.stderr
    summary = json.loads(inspect.stdout)["summary"]
    assert summary["eval/searchtune_qr_sample/bleu"] == pytest.approx(task["metrics"]["bleu"]["value"])
    assert summary["eval/searchtune_qr_sample/exact_match_ci_high"] == pytest.approx(task["metrics"]["exact_match"]["ci_high"])
    assert summary["eval/predictions"]["nrows"] == 4


def test_plain_lm_eval_cli_runs_the_tasks(tmp_path, tiny_model_dir, qr_rows):
    data = write_jsonl(tmp_path / "qr.jsonl", qr_rows)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "WANDB_MODE": "disabled"}
    env.pop("PYTHONPATH", None)  # the task utils must find the project on their own
    proc = subprocess.run(
        [str(BIN / "lm_eval"), "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}", "--device", "cpu",
         "--include_path", str(REPO / "evals" / "tasks"), "--tasks", "searchtune_qr_sample", "--limit", "2",
         "--apply_chat_template", "--metadata", json.dumps({"searchtune_data": {"qr_sample": str(data)}}),
         "--output_path", str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())
    scores = results["results"]["searchtune_qr_sample"]
    assert {"exact_match,none", "bleu,none", "rouge1_recall,none", "history_term_recall,none",
            "unnecessary_change_rate,none"} <= scores.keys()
