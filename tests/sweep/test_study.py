"""The study store without training: each trial's `searchtune train` is replaced by a small script that writes a
run folder with eval results. Two worker processes on one embedded store never run a trial twice; a failing trial
is marked failed with its reason and the sweep goes on; a worker killed mid-trial leaves it to the next run, which
keeps the finished trials; SIGINT leaves the store consistent and the same command continues."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from finetune.core.errors import UserError
from finetune.sweep import study as sweep_study
from finetune.sweep.schema import load_sweep

FAKE_TRAIN = r'''
import json, os, sys, time
from pathlib import Path
out, values, ledger = Path(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3])
with ledger.open("a") as f:
    f.write(f"{out.name} {os.getppid()}\n")
if values.get("lora.r") == 13:
    print("searchtune: error: lora.r=13 diverged", file=sys.stderr)
    sys.exit(4)
hold = ledger.parent / f"hold-{out.name}"
while hold.exists():  # the test holds this trial open
    time.sleep(0.1)
time.sleep(float(os.environ.get("FAKE_TRAIN_S", "0.2")))
(out / "eval").mkdir(parents=True, exist_ok=True)
(out / "recipe.yaml").write_text("output_dir: %s\n" % out)
(out / "wandb-group.txt").write_text(os.environ["WANDB_RUN_GROUP"])
metric = {"value": values.get("lora.r", 1) / 100}
(out / "eval" / "results.json").write_text(json.dumps({"tasks": {"searchtune_qr_sample": {"metrics": {"bleu": metric}}}}))
'''


@pytest.fixture()
def setup(tmp_path, monkeypatch):
    (tmp_path / "qr.jsonl").write_text(json.dumps({"history": [], "query": "q", "rewrite": "r"}) + "\n")
    (tmp_path / "recipe.yaml").write_text(
        f"data: {{task: query_rewrite, train: {{path: {tmp_path / 'qr.jsonl'}}}}}\n"
        f"eval: {{tasks: [searchtune_qr_sample]}}\noutput_dir: {tmp_path / 'run'}\n")
    fake = tmp_path / "fake_train.py"
    fake.write_text(FAKE_TRAIN)
    ledger = tmp_path / "ledger.txt"
    monkeypatch.setattr(sweep_study, "train_command", lambda sweep, name, values: [
        sys.executable, str(fake), str(sweep.trial_dir(name)), json.dumps(values), str(ledger)])
    monkeypatch.setattr(sweep_study, "HEARTBEAT_S", 1)
    monkeypatch.setattr(sweep_study, "GRACE_S", 3)

    def sweep_file(space: str, strategy: str = "strategy: grid") -> Path:
        path = tmp_path / "sweep.yaml"
        path.write_text(f"base: {tmp_path / 'recipe.yaml'}\n{strategy}\nspace: {{lora.r: {space}}}\n"
                        f"objective: {{task: searchtune_qr_sample, metric: bleu}}\noutput_dir: {tmp_path / 'sweep'}\n")
        return path
    return tmp_path, ledger, sweep_file


def runs(ledger: Path) -> list[str]:
    return [line.split()[0] for line in ledger.read_text().splitlines()] if ledger.exists() else []


def work(path: str) -> None:
    sweep_study.run_sweep(load_sweep(path), Path(path))


def start(path: Path) -> multiprocessing.Process:
    process = multiprocessing.get_context("fork").Process(target=work, args=(str(path),))
    process.start()
    return process


def test_two_workers_on_one_store_never_run_a_trial_twice(setup, monkeypatch):
    _, ledger, sweep_file = setup
    monkeypatch.setenv("FAKE_TRAIN_S", "0.5")
    path = sweep_file("[1, 2, 3, 4, 5, 6, 7, 8]")
    workers = [start(path), start(path)]
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    names = runs(ledger)
    assert sorted(names) == [f"trial-{i:03d}" for i in range(8)], names  # each trial exactly once
    summary = json.loads((path.parent / "sweep" / "sweep.json").read_text())
    assert [t["state"] for t in summary["trials"]] == ["COMPLETE"] * 8
    assert [t["value"] for t in summary["trials"]] == [r / 100 for r in range(1, 9)]
    # Both workers took trials: the store shared the work rather than one worker running everything.
    assert len({line.split()[1] for line in ledger.read_text().splitlines()}) == 2


def test_two_sampler_workers_keep_to_the_trial_budget(setup):
    _, ledger, sweep_file = setup
    path = sweep_file("{low: 1, high: 50, type: int}", "strategy: sampler\nsampler: random\ntrials: 5")
    workers = [start(path), start(path)]
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    summary = json.loads((path.parent / "sweep" / "sweep.json").read_text())
    assert len(runs(ledger)) == 5 and [t["state"] for t in summary["trials"]] == ["COMPLETE"] * 5
    for t in summary["trials"]:
        assert 1 <= t["overrides"]["lora.r"] <= 50 and t["value"] == t["overrides"]["lora.r"] / 100


def test_a_failing_trial_is_marked_failed_with_its_reason_and_the_sweep_goes_on(setup):
    _, ledger, sweep_file = setup
    path = sweep_file("[13, 2]")
    summary = sweep_study.run_sweep(load_sweep(path), path)
    failed, done = summary["trials"]
    assert failed["state"] == "FAIL" and "exited 4 (the watchdog stopped a diverging run)" in failed["fail_reason"]
    assert "lora.r=13 diverged" in failed["fail_reason"]
    assert done["state"] == "COMPLETE" and done["value"] == 0.02
    assert (Path(done["run_dir"]) / "wandb-group.txt").read_text() == "sweep"  # the sweep is the trials' W&B group
    assert json.loads((Path(done["run_dir"]) / "trial.json").read_text())["overrides"] == {"lora.r": 2}
    # Rerunning keeps both: nothing runs again; a value added to the sweep file since runs alone.
    sweep_study.run_sweep(load_sweep(path), path)
    assert runs(ledger) == ["trial-000", "trial-001"]
    path = sweep_file("[13, 2, 3]")
    summary = sweep_study.run_sweep(load_sweep(path), path)
    assert runs(ledger) == ["trial-000", "trial-001", "trial-002"] and summary["trials"][2]["value"] == 0.03
    path = sweep_file("[2, 13]")  # reordered: trial-000 would now mean another value
    with pytest.raises(UserError, match='trial trial-000 is in the study with {"lora.r": 13}, the sweep file now'):
        sweep_study.run_sweep(load_sweep(path), path)


def wait_for_run(ledger, name: str) -> None:
    deadline = time.monotonic() + 60
    while name not in runs(ledger):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_killed_worker_s_trial_is_rerun_and_finished_trials_are_kept(setup):
    tmp_path, ledger, sweep_file = setup
    path = sweep_file("[1, 2, 3]")
    (tmp_path / "hold-trial-001").write_text("")
    worker = start(path)
    wait_for_run(ledger, "trial-001")
    os.kill(worker.pid, signal.SIGKILL)  # mid-trial: trial-001 stays RUNNING in the store, its heartbeat stops
    worker.join()
    (tmp_path / "hold-trial-001").unlink()
    summary = sweep_study.run_sweep(load_sweep(path), path)
    assert [t["state"] for t in summary["trials"]] == ["COMPLETE"] * 3
    names = runs(ledger)
    assert names.count("trial-000") == 1 and names.count("trial-002") == 1, names  # finished: kept
    assert names.count("trial-001") >= 2  # interrupted: rerun in its run folder


def test_sigint_leaves_the_store_consistent_and_the_same_command_continues(setup):
    tmp_path, ledger, sweep_file = setup
    path = sweep_file("[1, 2]")
    (tmp_path / "hold-trial-000").write_text("")
    worker = start(path)
    wait_for_run(ledger, "trial-000")
    (tmp_path / "hold-trial-000").unlink()
    os.kill(worker.pid, signal.SIGINT)
    worker.join(60)
    assert worker.exitcode != 0
    summary = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert summary["trials"][0]["state"] == "WAITING"  # the interrupted attempt is failed, its retry waits
    summary = sweep_study.run_sweep(load_sweep(path), path)
    assert [t["state"] for t in summary["trials"]] == ["COMPLETE", "COMPLETE"]


def test_a_bad_storage_url_is_one_line(setup):
    _, _, sweep_file = setup
    path = sweep_file("[1]")
    with pytest.raises(UserError, match="--storage nosuch://x: cannot open the study store"):
        sweep_study.run_sweep(load_sweep(path), path, "nosuch://x")
