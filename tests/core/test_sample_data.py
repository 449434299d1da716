"""The bundled sample data is hand-edited JSONL with no generator behind it, so this validator is its only guard."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from finetune.core import prompts
from finetune.core.paths import SAMPLE_DATA

SPLITS = {task: (f"{task}_train.jsonl", f"{task}_heldout.jsonl") for task in prompts.TASKS}
# Every row carries every key in this order, so that a hand edit shows up as a one-line diff.
KEYS = {"query_rewrite": ("id", "history", "query", "rewrite"), "summarize": ("id", "document", "query", "summary")}
ID_PATTERN = {"query_rewrite": re.compile(r"qr-\d{4}"), "summarize": re.compile(r"sum-\d{4}")}


def _one_line(value) -> bool:
    """A non-empty string on one line with single spaces and no padding."""
    return isinstance(value, str) and value != "" and value == " ".join(value.split())


def _shape(task: str, row: dict) -> list[str]:
    if task == "query_rewrite":
        bad = [f"`{key}` must be a non-empty one-line string" for key in ("query", "rewrite")
               if not _one_line(row[key])]
        history = row["history"]
        if not isinstance(history, list) or not all(_one_line(turn) for turn in history):
            bad.append("`history` must be a list of non-empty one-line strings")
        elif len(history) % 2:
            bad.append("`history` must alternate question and answer, so its length must be even")
        return bad
    bad = [] if _one_line(row["summary"]) else ["`summary` must be a non-empty one-line string"]
    document = row["document"]
    if not isinstance(document, str) or not document.strip() or document != document.strip():
        bad.append("`document` must be a non-empty string without leading or trailing whitespace")
    if row["query"] is not None and not _one_line(row["query"]):
        bad.append("`query` must be null or a non-empty one-line string")
    return bad


def _inputs(task: str, row: dict) -> list[str]:
    """The texts a held-out row must not share with train: every conversation turn, or the document."""
    return [*row["history"], row["query"]] if task == "query_rewrite" else [row["document"]]


def _read(path: Path, task: str, seen_ids: dict[str, str], found: list[str]) -> dict[str, str]:
    """Check one file row by row; return where each of its input texts first appears."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if text and not text.endswith("\n"):
        found.append(f"{path.name}:{len(lines)}: no newline at the end of the file; add one")
    where_input: dict[str, str] = {}
    seen_rows: dict[tuple, str] = {}
    for number, line in enumerate(lines, 1):
        where = f"{path.name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            found.append(f"{where}: not valid JSON ({err.msg}); write one JSON object per line")
            continue
        if not isinstance(row, dict) or tuple(row) != KEYS[task]:
            got = list(row) if isinstance(row, dict) else row
            found.append(f"{where}: keys are {got!r}; expected {list(KEYS[task])}")
            continue
        if line != json.dumps(row, ensure_ascii=False):
            found.append(f"{where}: not in canonical form; write the line as json.dumps(row, ensure_ascii=False)")
        row_id = row["id"]
        if not isinstance(row_id, str) or not ID_PATTERN[task].fullmatch(row_id):
            found.append(f"{where}: id {row_id!r} does not match {ID_PATTERN[task].pattern}")
        elif row_id in seen_ids:
            found.append(f"{where}: id {row_id} is already used at {seen_ids[row_id]}; give the row a new id")
        else:
            seen_ids[row_id] = where
        problems = _shape(task, row)
        found += [f"{where}: {problem}" for problem in problems]
        if problems:
            continue
        key = tuple(json.dumps(row[field]) for field in KEYS[task][1:-1])
        if key in seen_rows:
            found.append(f"{where}: same input as {seen_rows[key]}; drop one of the two rows")
        seen_rows.setdefault(key, where)
        for value in _inputs(task, row):
            where_input.setdefault(value, where)
    return where_input


def validate(folder: Path) -> list[str]:
    """Every problem in the bundled files as `file:line: what is wrong; the fix`."""
    found: list[str] = []
    for task, (train, heldout) in SPLITS.items():
        seen_ids: dict[str, str] = {}  # ids are unique across both splits of a task
        in_train = _read(folder / train, task, seen_ids, found)
        in_heldout = _read(folder / heldout, task, seen_ids, found)
        for value, where in in_heldout.items():
            if value in in_train:
                found.append(f"{where}: {value[:40]!r} also appears at {in_train[value]}; keep the splits disjoint")
    return found


# The retrieval fields (a turn id in judgements, earlier system responses) belong to retrieval data, not the samples.
RETRIEVAL_FIELDS = {"qid", "responses"}


def test_the_keys_are_the_task_fields_plus_an_id():
    for task, keys in KEYS.items():
        assert set(keys) == {"id", *prompts.REQUIRED_FIELDS[task], *prompts.OPTIONAL_FIELDS[task]} - RETRIEVAL_FIELDS


