"""scripts/bench_train.py runs end to end on tiny models (smoke runs: nothing here asserts on a timing)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "finetune" / "sample_data" / "summarize_train.jsonl"


def bench(python, tmp_path, *args):
    out = tmp_path / "bench.json"
    r = subprocess.run(
        [python, "scripts/bench_train.py", "--data", str(SAMPLE), "--rounds", "1", "--threads", "1",
         "--json", str(out), *args],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout, json.loads(out.read_text())


def test_bench_train_smoke_on_the_gpu_path(python, tmp_path):
    """One run through the path scripts/bench_gpu.sh takes: a random Qwen2 built from a config, a GPU recipe, and a
    packed variant beside (a), (b) and (c)."""
    stdout, report = bench(python, tmp_path, "--model", "random:tiny", "--recipe",
                           "recipes/summarize/qwen2.5-0.5b-lora.yaml", "--steps", "2", "--set", "train.batch_size=4",
                           "--extra", "c_pack=train.packing=true", "--cli-runs", "1")
    for key in "abc":
        (run,) = report["results"][key]
        assert run["steps"] == 3 and run["timed_steps"] == 2, key
        assert run["tokens"] > 0 and run["flops_per_s"] > 0 and run["peak_rss_mb"] > 0 and 0 <= run["pad_fraction"] < 1
    assert report["results"]["a"][0]["batches_digest"] == report["results"]["b"][0]["batches_digest"]
    assert "same rows in the same batches: yes" in stdout
    assert "(b)/(a) tokens/s" in stdout and "(c)/(a) tokens/s" in stdout and "| MFU |" in stdout
    assert report["data_prep"]["rows"] > 0 and report["data_prep"]["second_s"] > 0
    assert set(report["cli"]) == {"searchtune --help", "searchtune validate", 'python -c "import torch"'}
    (packed,), (grouped,) = report["results"]["c_pack"], report["results"]["c"]
    assert packed["steps"] == grouped["steps"] == 3
    assert sum(packed["tokens_per_step"]) > sum(grouped["tokens_per_step"]), "packing puts several examples in a row"
