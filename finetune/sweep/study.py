"""Run a sweep as an Optuna study: the study store is Optuna's (SQLite in the sweep folder by default, any
`--storage` URL to share one study between machines), each trial a `searchtune train` subprocess in its own run
folder, its objective read from that run's eval/results.json.

Why no `study.optimize`: a grid or an ablation is a fixed list of trials. It is enqueued once, by the worker that
created the study (on the embedded store, a trial added to the sweep file since is enqueued by the next run), and
every worker pops waiting trials through the storage's atomic WAITING -> RUNNING update
(`set_trial_state_values` returns False to all but one; on SQLite only because every transaction begins
IMMEDIATE, see `_begin_immediate`), so concurrent workers never run a trial twice (Optuna's
GridSampler can, under concurrency). A sampler sweep asks the sampler for new trials up to its budget.

A worker's heartbeat marks its trial alive; a trial whose worker died (kill -9, a lost machine) goes stale after
GRACE_S, and `fail_stale_trials` re-enqueues it with the same name, so it continues in its run folder
(train.resume=auto). SIGINT stops the trial's training (it checkpoints), marks it failed ("interrupted") and
re-enqueues it the same way, so the store stays consistent and the same command continues. A trial that failed stays
failed (its failure is the result); `--retry-failed` re-enqueues a grid's or an ablation's failed trials the same
way, once, at start: under the setup lock on the embedded store; on a shared database (no lock there) two workers
may both re-enqueue a trial, and the popped copy of a retry that an earlier copy already retries is dropped.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

from finetune.core import io
from finetune.core.errors import ExitCode, UserError
from finetune.core.run import RunFolder
from evals.leaderboard import TRIAL_FILE  # the leaderboard reads each trial's swept keys from it
from finetune.sweep.schema import Range, Sweep, override_args

HEARTBEAT_S = 2
GRACE_S = 10
STORE_FILE = "study.db"
READY = "searchtune:enqueued"  # study user attr: the fixed trials are in the store
TAIL_CHARS = 2000
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def storage_url(sweep: Sweep, url: str | None) -> str:
    if url:
        return url
    sweep.folder().mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(sweep.folder() / STORE_FILE).resolve()}"


def open_storage(url: str):
    import optuna
    import sqlalchemy.event
    import sqlalchemy.exc
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    sqlite = url.startswith("sqlite")
    # SQLite serializes writers; wait for the lock rather than failing a worker that came at the same moment. No
    # implicit BEGIN from the driver: each transaction begins as `_begin_immediate` says.
    engine = {"connect_args": {"timeout": 60, "isolation_level": None}} if sqlite else {}
    try:
        storage = optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=HEARTBEAT_S,
                                             grace_period=GRACE_S,
                                             heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback())
    except (ImportError, ValueError, sqlalchemy.exc.SQLAlchemyError,
            optuna.exceptions.StorageInternalError) as e:
        raise UserError(f"--storage {url}: cannot open the study store ({str(e).splitlines()[0]}); pass a database "
                        "URL such as sqlite:///sweep.db or postgresql://USER@HOST/DB") from None
    if sqlite:
        sqlalchemy.event.listen(storage.engine, "begin", _begin_immediate)
    return storage


def _begin_immediate(connection) -> None:
    """Optuna pops a WAITING trial by reading it FOR UPDATE, then writing RUNNING; SQLite ignores FOR UPDATE, and a
    deferred transaction takes no lock until it writes, so two workers could both read WAITING and both run the
    trial. BEGIN IMMEDIATE takes the write lock first: a transaction reads only what no other can change under it
    (SQLAlchemy's pysqlite recipe for serializable transactions)."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.contextmanager
def _setup_lock(sweep: Sweep, url: str | None):
    """Workers starting together on the embedded store take turns creating its tables and the study (SQLite
    creation is not safe against itself); a shared database is set up by whichever worker starts first."""
    if url:
        yield
        return
    sweep.folder().mkdir(parents=True, exist_ok=True)
    with open(sweep.folder() / f"{STORE_FILE}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def open_study(sweep: Sweep, name: str, url: str | None, retry_failed: bool = False):
    with _setup_lock(sweep, url):
        study, storage = _open_study(sweep, name, url)
        if retry_failed:
            requeue_failed(sweep, study)
        return study, storage


def _open_study(sweep: Sweep, name: str, url: str | None):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # fail_stale_trials and RetryHeartbeatStaleTrialCallback are marked experimental: the warning would print every poll.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    storage = open_storage(storage_url(sweep, url))
    sampler = (optuna.samplers.RandomSampler(seed=sweep.seed) if sweep.sampler == "random"
               else optuna.samplers.TPESampler(seed=sweep.seed))
    try:
        study = optuna.create_study(study_name=name, storage=storage, direction=sweep.objective.direction,
                                    sampler=sampler)
        created = True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
        created = False
    if study.direction.name.lower() != sweep.objective.direction:
        raise UserError(f"objective.direction: the study {name} was created to {study.direction.name.lower()}; "
                        "keep that direction or use a new output_dir")
    fixed = sweep.fixed_trials()
    if fixed and not created:
        _wait_until_enqueued(study)
    if fixed and (created or url is None):
        # On the embedded store (under the setup lock) a change added to the sweep file since is enqueued too.
        known = {t.user_attrs.get("name"): t.user_attrs.get("overrides") for t in study.get_trials(deepcopy=False)}
        for trial_name, values in fixed:
            if trial_name not in known:
                study.enqueue_trial({}, user_attrs={"name": trial_name, "overrides": values})
            elif json.dumps(known[trial_name], sort_keys=True) != json.dumps(values, sort_keys=True):
                raise UserError(f"trial {trial_name} is in the study with {json.dumps(known[trial_name])}, the sweep "
                                f"file now gives it {json.dumps(values)}; keep its values or use a new output_dir")
        study.set_user_attr(READY, True)
    return study, storage


def requeue_failed(sweep: Sweep, study) -> list[str]:
    """Enqueue again each fixed trial whose latest attempt failed; their names. A worker that comes after (under the
    setup lock) finds those attempts waiting or running, not failed, and re-enqueues nothing."""
    from optuna.trial import TrialState

    latest = latest_attempts(study.get_trials(deepcopy=False))
    names = [n for n, _ in sweep.fixed_trials() if n in latest and latest[n].state == TrialState.FAIL]
    for n in names:
        print(f"[searchtune] sweep {study.study_name}: trial {n} failed; queued again (--retry-failed)", flush=True)
        _enqueue_again(study, latest[n])
    return names


def latest_attempts(trials) -> dict:
    """Each trial name's latest attempt (a retry is a new Optuna trial of the same name), by trial number."""
    latest = {}
    for t in sorted(trials, key=lambda t: t.number):
        # Unnamed: a draw over the sampler's budget; named and pruned: a duplicate retry (`_retried_already`).
        if "name" in t.user_attrs and t.state.name != "PRUNED":
            latest[t.user_attrs["name"]] = t
    return latest


def _wait_until_enqueued(study, timeout_s: float = 120) -> None:
    """Another worker created the study a moment ago and is enqueueing: wait for it rather than find nothing to do."""
    deadline = time.monotonic() + timeout_s
    while not study.user_attrs.get(READY):
        if time.monotonic() > deadline:
            raise UserError(f"study {study.study_name}: its trials were never enqueued (the worker that created it "
                            "stopped); remove the sweep's output_dir and start again")
        time.sleep(1)


def pop_waiting(study, storage):
    """A WAITING trial, now RUNNING and ours, or None: the storage makes the state change atomic across workers."""
    import optuna
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    for frozen in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        try:
            if storage.set_trial_state_values(frozen._trial_id, state=TrialState.RUNNING):
                trial = optuna.Trial(study, frozen._trial_id)
                if _retried_already(study, frozen):
                    study.tell(trial, state=TrialState.PRUNED)
                    continue
                return trial
        except UpdateFinishedTrialError:
            continue
    return None


def _retried_already(study, frozen) -> bool:
    """Whether an earlier copy retries the same attempt: two workers given --retry-failed on a shared database (no
    setup lock there) may both re-enqueue one failed trial; only the first copy runs. Earlier by the database's trial
    id (its key) rather than the trial number, which Optuna counts at insert."""
    history = frozen.system_attrs.get("retry_history")
    return bool(history) and any(
        t._trial_id < frozen._trial_id and (t.system_attrs.get("retry_history") or [None])[-1] == history[-1]
        for t in study.get_trials(deepcopy=False))


def next_trial(sweep: Sweep, study, storage):
    """The next trial for this worker, None when there is nothing left to run."""
    from optuna.storages import fail_stale_trials
    from optuna.trial import TrialState

    while True:
        fail_stale_trials(study)  # a dead worker's trial goes back to WAITING (RetryHeartbeatStaleTrialCallback)
        trial = pop_waiting(study, storage)
        if trial is not None:
            storage.record_heartbeat(trial._trial_id)  # a trial with no heartbeat yet would never go stale
            return trial
        trials = study.get_trials(deepcopy=False)
        running = [t for t in trials if t.state == TrialState.RUNNING]
        if sweep.strategy == "sampler" and len(_draws(trials)) < sweep.trials:
            trial = study.ask()
            # Another worker may have drawn the last trial of the budget meanwhile: the trial numbers decide.
            if len(_draws(study.get_trials(deepcopy=False), below=trial.number)) >= sweep.trials:
                study.tell(trial, state=TrialState.PRUNED)  # over budget: never run, left out of sweep.json
                continue
            storage.record_heartbeat(trial._trial_id)
            trial.set_user_attr("name", f"trial-{trial.number:03d}")
            trial.set_user_attr("overrides", {key: suggest(trial, key, space) for key, space in sweep.space.items()})
            return trial
        if not running:
            return None
        time.sleep(HEARTBEAT_S)  # another worker's trial may still fail or go stale and come back


def _draws(trials, below: int | None = None) -> list:
    """The sampler's own draws among `trials` (a retry of a stale trial is not a new draw), numbered below `below`."""
    return [t for t in trials if "failed_trial" not in t.system_attrs and (below is None or t.number < below)
            and t.state.name != "PRUNED"]


def suggest(trial, key: str, space):
    if isinstance(space, Range):
        draw = trial.suggest_int if space.type == "int" else trial.suggest_float
        low, high = space.ends()
        return draw(key, low, high, log=space.log)
    return trial.suggest_categorical(key, space)


class Heartbeat:
    """Records this worker's trial as alive every HEARTBEAT_S, until stopped."""

    def __init__(self, storage, trial_id: int):
        self.storage, self.trial_id, self.stop = storage, trial_id, threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self.stop.is_set():
            self.storage.record_heartbeat(self.trial_id)
            self.stop.wait(HEARTBEAT_S)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def train_command(sweep: Sweep, name: str, values: dict) -> list[str]:
    out = sweep.trial_dir(name)
    return [sys.executable, "-m", "finetune.cli", "train", sweep.base, *sweep.overrides, *override_args(values),
            f"output_dir={out}", "train.resume=auto"]


def _terminate_with_parent() -> None:
    """In the trial's process, before exec: ask Linux for SIGTERM when the worker that started it dies."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_through_interrupts(process) -> None:
    """Wait for the trial to checkpoint and exit; a further Ctrl-C is forwarded (and stops it at once)."""
    while True:
        try:
            process.wait()
            return
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)


def objective_value(sweep: Sweep, run_dir: Path) -> float:
    """The objective from the trial's eval results; UserError naming what is there when it is missing."""
    task = RunFolder(run_dir).results().tasks.get(sweep.objective.task)
    if task is None:
        raise UserError(f"no results for task {sweep.objective.task} in {RunFolder(run_dir).results_file}")
    score = task.metrics.get(sweep.objective.metric)
    if score is None or not score.finite:
        raise UserError(f"metric {sweep.objective.metric} of {sweep.objective.task} is missing or not finite in "
                        f"{RunFolder(run_dir).results_file} (it has: {', '.join(task.metrics) or 'none'})")
    return float(score.value)


def run_trial(sweep: Sweep, sweep_file: Path, study, storage, trial, group: str) -> str:
    """Train and score one trial in a subprocess; tell the study how it went. Returns its final state's name."""
    from optuna.trial import TrialState

    name, values = trial.user_attrs["name"], trial.user_attrs["overrides"]
    run_dir = sweep.trial_dir(name)
    command = train_command(sweep, name, values)
    print(f"[searchtune] sweep {study.study_name}: trial {name}: {' '.join(command[3:])}", flush=True)
    # The sweep is a W&B group, each trial a run in it (wandb.init reads these; offline without a key, as always).
    env = {**os.environ, "WANDB_RUN_GROUP": group, "WANDB_JOB_TYPE": "sweep-trial"}
    # Not in the run folder: `searchtune train` refuses a folder that holds files but is no run folder yet.
    log = sweep.folder() / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        start = out.tell()  # a retry appends to the log: its failure reason is read from here on
        # Its own session: a Ctrl-C reaches the sweep only, which forwards exactly one SIGINT (a second would stop
        # training at once, without its checkpoint); and the trial gets SIGTERM if this worker dies (kill -9).
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                   preexec_fn=_terminate_with_parent)
        with Heartbeat(storage, trial._trial_id):
            try:
                code = process.wait()
            except KeyboardInterrupt:
                process.send_signal(signal.SIGINT)  # it checkpoints at the next step and exits
                _wait_through_interrupts(process)
                _retry_later(study, storage, trial, "interrupted (SIGINT); the same command continues it")
                raise
    if RunFolder(run_dir).recipe_file.is_file():
        io.write_json(run_dir / TRIAL_FILE, {"sweep": str(sweep_file), "study": study.study_name, "name": name,
                                             "number": trial.number, "overrides": values})
    if code != 0:
        return _fail(study, trial, f"searchtune train exited {code}{_exit_meaning(code)}: {_tail(log, start)}")
    try:
        value = objective_value(sweep, run_dir)
    except UserError as e:
        return _fail(study, trial, str(e))
    study.tell(trial, value)
    print(f"[searchtune] sweep {study.study_name}: trial {name}: {sweep.objective.metric}={value:.4g}", flush=True)
    return TrialState.COMPLETE.name


def _exit_meaning(code: int) -> str:
    meanings = {ExitCode.DIVERGED: " (the watchdog stopped a diverging run)", ExitCode.USAGE: " (bad input)",
                -9: " (killed, e.g. out of memory)", 137: " (killed, e.g. out of memory)"}
    return meanings.get(code, "")


def _tail(log: Path, start: int = 0) -> str:
    """The last error line of this attempt's output (the log from byte `start`), the reason shown in the store."""
    lines = [ln for ln in log.read_bytes()[start:].decode(errors="replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines or ["(no output)"])[-1][-TAIL_CHARS:]


def _fail(study, trial, reason: str) -> str:
    from optuna.trial import TrialState

    trial.set_user_attr("fail_reason", reason)
    study.tell(trial, state=TrialState.FAIL)
    print(f"[searchtune] sweep {study.study_name}: trial {trial.user_attrs['name']} failed: {reason}", file=sys.stderr,
          flush=True)
    return TrialState.FAIL.name


def _retry_later(study, storage, trial, reason: str) -> None:
    """Fail this attempt with its reason and enqueue the same trial again."""
    from optuna.trial import TrialState

    _enqueue_again(study, storage.get_trial(trial._trial_id))
    trial.set_user_attr("fail_reason", reason)
    study.tell(trial, state=TrialState.FAIL)


def _enqueue_again(study, attempt) -> None:
    """The same trial (name, overrides) waiting again, recorded as a retry of `attempt` (its number ends the copy's
    retry_history) as fail_stale_trials enqueues a dead worker's trial; the attempt's failure reason stays with it."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    attempt = copy.deepcopy(attempt)  # the callback appends to the attempt's own retry_history
    attempt.user_attrs = {k: v for k, v in attempt.user_attrs.items() if k != "fail_reason"}
    RetryHeartbeatStaleTrialCallback()(study, attempt)


def run_sweep(sweep: Sweep, sweep_file: Path, storage_url_arg: str | None = None,
              max_trials: int | None = None, retry_failed: bool = False) -> dict:
    """Run trials until none is left (or this worker ran `max_trials`); write the sweep's summary; return it.
    `retry_failed`: first enqueue again the grid's or ablation's trials that failed."""
    if retry_failed and not sweep.fixed_trials():
        raise UserError(f"--retry-failed: {sweep.output_dir} is a sampler sweep, whose failed draws count in its "
                        "budget; only a grid's or an ablation's trials are retried (raise `trials` to draw more)")
    name = Path(sweep.output_dir).name
    study, storage = open_study(sweep, name, storage_url_arg, retry_failed)
    ran = 0
    try:
        while max_trials is None or ran < max_trials:
            trial = next_trial(sweep, study, storage)
            if trial is None:
                break
            run_trial(sweep, sweep_file, study, storage, trial, group=name)
            ran += 1
    except KeyboardInterrupt:
        write_summary(sweep, study)
        raise UserError(f"sweep {name}: interrupted; the store is consistent, run the same command to continue",
                        code=ExitCode.SIGINT) from None
    return write_summary(sweep, study)


def write_summary(sweep: Sweep, study) -> dict:
    """sweep.json in the sweep folder: every trial's latest attempt, its state, value and failure reason."""
    latest = latest_attempts(study.get_trials(deepcopy=False))
    summary = {
        "study": study.study_name, "strategy": sweep.strategy, "objective": sweep.objective.model_dump(),
        "trials": [{"name": n, "number": t.number, "state": t.state.name, "value": t.value,
                    "overrides": t.user_attrs.get("overrides"), "fail_reason": t.user_attrs.get("fail_reason"),
                    "run_dir": str(sweep.trial_dir(n))} for n, t in latest.items()],
    }
    io.write_text(sweep.folder() / "sweep.json", json.dumps(summary, indent=2, default=str) + "\n")
    return summary
