"""The study store without training: each trial's `searchtune train` is replaced by a small script that writes a
run folder with eval results. Two worker processes on one embedded store never run a trial twice; a failing trial
is marked failed with its reason and the sweep goes on, and is retried only with --retry-failed, once however many
workers have it; a worker killed mid-trial leaves it to the next run, which keeps the finished trials; SIGINT leaves
the store consistent and the same command continues."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from finetune import cli
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
fail = ledger.parent / f"fail-{out.name}"
if fail.exists():  # the test fails this attempt, with the file's text as its error line (none when empty)
    if fail.read_text():
        print(f"searchtune: error: {fail.read_text()}", file=sys.stderr)
    sys.exit(137)
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


def work(path: str, retry_failed: bool = False) -> None:
    # A forked worker keeps the pytest process's SIGINT handler, which an earlier in-process test may have replaced
    # (the fresh-clone `make test` hung in the SIGINT test once xdist gave this file another neighbour); a sweep
    # started from a shell has Python's default.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sweep_study.run_sweep(load_sweep(path), Path(path), retry_failed=retry_failed)


def start(path: Path, retry_failed: bool = False) -> multiprocessing.Process:
    process = multiprocessing.get_context("fork").Process(target=work, args=(str(path), retry_failed))
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


def test_a_store_transaction_holds_the_write_lock_from_its_first_read(tmp_path):
    """Why two workers cannot both pop one WAITING trial on SQLite (which ignores the pop's SELECT ... FOR UPDATE):
    a transaction that has only read already keeps every other writer out."""
    import sqlite3

    db = tmp_path / "study.db"
    storage = sweep_study.open_storage(f"sqlite:///{db}")
    with storage.engine.connect() as connection, connection.begin():
        connection.exec_driver_sql("SELECT 1 FROM trials")
        other = sqlite3.connect(db, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # and lets it go at commit
    other.execute("ROLLBACK")


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


def test_failed_trials_are_retried_with_retry_failed_once_however_many_workers_have_it(setup, capsys):
    tmp_path, ledger, sweep_file = setup
    path = sweep_file("[1, 2, 3]")
    (tmp_path / "fail-trial-000").write_text("out of memory")
    (tmp_path / "fail-trial-002").write_text("out of memory")
    summary = sweep_study.run_sweep(load_sweep(path), path)
    assert [t["state"] for t in summary["trials"]] == ["FAIL", "COMPLETE", "FAIL"]
    sweep_study.run_sweep(load_sweep(path), path)  # without the flag a failed trial stays failed
    assert runs(ledger) == ["trial-000", "trial-001", "trial-002"]

    # Two workers with the flag: each pops one retry (both held until both run, so both passed the re-queue).
    (tmp_path / "fail-trial-000").unlink()
    (tmp_path / "fail-trial-002").write_text("")  # fails again, printing nothing this time
    for name in ("trial-000", "trial-002"):
        (tmp_path / f"hold-{name}").write_text("")
    workers = [start(path, retry_failed=True), start(path, retry_failed=True)]
    deadline = time.monotonic() + 60
    while len(runs(ledger)) < 5:
        assert time.monotonic() < deadline and all(w.is_alive() for w in workers)
        time.sleep(0.1)
    for name in ("trial-000", "trial-002"):
        (tmp_path / f"hold-{name}").unlink()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    assert sorted(runs(ledger)[3:]) == ["trial-000", "trial-002"], runs(ledger)  # each retried once
    summary = sweep_study.run_sweep(load_sweep(path), path)
    assert len(runs(ledger)) == 5  # a rerun without the flag runs nothing
    assert [(t["state"], t["fail_reason"]) for t in summary["trials"][:2]] == [("COMPLETE", None)] * 2
    # The reason is this attempt's (its log is appended to), not the first attempt's error line.
    assert summary["trials"][2]["state"] == "FAIL" and summary["trials"][2]["fail_reason"] == (
        "searchtune train exited 137 (killed, e.g. out of memory): (no output)")
    study, _ = sweep_study.open_study(load_sweep(path), "sweep", None)
    attempts = [t.user_attrs["name"] for t in study.get_trials()]
    assert [attempts.count(f"trial-00{i}") for i in range(3)] == [2, 1, 2]  # no second copy of a retry

    (tmp_path / "fail-trial-002").unlink()  # a new failure is retried again by the next command with the flag
    capsys.readouterr()
    assert cli.main(["sweep", str(path), "--retry-failed"]) == 0  # exit 0: every trial complete
    assert runs(ledger)[5:] == ["trial-002"]
    assert "sweep sweep: trial trial-002 failed; queued again (--retry-failed)" in capsys.readouterr().out


def test_two_copies_of_one_retry_run_once(setup):
    """On a shared database there is no setup lock: two workers given --retry-failed can both re-enqueue a failed
    trial, and only the first copy runs."""
    tmp_path, ledger, sweep_file = setup
    path = sweep_file("[1]")
    (tmp_path / "fail-trial-000").write_text("out of memory")
    sweep_study.run_sweep(load_sweep(path), path)
    (tmp_path / "fail-trial-000").unlink()
    study, _ = sweep_study.open_study(load_sweep(path), "sweep", None)
    failed = study.get_trials()[0]
    sweep_study._enqueue_again(study, failed)
    sweep_study._enqueue_again(study, failed)  # as a second worker that read the store at the same moment would
    summary = sweep_study.run_sweep(load_sweep(path), path)
    assert runs(ledger) == ["trial-000", "trial-000"]
    assert [(t["state"], t["fail_reason"]) for t in summary["trials"]] == [("COMPLETE", None)]


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
    # While the trial is still held: released first, a loaded machine could finish the whole sweep before the signal.
    os.kill(worker.pid, signal.SIGINT)
    worker.join(60)
    alive = worker.is_alive()
    if alive:
        worker.kill()
    (tmp_path / "hold-trial-000").unlink()
    assert not alive, "the worker did not stop within 60 s of SIGINT"
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


def test_retry_failed_on_a_sampler_sweep_is_one_line(setup):
    tmp_path, _, sweep_file = setup
    path = sweep_file("{low: 1, high: 50, type: int}", "strategy: sampler\nsampler: random\ntrials: 2")
    with pytest.raises(UserError, match="--retry-failed: .* is a sampler sweep"):
        sweep_study.run_sweep(load_sweep(path), path, retry_failed=True)
    assert not (tmp_path / "sweep" / "study.db").exists()  # refused before the store is opened
