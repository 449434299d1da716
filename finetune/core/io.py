"""The one atomic write: every file searchtune writes appears whole or not at all, with secrets masked."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from finetune.core import secrets


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(path: Path, data) -> None:
    """Write via a temp file and rename, so a reader never sees half a file."""
    write_text(path, json.dumps(data, indent=2, default=str))


def write_text(path: Path, text: str) -> None:
    """Write via a temp file and rename, with any token from the environment masked."""
    with atomic_file(path) as f:
        f.write(secrets.redact(text))


@contextmanager
def atomic_file(path: Path, mode: str = "w"):
    """Yield a temporary file beside `path`, open in `mode` ("w" for UTF-8 text, "wb" for bytes); it takes the name
    `path` only when the block completes, so a reader (another process, a later run) never sees half a file. Text
    written here is not masked: write_text and streamed_text are the ways to write text that might hold a token."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def staged_dir(final: Path, keep_existing: bool = False):
    """Yield a temporary folder beside `final`; on success it replaces `final` in one rename.

    keep_existing: a `final` that exists by then stays and the staged copy is dropped (a cache another process
    filled first holds the same content, and readers may have it open)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.tmp-"))
    tmp.chmod(0o755)
    try:
        yield tmp
        if final.exists() and keep_existing:
            return
        if final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def streamed_text(path: Path):
    """Yield `write(text)`, which appends to a temporary file beside `path` (secrets masked); the file takes the name
    `path` only when the block completes, so a long file written piece by piece also appears whole or not at all."""
    with atomic_file(path) as f:
        yield lambda text: f.write(secrets.redact(text))