def test_every_bundled_file_is_valid():
    bundled = sorted(path.name for path in SAMPLE_DATA.glob("*.jsonl"))
    assert bundled == sorted(name for pair in SPLITS.values() for name in pair)
    assert validate(SAMPLE_DATA) == []


def test_the_readme_table_matches_the_files():
    table = re.findall(r"^\| `(\w+\.jsonl)` \| (\d+) \|", (SAMPLE_DATA / "README.md").read_text(encoding="utf-8"), re.M)
    counts = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in SAMPLE_DATA.glob("*.jsonl")}
    assert {name: int(rows) for name, rows in table} == counts


def _edit_row(change: Callable[[dict, dict], None]) -> Callable[[str, dict], str]:
    """A file edit that applies `change(row, first_train_row)` to line 2."""

    def edit(text: str, first_train_row: dict) -> str:
        lines = text.splitlines()
        row = json.loads(lines[1])
        change(row, first_train_row)
        lines[1] = json.dumps(row, ensure_ascii=False)
        return "\n".join(lines) + "\n"

    return edit


def _edit_line(change: Callable[[str], str]) -> Callable[[str, dict], str]:
    """A file edit that replaces line 2 by `change(line)`."""

    def edit(text: str, _: dict) -> str:
        lines = text.splitlines()
        lines[1] = change(lines[1])
        return "\n".join(lines) + "\n"

    return edit


QR_TRAIN, QR_HELDOUT = SPLITS["query_rewrite"]
SUM_TRAIN, SUM_HELDOUT = SPLITS["summarize"]
BROKEN = {
    "not-json": (QR_TRAIN, _edit_line(lambda line: line[:-1]), "not valid JSON"),
    "blank-line": (SUM_TRAIN, _edit_line(lambda _: ""), "not valid JSON"),
    "not-an-object": (SUM_HELDOUT, _edit_line(lambda _: "[1, 2]"), "keys are [1, 2]"),
    "missing-target": (QR_TRAIN, _edit_row(lambda row, _: row.pop("rewrite")), "keys are"),
    "extra-key": (SUM_TRAIN, _edit_row(lambda row, _: row.update(answer="x")), "keys are"),
    "empty-target": (SUM_HELDOUT, _edit_row(lambda row, _: row.update(summary="")), "`summary`"),
    "blank-rewrite": (QR_HELDOUT, _edit_row(lambda row, _: row.update(rewrite="  ")), "`rewrite`"),
    "padded-query": (QR_TRAIN, _edit_row(lambda row, _: row.update(query=f" {row['query']}")), "`query`"),
    "history-a-string": (QR_TRAIN, _edit_row(lambda row, _: row.update(history="who owns it?")), "`history`"),
    "history-not-str": (QR_HELDOUT, _edit_row(lambda row, _: row.update(history=[1, "x"])), "`history`"),
    "history-odd": (QR_TRAIN, _edit_row(lambda row, _: row["history"].append("and Q3?")), "length must be even"),
    "empty-document": (SUM_TRAIN, _edit_row(lambda row, _: row.update(document="\n")), "`document`"),
    "empty-focus": (SUM_TRAIN, _edit_row(lambda row, _: row.update(query="")), "`query` must be null"),
    "non-canonical": (QR_TRAIN, _edit_line(lambda line: line.replace('", "', '","', 1)), "canonical"),
    "no-final-newline": (SUM_HELDOUT, lambda text, _: text.rstrip("\n"), "no newline"),
    "bad-id": (SUM_TRAIN, _edit_row(lambda row, _: row.update(id="sum-12")), "does not match"),
    "id-reused": (QR_HELDOUT, _edit_row(lambda row, first: row.update(id=first["id"])), "already used at"),
    "same-input": (QR_TRAIN, _edit_row(lambda row, first: row.update(history=first["history"], query=first["query"])),
                   "same input as"),
    "turn-leaks": (QR_HELDOUT, _edit_row(lambda row, first: row.update(query=first["query"])), "also appears at"),
    "document-leaks": (SUM_HELDOUT, _edit_row(lambda row, first: row.update(document=first["document"])),
                       "also appears at"),
}


@pytest.mark.parametrize(("name", "edit", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_row_is_reported_with_its_line(tmp_path, name, edit, expected):
    folder = tmp_path / "sample_data"
    shutil.copytree(SAMPLE_DATA, folder)
    task = name.rsplit("_", 1)[0]
    first_train_row = json.loads((folder / SPLITS[task][0]).read_text(encoding="utf-8").splitlines()[0])
    path = folder / name
    path.write_text(edit(path.read_text(encoding="utf-8"), first_train_row), encoding="utf-8")
    found = validate(folder)
    line = len(path.read_text(encoding="utf-8").splitlines()) if expected == "no newline" else 2
    assert any(problem.startswith(f"{name}:{line}: ") and expected in problem for problem in found), found
