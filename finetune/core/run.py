"""The run folder: every path in it, typed readers and writers of its files, and its lock.

    RUN/
      .lock              held while a run trains (flock; the PID inside is for messages)
      recipe.yaml        the resolved recipe            RunFolder.recipe() / write_recipe()
      manifest.json      what ran, on what, how fast    RunFolder.manifest() -> Manifest / write_manifest()
      log_history.json   the Trainer's log history      RunFolder.log_history() / write_log_history()
      adapter/           the trained LoRA adapter (its README.md is the model card)
      checkpoints/       Trainer checkpoints
      merged/            `searchtune merge` output
      eval/              results.json (RunFolder.results() -> Results), predictions.jsonl (RunFolder.predictions()),
                         report.md, report.html
      README.md          the model card                 RunFolder.write_card()
      wandb/             W&B files (wandb.init(dir=RUN) puts them there)

The trainer writes the folder; eval, merge, the model card and push read it through this module only. Every write
goes through finetune.core.io, so each file appears whole or not at all.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import math
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from finetune.core import io
from finetune.core.errors import UserError

# What makes an existing folder a searchtune run folder that a run may take over (resume or overwrite).
RUN_FOLDER_MARKERS = (".lock", "recipe.yaml", "manifest.json", "checkpoints")
RESULTS_FILE = "results.json"
PREDICTIONS_FILE = "predictions.jsonl"
REPORT_FILES = ("report.md", "report.html")
ADAPTER_CONFIG_FILE = "adapter_config.json"
EXPORT_SETTINGS_FILE = "searchtune-export.json"  # beside an export's weights: the prompt and decoding to reproduce


# -- nested JSON objects --------------------------------------------------------------------------------------
@dataclass
class _Record:
    """A JSON object read into typed fields. Writing it back gives the keys it was read with, in their order (an
    older file may lack some fields, a newer one have keys this version does not know), so a round trip is exact."""

    _raw: dict = field(default_factory=dict, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, data: Any):
        data = data if isinstance(data, dict) else {}
        names = {f.name for f in dataclasses.fields(cls)} - {"_raw"}
        return cls(**{k: v for k, v in data.items() if k in names}, _raw=dict(data))

    def to_dict(self) -> dict:
        out = dict(self._raw)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name != "_raw" and (f.name in out or value is not None):
                out[f.name] = value
        return out

    def __bool__(self) -> bool:
        return bool(self.to_dict())  # an empty record is as falsy as the {} it was read from


@dataclass
class Hardware(_Record):
    """What training ran on (finetune.core.provenance.hardware)."""

    device: str | None = None
    gpu: str | None = None
    gpu_count: int | None = None
    cpu_count: int | None = None
    torch_threads: int | None = None
    platform: str | None = None
    python: str | None = None


@dataclass
class WandbInfo(_Record):
    """The W&B run training logged to (finetune.core.tracking.run_info); url is None when offline."""

    mode: str | None = None
    url: str | None = None
    id: str | None = None
    dir: str | None = None


@dataclass
class DataSource(_Record):
    """One training data source as read (finetune.training.data)."""

    path: str | None = None
    resolved: str | None = None
    sha256: str | None = None
    rows: int | None = None
    used_rows: int | None = None
    bad_rows_skipped: int | None = None


# -- manifest.json --------------------------------------------------------------------------------------------
@dataclass
class BaseModelInfo:
    name: str | None = None
    gguf_file: str | None = None
    resolved_path: str | None = None  # the local checkpoint training loaded (a dequantized GGUF lands in the cache)


@dataclass
class Manifest:
    """manifest.json. Field order is the file's key order; every field is optional so older folders still read."""

    task: str | None = None
    base_model: BaseModelInfo = field(default_factory=BaseModelInfo)
    packages: dict = field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool | None = None
    data: list[DataSource] = field(default_factory=list)
    train_rows: int | None = None
    eval_rows: int | None = None
    data_stats: dict = field(default_factory=dict)
    seed: int | None = None
    hardware: Hardware = field(default_factory=Hardware)
    world_size: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    train_runtime_s: float | None = None
    global_steps: int | None = None
    train_loss: float | None = None
    eval_loss: float | None = None
    train_tokens: int | None = None
    tokens_per_second: float | None = None
    # Training against retrieval (best_of_n, dpo, grpo): the method, its sampling and reward settings, its statistics.
    method: dict = field(default_factory=dict)
    wandb: WandbInfo = field(default_factory=WandbInfo)

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        known = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for key, value in data.items():
            if key not in known:
                continue  # a key a later version dropped
            if key == "base_model":
                value = BaseModelInfo(**{k: v for k, v in (value or {}).items()
                                         if k in {f.name for f in dataclasses.fields(BaseModelInfo)}})
            elif key in ("hardware", "wandb"):
                value = known[key].default_factory.from_dict(value)
            elif key == "data":
                value = [DataSource.from_dict(d) for d in value or [] if isinstance(d, dict)]
            elif value is None and known[key].default_factory is not dataclasses.MISSING:
                value = known[key].default_factory()
            values[key] = value
        return cls(**values)

    def to_dict(self) -> dict:
        def plain(value):
            if isinstance(value, _Record):
                return value.to_dict()
            if isinstance(value, list):
                return [plain(v) for v in value]
            return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value

        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


