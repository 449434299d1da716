"""Reliability and safety (issue 7): kills and resume, atomic checkpoints, stop signals, the watchdog, the run-folder
lock, unreachable W&B and Hub, tokens, paths, remote code and pickles. docs/reliability.md maps each guarantee here.

Runs that get killed, signalled or need their own environment are real subprocesses on the tiny model, started
concurrently; the others (references, resumes) run in-process, which saves each one the ~6 s of imports.
"""

from __future__ import annotations

import json
import math
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
from safetensors.torch import load_file, save_file

from finetune.training import checkpoints
from finetune.core import io, run as run_folder
from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe

REPO = Path(__file__).resolve().parents[1]
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


def cli_command(workdir, *overrides) -> list[str]:
    return [sys.executable, "-m", "finetune.cli", "train", str(workdir / "recipe.yaml"), *overrides]


def start(workdir, name, *overrides, env=None, cli=False) -> subprocess.Popen:
    """Start a training run into workdir/name (`searchtune train` with cli=True); its output goes to workdir/name.log."""
    run = workdir / name
    full = {**os.environ, "SEARCHTUNE_CACHE": str(workdir / "cache"), "PYTHONPATH": str(REPO), **(env or {})}
    log = open(workdir / f"{name}.log", "a")
    proc = subprocess.Popen((cli_command if cli else command)(workdir, f"output_dir={run}", *overrides), cwd=REPO,
                            env=full, stdout=log, stderr=subprocess.STDOUT, text=True)
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
    in_save = start(workdir, "kill-in-save", *STEPS, env={checkpoints.CRASH_IN_SAVE_ENV: "12"})
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


def _fake_checkpoint(folder: Path, step: int) -> Path:
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    save_file({"w": torch.ones(4, 4)}, path / "adapter_model.safetensors")
    for name in ("optimizer.pt", "scheduler.pt", "rng_state.pth"):
        torch.save({"state": torch.zeros(3)}, path / name)
    return path


@pytest.mark.parametrize("damage, reason", [
    (lambda p: (p / "trainer_state.json").unlink(), "trainer_state.json is missing"),
    (lambda p: (p / "trainer_state.json").write_text('{"global_st'), "trainer_state.json is unreadable"),
    (lambda p: (p / "optimizer.pt").unlink(), "optimizer.pt is missing"),
    (lambda p: (p / "adapter_model.safetensors").unlink(), "adapter weights are missing"),
    (lambda p: (p / "adapter_model.safetensors").write_bytes(b"\x08" + b"\0" * 7 + b"not json"), "adapter_model.safetensors is unreadable"),
    (lambda p: (p / "rng_state.pth").write_bytes((p / "rng_state.pth").read_bytes()[:100]),
     "rng_state.pth is truncated or unreadable"),
])
def test_partial_or_corrupt_checkpoint_is_skipped_with_a_warning(tmp_path, capsys, damage, reason):
    good = _fake_checkpoint(tmp_path, 4)
    bad = _fake_checkpoint(tmp_path, 8)
    assert checkpoints.last_checkpoint(tmp_path) == str(bad)
    damage(bad)
    assert checkpoints.last_checkpoint(tmp_path) == str(good)
    assert f"skipping checkpoint {bad}: {reason}; trying the previous one" in capsys.readouterr().out
    (tmp_path / ".staging" / "checkpoint-12").mkdir(parents=True)  # a save that never committed is invisible
    assert checkpoints.last_checkpoint(tmp_path) == str(good)


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
    procs = {signal.SIGINT: start(workdir, "sigint", *long), signal.SIGTERM: start(workdir, "sigterm", *long, cli=True)}
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
    error = [line for line in log.splitlines() if line.startswith("error: ")]
    # The loss of step N is computed before its update; NaN weights are caught before a save. Either stops here.
    assert len(error) == 1 and error[0].startswith("error: training stopped: "), log[-2000:]
    assert "the training loss is nan at step" in error[0] or "weights turned NaN/Inf at step" in error[0]
    nan_step = int(error[0].split("at step ")[1].split(";")[0].split()[0])
    kept = checkpoints.last_checkpoint(run / "checkpoints")
    assert kept and int(kept.rsplit("-", 1)[1]) == nan_step - 1 and kept in error[0]
    assert sorted(p.name for p in (run / "checkpoints").glob("checkpoint-*")) == [Path(kept).name]
    assert all(t.isfinite().all() for t in load_file(Path(kept) / "adapter_model.safetensors").values())
    assert not (run / "adapter").exists()


def test_watchdog_trips_on_a_sustained_spike_only():
    from transformers import TrainerControl, TrainerState

    from finetune.training.callbacks import Watchdog

    def feed(dog, losses):
        state, control = TrainerState(), TrainerControl()
        saves = []
        for step, loss in enumerate(losses, 1):
            state.global_step, control.should_save = step, True
            dog.on_log(None, state, control, logs={"loss": loss})
            saves.append(control.should_save)
            if control.should_training_stop:
                break
        return control, saves

    dog = Watchdog(spike_factor=2.0, patience=3)
    control, saves = feed(dog, [6.0, 4.0, 9.0, 9.5, 3.5, 9.0, 8.5, 8.2, 3.0])
    assert control.should_training_stop and dog.tripped.startswith("the training loss rose to 8.2 at step 8")
    assert saves == [True, True, False, False, True, False, False, False], "no checkpoint while the loss spikes"
    quiet = Watchdog(spike_factor=2.0, patience=3)
    control, _ = feed(quiet, [6.0, 4.0, 9.0, 9.5, 3.5, 5.0, 6.9])  # two in a row, then recovery: no stop
    assert not control.should_training_stop and quiet.tripped is None
    inf = Watchdog()
    control, _ = feed(inf, [6.0, math.inf])
    assert control.should_training_stop and not control.should_save and "inf at step 2" in inf.tripped


