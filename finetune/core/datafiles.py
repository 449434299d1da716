"""Local data files (JSONL, JSON, CSV, Parquet) read as numbered rows, and one field of a row coerced to a task
record's type: what training reads its sources with and what `searchtune predict` reads new data with, so both accept
the same files and refuse bad ones with the same one-line errors."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

from finetune.core.errors import UserError


def read_jsonl(path: Path, limit: int | None = None) -> list[tuple[int, object]]:
    rows = []
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if limit is not None and len(rows) >= limit:
                break
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as e:
                raise UserError(f"{path}:{lineno}: not UTF-8 (bad byte at column {e.start + 1}); re-encode the file as UTF-8") from None
            if not text.strip():
                continue
            try:
                rows.append((lineno, json.loads(text)))
            except json.JSONDecodeError as e:
                raise UserError(f"{path}:{lineno}: malformed JSON ({e.msg} at column {e.colno}); fix or remove the line") from None
            except RecursionError:
                raise UserError(f"{path}:{lineno}: JSON nested too deeply; fix or remove the line") from None
            except ValueError as e:  # a number of more than 4300 digits
                raise UserError(f"{path}:{lineno}: unreadable JSON ({str(e).split(':')[0]}); fix or remove the line") from None
    return rows


def read_file(path: Path, fmt: str, limit: int | None = None) -> list[tuple[int, object]]:
    """(line or row number, record) of a local source; with `limit`, only its first rows (as far as the format
    allows reading part of a file)."""
    fmt = fmt if fmt != "auto" else path.suffix.lstrip(".").lower()
    try:
        if fmt in ("jsonl", "ndjson"):
            return read_jsonl(path, limit)
        if fmt == "json":
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            if isinstance(data, dict) and isinstance(data.get("data"), list):
                data = data["data"]
            if not isinstance(data, list):
                raise UserError(f"{path}: a .json source must hold a list of records (or {{\"data\": [...]}}); use .jsonl for one record per line")
            return [(i + 1, row) for i, row in enumerate(data[:limit])]
        if fmt == "csv":
            with open(path, newline="", encoding="utf-8-sig") as f:
                return [(i + 2, row) for i, row in zip(range(limit or sys.maxsize), csv.DictReader(f))]
        if fmt == "parquet":
            import pyarrow.parquet as pq

            if limit is not None:
                batch = next(pq.ParquetFile(path).iter_batches(batch_size=limit), None)
                return [(i + 1, row) for i, row in enumerate(batch.to_pylist() if batch is not None else [])]
            return [(i + 1, row) for i, row in enumerate(pq.read_table(path).to_pylist())]
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 (bad byte at column {e.start + 1}); re-encode the file as UTF-8") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{e.lineno}: malformed JSON ({e.msg}); fix the file") from None
    except UserError:
        raise
    except Exception as e:  # pyarrow and csv raise many types for corrupt files
        raise UserError(f"{path}: cannot read as {fmt} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); check the file") from None
    raise UserError(f"{path}: unknown format `{fmt}`; set the source's format to jsonl, json, csv or parquet")


def clean_field(value, name: str, kind: str):
    """Coerce a field to the task's type; return (value, error reason or None).

    kind: "list" (history: a list of strings), "text", or "target". A list of strings where text belongs is
    joined with spaces (sentence-split documents); for a target it means several references, and the first is
    trained on.
    """
    if (isinstance(value, str) and not encodable(value)) or (
            isinstance(value, list) and not all(encodable(v) for v in value if isinstance(v, str))):
        return None, f"field `{name}` holds invalid Unicode (a lone surrogate such as \\ud800)"
    if kind == "list":
        if value is None:
            return [], None
        if isinstance(value, str):
            return [value], None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"field `{name}` must be a list of strings"
        return value, None
    if value is None:
        return None, None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return (value[0] if kind == "target" else " ".join(value)), None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(value), None
    if isinstance(value, float):  # NaN or Infinity, which Python's json accepts: never text
        return None, f"field `{name}` must be a string, got {value}"
    if not isinstance(value, str):
        return None, f"field `{name}` must be a string, got {type(value).__name__}"
    return value, None


def encodable(text: str) -> bool:
    # JSON may escape lone surrogates ("\ud800"); no tokenizer accepts them.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
