"""`searchtune sweep` and `searchtune leaderboard` as a user runs them, on the tiny model (one step per trial, two
eval examples): a grid whose first trial fails (a max_length no row fits) while the second trains and is scored,
a rerun that keeps both, and the leaderboard of the sweep."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def searchtune(*args, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEARCHTUNE_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "finetune.cli", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=400)


def write_sweep(tmp_path: Path, tiny_model_dir: Path, space: str, steps: int = 1) -> Path:
    rows = [{"history": [f"who owns project p{i}?", f"Dana owns p{i}."], "query": "when is it due?",
             "rewrite": f"when is project p{i} due?"} for i in range(16)]
    (tmp_path / "qr.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "recipe.yaml").write_text(
        f"model: {{name: {tiny_model_dir}}}\nlora: {{r: 4, alpha: 8, dropout: 0.0}}\n"
        f"data: {{task: query_rewrite, train: {{path: {tmp_path / 'qr.jsonl'}}}, max_length: 256}}\n"
        f"train: {{max_steps: {steps}, save_steps: 5, batch_size: 4, logging_steps: 1, learning_rate: 0.01}}\n"
        "eval: {tasks: [searchtune_qr_sample], limit: 2, baseline: false, batch_size: 2, "
        "decoding: {max_new_tokens: 8}}\nlogging: {mode: offline}\n"
        f"output_dir: {tmp_path / 'run'}\n")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"base: {tmp_path / 'recipe.yaml'}\nstrategy: grid\nspace: {space}\n"
                     "objective: {task: searchtune_qr_sample, metric: exact_match}\n"
                     f"output_dir: {tmp_path / 'sweep'}\n")
    return sweep


def test_grid_sweep_with_a_failing_trial_then_its_leaderboard(tmp_path, tiny_model_dir):
    sweep = write_sweep(tmp_path, tiny_model_dir, "{data.max_length: [16, 256]}")
    r = searchtune("sweep", sweep, cache=tmp_path / "cache")
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]  # one trial failed
    summary = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    failed, done = summary["trials"]
    assert failed["state"] == "FAIL" and "longer than data.max_length=16" in failed["fail_reason"]
    assert done["state"] == "COMPLETE" and done["value"] is not None
    trial = tmp_path / "sweep" / "trials" / "trial-001"
    assert (trial / "adapter" / "adapter_config.json").is_file() and (trial / "eval" / "results.json").is_file()
    assert json.loads((trial / "trial.json").read_text())["overrides"] == {"data.max_length": 256}

    again = searchtune("sweep", sweep, cache=tmp_path / "cache")
    assert "trial trial-00" not in again.stdout  # finished and failed trials are kept, nothing reruns

    board = searchtune("leaderboard", tmp_path / "sweep", cache=tmp_path / "cache")
    assert board.returncode == 0, board.stderr[-2000:]
    table = (tmp_path / "sweep" / "leaderboard.md").read_text()
    assert "| trial-001 (reference) | 256 |" in table and "exact_match" in table
    assert "Not on the board: trial-000 (fail): searchtune train exited 2" in table
    assert "<svg" in (tmp_path / "sweep" / "leaderboard.html").read_text()
    assert list((tmp_path / "sweep" / "wandb").glob("offline-run-*")), "the leaderboard is a W&B run (offline here)"


def test_ctrl_c_checkpoints_the_trial_and_the_same_command_resumes_it(tmp_path, tiny_model_dir):
    sweep = write_sweep(tmp_path, tiny_model_dir, "{lora.r: [4]}", steps=100)
    log = tmp_path / "sweep" / "logs" / "trial-000.log"
    env = {**os.environ, "SEARCHTUNE_CACHE": str(tmp_path / "cache")}
    # SIGINT as a terminal's Ctrl-C delivers it (a test runner may start children with SIGINT ignored).
    worker = subprocess.Popen([sys.executable, "-m", "finetune.cli", "sweep", str(sweep)], cwd=REPO, env=env,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    while not (log.is_file() and re.search(r"step \d+/100", log.read_text(errors="replace"))):
        assert time.monotonic() < deadline and worker.poll() is None
        time.sleep(0.2)
    worker.send_signal(signal.SIGINT)
    out = worker.communicate(timeout=120)[0]
    assert worker.returncode == 130 and "the store is consistent, run the same command to continue" in out, out
    assert re.search(r"SIGINT at step \d+: stopped with checkpoint", log.read_text())
    assert json.loads((tmp_path / "sweep" / "sweep.json").read_text())["trials"][0]["state"] == "WAITING"

    again = searchtune("sweep", sweep, cache=tmp_path / "cache")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "[searchtune] resuming from" in log.read_text()
    manifest = json.loads((tmp_path / "sweep" / "trials" / "trial-000" / "manifest.json").read_text())
    assert manifest["global_steps"] == 100