# -- eval/results.json ----------------------------------------------------------------------------------------
def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Score:
    """One metric entry: a value (or, in a comparison, a delta) with its 95% interval when there is one.

    n: the examples the metric is defined on (None in results.json written before per-metric n); interval: how the
    interval was computed ("wilson", "bootstrap" or "stderr"); higher_is_better: the task's declaration, where made."""

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    interval: str | None = None
    higher_is_better: bool | None = None
    is_delta: bool = False  # a paired difference (the entry's key is "delta")

    @classmethod
    def parse(cls, entry: Any) -> Score | None:
        if _finite(entry):
            return cls(entry)
        if not isinstance(entry, dict):
            return None
        is_delta = "value" not in entry and "delta" in entry
        return cls(entry.get("delta") if is_delta else entry.get("value"), entry.get("ci_low"), entry.get("ci_high"),
                   entry.get("n"), entry.get("interval"), entry.get("higher_is_better"), is_delta)

    @property
    def finite(self) -> bool:
        return _finite(self.value)

    @property
    def has_interval(self) -> bool:
        return _finite(self.ci_low) and _finite(self.ci_high)


def _scores(metrics: Any) -> dict[str, Score]:
    if not isinstance(metrics, dict):
        return {}
    parsed = {name: Score.parse(entry) for name, entry in metrics.items()}
    return {name: score for name, score in parsed.items() if score is not None}


@dataclass(frozen=True)
class Dataset:
    name: str | None = None
    path: str | None = None
    sha256: str | None = None
    n: int | None = None


@dataclass(frozen=True)
class TaskResult:
    name: str
    dataset: Dataset
    decoding: dict  # do_sample, max_new_tokens, apply_chat_template, batch_size, until
    metrics: dict[str, Score]
    baseline: dict[str, Score]  # the same metrics for the base model (adapter off), when it was scored
    comparison: dict[str, Score]  # tuned − base, paired
    has_baseline: bool = False  # the base model was scored (its metrics may still be empty)

    @classmethod
    def parse(cls, name: str, entry: dict) -> TaskResult:
        dataset = entry.get("dataset") if isinstance(entry.get("dataset"), dict) else {}
        baseline = entry.get("baseline") if isinstance(entry.get("baseline"), dict) else {}
        decoding = entry.get("decoding")
        return cls(
            name=name,
            dataset=Dataset(dataset.get("name"), dataset.get("path"), dataset.get("sha256"), dataset.get("n")),
            decoding=dict(decoding) if isinstance(decoding, dict) else {},
            metrics=_scores(entry.get("metrics")),
            baseline=_scores(baseline.get("metrics")),
            comparison=_scores(entry.get("comparison")),
            has_baseline=baseline.get("metrics") is not None,
        )


@dataclass(frozen=True)
class Timing:
    """Wall time of one model's generation and scoring in an eval."""

    seconds: float | None = None
    examples: int | None = None
    examples_per_second: float | None = None


@dataclass(frozen=True)
class Results:
    """A typed view of results.json (evals.pipeline writes it); `raw` is the file's content as read."""

    tasks: dict[str, TaskResult] = field(default_factory=dict)
    model: dict = field(default_factory=dict)  # base, adapter
    raw: dict = field(default_factory=dict)
    created_at: str | None = None
    timing: dict[str, Timing] = field(default_factory=dict)  # per model variant: tuned, base

    @classmethod
    def from_dict(cls, data: Any) -> Results:
        if not isinstance(data, dict) or not isinstance(data.get("tasks"), dict):
            return cls()
        tasks = {name: TaskResult.parse(name, entry) for name, entry in data["tasks"].items() if isinstance(entry, dict)}
        model = data.get("model") if isinstance(data.get("model"), dict) else {}
        timing = data.get("timing") if isinstance(data.get("timing"), dict) else {}
        timing = {variant: Timing(t.get("seconds"), t.get("examples"), t.get("examples_per_second"))
                  for variant, t in timing.items() if isinstance(t, dict)}
        return cls(tasks, model, data, data.get("created_at"), timing)


