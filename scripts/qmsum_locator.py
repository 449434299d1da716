"""Score the QMSum locator alone, without a model: span recall of each retriever and strategy on the same queries.

    .venv/bin/python scripts/qmsum_locator.py [--run RUN_DIR | --max-length N --max-target-length N]
        [--retrievers bm25,dense,fused] [--strategies locate,gold,first] [--data qmsum=PATH] [--output FILE.json]

Span recall is the share of a specific query's gold relevant_text_span turns inside the passages kept for it
(finetune.core.locate.span_recall, as searchtune_sum_qmsum scores it), within the word budget that the run's
data.max_length leaves (budget_words) and its data.locate passages. Each setting's mean has a bootstrap interval,
and its paired difference from the first setting too (same queries). `gold` is the locator's ceiling: it reads the
gold spans. Generating a summary takes seconds a query; locating takes milliseconds, so locator settings are worth
screening here before any training or eval.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from evals import registry, stats
from evals.cli import pairs
from finetune.core import io, locate
from finetune.core.errors import UserError, handle


def _names(flag: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise UserError(f"{flag} {value}: use a comma-separated list of {', '.join(allowed)}")
    return names


def score(args) -> int:
    retrievers = _names("--retrievers", args.retrievers, ("bm25", "dense", "fused"))
    strategies = _names("--strategies", args.strategies, locate.STRATEGIES)
    split = {}
    max_length, max_target = args.max_length, args.max_target_length
    if args.run:
        from finetune.core.run import RunFolder

        recipe = RunFolder(args.run).recipe()
        if recipe is None:
            raise UserError(f"--run {args.run}: no recipe.yaml there; point --run at a training run folder")
        max_length, max_target = recipe.data.max_length, recipe.data.max_target_length
        if recipe.data.locate:
            split = recipe.data.locate.model_dump(include={"turns_per_passage", "max_words"})
    if not max_length or not max_target or max_target >= max_length:
        raise UserError("give --run RUN_DIR, or --max-length and a smaller --max-target-length (the prompt budget)")
    budget = locate.budget_words(max_length, max_target)
    _, docs = registry.read_rows("qmsum", pairs("--data", args.data, "qmsum=/data/qmsum/val.jsonl"))
    settings = [(s, r) for s in strategies for r in (retrievers if s != "first" else retrievers[:1])]
    rows = {}
    for strategy, retriever in settings:
        started = time.perf_counter()
        recalls = [r["span_recall"] for doc in docs
                   for r in locate.records(doc["meeting"], budget, "specific", retriever, strategy, **split)]
        rows[(strategy, retriever)] = (recalls, time.perf_counter() - started)
    first = next(iter(rows))
    result = {"budget_words": budget, "meetings": len(docs), "passages": split, "settings": []}
    for (strategy, retriever), (recalls, seconds) in rows.items():
        value, low, high = stats.bootstrap_ci(recalls, "mean")
        entry = {"strategy": strategy, "retriever": None if strategy == "first" else retriever,
                 "span_recall": {"value": value, "ci_low": low, "ci_high": high,
                                 "n": sum(r is not None for r in recalls)},
                 "seconds": round(seconds, 2)}
        if (strategy, retriever) != first:
            delta, dlow, dhigh = stats.paired_bootstrap(rows[first][0], recalls, "mean")
            entry["vs_first"] = {"delta": delta, "ci_low": dlow, "ci_high": dhigh}
        result["settings"].append(entry)
        label = strategy if strategy == "first" else f"{strategy}/{retriever}"
        paired = (f"; {delta:+.3f} [{dlow:+.3f}, {dhigh:+.3f}] vs {'/'.join(first)}"
                  if "vs_first" in entry else "")
        print(f"{label}: span recall {value:.3f} [{low:.3f}, {high:.3f}] (n={entry['span_recall']['n']}, "
              f"{seconds:.1f} s){paired}")
    if args.output:
        io.write_text(Path(args.output), json.dumps(result, indent=2, allow_nan=False) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="training run folder: its recipe gives the prompt budget and the passages")
    parser.add_argument("--max-length", type=int, help="data.max_length, without --run")
    parser.add_argument("--max-target-length", type=int, help="data.max_target_length, without --run")
    parser.add_argument("--retrievers", default="bm25,dense,fused", help="comma-separated (default: all three)")
    parser.add_argument("--strategies", default="locate,gold", help="comma-separated: locate, gold, first")
    parser.add_argument("--data", action="append", default=[], metavar="KEY=PATH", help="qmsum=PATH: another file")
    parser.add_argument("--output", help="also write the JSON results here")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return handle(lambda: score(args), args.debug)


if __name__ == "__main__":
    sys.exit(main())
