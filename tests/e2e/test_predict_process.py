"""`searchtune predict` and `searchtune chat` as a user runs them, on a run folder around the tiny model: a whole
run; a run killed mid-way (SIGKILL, no clean-up) that resumes to the same file; two processes under
`accelerate launch` (gloo on the CPU) that write what one process writes; chat over piped stdin."""

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
import yaml

from tests.fakes.run_folder import make_run

REPO = Path(__file__).resolve().parents[2]
ROWS = [{"turns": [f"who owns project p{i}?"] * (i % 4), "text": f"when is project {i} due{'?' * (i % 5)}"}
        for i in range(48)]
MAPPING = ["--columns", "query=text", "history=turns"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_model_dir) -> Path:
    root = tmp_path_factory.mktemp("predict")
    make_run(root, tiny_model_dir)
    (root / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return root


def command(workdir: Path, output: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "finetune.cli", "predict", str(workdir / "run"), "--input", str(workdir / "in.jsonl"),
            "--output", str(workdir / output), *MAPPING, "--batch-size", "2", "--max-new-tokens", "12", *extra]


def env(workdir: Path) -> dict:
    # One thread per process in every run: the 2-process run then computes each batch as the 1-process run does.
    return {**os.environ, "SEARCHTUNE_CACHE": str(workdir / "cache"), "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def predict(workdir: Path, output: str, *extra: str) -> subprocess.CompletedProcess:
    r = subprocess.run(command(workdir, output, *extra), cwd=REPO, env=env(workdir), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


@pytest.fixture(scope="module")
def whole(workdir) -> str:
    r = predict(workdir, "whole.jsonl")
    assert f"[searchtune] predict: {len(ROWS)} rows -> {workdir / 'whole.jsonl'}" in r.stdout
    return (workdir / "whole.jsonl").read_text()


def test_every_row_gets_a_rewrite_in_input_order(whole):
    rows = [json.loads(line) for line in whole.splitlines()]
    assert [{k: v for k, v in r.items() if k != "rewrite"} for r in rows] == ROWS
    assert all(isinstance(r["rewrite"], str) for r in rows)
    assert len({r["rewrite"] for r in rows}) > 1, "different prompts, different rewrites"


def test_a_killed_run_resumes_to_the_uninterrupted_output(workdir, whole):
    out = workdir / "killed.jsonl"
    journal = workdir / ".killed.jsonl.progress-0.jsonl"
    proc = subprocess.Popen(command(workdir, "killed.jsonl"), cwd=REPO, env=env(workdir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not journal.is_file():
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before the kill: give it more rows"
    assert not out.exists() and journal.is_file()
    done = len(journal.read_text().splitlines())
    assert 0 < done < len(ROWS)

    r = predict(workdir, "killed.jsonl")
    assert "resumed" in r.stdout
    assert out.read_text() == whole
    assert not journal.exists()


def test_two_processes_under_accelerate_write_what_one_process_writes(workdir, whole):
    config = yaml.safe_load((REPO / "accelerate_configs" / "multi_cpu.yaml").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        config["main_process_port"] = s.getsockname()[1]
    (workdir / "two.yaml").write_text(yaml.safe_dump(config))
    r = predict(workdir, "two.jsonl", "--accelerate-config", str(workdir / "two.yaml"))
    assert "accelerate launch" in r.stdout and "--num_processes" not in r.stdout  # the config's 2
    assert r.stdout.count("[searchtune] predict: ") == 1, "the first process alone reports"
    assert (workdir / "two.jsonl").read_text() == whole
    assert not list(workdir.glob(".two.jsonl.progress-*"))


def test_chat_over_piped_stdin_shows_tuned_and_base_rewrites_per_turn(workdir):
    r = subprocess.run([sys.executable, "-m", "finetune.cli", "chat", str(workdir / "run"), "--base",
                        "--max-new-tokens", "6"], input="who owns project p1?\nwhen is it due\n/quit\nnot read\n",
                       cwd=REPO, env=env(workdir), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines()[1:]
    assert [line.split(":", 1)[0] for line in lines] == ["tuned", " base", "tuned", " base"], r.stdout
    assert "Traceback" not in r.stderr
