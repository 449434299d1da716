"""Write a CAsT-2021-style copy of the CAsT 2020 conversations: `history_responses` filled with the earlier turns'
canonical responses.

    .venv/bin/python scripts/cast2020_responses.py --output FILE.jsonl [--data cast2020=PATH]
        [--data cast2020_corpus=PATH] [--overwrite]

CAsT 2020 names each earlier turn's canonical response only by passage id (`history_manual_canonical_result_ids`,
one per history turn); CAsT 2021/2022 give the text. This looks every id up in the judged mini collection
(`cast2020_corpus`, default trec-cast/mini-collection/passages.jsonl under the data root) and writes each row
unchanged but for `history_responses`: the passage text, or "" where the mini collection lacks that passage (the
prompt then shows that turn without a response). The same model can then be scored on the even topics with and
without earlier responses:

    searchtune eval --run RUN --task searchtune_qr_cast2020_even --data cast2020_even=FILE.jsonl --response-words 64
    searchtune eval --run RUN --task searchtune_qr_cast2020_even --data cast2020_even=FILE.jsonl --response-words 0

Both files are streamed (only the passages the conversations name are kept in memory); the output appears whole or
not at all. Write it outside the repository: it holds CAsT passage texts (research use only).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evals import registry
from evals.cli import pairs
from finetune.core import io
from finetune.core.errors import UserError, handle

IDS = "history_manual_canonical_result_ids"
RESPONSES = "history_responses"


def rows(path: Path, key: str):
    """(line number, object) of each non-blank line of the file of data key `key`, through the collection loader's
    own JSONL reader; a missing file names the `--data` key that points at it."""
    from finetune.core.retrieval import _jsonl_rows

    if not path.is_file():
        raise UserError(f"{path}: no such file; {registry.override_hint(key)}")
    return _jsonl_rows(path)


def canonical_ids(path: Path, lineno: int, row: dict, history: str) -> list[str]:
    """A turn's canonical response ids, one per history turn."""
    ids = row.get(IDS)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise UserError(f"{path}:{lineno}: `{IDS}` must be a list of passage ids (a CAsT 2020 topics file has one "
                        "per earlier turn); point --data cast2020 at cast2020_eval.jsonl")
    turns = row.get(history) or []
    if len(ids) != len(turns):
        raise UserError(f"{path}:{lineno}: {len(ids)} `{IDS}` for {len(turns)} `{history}`; each earlier turn needs "
                        "its canonical response id")
    return ids


def passages(path: Path, wanted: set[str], id_column: str, text_column: str) -> dict[str, str]:
    """The text of each wanted passage found in the corpus file."""
    found = {}
    for lineno, row in rows(path, "cast2020_corpus"):
        if id_column not in row or not isinstance(row.get(text_column), str):
            raise UserError(f"{path}:{lineno}: needs `{id_column}` and a string `{text_column}`; point --data "
                            "cast2020_corpus at the mini collection's passages.jsonl")
        if str(row[id_column]) in wanted:
            found[str(row[id_column])] = row[text_column]
    return found


def write(args) -> int:
    if not args.output:
        raise UserError("--output FILE.jsonl is required (write it outside the repository)")
    data = pairs("--data", args.data, "cast2020=/data/trec-cast/cast2020_eval.jsonl")
    unknown = sorted(set(data) - {"cast2020", "cast2020_corpus"})
    if unknown:
        raise UserError(f"--data {unknown[0]}=...: unknown key; keys: cast2020, cast2020_corpus")
    topics, corpus = registry.resolve_path("cast2020", data), registry.resolve_path("cast2020_corpus", data)
    output = Path(args.output)
    if output.resolve() in (topics.resolve(), corpus.resolve()):
        raise UserError(f"--output {output}: that is an input file; write the copy elsewhere")
    if output.exists() and not args.overwrite:
        raise UserError(f"--output {output} exists; pass --overwrite to replace it")
    history = registry.CAST_COLUMNS["history"]
    wanted = {i for lineno, row in rows(topics, "cast2020") for i in canonical_ids(topics, lineno, row, history)}
    columns = registry.CAST_MINI.corpus_columns
    found = passages(corpus, wanted, columns.get("id", "id"), columns.get("text", "text"))
    turns = named = filled = 0
    with io.streamed_text(output) as out:
        for lineno, row in rows(topics, "cast2020"):
            responses = [found.get(i, "") for i in canonical_ids(topics, lineno, row, history)]
            out(json.dumps({**row, RESPONSES: responses}, ensure_ascii=False) + "\n")
            turns, named, filled = turns + 1, named + len(responses), filled + sum(map(bool, responses))
    print(f"wrote {turns} turns to {output}: {filled} of {named} earlier responses found in {corpus} "
          f"({named - filled} left empty)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", help="the JSONL file to write (outside the repository)")
    parser.add_argument("--data", action="append", default=[], metavar="KEY=PATH",
                        help="cast2020=the CAsT 2020 topics file, cast2020_corpus=the mini collection's passages")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args()
    return handle(lambda: write(args), args.debug)


if __name__ == "__main__":
    sys.exit(main())
