"""`searchtune predict`: a trained run rewrites (or summarizes) every row of a JSONL, CSV or Parquet file.

The input is read and checked before any model loads, as training reads its sources (finetune.core.datafiles), with
a column mapping like a recipe source's `columns`. Every row gets the exact training prompt, built as the engines
build theirs (engines.prompt_parts) but with the tokenizer alone, so a row too long for the run's prompt budget fails
before the model loads. The prompts are sorted by length and cut into fixed batches, which go round-robin to the
processes of an `accelerate launch` (one process: all of them). Each finished batch is appended to its process's
journal beside the output (`.OUTPUT.progress-RANK.jsonl`, finetune.core.journal, keyed by a hash of prompt, decoding
and model), so a killed run resumes where it stopped, as the eval's generation cache does. When every batch is done,
the first process writes the output in input order, atomically, and removes the journals.

The batches depend neither on the number of processes nor on what a resumed run already had, so an interrupted,
resumed or sharded run generates every batch as one uninterrupted process would, and writes the same file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from finetune.core import io, journal, prompts
from finetune.core.datafiles import clean_field, read_file
from finetune.core.errors import UserError

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
# Under `accelerate launch`, a process that finishes its batches waits for the others at the end.
WAIT_TIMEOUT = timedelta(hours=6)


@dataclass
class Table:
    """The input file: its rows as read, their task records, their line (or row) numbers, and the column the
    predictions go to."""

    path: Path
    format: str
    rows: list[dict]
    records: list[dict]
    column: str
    lines: list[int]


def file_format(path: Path, flag: str) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UserError(f"{flag} {path}: unknown file type `{path.suffix or '(none)'}`; use a .jsonl, .csv or "
                        ".parquet file")
    return fmt


def parse_columns(pairs: list[str], task: str) -> dict[str, str]:
    """`--columns query=utterance history=context` as a recipe source's `columns`: task field -> file column."""
    fields = prompts.REQUIRED_FIELDS[task] + prompts.OPTIONAL_FIELDS[task]
    columns = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name or not column:
            raise UserError(f"--columns {pair}: write FIELD=COLUMN, e.g. --columns query=utterance")
        if name not in fields:
            raise UserError(f"--columns {pair}: `{name}` is not a field of task {task} (fields: "
                            f"{', '.join(sorted(fields))}; {prompts.TARGET_FIELD[task]}=NAME names the output column)")
        columns[name] = column
    return columns


def read_table(path: Path, task: str, columns: dict[str, str], limit: int | None = None) -> Table:
    """The input rows and their task records; a UserError naming the file, line and column for the first bad one."""
    if not path.is_file():
        raise UserError(f"--input {path}: no such file; pass the file to predict on")
    fmt = file_format(path, "--input")
    numbered = read_file(path, fmt, limit)
    if not numbered:
        raise UserError(f"--input {path}: no rows; pass a file with one row per {task} input")
    target = prompts.TARGET_FIELD[task]
    out_column = columns.get(target, target)
    present = {key for _, row in numbered if isinstance(row, dict) for key in row}
    for name, column in columns.items():
        if name != target and column not in present:
            raise UserError(f"--input {path}: no column `{column}` (mapped from `{name}` by --columns); its "
                            f"columns are {', '.join(sorted(present))[:200]}; fix --columns")
    if out_column in present:
        raise UserError(f"--input {path}: already has a column `{out_column}`, where the predictions would go; "
                        f"name the output column with --columns {target}=NAME")
    records = [_record(row, f"{path}:{n}", task, columns) for n, row in numbered]
    return Table(path, fmt, [row for _, row in numbered], records, out_column, [n for n, _ in numbered])


def _record(row, where: str, task: str, columns: dict[str, str]) -> dict:
    if not isinstance(row, dict):
        raise UserError(f"{where}: the row is a {type(row).__name__}, not an object; give one object per line")
    needed = prompts.REQUIRED_FIELDS[task][0]  # the other required field is the target, which predict writes
    record = {}
    for name in (needed, *prompts.OPTIONAL_FIELDS[task]):
        column = columns.get(name, name)
        mapped = f" (mapped from `{name}`)" if column != name else ""
        if name == needed and column not in row:
            raise UserError(f"{where}: missing field `{column}`{mapped}; fix the row or map the column with "
                            f"--columns {name}=COLUMN")
        value, reason = clean_field(row.get(column), column, "list" if name in ("history", "responses") else "text")
        if reason:
            raise UserError(f"{where}: {reason}; fix the row")
        record[name] = value
    if not (record[needed] or "").strip():
        raise UserError(f"{where}: empty `{columns.get(needed, needed)}`; fix or remove the row")
    return record


