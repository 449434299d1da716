"""Map-reduce on QMSum with a run's model: each chunk of a meeting summarized with the query, then the summaries.

    .venv/bin/python scripts/qmsum_mapreduce.py --run RUN_DIR [--base] [--data qmsum=PATH] [--limit N]
        [--batch-size N] --output FILE.json

The strategy for meetings beyond any context window (finetune.core.locate.map_reduce), beside the
locate-then-summarize and first-N-tokens eval tasks (searchtune_sum_qmsum, searchtune_sum_qmsum_first). It needs
several generations per query, so it runs here on the serving engine rather than as an lm-eval task. Chunks are the
run's data.max_length budget and data.locate passages; the prompt is the run's training prompt (Engine.prompt).
Writes, per query, the summary, the reference, ROUGE-1/2/L, faithfulness against the transcript, generations and
seconds; and their means with bootstrap intervals.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from evals import metrics, registry, stats
from evals.cli import pairs
from finetune.core import io, locate
from finetune.core.errors import UserError, handle

MAX_NEW_TOKENS = 160  # as searchtune_sum_qmsum's max_gen_toks
STOP = ("\n\n",)


def queries(meeting: dict) -> list[tuple[str, str]]:
    """(query, answer) of every specific, then general, query of a meeting."""
    return [(q["query"], q["answer"]) for q in (meeting.get("specific_query_list") or [])
            + (meeting.get("general_query_list") or [])]


def interval(values: list) -> dict:
    kept = [v for v in values if v is not None]
    if not kept:
        return {"value": None, "n": 0}
    value, low, high = stats.bootstrap_ci(kept, "mean")
    return {"value": value, "ci_low": low, "ci_high": high, "n": len(kept)}


def score(args) -> int:
    from finetune.core.run import RunFolder
    from finetune.serving.engines import Decoding, open_engine

    if not args.output:
        raise UserError("--output FILE.json is required")
    recipe = RunFolder(args.run).recipe()
    if recipe is None:
        raise UserError(f"--run {args.run}: no recipe.yaml there; point --run at a training run folder")
    _, docs = registry.read_rows("qmsum", pairs("--data", args.data, "qmsum=/data/qmsum/val.jsonl"))
    todo = [(doc["meeting"], q, a) for doc in docs for q, a in queries(doc["meeting"])][: args.limit]
    budget = locate.budget_words(recipe.data.max_length, recipe.data.max_target_length)
    split = recipe.data.locate.model_dump(include={"turns_per_passage", "max_words"}) if recipe.data.locate else {}
    engine = open_engine(Path(args.run), base=args.base)
    decoding = Decoding(max_new_tokens=MAX_NEW_TOKENS, stop=STOP)

    def summarize(records: list[dict]) -> list[str]:
        prompts = [engine.prompt(r) for r in records]
        return [text.strip() for start in range(0, len(prompts), args.batch_size)
                for text in engine.generate(prompts[start:start + args.batch_size], decoding)]

    rows = []
    try:
        for meeting, query, answer in todo:
            started = time.perf_counter()
            summary, calls = locate.map_reduce(summarize, meeting["meeting_transcripts"], query, budget, **split)
            seconds = time.perf_counter() - started
            source = "\n".join(p.text for p in locate.split_turns(meeting["meeting_transcripts"]))
            rows.append({"query": query, "summary": summary, "reference": answer, **metrics.rouge(summary, [answer]),
                         "faithfulness": metrics.faithfulness(summary, source), "generations": calls,
                         "seconds": round(seconds, 2)})
    finally:
        engine.close()
    keys = ("rouge1", "rouge2", "rougeL", "faithfulness", "generations", "seconds")
    result = {"strategy": "map-reduce", "run": str(args.run), "model": "base" if args.base else "tuned",
              "budget_words": budget, "max_new_tokens": MAX_NEW_TOKENS,
              "metrics": {k: interval([r[k] for r in rows]) for k in keys}, "queries": rows}
    io.write_text(Path(args.output), json.dumps(result, indent=2) + "\n")
    print(f"map-reduce on {len(rows)} queries: " + "; ".join(
        f"{k} {result['metrics'][k]['value']:.4g}" for k in keys if result["metrics"][k]["value"] is not None))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="training run folder (its recipe gives the budget and passages)")
    parser.add_argument("--base", action="store_true", help="the run's base model without its adapter")
    parser.add_argument("--data", action="append", default=[], metavar="KEY=PATH", help="qmsum=PATH: another file")
    parser.add_argument("--limit", type=int, help="the first N queries only")
    parser.add_argument("--batch-size", type=int, default=8, help="generations per batch")
    parser.add_argument("--output", help="where to write the JSON results")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return handle(lambda: score(args), args.debug)


if __name__ == "__main__":
    sys.exit(main())