def test_watchdog_settings_are_validated(tmp_path, workdir):
    recipe = load_recipe(workdir / "recipe.yaml", ["train.watchdog.spike_factor=5", "train.watchdog.patience=2"])
    assert recipe.train.watchdog.spike_factor == 5 and recipe.train.watchdog.enabled
    with pytest.raises(UserError, match=r"`train.watchdog.spike_factor`: Input should be greater than 1"):
        load_recipe(workdir / "recipe.yaml", ["train.watchdog.spike_factor=0.5"])


HOLD_LOCK = """
import sys, time
from pathlib import Path
from finetune.core import io, run as run_folder
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
        assert f"error: {out}: another run (PID {holder.pid}) is using this output_dir" in log
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path, capsys):
    out = tmp_path / "run"
    holder = _hold_lock(out, 120)
    holder.send_signal(signal.SIGKILL)  # dies holding the lock: .lock stays behind with its PID
    holder.wait()
    assert (out / ".lock").read_text() == str(holder.pid)
    with run_folder.lock(out):
        assert (out / ".lock").read_text() == str(os.getpid())
    assert f"taking over the lock of PID {holder.pid}" in capsys.readouterr().err
    assert not (out / ".lock").exists()


# -- paths -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, message", [
    ("runs/../../etc/x", "`output_dir`: `..` is not allowed"),
    ('"runs/\\x1b[2Jx"', "`output_dir`: use a non-empty path without control characters"),  # an ANSI escape
    ("' '", "`output_dir`: use a non-empty path without control characters"),
])
def test_output_dir_rule(workdir, value, message):
    with pytest.raises(UserError, match=message):
        load_recipe(workdir / "recipe.yaml", [f"output_dir={value}"])


def test_output_dir_tilde_expands_and_display_names_are_plain(workdir):
    assert load_recipe(workdir / "recipe.yaml", ["output_dir=~/runs/x"]).output_dir == os.path.expanduser("~/runs/x")
    with pytest.raises(UserError, match="`logging.run_name`: use at most 128 printable characters"):
        load_recipe(workdir / "recipe.yaml", ["logging.run_name=a\tb"])


def test_existing_folder_that_is_not_a_run_folder_is_refused(tmp_path):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="exists and is not a searchtune run folder"):
        with run_folder.lock(tmp_path / "project"):
            pass
    assert not (tmp_path / "project" / ".lock").exists()
    (tmp_path / "project" / "notes.txt").unlink()
    with run_folder.lock(tmp_path / "project"):  # empty: fine
        pass
    (tmp_path / "project" / "recipe.yaml").write_text("earlier run\n")
    (tmp_path / "project" / "notes.txt").write_text("mine")
    with run_folder.lock(tmp_path / "project"):  # a run folder: fine
        pass


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
    assert f"the run is complete in {run}, but the push failed" in r.stderr
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


def test_recipes_cannot_carry_tokens(workdir, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", HF_SENTINEL)
    path = tmp_path / "r.yaml"
    path.write_text((workdir / "recipe.yaml").read_text() + "hub: {repo_id: '${oc.env:HF_TOKEN}'}\n")
    with pytest.raises(UserError, match=r"\$\{oc.env:HF_TOKEN\} would copy a token into the run folder"):
        load_recipe(path)
    with pytest.raises(UserError, match="`logging.run_name` holds the value of one of HF_TOKEN"):
        load_recipe(workdir / "recipe.yaml", [f"logging.run_name=x{HF_SENTINEL}"])
    io.write_json(tmp_path / "m.json", {"note": f"token {HF_SENTINEL}"})
    assert HF_SENTINEL not in (tmp_path / "m.json").read_text() and "<redacted>" in (tmp_path / "m.json").read_text()


# -- models ------------------------------------------------------------------------------------------------------


def test_remote_code_runs_only_when_the_recipe_trusts_it(tiny_model_dir, tmp_path, caplog):
    import shutil

    from finetune.core import models
    from finetune.core.recipe import ModelSection

    assert ModelSection().trust_remote_code is False
    repo = tmp_path / "custom"
    shutil.copytree(tiny_model_dir, repo)
    config = json.loads((repo / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "remote.RemoteConfig", "AutoModelForCausalLM": "remote.RemoteModel"}
    (repo / "config.json").write_text(json.dumps(config))
    marker = tmp_path / "REMOTE_CODE_RAN"
    (repo / "remote.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "from transformers import LlamaConfig, LlamaForCausalLM\n"
        "class RemoteConfig(LlamaConfig):\n    pass\n"
        "class RemoteModel(LlamaForCausalLM):\n    config_class = RemoteConfig\n"
    )
    models.load_base_model(str(repo))
    assert not marker.exists(), "remote code ran without trust_remote_code"
    with caplog.at_level("WARNING", logger="searchtune"):
        models.load_base_model(str(repo), trust_remote_code=True)
    assert marker.exists()
    assert f"model.trust_remote_code is on: code from {repo} will run on this machine" in caplog.text


class _Payload:
    marker = ""

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_in_bin_weights_is_refused_not_executed(tiny_model_dir, tmp_path):
    from finetune.core import models

    folder = tmp_path / "bin-model"
    folder.mkdir()
    (folder / "config.json").write_text((tiny_model_dir / "config.json").read_text())
    payload = _Payload()
    payload.marker = str(tmp_path / "PICKLE_RAN")
    torch.save({"model.embed_tokens.weight": payload}, folder / "pytorch_model.bin")
    with pytest.raises(UserError, match="its .bin weights hold pickled objects that are not tensors"):
        models.load_base_model(str(folder))
    assert not Path(payload.marker).exists()


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