def prompts_for(table: Table, spec, tokenizer) -> list[str]:
    """Every row's prompt, `spec.render(tokenizer, record)` as the engines render it (engines.prompt_parts); a
    UserError naming the first row that does not fit the run's prompt budget."""
    texts = []
    for line, record in zip(table.lines, table.records):
        try:
            texts.append(spec.render(tokenizer, record))
        except UserError as e:
            raise UserError(f"{table.path}:{line}: {e}") from None
    return texts


def check_output(path: Path, overwrite: bool, input_path: Path) -> str:
    """The output's format; refuses an existing output (always complete: it is written whole or not at all)."""
    fmt = file_format(path, "--output")
    if path.resolve() == input_path.resolve():
        raise UserError(f"--output {path}: is the input file; choose another --output")
    if path.exists() and not overwrite:
        raise UserError(f"--output {path}: exists (a finished prediction); pass --overwrite to replace it, or "
                        "choose another --output")
    return fmt


def journal_path(output: Path, rank: int) -> Path:
    return output.with_name(f".{output.name}.progress-{rank}.jsonl")


def journals(output: Path) -> list[Path]:
    return sorted(output.parent.glob(f".{output.name}.progress-*.jsonl"))


def process_group():
    """(rank, number of processes, barrier): accelerate's process group under `accelerate launch`, else alone."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1, lambda: None
    import torch
    from accelerate import PartialState
    from accelerate.utils import InitProcessGroupKwargs

    state = PartialState(cpu=not torch.cuda.is_available(), **InitProcessGroupKwargs(timeout=WAIT_TIMEOUT).to_kwargs())
    return state.process_index, state.num_processes, state.wait_for_everyone


def predict(engine, table: Table, texts: list[str], output: Path, output_format: str, decoding, batch_size: int,
            rank: int = 0, world: int = 1, barrier=lambda: None) -> dict:
    """Generate this process's batches of the rows' prompts (`texts`, prompts_for), then (first process) write the
    output; returns counts for the summary."""
    from tqdm import tqdm

    keys = [_key(text, decoding, engine) for text in texts]
    order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
    batches = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
    mine = batches[rank::world]
    own = journal_path(output, rank)
    done = journal.read(own)  # repairs a line the kill cut short: this process alone appends to it
    for other in journals(output):
        if other != own:
            done.update(journal.read(other, repair=False))
    resumed = sum(all(keys[i] in done for i in batch) * len(batch) for batch in mine)
    bar = tqdm(total=sum(map(len, mine)), initial=resumed, unit="row", desc="Predicting",
               disable=rank != 0 or not sys.stderr.isatty())
    with bar:
        for batch in mine:
            if all(keys[i] in done for i in batch):
                continue
            outputs = engine.generate([texts[i] for i in batch], decoding)
            journal.append(own, [(keys[i], out) for i, out in zip(batch, outputs)])
            bar.update(len(batch))
    barrier()
    if rank == 0:
        for path in journals(output):
            done.update(journal.read(path))
        rows = [{**row, table.column: done[key]} for row, key in zip(table.rows, keys)]
        write_table(output, output_format, rows)
        for path in journals(output):
            path.unlink()
    return {"rows": len(texts), "resumed": resumed, "processes": world}


def _key(text: str, decoding, engine) -> str:
    parts = [text, asdict(decoding), engine.name, engine.model]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def write_table(path: Path, fmt: str, rows: list[dict]) -> None:
    """The output file in one atomic write (finetune.core.io)."""
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        with io.atomic_file(path, "wb") as f:
            pq.write_table(pa.Table.from_pylist(rows), f)
        return
    with io.streamed_text(path) as write:
        if fmt == "jsonl":
            for row in rows:
                write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            return
        columns = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(SimpleNamespace(write=write), columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                             for k, v in row.items()})
