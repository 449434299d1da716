"""dpo and grpo end to end on the tiny model, with the real retrieval reward: pairs and their statistics, resume after
a kill, the saved adapter, QLoRA. The killed run is a subprocess; the others run in-process (no import cost)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[2]
TOPICS = ["jaguar", "garage", "bread", "crown"]

# finetune.workflow, killed (os._exit(137), as kill -9) inside the checkpoint save of step argv[1], after its files
# are staged and before they are committed.
CRASH_IN_SAVE = """
import os, runpy, sys
from finetune.training import checkpoints
step, commit = int(sys.argv.pop(1)), checkpoints.commit
def crash_before_commit(trainer, staging, at):
    if at == step:
        os._exit(137)
    commit(trainer, staging, at)
checkpoints.commit = crash_before_commit
runpy.run_module("finetune.workflow", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_model_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("dpo-grpo")
    rows = [{"qid": f"{i + 1}_2", "history": [f"tell me about the {t}"], "query": "how does it work?",
             "rewrite": f"how does the {t} work?"} for i, t in enumerate(TOPICS)]
    (root / "turns.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "corpus.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": f"the {t} works like this"}) + "\n"
                                               for i, t in enumerate(TOPICS)))
    (root / "qrels.txt").write_text("".join(f"{i + 1}_2 0 d{i} 3\n" for i in range(len(TOPICS))))
    # An adapter to start from (an sft run's, in real use): random, so that it differs from the base.
    torch.manual_seed(1)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False,
                                    task_type="CAUSAL_LM")).save_pretrained(root / "init")
    (root / "recipe.yaml").write_text(
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8, dropout: 0.0}\n"
        f"data: {{task: query_rewrite, root: {root}, train: {{path: turns.jsonl}}, max_length: 256}}\n"
        "train: {method: dpo, max_steps: 2, batch_size: 2, logging_steps: 1, learning_rate: 0.01,\n"
        "        sampling: {n: 2, max_new_tokens: 6, include_reference: true}}\n"
        "reward: {corpus: corpus.jsonl, qrels: qrels.txt, shape: reciprocal, depth: 3}\n"
        "logging: {mode: disabled}\n"
        f"output_dir: {root / 'run'}\n"
    )
    return root


@pytest.fixture(autouse=True)
def own_cache(workdir, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(workdir / "cache"))


def train_here(workdir, name, *overrides, capsys) -> str:
    """Run finetune.workflow in this process; return its output."""
    from finetune.workflow import main

    capsys.readouterr()
    code = main([str(workdir / "recipe.yaml"), f"output_dir={workdir / name}", *overrides])
    out = capsys.readouterr()
    assert code == 0, (out.out + out.err)[-3000:]
    return out.out + out.err


def lora_weights(folder: Path) -> dict:
    return load_file(folder / "adapter_model.safetensors")


def loads_on_the_base(run: Path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = json.loads((run / "adapter/adapter_config.json").read_text())["base_model_name_or_path"]
    return PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(run / "adapter"))


