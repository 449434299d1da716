"""Trainer checkpoints: written atomically (staged, verified, renamed), and found again on resume.

transformers' Trainer writes `checkpoint-N` in place, file by file, so a crash mid-save leaves a folder that looks
like a checkpoint but cannot be resumed from. `stage_saves` points each save at `checkpoints/.staging/` (through
finetune/core/compat.py, the one place that touches the Trainer's internals) and renames
the finished, verified folder into place: a `checkpoint-N` folder either is complete or does not exist.
`last_checkpoint` still checks every candidate (folders from older versions, a disk that lost writes) and falls
back to the previous one with a warning.
"""

from __future__ import annotations

import contextlib
import json
import os
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


def problem(folder: Path) -> str | None:
    """Why `folder` cannot be resumed from, or None when it is a complete checkpoint."""
    state = folder / "trainer_state.json"
    try:
        if not isinstance(json.loads(state.read_text()).get("global_step"), int):
            return "trainer_state.json has no global_step"
    except FileNotFoundError:
        return "trainer_state.json is missing"
    except (OSError, ValueError, AttributeError):
        return "trainer_state.json is unreadable"
    weights = next((folder / w for w in WEIGHTS if (folder / w).is_file()), None)
    if weights is None:
        return "adapter weights are missing"
    if reason := _safetensors_problem(weights):
        return reason
    for name in STATE_FILES:
        if not (folder / name).is_file():
            return f"{name} is missing"
        if reason := _torch_archive_problem(folder / name):
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
        if path.is_file():
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