def read_results(folder: str | Path) -> Results:
    """results.json of an eval output folder; empty Results when it is absent or unreadable."""
    return Results.from_dict(read_json(Path(folder) / RESULTS_FILE))


def write_results(folder: Path, results: dict) -> None:
    """Write results.json into an eval output folder, atomically."""
    io.write_text(Path(folder) / RESULTS_FILE, json.dumps(results, indent=2, default=str, allow_nan=False) + "\n")


def decoding_line(decoding: dict) -> str:
    """The decoding settings of one task, in words (the eval report and the model card both print it)."""
    beams = int(decoding.get("num_beams") or 1)
    mode = "sampling" if decoding.get("do_sample") else f"beam search ({beams} beams)" if beams > 1 else "greedy"
    extras = "".join(f", {key}={decoding[key]}" for key in ("length_penalty", "no_repeat_ngram_size", "min_new_tokens")
                     if key in decoding)
    if decoding.get("locate"):
        extras += f", located by {decoding['locate']['strategy']}/{decoding['locate']['retriever']}"
    return (f"{mode}, max_new_tokens={decoding.get('max_new_tokens')}{extras}, "
            f"chat template {'on' if decoding.get('apply_chat_template') else 'off'}, "
            f"batch size {decoding.get('batch_size')}, stop strings {json.dumps(decoding.get('until'))}")


