"""Trainer checkpoints: written atomically (staged, verified, renamed), and found again on resume.

transformers' Trainer writes `checkpoint-N` in place, file by file, so a crash mid-save leaves a folder that looks
like a checkpoint but cannot be resumed from. `stage_saves` points each save at `checkpoints/.staging/` (through
finetune/core/compat.py, the one place that touches the Trainer's internals) and renames
the finished, verified folder into place: a `checkpoint-N` folder either is complete or does not exist.
`last_checkpoint` still checks every candidate (folders from older versions, a disk that lost writes) and falls
back to the previous one with a warning.

A checkpoint holds what the engine that trained wrote, and each layout is checked as the Trainer resumes it
(transformers `Trainer._save_optimizer_and_scheduler` / `_load_from_checkpoint`):

    DDP, one process   adapter_model.safetensors, optimizer.pt, scheduler.pt
    FSDP               pytorch_model_fsdp_0/ and optimizer_0/ (SHARDED_STATE_DICT: torch.distributed.checkpoint
                       folders, accelerate `save_fsdp_model`), or pytorch_model_fsdp.bin and optimizer.bin
                       (FULL_STATE_DICT); scheduler.pt
    DeepSpeed          `latest` naming the tag folder global_stepN/, which holds the model states and one
                       optimizer shard per rank (deepspeed `DeepSpeedEngine.save_checkpoint`); the scheduler is in
                       there too
    all                trainer_state.json, rng_state.pth (one process) or rng_state_<rank>.pth (one per rank)
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import shutil
import struct
import zipfile
from pathlib import Path

PREFIX = "checkpoint"  # transformers' PREFIX_CHECKPOINT_DIR
STAGING = ".staging"
WEIGHTS = ("adapter_model.safetensors", "model.safetensors")
# torch.save archives the trainer needs to restore optimizer, schedule and RNG exactly.
STATE_FILES = ("optimizer.pt", "scheduler.pt")


def _safetensors_problem(path: Path) -> str | None:
    """Cheap structural check: the header parses and the data it describes fits the file exactly."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            if n > size - 8:
                return f"{path.name} is truncated"
            header = json.loads(f.read(n))
    except (OSError, struct.error, ValueError, UnicodeDecodeError):
        return f"{path.name} is unreadable"
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__" and isinstance(t, dict)]
    if 8 + n + max(ends, default=0) != size:
        return f"{path.name} is truncated"
    return None


def _torch_archive_problem(path: Path) -> str | None:
    # torch.save writes a zip; its central directory comes last, so a cut-short file does not open.
    try:
        with zipfile.ZipFile(path):
            return None
    except (OSError, zipfile.BadZipFile):
        return f"{path.name} is truncated or unreadable"


def _dcp_problem(folder: Path) -> str | None:
    """A torch.distributed.checkpoint folder is complete when its `.metadata` (renamed into place last) reads and
    every byte range it lists lies inside its file."""
    from torch.distributed.checkpoint import FileSystemReader

    try:
        metadata = FileSystemReader(str(folder)).read_metadata()
    except FileNotFoundError:
        return f"{folder.name}/.metadata is missing"
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        return f"{folder.name}/.metadata is unreadable"
    ends: dict[str, int] = {}
    for info in (metadata.storage_data or {}).values():
        ends[info.relative_path] = max(ends.get(info.relative_path, 0), info.offset + info.length)
    for name, end in sorted(ends.items()):
        path = folder / name
        if not path.is_file():
            return f"{folder.name}/{name} is missing"
        if path.stat().st_size < end:
            return f"{folder.name}/{name} is truncated"
    return None


def _archives_problem(folder: Path, names) -> str | None:
    for name in names:
        if not (folder / name).is_file():
            return f"{name} is missing"
        if reason := _torch_archive_problem(folder / name):
            return reason
    return None


def _world_size(folder: Path) -> int:
    # Each rank saves its RNG state: rng_state.pth alone, or rng_state_<rank>.pth for every rank.
    return len(list(folder.glob("rng_state_*.pth"))) or 1


DEEPSPEED_SHARD = re.compile(r"^(?:bf16_)?zero_pp_rank_(\d+)_mp_rank_\d+_(?:optim|model)_states\.pt$")


def _deepspeed_problem(folder: Path) -> str | None:
    try:
        tag = (folder / "latest").read_text().strip()
    except FileNotFoundError:
        return "latest is missing"  # DeepSpeed writes it after every rank's states
    except (OSError, UnicodeDecodeError):
        return "latest is unreadable"
    states = folder / tag
    if not tag or not states.is_dir():
        return f"latest names {tag!r}, which is not a folder here"
    files = sorted(p.name for p in states.iterdir() if p.name.endswith("_states.pt"))
    if not any(name.endswith("_model_states.pt") for name in files):
        return f"{tag}/ holds no model states"
    world = _world_size(folder)
    for kind in ("optim", "model"):
        ranks = {int(m.group(1)) for name in files if (m := DEEPSPEED_SHARD.match(name)) and f"_{kind}_" in name}
        if ranks and ranks != set(range(world)):
            return f"{tag}/ holds the {kind} states of ranks {sorted(ranks)}, for {world} processes"
    if reason := _archives_problem(states, files):
        return f"{tag}/{reason}"
    # The Trainer writes scheduler.pt beside DeepSpeed's states only for a scheduler DeepSpeed does not own.
    return _archives_problem(folder, ("scheduler.pt",)) if (folder / "scheduler.pt").exists() else None


