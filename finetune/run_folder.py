"""The run folder: its lock, the manifest, and atomic writes of what it holds."""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from finetune import secrets
from finetune.errors import UserError

PACKAGES = ("searchtune", "torch", "transformers", "peft", "trl", "datasets", "accelerate", "bitsandbytes",
            "lm_eval", "wandb", "huggingface_hub")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def package_versions(names=PACKAGES) -> dict:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    return _git("rev-parse", "HEAD")


def git_dirty() -> bool | None:
    """Whether tracked files differ from the commit: then the commit alone does not reproduce the run."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return None if status is None else bool(status)


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def hardware() -> dict:
    import torch

    cuda = torch.cuda.is_available()
    return {
        "device": "cuda" if cuda else "cpu",
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "gpu_count": torch.cuda.device_count() if cuda else 0,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def write_json(path: Path, data) -> None:
    """Write via a temp file and rename, so a reader never sees half a file."""
    write_text(path, json.dumps(data, indent=2, default=str))


def write_text(path: Path, text: str) -> None:
    """Write via a temp file and rename, with any token from the environment masked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(secrets.redact(text))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


@contextmanager
def staged_dir(final: Path):
    """Yield a temporary folder beside `final`; on success it replaces `final` in one rename."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.tmp-"))
    tmp.chmod(0o755)
    try:
        yield tmp
        if final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
