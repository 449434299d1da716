"""Reliability and safety (issue 7), end to end: kills and resume, atomic checkpoints, stop signals, the watchdog, the
run-folder lock, unreachable W&B and Hub, tokens. docs/reliability.md maps each guarantee here; the unit tests of the
same guarantees live beside their modules (tests/core/test_run_lock.py, tests/training/test_checkpoints.py, ...).

Runs that get killed, signalled or need their own environment are real subprocesses on the tiny model, started
concurrently; the others (references, resumes) run in-process, which saves each one the ~6 s of imports.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from finetune.core.recipe import load_recipe
from finetune.training import checkpoints

REPO = Path(__file__).resolve().parents[2]
# 24 steps, a checkpoint every 4, LoRA dropout on: resuming must restore data order, optimizer, schedule and RNG.
STEPS = ["train.max_steps=24", "train.save_steps=4", "train.save_total_limit=10", "train.batch_size=2",
         "lora.dropout=0.1", "logging.mode=disabled"]
HF_SENTINEL = "hf_SENTINELtoken0123456789abcdefABCDEF"
WANDB_SENTINEL = "SENTINELwandbkey0123456789abcdef01234567"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_model_dir):
    root = tmp_path_factory.mktemp("reliability")
    rows = [{"history": [f"who owns project p{i}?", f"Dana owns p{i}."], "query": "when is it due?",
             "rewrite": f"when is project p{i} due?"} for i in range(64)]
    (root / "data").mkdir()
    (root / "data" / "qr.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "recipe.yaml").write_text(
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8, dropout: 0.0}\n"
        f"data: {{task: query_rewrite, train: {{path: {root / 'data' / 'qr.jsonl'}}}, eval_fraction: 0.125, max_length: 256}}\n"
        "train: {max_steps: 2, batch_size: 4, logging_steps: 1, learning_rate: 0.01}\n"
        "logging: {mode: offline}\n"
        f"output_dir: {root / 'run'}\n"
    )
    return root


def command(workdir, *overrides) -> list[str]:
    return [sys.executable, "-m", "finetune.workflow", str(workdir / "recipe.yaml"), *overrides]


# finetune.workflow, killed (os._exit(137), as kill -9) inside the checkpoint save of step argv[1], once its files are
# written to staging and before they are committed.
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


def crash_in_save_command(step: int):
    return lambda workdir, *overrides: [sys.executable, "-c", CRASH_IN_SAVE, str(step), str(workdir / "recipe.yaml"),
                                        *overrides]


def cli_command(workdir, *overrides) -> list[str]:
    return [sys.executable, "-m", "finetune.cli", "train", str(workdir / "recipe.yaml"), *overrides]


def start(workdir, name, *overrides, launch=command) -> subprocess.Popen:
    """Start a training run into workdir/name with `launch` (a command builder); its output goes to workdir/name.log."""
    run = workdir / name
    env = {**os.environ, "SEARCHTUNE_CACHE": str(workdir / "cache"), "PYTHONPATH": str(REPO)}
    log = open(workdir / f"{name}.log", "a")
    proc = subprocess.Popen(launch(workdir, f"output_dir={run}", *overrides), cwd=REPO,
                            env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.run, proc.log_path = run, workdir / f"{name}.log"
    return proc


@pytest.fixture(autouse=True)
def own_cache(workdir, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(workdir / "cache"))


def train_here(workdir, name, *overrides, capsys) -> tuple[int, str]:
    """Run finetune.workflow in this process; return its exit code and its output."""
    from finetune.workflow import main

    capsys.readouterr()
    code = main([str(workdir / "recipe.yaml"), f"output_dir={workdir / name}", *overrides])
    out = capsys.readouterr()
    return code, out.out + out.err


def finish(proc, timeout=240) -> str:
    proc.wait(timeout=timeout)
    return proc.log_path.read_text()


def adapter(run: Path) -> dict:
    return load_file(run / "adapter" / "adapter_model.safetensors")


def assert_same_adapter(a: dict, b: dict):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=0)


# -- interruptions ---------------------------------------------------------------------------------------------


def test_kill_at_three_points_then_resume_matches_uninterrupted(workdir, capsys):
    """kill -9 between checkpoints, inside a checkpoint save, and with the newest checkpoint torn on disk: each
    `train.resume=auto` rerun ends with the uninterrupted run's adapter."""
    seed = random.randrange(10**6)
    delay = random.Random(seed).uniform(0.0, 0.2)
    between = start(workdir, "kill-between", *STEPS)
    in_save = start(workdir, "kill-in-save", *STEPS, launch=crash_in_save_command(12))
    torn = start(workdir, "kill-torn", *STEPS)

    pending = {between: (between.run / "checkpoints" / "checkpoint-8", delay),
               torn: (torn.run / "checkpoints" / "checkpoint-16", 0.0)}
    seen: dict = {}
    deadline = time.time() + 180
    while pending and time.time() < deadline:
        for proc, (marker, wait) in list(pending.items()):
            if marker.exists():
                seen.setdefault(proc, time.time())
            if (proc in seen and time.time() - seen[proc] >= wait) or proc.poll() is not None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                del pending[proc]
        time.sleep(0.005)
    assert not pending, "the runs never reached their checkpoints"
    assert in_save.wait(timeout=180) == 137
    for proc in (between, in_save, torn):
        assert not (proc.run / "adapter").exists(), f"{proc.run.name} finished before it was killed (seed {seed})"

    # The save of step 12 died after writing its files to staging: checkpoint-12 must not exist.
    assert (in_save.run / "checkpoints" / ".staging" / "checkpoint-12").is_dir()
    assert not (in_save.run / "checkpoints" / "checkpoint-12").exists()
    # Tear the newest checkpoint as an in-place save cut short would (the weights half written).
    newest = Path(checkpoints.last_checkpoint(torn.run / "checkpoints"))
    weights = newest / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])

    code, log = train_here(workdir, "ref", *STEPS, capsys=capsys)
    assert code == 0, log[-3000:]
    logs = []
    for proc in (between, in_save, torn):
        code, log = train_here(workdir, proc.run.name, *STEPS, "train.resume=auto", capsys=capsys)
        assert code == 0, log[-3000:]
        assert "[searchtune] resuming from" in log
        assert_same_adapter(adapter(workdir / "ref"), adapter(proc.run))
        logs.append(log)
    assert f"resuming from {in_save.run / 'checkpoints' / 'checkpoint-8'}" in logs[1]
    assert f"skipping checkpoint {newest}: adapter_model.safetensors is truncated" in logs[2]
    assert f"resuming from {newest}" not in logs[2]


