"""Two processes over gloo on the CPU (DDP, accelerate's MULTI_CPU), launched as a user does (`searchtune train
--accelerate-config ...`), issue 17: a run that checkpoints, is stopped by SIGTERM to the launcher, resumes to the
uninterrupted run's weights, saves a loadable adapter and evaluates; the exit codes survive the multi-process
launcher. FSDP cannot run here: accelerate 1.15 switches to FSDP only for accelerator devices (a CPU launch of
fsdp.yaml trains plain DDP), so its layouts are tested in tests/training/test_checkpoints.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from finetune.training import checkpoints

REPO = Path(__file__).resolve().parents[2]
# A checkpoint every 3 steps and LoRA dropout on: resuming must restore each rank's RNG, the optimizer and the schedule.
STEPS = ["train.max_steps=12", "train.save_steps=3", "train.save_total_limit=10", "train.batch_size=2",
         "lora.dropout=0.1", "logging.mode=disabled", "eval.tasks=[]"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_model_dir):
    root = tmp_path_factory.mktemp("distributed")
    rows = [{"history": [f"who owns project p{i}?", f"Dana owns p{i}."], "query": "when is it due?",
             "rewrite": f"when is project p{i} due?"} for i in range(64)]
    (root / "qr.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "recipe.yaml").write_text(
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8, dropout: 0.0}\n"
        f"data: {{task: query_rewrite, train: {{path: {root / 'qr.jsonl'}}}, max_length: 256, max_target_length: 64}}\n"
        "train: {max_steps: 2, batch_size: 4, logging_steps: 1, learning_rate: 0.01}\n"
        "eval: {tasks: [searchtune_qr_sample], limit: 2, baseline: false, batch_size: 2}\n"
        f"output_dir: {root / 'run'}\n"
    )
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(workdir, name, *overrides) -> subprocess.Popen:
    """`searchtune train` with the shipped multi_cpu config (2 processes), on a port of its own so that launches
    running at once (pytest -n) do not meet; output to workdir/name.log."""
    config = yaml.safe_load((REPO / "accelerate_configs" / "multi_cpu.yaml").read_text())
    config["main_process_port"] = _free_port()
    (workdir / f"{name}.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "SEARCHTUNE_CACHE": str(workdir / "cache"), "PYTHONPATH": str(REPO)}
    log = open(workdir / f"{name}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "finetune.cli", "train", str(workdir / "recipe.yaml"), "--accelerate-config",
         str(workdir / f"{name}.yaml"), f"output_dir={workdir / name}", *overrides],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.run, proc.log = workdir / name, workdir / f"{name}.log"
    return proc


def finish(proc, timeout=400) -> str:
    proc.wait(timeout=timeout)
    return proc.log.read_text()


def wait_for(proc, text: str, timeout=300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if text in proc.log.read_text():
            return
        time.sleep(0.02)
    raise AssertionError(f"never saw {text!r}: {proc.log.read_text()[-3000:]}")


def adapter(run: Path) -> dict:
    return load_file(run / "adapter" / "adapter_model.safetensors")


def test_sigterm_resume_matches_uninterrupted_then_saves_a_loadable_adapter_and_evaluates(workdir, tiny_model_dir):
    ref = launch(workdir, "ddp-ref", *STEPS)
    stopped = launch(workdir, "ddp-stopped", *STEPS)
    wait_for(stopped, "[searchtune] step 4/12")
    stopped.send_signal(signal.SIGTERM)  # to the launcher, which hands it to both training processes
    log = finish(stopped)
    assert stopped.returncode == 143, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    last = checkpoints.last_checkpoint(stopped.run / "checkpoints")
    assert last and f"[searchtune] SIGTERM at step {last.rsplit('-', 1)[1]}: stopped with checkpoint {last}" in log
    assert sorted(p.name for p in Path(last).glob("rng_state*")) == ["rng_state_0.pth", "rng_state_1.pth"]
    assert not (stopped.run / "adapter").exists() and not (stopped.run / ".lock").exists()

    ref_log = finish(ref)
    assert ref.returncode == 0, ref_log[-3000:]
    # The resumed run also evaluates its adapter on rank 0, while rank 1 waits for it.
    resumed = launch(workdir, "ddp-stopped", *STEPS, "train.resume=auto", "eval.tasks=[searchtune_qr_sample]")
    log = finish(resumed)
    assert resumed.returncode == 0, log[-3000:]
    assert log.count(f"[searchtune] resuming from {last}") == 1, "rank 0 alone says it"
    a, b = adapter(ref.run), adapter(resumed.run)
    assert a.keys() == b.keys() and a
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=0)

    manifest = json.loads((resumed.run / "manifest.json").read_text())
    assert manifest["world_size"] == 2 and manifest["global_steps"] == 12
    results = json.loads((resumed.run / "eval" / "results.json").read_text())
    assert results["tasks"]["searchtune_qr_sample"]["dataset"]["n"] == 2
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), resumed.run / "adapter")
    weights = {k.replace(".default", ""): v for k, v in model.state_dict().items() if "lora_" in k}
    for key, value in a.items():
        torch.testing.assert_close(weights[key], value)


def test_a_diverged_run_exits_4_through_the_launcher_with_one_line(workdir):
    """Each process exits 4 (the watchdog trips on every rank: they log the same all-reduced loss); torchrun reports
    the first failure, and `searchtune train` must exit with its code, not 1 and a traceback."""
    proc = launch(workdir, "ddp-nan", "train.max_steps=20", "train.save_steps=1", "train.batch_size=2",
                  "train.learning_rate=1e6", "train.lr_scheduler=constant", "train.warmup_ratio=0",
                  "logging.mode=disabled", "eval.tasks=[]")
    log = finish(proc)
    assert proc.returncode == 4, log[-3000:]
    assert "Traceback" not in log and "ChildFailedError" not in log, log[-3000:]
    assert "searchtune: error: training stopped: " in log
