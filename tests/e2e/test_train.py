"""End-to-end training on the tiny model: run folder, reproducibility, 2-process CPU, resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_model_dir):
    root = tmp_path_factory.mktemp("train")
    rows = [{"history": [f"who owns project p{i}?", f"Dana owns p{i}."], "query": "when is it due?",
             "rewrite": f"when is project p{i} due?"} for i in range(64)]
    (root / "qr.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "recipe.yaml").write_text(
        "# python -m finetune.workflow recipe.yaml\n"
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8, dropout: 0.0}\n"
        f"data: {{task: query_rewrite, train: {{path: {root / 'qr.jsonl'}}}, eval_fraction: 0.125, max_length: 256}}\n"
        "train: {max_steps: 2, batch_size: 4, logging_steps: 1, learning_rate: 0.01}\n"
        "logging: {mode: offline}\n"
        f"output_dir: {root / 'run'}\n"
    )
    return root


def train(workdir, *overrides, env=None, wait=True):
    cmd = [sys.executable, "-m", "finetune.workflow", str(workdir / "recipe.yaml"), *overrides]
    env = {**os.environ, "SEARCHTUNE_CACHE": str(workdir / "cache"), **(env or {})}
    if not wait:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


def losses(run: Path) -> list[float]:
    return [e["loss"] for e in json.loads((run / "log_history.json").read_text()) if "loss" in e]


def test_two_step_run_produces_the_run_folder(workdir, tiny_model_dir):
    run = workdir / "run-e2e"
    r = train(workdir, f"output_dir={run}", "hub.repo_id=tester/tiny-e2e")
    assert "[searchtune] step 1/2 | loss" in r.stdout + r.stderr
    for name in ("adapter/adapter_config.json", "adapter/adapter_model.safetensors", "adapter/tokenizer.json",
                 "recipe.yaml", "manifest.json", "log_history.json"):
        assert (run / name).is_file(), name
    assert list((run / "checkpoints").glob("checkpoint-*"))
    assert list((run / "wandb").glob("offline-run-*")), "offline W&B files stay in the run folder"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["global_steps"] == 2 and manifest["train_tokens"] > 0 and manifest["tokens_per_second"] > 0
    assert manifest["data"][0]["sha256"] and manifest["packages"]["trl"] and manifest["hardware"]["device"] == "cpu"
    assert manifest["eval_loss"] is not None and manifest["train_loss"] > 0
    assert len(manifest["git_commit"]) == 40 and isinstance(manifest["git_dirty"], bool)
    assert not list(run.glob(".adapter*")), "no staging folder left behind"

    # The model card is written when the run finishes (not PEFT's empty stub), and push --dry-run previews the same.
    from finetune.publish.hub import push_run

    card = (run / "README.md").read_text()
    assert (run / "adapter" / "README.md").read_text() == card
    assert card.startswith("---\n") and "# tiny-e2e" in card and "## Evaluation" in card
    preview = Path(push_run(run, "tester/tiny-e2e", dry_run=True))
    assert (preview / "README.md").read_text() == card

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), run / "adapter")
    assert model.peft_config["default"].r == 4


def test_seeded_runs_reproduce_losses(workdir):
    a, b = workdir / "run-a", workdir / "run-b"
    train(workdir, f"output_dir={a}", "train.max_steps=4")
    train(workdir, f"output_dir={b}", "train.max_steps=4")
    assert len(losses(a)) == 4 and losses(a) == losses(b)


def test_multi_cpu_two_processes(workdir):
    run = workdir / "run-ddp"
    env = {**os.environ, "SEARCHTUNE_CACHE": str(workdir / "cache")}
    r = subprocess.run(
        [sys.executable, "-m", "finetune.cli", "train", str(workdir / "recipe.yaml"), "--accelerate-config", "multi_cpu",
         f"output_dir={run}"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["world_size"] == 2
    assert (run / "adapter" / "adapter_model.safetensors").is_file()


def test_resume_after_kill_matches_uninterrupted(workdir):
    steps = ["train.max_steps=24", "train.save_steps=4", "train.save_total_limit=10", "train.batch_size=2"]
    full = workdir / "run-full"
    train(workdir, f"output_dir={full}", *steps)

    run = workdir / "run-killed"
    proc = train(workdir, f"output_dir={run}", *steps, wait=False)
    first = run / "checkpoints" / "checkpoint-4" / "trainer_state.json"
    deadline = time.time() + 120
    while not first.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run / "adapter").exists(), "the run was killed before it finished"

    r = train(workdir, f"output_dir={run}", *steps, "train.resume=auto")
    assert "resuming from" in r.stdout + r.stderr
    a = load_file(full / "adapter" / "adapter_model.safetensors")
    b = load_file(run / "adapter" / "adapter_model.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=0)
