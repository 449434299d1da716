"""Faithfulness calibration: each dataset's dev references scored as if they were summaries of their own sources.

    .venv/bin/python scripts/faithfulness_calibration.py [--data dialogsum=PATH] [--data qmsum=PATH]
        [--output FILE.json]

A reference was written by a person from its source, so the share of its numbers and capitalized spans that
evals.metrics.faithfulness finds in that source is what the metric gives a faithful summary: the calibration row to
read base and tuned against in docs/results.md. What it still misses is paraphrase (QMSum's transcripts spell numbers
out; a possessive `Kate's` is two words the dialogue may not have). DialogSum dev: each reference against its
dialogue. QMSum validation: each query's answer against its meeting's whole transcript, as speaker turns
(finetune.core.locate.split_turns, the map-reduce script's source); the searchtune_sum_qmsum task scores against the
located passages only, which can only score lower. No model; seconds. A dataset whose file is missing is skipped with
a note.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from evals import metrics, registry, stats
from evals.cli import pairs
from finetune.core import io, locate
from finetune.core.errors import handle

DATASETS = ("dialogsum", "qmsum")
TOP_UNSUPPORTED = 10  # the commonest unsupported spans shown per dataset


def reference_pairs(key: str, docs: list[dict]) -> list[tuple[str, str]]:
    """(reference, source) of every reference of a dataset's docs (evals.registry.read_rows)."""
    if key != "qmsum":
        return [(ref, doc["document"]) for doc in docs for ref in doc["references"]]
    out = []
    for doc in docs:
        meeting = doc["meeting"]
        source = "\n".join(p.text for p in locate.split_turns(meeting["meeting_transcripts"]))
        out += [(q["answer"], source) for q in (meeting.get("specific_query_list") or [])
                + (meeting.get("general_query_list") or [])]
    return out


def calibrate(examples: list[tuple[str, str]]) -> dict:
    """The mean faithfulness of the references (those with something to check), its interval, and the commonest
    unsupported spans."""
    values = [metrics.faithfulness(ref, source) for ref, source in examples]
    scored = [v for v in values if v is not None]
    value, low, high = stats.bootstrap_ci(scored, "mean") if scored else (None, None, None)
    unsupported = Counter(span for ref, source in examples for span in metrics.unsupported_spans(ref, source))
    return {"faithfulness": value, "ci_low": low, "ci_high": high, "references": len(examples), "scored": len(scored),
            "unsupported": unsupported.most_common(TOP_UNSUPPORTED)}


def score_all(args) -> int:
    overrides = pairs("--data", args.data, "qmsum=/data/qmsum/val.jsonl")
    result = {}
    for key in DATASETS:
        path = registry.resolve_path(key, overrides)
        if not path.is_file():
            print(f"{key}: skipped, {path} does not exist")
            continue
        _, docs = registry.read_rows(key, overrides)
        row = result[key] = {"path": str(path), **calibrate(reference_pairs(key, docs))}
        share = "n/a" if row["faithfulness"] is None else \
            f"{row['faithfulness']:.1f} [{row['ci_low']:.1f}, {row['ci_high']:.1f}]"
        print(f"{key} ({path}): references against their own sources, faithfulness {share} "
              f"(n={row['scored']} of {row['references']} with a number or capitalized span); unsupported: "
              + (", ".join(f"{span} x{n}" for span, n in row["unsupported"]) or "none"))
    if args.output:
        io.write_text(Path(args.output), json.dumps(result, indent=2) + "\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", default=[], metavar="KEY=PATH",
                        help="dialogsum=PATH or qmsum=PATH: another file")
    parser.add_argument("--output", help="also write the rows as JSON here")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args()
    return handle(lambda: score_all(args), args.debug)


if __name__ == "__main__":
    sys.exit(main())
