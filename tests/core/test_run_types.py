"""Typed fields of the run folder's files: manifest hardware, W&B and data sources, results entries."""

from __future__ import annotations

import json

from finetune.core.run import Manifest, Results, RunFolder

# A manifest as the trainer writes it now: every nested key comes back, in order, with nothing added.
MANIFEST = {
    "task": "summarize", "base_model": {"name": "m", "gguf_file": None, "resolved_path": None},
    "data": [{"path": "a.jsonl", "resolved": "/d/a.jsonl", "sha256": "ab" * 32, "rows": 10, "used_rows": 9,
              "bad_rows_skipped": 1}],
    "hardware": {"device": "cuda", "gpu": "H100", "gpu_count": 1, "cpu_count": 16, "torch_threads": 8,
                 "platform": "Linux", "python": "3.11.9"},
    "wandb": {"mode": "online", "url": "https://wandb.ai/x", "id": "abc", "dir": "/r/wandb", "later_key": 1},
}


def test_nested_manifest_fields_are_typed_and_round_trip(tmp_path):
    manifest = Manifest.from_dict(MANIFEST)
    assert manifest.hardware.gpu == "H100" and manifest.wandb.id == "abc" and manifest.data[0].used_rows == 9
    run = RunFolder(tmp_path)
    run.write_manifest(manifest)
    written = json.loads(run.manifest_file.read_text())
    for key in ("data", "hardware", "wandb"):
        assert written[key] == MANIFEST[key] and json.dumps(written[key]) == json.dumps(MANIFEST[key])
    offline = Manifest.from_dict({"wandb": {"mode": "disabled", "url": None}, "hardware": None}).to_dict()
    assert offline["wandb"] == {"mode": "disabled", "url": None} and offline["hardware"] == {}


def test_results_entries_carry_n_interval_and_direction():
    results = Results.from_dict({"created_at": "t", "timing": {"tuned": {"seconds": 3.0, "examples": 4}}, "tasks": {
        "t": {"metrics": {"ter": {"value": 1.0, "n": 5, "interval": "bootstrap", "higher_is_better": False}},
              "baseline": {"metrics": {}},
              "comparison": {"ter": {"delta": -0.5, "ci_low": -1.0, "ci_high": 0.1, "n": 5, "interval": "wilson"}}}}})
    task = results.tasks["t"]
    assert task.metrics["ter"].higher_is_better is False and task.metrics["ter"].n == 5
    assert task.comparison["ter"].is_delta and task.comparison["ter"].value == -0.5 and task.has_baseline
    assert not task.metrics["ter"].is_delta and results.timing["tuned"].examples == 4 and results.created_at == "t"
