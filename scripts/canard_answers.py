"""Write CANARD as a retrieval benchmark: each turn's answer is its relevant passage in a corpus of all the answers.

    .venv/bin/python scripts/canard_answers.py [--split train|dev] [--history questions|answers] [--output DIR]
        [--data canard=PATH] [--overwrite]

CANARD keeps no passages, but each turn's answer (a QuAC span of the Wikipedia section) is the next turn's last
history item. This writes, in the three files the retrieval-grounded task reads:
- `corpus.jsonl`: one passage per answered turn (`id` is the turn's CANARD id, `text` its answer);
- `conversations.jsonl`: each answered turn with `qid`, `conversation` (its QuAC dialogue), `history`, `query` and
  `rewrite`; a dialogue's last turn has no answer in the file and is left out. `--history questions` (the default)
  keeps the title, the section and the earlier questions, the shape of a CAsT 2020 topic, whose history has no
  system answers; `--history answers` keeps CANARD's full history, answers included, whose far longer prompts are
  far slower to sample from;
- `qrels.txt`: TREC qrels, `qid 0 qid 2`: each turn judges its own answer relevant at grade 2 (CAsT's threshold).

The answer of a turn is never in its own history (only the next turn's), so a rewrite cannot copy it. The dpo recipe
recipes/query_rewrite/canard-dpo-smollm2-135m-lora.yaml trains on the train split's files; the dev split's are a
retrieval benchmark for `searchtune eval --task searchtune_qr_retrieval --data retrieval=DIR/conversations.jsonl
--data retrieval_corpus=DIR/corpus.jsonl --data retrieval_qrels=DIR/qrels.txt`.
The default output is $SEARCHTUNE_CANARD_ANSWERS/SPLIT (default ~/.cache/searchtune/canard-answers/SPLIT), where the
recipe looks; the folder appears whole or not at all.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from evals import registry
from evals.cli import pairs
from finetune.core import io
from finetune.core.datafiles import read_jsonl
from finetune.core.errors import UserError, handle
from finetune.core.paths import data_root

FIELDS = ("id", "quac_dialog_id", "question_no", "history", "question", "rewrite")
GRADE = 2


def default_output(split: str) -> Path:
    root = os.environ.get("SEARCHTUNE_CANARD_ANSWERS") or "~/.cache/searchtune/canard-answers"
    return Path(os.path.expanduser(root)) / split


def turns(path: Path) -> list[dict]:
    if not path.is_file():
        raise UserError(f"{path}: no such file; {registry.override_hint('canard')}")
    out = []
    for lineno, row in read_jsonl(path):
        missing = [f for f in FIELDS if not isinstance(row, dict) or f not in row]
        if missing:
            raise UserError(f"{path}:{lineno}: no `{missing[0]}`; a CANARD file (canard/train.jsonl or dev.jsonl) has "
                            f"{', '.join(FIELDS)}")
        if not isinstance(row["question_no"], int) or row["question_no"] < 1:
            raise UserError(f"{path}:{lineno}: `question_no` is {row['question_no']!r}; it must be the turn's number "
                            "in its dialogue, counted from 1")
        if not isinstance(row["history"], list) or len(row["history"]) != 2 * row["question_no"]:
            raise UserError(f"{path}:{lineno}: `history` must hold the title, the section, then a question and an "
                            f"answer per earlier turn ({2 * row['question_no']} items for question_no "
                            f"{row['question_no']}); point --data canard at a CANARD file with full history")
        out.append(row)
    return out


def answers(rows: list[dict]) -> dict[str, str]:
    """Turn id -> its answer, read from the history of the dialogue's next turn."""
    by_turn = {(r["quac_dialog_id"], r["question_no"]): r for r in rows}
    out = {}
    for (dialog, number), row in by_turn.items():
        after = by_turn.get((dialog, number + 1))
        if after is not None:
            out[row["id"]] = after["history"][-1]
    return out


def history(row: dict, keep: str) -> list[str]:
    """The title and section, then the earlier questions (and, with `answers`, each one's answer)."""
    return row["history"] if keep == "answers" else row["history"][:2] + row["history"][2::2]


def write(args) -> int:
    data = pairs("--data", args.data, "canard=/data/canard/train.jsonl")
    unknown = sorted(set(data) - {"canard"})
    if unknown:
        raise UserError(f"--data {unknown[0]}=...: unknown key; the only key is canard")
    source = Path(data["canard"]).expanduser() if "canard" in data else data_root() / "canard" / f"{args.split}.jsonl"
    output = Path(args.output).expanduser() if args.output else default_output(args.split)
    if output.exists() and not args.overwrite:
        raise UserError(f"--output {output} exists; pass --overwrite to replace it")
    rows = turns(source)
    found = answers(rows)
    if not found:
        raise UserError(f"{source}: no turn has an answer (no dialogue has two turns); nothing to judge")
    with io.staged_dir(output) as tmp:
        with open(tmp / "corpus.jsonl", "w") as f:
            f.writelines(json.dumps({"id": i, "text": a}, ensure_ascii=False) + "\n" for i, a in found.items())
        with open(tmp / "conversations.jsonl", "w") as f:
            f.writelines(json.dumps({"qid": r["id"], "conversation": r["quac_dialog_id"],
                                     "history": history(r, args.history), "query": r["question"],
                                     "rewrite": r["rewrite"]}, ensure_ascii=False) + "\n"
                         for r in rows if r["id"] in found)
        with open(tmp / "qrels.txt", "w") as f:
            f.writelines(f"{i} 0 {i} {GRADE}\n" for i in found)
    print(f"wrote {len(found)} judged turns of {len(rows)} from {source} to {output}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "dev"), default="train",
                        help="which CANARD file under the data root (canard/SPLIT.jsonl)")
    parser.add_argument("--history", choices=("questions", "answers"), default="questions",
                        help="the earlier turns' questions only (as CAsT 2020 gives them), or with their answers")
    parser.add_argument("--output", help="the folder to write (default $SEARCHTUNE_CANARD_ANSWERS/SPLIT)")
    parser.add_argument("--data", action="append", default=[], metavar="KEY=PATH",
                        help="canard=a CANARD file with full history, instead of the data root's")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args()
    return handle(lambda: write(args), args.debug)


if __name__ == "__main__":
    sys.exit(main())