def _fsdp_problem(folder: Path) -> str | None:
    if (folder / "pytorch_model_fsdp_0").is_dir():
        for name in ("pytorch_model_fsdp_0", "optimizer_0"):
            if not (folder / name).is_dir():
                return f"{name}/ is missing"
            if reason := _dcp_problem(folder / name):
                return reason
        return _archives_problem(folder, ("scheduler.pt",))
    return _archives_problem(folder, ("pytorch_model_fsdp.bin", "optimizer.bin", "scheduler.pt"))


def _single_problem(folder: Path) -> str | None:
    if not any((folder / w).is_file() for w in WEIGHTS):
        return "adapter weights are missing"
    return _archives_problem(folder, STATE_FILES)


def problem(folder: Path) -> str | None:
    """Why `folder` cannot be resumed from, or None when it is a complete checkpoint of any engine's layout."""
    state = folder / "trainer_state.json"
    try:
        if not isinstance(json.loads(state.read_text()).get("global_step"), int):
            return "trainer_state.json has no global_step"
    except FileNotFoundError:
        return "trainer_state.json is missing"
    except (OSError, ValueError, AttributeError):
        return "trainer_state.json is unreadable"
    # The adapter itself is optional under FSDP and DeepSpeed (their states hold the weights), checked when present.
    weights = next((folder / w for w in WEIGHTS if (folder / w).is_file()), None)
    if weights is not None and (reason := _safetensors_problem(weights)):
        return reason
    if (folder / "latest").exists() or any(folder.glob("global_step*")):
        reason = _deepspeed_problem(folder)
    elif any(folder.glob("pytorch_model_fsdp*")):
        reason = _fsdp_problem(folder)
    else:
        reason = _single_problem(folder)
    if reason:
        return reason
    rng = sorted(folder.glob("rng_state*.pth"))
    if not rng:
        return "rng_state.pth is missing"
    for path in rng:
        if reason := _torch_archive_problem(path):
            return reason
    return None


def _step(path: Path) -> int | None:
    suffix = path.name[len(PREFIX) + 1:]
    return int(suffix) if path.name.startswith(PREFIX + "-") and suffix.isdigit() else None


def last_checkpoint(folder: Path) -> str | None:
    """The newest complete checkpoint in `folder`, skipping (with a warning) any that is partial or corrupt."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found = sorted(((s, p) for p in folder.iterdir() if p.is_dir() and (s := _step(p)) is not None), reverse=True)
    for _, path in found:
        reason = problem(path)
        if reason is None:
            return str(path)
        print(f"[searchtune] warning: skipping checkpoint {path}: {reason}; trying the previous one", flush=True)
    return None


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_dir():
            _fsync_tree(path)  # FSDP and DeepSpeed write subfolders
        elif path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage_saves(trainer) -> None:
    """Make every `trainer` checkpoint save atomic: write under checkpoints/.staging, verify, fsync, rename."""
    from finetune.core import compat

    main = trainer.args.should_save
    run_dir = Path(trainer.args.output_dir)
    staging = run_dir / STAGING
    if main:
        shutil.rmtree(staging, ignore_errors=True)  # leftovers of a save that was killed

    def atomic_save(step: int, save) -> None:
        if main:
            shutil.rmtree(staging / f"{PREFIX}-{step}", ignore_errors=True)
        trainer.accelerator.wait_for_everyone()
        save()
        trainer.accelerator.wait_for_everyone()  # every rank has written its RNG state
        if main:
            commit(trainer, staging, step)
        trainer.accelerator.wait_for_everyone()

    compat.route_checkpoint_saves(trainer, staging, atomic_save)


def commit(trainer, staging: Path, step: int) -> None:
    """Move the verified `staging/checkpoint-<step>` into place, then rotate old checkpoints as the Trainer does."""
    from transformers.trainer_utils import rotate_checkpoints

    run_dir = staging.parent
    staged, final = staging / f"{PREFIX}-{step}", run_dir / f"{PREFIX}-{step}"
    if reason := problem(staged):
        raise RuntimeError(f"checkpoint {step} was written incompletely ({reason}); not committing it")
    _fsync_tree(staged)
    if final.exists():  # saved twice at one step (stop signal at an epoch end): the newer one wins
        old = staging / f"old-{PREFIX}-{step}"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        shutil.rmtree(old, ignore_errors=True)
    os.replace(staged, final)
    _fsync_dir(run_dir)
    with contextlib.suppress(OSError):  # it still holds something else: the next start clears it
        staging.rmdir()
    rotate_checkpoints(str(run_dir), trainer.args.save_total_limit, trainer.state.best_model_checkpoint,
                       use_mtime=True)  # a stale higher-numbered folder must not win
