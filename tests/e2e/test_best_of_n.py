"""best_of_n end to end on the tiny model: rounds as sft run folders, the final adapter, and resume by round."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_model_dir):
    root = tmp_path_factory.mktemp("bon")
    topics = ["jaguar", "garage", "bread", "crown"]
    rows = [{"qid": f"{i + 1}_2", "history": [f"tell me about the {t}"], "query": "how does it work?",
             "rewrite": f"how does the {t} work?"} for i, t in enumerate(topics)]
    (root / "turns.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "corpus.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": f"the {t} works like this"}) + "\n"
                                               for i, t in enumerate(topics)))
    (root / "qrels.txt").write_text("".join(f"{i + 1}_2 0 d{i} 3\n" for i in range(len(topics))))
    (root / "recipe.yaml").write_text(
        "# python -m finetune.workflow recipe.yaml\n"
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8, dropout: 0.0}\n"
        f"data: {{task: query_rewrite, root: {root}, train: {{path: turns.jsonl}}, max_length: 256}}\n"
        "train: {method: best_of_n, max_steps: 1, batch_size: 2, logging_steps: 1, learning_rate: 0.01,\n"
        "        sampling: {n: 2, max_new_tokens: 6, rounds: 2, include_reference: true}}\n"
        "reward: {corpus: corpus.jsonl, qrels: qrels.txt, shape: reciprocal, depth: 3}\n"
        "logging: {mode: offline}\n"
        f"output_dir: {root / 'run'}\n"
    )
    return root


def train(workdir, *overrides):
    env = {**os.environ, "SEARCHTUNE_CACHE": str(workdir / "cache")}
    r = subprocess.run([sys.executable, "-m", "finetune.workflow", str(workdir / "recipe.yaml"), *overrides],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout + r.stderr


def test_rounds_train_on_the_best_ranked_rewrites_and_resume_by_round(workdir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    run = workdir / "run"
    out = train(workdir)
    assert "best_of_n round 1: turns 4, kept 4" in out and "best_of_n round 2: turns 4" in out
    for k in (1, 2):
        round_dir = run / "rounds" / f"round-{k}"
        chosen = [json.loads(line) for line in (round_dir / "chosen.jsonl").read_text().splitlines()]
        samples = [json.loads(line) for line in (round_dir / "samples.jsonl").read_text().splitlines()]
        assert len(chosen) == 4 and all(len(s["samples"]) == 3 for s in samples)  # n=2 plus the reference
        best = {s["qid"]: max(c["reward"] for c in s["samples"]) for s in samples}
        assert all(best[c["qid"]] == max(x["reward"] for x in s["samples"]) for c, s in zip(chosen, samples))
        assert (round_dir / "adapter" / "adapter_model.safetensors").is_file()
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["method"]["name"] == "best_of_n" and [r["round"] for r in manifest["method"]["rounds"]] == [1, 2]
    assert manifest["method"]["reward"]["shape"] == "reciprocal"
    assert all(r["kept"] == 4 and 0 < r["mean_best_reward"] <= 1 for r in manifest["method"]["rounds"])
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(json.loads(
        (run / "adapter/adapter_config.json").read_text())["base_model_name_or_path"]), str(run / "adapter"))
    assert model is not None

    # Killed after round 2 sampled: its samples are reused and its fine-tuning runs again from round 1's adapter.
    chosen_before = (run / "rounds/round-2/chosen.jsonl").read_text()
    for path in (run / "rounds/round-2/adapter", run / "rounds/round-2/manifest.json", run / "adapter"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    out = train(workdir)
    assert "best_of_n round 1: finished earlier, kept" in out
    assert "best_of_n round 2: turns" not in out  # no second sampling
    assert (run / "rounds/round-2/chosen.jsonl").read_text() == chosen_before
    assert (run / "adapter/adapter_model.safetensors").is_file()
