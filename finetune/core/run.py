"""The run folder: its lock and what makes a folder one."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from finetune.core.errors import UserError


# What makes an existing folder a searchtune run folder that a run may take over (resume or overwrite).
RUN_FOLDER_MARKERS = (".lock", "recipe.yaml", "manifest.json", "checkpoints")


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