def _wait_for(path: Path, text: str, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if text in path.read_text():
            return
        time.sleep(0.02)
    raise AssertionError(f"never saw {text!r}: {path.read_text()[-2000:]}")


def test_sigint_and_sigterm_save_print_resume_command_and_exit_130_143(workdir, capsys):
    long = ["train.max_steps=40", "train.save_steps=1000", "train.batch_size=2", "logging.mode=disabled"]
    # SIGTERM goes to `searchtune train`, which must hand it (and the exit code) through accelerate's launch.
    procs = {signal.SIGINT: start(workdir, "sigint", *long), signal.SIGTERM: start(workdir, "sigterm", *long, launch=cli_command)}
    prefix = {signal.SIGINT: shlex.join(command(workdir)), signal.SIGTERM: "searchtune train --accelerate-config cpu " +
              shlex.quote(str(workdir / "recipe.yaml"))}
    for sig, proc in procs.items():
        _wait_for(proc.log_path, "[searchtune] step 3/40", proc)
        proc.send_signal(sig)
    for sig, proc in procs.items():
        log = finish(proc)
        assert proc.returncode == 128 + sig, log[-3000:]
        name = signal.Signals(sig).name
        assert f"[searchtune] {name}: saving a checkpoint at the end of this step" in log
        ckpt = checkpoints.last_checkpoint(proc.run / "checkpoints")
        assert ckpt and f"[searchtune] {name} at step {ckpt.rsplit('-', 1)[1]}: stopped with checkpoint {ckpt}" in log
        assert not (proc.run / "adapter").exists() and not (proc.run / ".lock").exists()
        resume = log.split("resume with:\n", 1)[1].splitlines()[0].strip()
        assert resume == f"{prefix[sig]} {shlex.join([f'output_dir={proc.run}', *long, 'train.resume=auto'])}"

    # The printed command (its arguments, run here) continues the run to the end.
    from finetune.workflow import main

    proc = procs[signal.SIGTERM]
    capsys.readouterr()
    assert main(shlex.split(resume)[4:]) == 0
    assert f"resuming from {ckpt}" in capsys.readouterr().out
    assert json.loads((proc.run / "manifest.json").read_text())["global_steps"] == 40


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(workdir, capsys):
    run = workdir / "nan"
    code, log = train_here(workdir, "nan", "train.max_steps=30", "train.save_steps=1", "train.save_total_limit=1",
                           "train.batch_size=2", "train.learning_rate=1e6", "train.lr_scheduler=constant",
                           "train.warmup_ratio=0", "logging.mode=disabled", capsys=capsys)
    assert code == 4, log[-3000:]
    error = [line for line in log.splitlines() if line.startswith("searchtune: error: ")]
    # The loss of step N is computed before its update; NaN weights are caught before a save. Either stops here.
    assert len(error) == 1 and error[0].startswith("searchtune: error: training stopped: "), log[-2000:]
    assert "the training loss is nan at step" in error[0] or "weights turned NaN/Inf at step" in error[0]
    nan_step = int(error[0].split("at step ")[1].split(";")[0].split()[0])
    kept = checkpoints.last_checkpoint(run / "checkpoints")
    assert kept and int(kept.rsplit("-", 1)[1]) == nan_step - 1 and kept in error[0]
    assert sorted(p.name for p in (run / "checkpoints").glob("checkpoint-*")) == [Path(kept).name]
    assert all(t.isfinite().all() for t in load_file(Path(kept) / "adapter_model.safetensors").values())
    assert not (run / "adapter").exists()


HOLD_LOCK = """
import sys, time
from pathlib import Path
from finetune.core import run as run_folder
with run_folder.lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold_lock(out: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out), str(seconds)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_on_the_same_output_dir_is_refused_naming_the_holder(workdir, capsys):
    out = workdir / "locked-run"
    holder = _hold_lock(out, 120)  # one process holds the run folder; this test process is the second run
    try:
        code, log = train_here(workdir, "locked-run", "train.max_steps=1", "logging.mode=disabled", capsys=capsys)
        assert code == 2, log[-2000:]
        assert f"searchtune: error: {out}: another run (PID {holder.pid}) is using this output_dir" in log
    finally:
        holder.kill()
        holder.wait()


# -- a run in a hostile environment: tokens set, W&B and the Hub unreachable, HOME and cwd fresh ---------------


def _snapshot(*folders: Path) -> dict:
    out = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                out[str(path)] = path.stat().st_mtime_ns
    return out


@pytest.fixture(scope="module")
def hostile(workdir, tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    home, cwd, cache = base / "home", base / "cwd", base / "cache"
    for folder in (home, cwd):
        folder.mkdir()
    (home / ".bashrc").write_text("# untouched\n")
    watched = (home, cwd, workdir / "data", Path(load_recipe(workdir / "recipe.yaml").model.name))
    before = _snapshot(*watched)
    run = base / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "WANDB_", "XDG_"))}
    env.update(HOME=str(home), SEARCHTUNE_CACHE=str(cache), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="0",
               HF_TOKEN=HF_SENTINEL, WANDB_API_KEY=WANDB_SENTINEL, WANDB_BASE_URL="http://127.0.0.1:9",
               HF_ENDPOINT="http://127.0.0.1:9", SEARCHTUNE_PUSH_TRIES="2", SEARCHTUNE_PUSH_BACKOFF_S="0.05")
    r = subprocess.run(cli_command(workdir, f"output_dir={run}", "logging.mode=online", "hub.push=adapter",
                                   "hub.repo_id=someone/tiny-qr"), cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=300)
    return {"result": r, "run": run, "cache": cache, "home": home, "before": before, "after": _snapshot(*watched)}


def test_wandb_unreachable_training_completes_offline(hostile):
    r, run = hostile["result"], hostile["run"]
    assert "W&B server http://127.0.0.1:9 is unreachable; logging offline" in r.stderr
    assert (run / "adapter" / "adapter_model.safetensors").is_file()
    assert list((run / "wandb").glob("offline-run-*"))
    assert json.loads((run / "manifest.json").read_text())["wandb"]["mode"] == "offline"


def test_hub_unreachable_push_failure_is_reported_after_a_complete_run(hostile):
    r, run = hostile["result"], hostile["run"]
    assert r.returncode == 3, r.stderr[-3000:]
    for name in ("adapter/adapter_model.safetensors", "manifest.json", "log_history.json", "recipe.yaml"):
        assert (run / name).is_file(), name
    assert f"searchtune: error: the run is complete in {run}, but the push failed" in r.stderr
    assert f"retry with: searchtune push {run} --repo-id someone/tiny-qr --private" in r.stderr
    assert "Traceback" not in r.stderr


def test_tokens_never_reach_files_or_logs(hostile):
    r = hostile["result"]
    assert HF_SENTINEL not in r.stdout + r.stderr and WANDB_SENTINEL not in r.stdout + r.stderr
    files = [p for root in (hostile["run"], hostile["cache"], hostile["home"]) for p in root.rglob("*") if p.is_file()]
    assert any("wandb" in p.parts for p in files) and len(files) > 20
    for path in files:
        data = path.read_bytes()
        assert HF_SENTINEL.encode() not in data and WANDB_SENTINEL.encode() not in data, path


def test_nothing_is_written_outside_the_run_folder_cache_and_wandb(hostile):
    assert hostile["after"] == hostile["before"], set(hostile["after"]) ^ set(hostile["before"])


# -- evaluation under load -----------------------------------------------------------------------------------------

PEAK_RSS = """
import atexit, resource, runpy, sys
atexit.register(lambda: print(f"PEAK_RSS_KB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr))
sys.argv = ["evals", *sys.argv[1:]]
runpy.run_module("evals", run_name="__main__")
"""


@pytest.fixture(scope="module")
def eval_load(tmp_path_factory, tiny_model_dir):
    """The tiny model made to stop at once (every logit 0, token 0 an end token), and 1,000 / 10,000 examples."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root = tmp_path_factory.mktemp("eval-load")
    model, tok = AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)
    with torch.no_grad():
        model.model.norm.weight.zero_()
    model.generation_config.eos_token_id = [tok.eos_token_id, 0]
    model.save_pretrained(root / "model")
    tok.save_pretrained(root / "model")
    rows = [json.loads(line) for line in (REPO / "finetune/sample_data/query_rewrite_heldout.jsonl").open()]
    for n in (1000, 10_000):
        with (root / f"qr-{n}.jsonl").open("w") as f:
            for i in range(n):
                row = rows[i % len(rows)]
                f.write(json.dumps({**row, "id": f"gen-{i}", "query": f"{row['query']} (case {i})"}) + "\n")
    return root


def _eval(root: Path, n: int, out: Path) -> subprocess.Popen:
    args = ["eval", "--model", str(root / "model"), "--task", "searchtune_qr_sample", "--data",
            f"qr_sample={root / f'qr-{n}.jsonl'}", "--output", str(out), "--wandb-mode", "disabled", "--batch-size", "64"]
    return subprocess.Popen([sys.executable, "-c", PEAK_RSS, *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})


def _peak_kb(output: str) -> int:
    return int(output.rsplit("PEAK_RSS_KB=", 1)[1].split()[0])


def test_eval_of_10000_examples_streams_with_flat_memory_and_resumes(eval_load):
    small = _eval(eval_load, 1000, eval_load / "out-1k")
    small_out = small.communicate(timeout=300)[0]
    assert small.returncode == 0, small_out[-3000:]

    out = eval_load / "out-10k"
    killed = _eval(eval_load, 10_000, out)
    deadline = time.time() + 300
    done = 0
    while time.time() < deadline and killed.poll() is None:
        cache = list((out / ".cache").glob("generations-tuned-*.jsonl"))
        done = sum(1 for _ in cache[0].open()) if cache else 0
        if done >= 3000:
            break
        time.sleep(0.05)
    killed.kill()
    killed.communicate()
    assert 3000 <= done < 10_000 and not (out / "results.json").exists(), "the eval was not interrupted midway"
    assert not (out / "predictions.jsonl").exists(), "an interrupted eval leaves no partial predictions.jsonl"

    resumed = _eval(eval_load, 10_000, out)
    log = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, log[-3000:]
    reused = sum(int(line.split("Generation cache: ")[1].split()[0]) for line in log.splitlines()
                 if "Generation cache: " in line)
    assert reused >= done - 64, f"resumed {reused} of the {done} generations already written"
    rows = (out / "predictions.jsonl").read_text().splitlines()
    assert len(rows) == 10_000 and len({json.loads(r)["doc_id"] for r in rows}) == 10_000
    assert json.loads((out / "results.json").read_text())["tasks"]["searchtune_qr_sample"]["dataset"]["n"] == 10_000
    ratio = _peak_kb(log) / _peak_kb(small_out)
    print(f"\npeak RSS: 1,000 examples {_peak_kb(small_out) // 1024} MB, 10,000 examples {_peak_kb(log) // 1024} MB "
          f"({ratio:.2f}x)")
    assert ratio <= 1.2