def read_json(path: Path) -> Any:
    """The JSON in `path`, or None when it is absent or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def adapter_config(adapter_dir: Path) -> dict:
    """adapter_config.json of a PEFT adapter folder (a run's adapter/ or any other), or {} when unreadable."""
    config = read_json(Path(adapter_dir) / ADAPTER_CONFIG_FILE)
    return config if isinstance(config, dict) else {}


def read_predictions(path: Path) -> Iterator[dict]:
    """The rows of a predictions.jsonl, streamed; blank and unreadable lines are skipped."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                yield row


# -- the folder -----------------------------------------------------------------------------------------------
class RunFolder:
    """One run folder. Paths are properties; readers return typed values (or empty ones when a file is absent)."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @classmethod
    def finished(cls, path: str | Path) -> RunFolder:
        """The run folder at `path`; raise UserError when it is not one whose training finished (no adapter)."""
        run = cls(path)
        if not run.path.is_dir():
            raise UserError(f"{run.path}: run folder not found; pass the output_dir of a finished `searchtune train` run")
        if not run.adapter_config_file.is_file():
            raise UserError(f"{run.adapter_config_file}: no trained adapter in this run folder; "
                            "pass the output_dir of a run that finished training")
        return run

    # paths
    @property
    def name(self) -> str:
        return self.path.name

    @property
    def recipe_file(self) -> Path:
        return self.path / "recipe.yaml"

    @property
    def manifest_file(self) -> Path:
        return self.path / "manifest.json"

    @property
    def log_history_file(self) -> Path:
        return self.path / "log_history.json"

    @property
    def adapter_dir(self) -> Path:
        return self.path / "adapter"

    @property
    def adapter_config_file(self) -> Path:
        return self.adapter_dir / ADAPTER_CONFIG_FILE

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def merged_dir(self) -> Path:
        return self.path / "merged"

    def export_dir(self, fmt: str = "gguf", quant: str = "q8_0") -> Path:
        """Where `searchtune export` writes the run's merged model for an engine, and where that engine looks."""
        return self.path / "export" / f"{fmt}-{quant}"

    @property
    def eval_dir(self) -> Path:
        return self.path / "eval"

    @property
    def results_file(self) -> Path:
        return self.eval_dir / RESULTS_FILE

    @property
    def predictions_file(self) -> Path:
        return self.eval_dir / PREDICTIONS_FILE

    @property
    def card_file(self) -> Path:
        return self.path / "README.md"

    # readers
    def recipe(self):
        """The resolved recipe the run trained with (a finetune.core.recipe.Recipe), or None without recipe.yaml.

        It is validated as written, without the interpolation, token and data-file checks a new recipe gets: the
        run already happened, and its data may have moved since."""
        import yaml
        from pydantic import ValidationError

        from finetune.core.recipe import Recipe

        if not self.recipe_file.is_file():
            return None
        try:
            tree = yaml.safe_load(self.recipe_file.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise UserError(f"{self.recipe_file}: invalid YAML ({str(e).splitlines()[0]}); restore the run's "
                            "resolved recipe") from None
        try:
            return Recipe.model_validate(tree, context={"resolved": True})
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "recipe"
            raise UserError(f"{self.recipe_file}: `{where}`: {first['msg']}; restore the run's resolved recipe") from None

    def manifest(self) -> Manifest:
        """manifest.json, or an empty Manifest when the run wrote none."""
        if not self.manifest_file.is_file():
            return Manifest()
        try:
            data = json.loads(self.manifest_file.read_text(encoding="utf-8"))
        except ValueError as e:
            raise UserError(f"{self.manifest_file}: invalid JSON ({e}); restore the run's manifest") from None
        return Manifest.from_dict(data) if isinstance(data, dict) else Manifest()

    def results(self, eval_dir: str | Path | None = None) -> Results:
        """eval/results.json (or that of another eval folder of this run); empty Results when unreadable."""
        return read_results(eval_dir if eval_dir is not None else self.eval_dir)

    def predictions(self, eval_dir: str | Path | None = None) -> Iterator[dict]:
        """The rows of eval/predictions.jsonl, streamed; unreadable lines are skipped."""
        return read_predictions(Path(eval_dir) / PREDICTIONS_FILE if eval_dir is not None else self.predictions_file)

    def log_history(self) -> list[dict] | None:
        """The Trainer's log history (one dict per logged step), or None when the run has none."""
        if not self.log_history_file.is_file():
            return None
        history = json.loads(self.log_history_file.read_text(encoding="utf-8"))
        return history.get("log_history") if isinstance(history, dict) else history

    def adapter_config(self) -> dict:
        return adapter_config(self.adapter_dir)

    def base_model_name(self) -> str | None:
        """model.name of the recipe, else the manifest's base model name."""
        recipe = self.recipe()
        return (recipe.model.name if recipe else None) or self.manifest().base_model.name

    # writers
    def write_recipe(self, recipe) -> None:
        from finetune.core.recipe import to_yaml

        io.write_text(self.recipe_file, to_yaml(recipe))

    def write_manifest(self, manifest: Manifest) -> None:
        io.write_json(self.manifest_file, manifest.to_dict())

    def write_log_history(self, history: list[dict]) -> None:
        io.write_json(self.log_history_file, history)

    def write_card(self, text: str) -> None:
        """The model card, as RUN/README.md and in place of PEFT's stub in RUN/adapter/README.md."""
        io.write_text(self.card_file, text)
        if self.adapter_dir.is_dir():
            io.write_text(self.adapter_dir / "README.md", text)

    # the lock
    def check_claimable(self) -> None:
        check_claimable(self.path)

    def lock(self):
        return lock(self.path)


def check_claimable(output_dir: Path) -> None:
    """Refuse an output_dir that exists, is not empty and is not a run folder: training would overwrite its files."""
    if not output_dir.exists():
        return
    if not output_dir.is_dir():
        raise UserError(f"output_dir {output_dir}: is a file; set output_dir to a new folder")
    entries = {p.name for p in output_dir.iterdir()}
    if entries and not entries & set(RUN_FOLDER_MARKERS):
        raise UserError(f"output_dir {output_dir}: exists and is not a searchtune run folder (no recipe.yaml or "
                        "checkpoints/), so training would overwrite what is there; set output_dir to a new folder")


def _holder(path: Path) -> str:
    # The holder writes its PID right after locking: give it a moment before reporting it unknown.
    for _ in range(20):
        try:
            text = path.read_text().strip()
        except OSError:
            text = ""
        if text.isdigit():
            return f"PID {text}"
        time.sleep(0.05)
    return "PID unknown"


@contextmanager
def lock(output_dir: Path):
    """Hold output_dir for one run: a second run is refused, naming the holder's PID.

    The lock is an flock on output_dir/.lock, which the kernel drops when its holder dies, so a lock file left by a
    killed run is simply taken over; the PID inside is only for the message.
    """
    check_claimable(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / ".lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(f"{output_dir}: another run ({_holder(path)}) is using this output_dir; wait for it or "
                            "set output_dir elsewhere") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the previous holder removed the file between our open and our lock: lock the new one
    stale = os.read(fd, 32).decode(errors="replace").strip()
    if stale.isdigit() and int(stale) != os.getpid():
        print(f"[searchtune] taking over the lock of PID {stale} in {output_dir} (that run is no longer running)",
              file=sys.stderr)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)