def test_dpo_trains_on_retrieval_pairs_and_a_killed_run_resumes_to_the_same_adapter(workdir, capsys, monkeypatch):
    from finetune.core import tracking

    steps = ["train.max_steps=6", "train.save_steps=2", f"train.init_adapter={workdir / 'init'}"]
    killed = workdir / "killed"
    r = subprocess.run([sys.executable, "-c", CRASH_IN_SAVE, "4", str(workdir / "recipe.yaml"), f"output_dir={killed}",
                        *steps], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 137, r.stdout[-3000:] + r.stderr[-3000:]
    assert (killed / "pairs.jsonl").is_file() and (killed / "checkpoints/checkpoint-2").is_dir()
    assert not (killed / "checkpoints/checkpoint-4").exists() and not (killed / "adapter").exists()

    logged = []
    monkeypatch.setattr(tracking, "log", logged.append)
    out = train_here(workdir, "uninterrupted", *steps, capsys=capsys)
    ref = workdir / "uninterrupted"
    assert "[searchtune] dpo pairs: turns 4, pairs 4, ties_dropped 0" in out
    assert logged and logged[0]["dpo/pairs"] == 4 and "dpo/mean_best_reward" in logged[0]
    pairs = [json.loads(line) for line in (ref / "pairs.jsonl").read_text().splitlines()]
    assert all(p["chosen_reward"] > p["rejected_reward"] for p in pairs)
    assert all(p["prompt"].endswith("<|im_start|>assistant\n") and p["query"] in p["prompt"] for p in pairs)
    manifest = json.loads((ref / "manifest.json").read_text())
    assert manifest["method"]["name"] == "dpo" and manifest["method"]["pairs"]["pairs"] == 4
    assert manifest["method"]["reward"]["shape"] == "reciprocal" and manifest["global_steps"] == 6
    assert manifest["train_rows"] == 4 and manifest["data"][0]["used_rows"] == 4
    history = json.loads((ref / "log_history.json").read_text())
    assert any("rewards/margins" in h for h in history)
    assert not (ref / "adapter/ref").exists(), "TRL's frozen reference copy is not part of the adapter"
    trained, init = lora_weights(ref / "adapter"), lora_weights(workdir / "init")
    assert trained.keys() == init.keys() and any(not torch.equal(trained[k], init[k]) for k in init)
    assert loads_on_the_base(ref) is not None

    out = train_here(workdir, "killed", *steps, "train.resume=auto", capsys=capsys)
    assert "dpo: reusing the pairs sampled earlier" in out
    assert f"resuming from {killed / 'checkpoints/checkpoint-2'}" in out
    assert (killed / "pairs.jsonl").read_text() == (ref / "pairs.jsonl").read_text()
    resumed = lora_weights(killed / "adapter")
    for key in trained:
        torch.testing.assert_close(resumed[key], trained[key], atol=1e-5, rtol=0)


def test_dpo_trains_a_qlora_adapter(workdir, capsys):
    # Sampling from a 4-bit model runs bitsandbytes' CPU inference kernels, which need wider layers than the tiny
    # model's: this run reuses pairs sampled by the LoRA run (train.resume=auto) and trains on the 4-bit base.
    run = workdir / "qlora"
    train_here(workdir, "lora", capsys=capsys)
    run.mkdir()
    for name in ("recipe.yaml", "pairs.jsonl", "pair_stats.json"):
        shutil.copy(workdir / "lora" / name, run / name)
    out = train_here(workdir, "qlora", "model.load_in_4bit=true", "train.resume=auto", capsys=capsys)
    assert "dpo: reusing the pairs" in out and "dpo: adapter saved" in out
    weights = lora_weights(run / "adapter")
    assert {w.dtype for w in weights.values()} == {torch.bfloat16}, "TRL keeps a 4-bit base's LoRA in bf16"
    b = [w for k, w in weights.items() if "lora_B" in k]
    assert b and any(bool(w.abs().sum() > 0) for w in b), "a fresh LoRA's B starts at zero: training moved it"


@pytest.mark.parametrize("quantized", [False, True], ids=["lora", "qlora"])
def test_grpo_trains_on_the_retrieval_reward(workdir, capsys, quantized):
    # Dense retrieval ranks every passage for any text, so the tiny model's random rewrites get varied rewards.
    name = "grpo-qlora" if quantized else "grpo"
    out = train_here(workdir, name, "train.method=grpo", "train.batch_size=4", "reward.retriever=dense",
                     "reward.depth=4", f"model.load_in_4bit={str(quantized).lower()}", capsys=capsys)
    run = workdir / name
    assert "[searchtune] grpo step 2/2 | reward" in out and "grpo: adapter saved" in out
    history = [h for h in json.loads((run / "log_history.json").read_text()) if "reward" in h]
    assert len(history) == 2 and all(0 < h["rewards/retrieval_reward/mean"] <= 1 for h in history)
    assert all(0 < h["retrieval/hit_rate"] <= 1 and h["retrieval/worst"] <= h["retrieval/best"] for h in history)
    method = json.loads((run / "manifest.json").read_text())["method"]
    assert method["name"] == "grpo" and method["sampling"]["n"] == 2 and method["reward"]["retriever"] == "dense"
    assert method["rewards"]["logged_steps"] == 2 and method["rewards"]["mean"] > 0
    weights = lora_weights(run / "adapter")
    assert {w.dtype for w in weights.values()} == {torch.bfloat16 if quantized else torch.float32}
    b = [w for k, w in weights.items() if "lora_B" in k]
    assert b and any(bool(w.abs().sum() > 0) for w in b), "a fresh LoRA's B starts at zero: training moved it"
    assert loads_on_the_base(run) is not None
