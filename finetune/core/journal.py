"""A journal of finished work: a JSONL file of {"key", "output"} rows appended as each batch finishes, read back on
restart so that a killed job redoes only what it had not written. A kill can cut the last line short: reading skips
it and ends the file with a newline, so the next append starts a line of its own."""

from __future__ import annotations

import json
from pathlib import Path


def read(path: Path, repair: bool = True) -> dict[str, str]:
    """key -> output of every whole row; {} when the file does not exist. `repair`: end a cut-short last line, which
    only the file's own writer may do (another process may be writing that line right now)."""
    done: dict[str, str] = {}
    if not path.is_file():
        return done
    text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # the line cut short by the interruption being resumed from
            continue
        done[row["key"]] = row["output"]
    if repair and text and not text.endswith("\n"):
        with path.open("a", encoding="utf-8") as f:
            f.write("\n")
    return done


def append(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.writelines(json.dumps({"key": k, "output": o}, ensure_ascii=False) + "\n" for k, o in rows)
