"""Map-reduce on QMSum with a run's model: each chunk of a meeting summarized with the query, then the summaries.

    .venv/bin/python scripts/qmsum_mapreduce.py --run RUN_DIR [--base] [--data qmsum=PATH] [--meetings N]
        [--batch-size N] --output FILE.json

The strategy for meetings beyond any context window (finetune.core.locate.map_reduce), beside the
locate-then-summarize and first-N-tokens eval tasks (searchtune_sum_qmsum, searchtune_sum_qmsum_first). It needs
several generations per query, so it runs here on the transformers serving engine rather than as an lm-eval task.
Chunks are the run's data.max_length budget and data.locate passages; the prompt is the run's training prompt
(Engine.prompt: its instruction, chat template, prompt budget and length target) over each chunk, which this script
builds itself (open_engine's map_reduce). Decoding is the run's (decoding_for): greedy, the eval's stop strings, at
most eval.decoding.max_new_tokens, else searchtune_sum_qmsum's 160; the engine has no beam search, so the recipe's
other eval.decoding settings are listed in the JSON as not applied. `--meetings N` takes the first N meetings with all
their queries (a meeting's queries are consecutive, so the first N queries would be one or two meetings).
Writes, per query, the summary, its length in words (gen_length, as the eval tasks), the reference, ROUGE-1/2/L,
faithfulness against the transcript, generations and seconds; their means with bootstrap intervals; and the decoding.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from evals import metrics, registry, stats
from evals.cli import pairs
from finetune.core import io, locate
from finetune.core.errors import UserError, handle

MAX_NEW_TOKENS = 160  # as searchtune_sum_qmsum's max_gen_toks


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
    from finetune.serving.engines import decoding_for, open_engine

    if not args.output:
        raise UserError("--output FILE.json is required")
    if args.meetings is not None and args.meetings < 1:
        raise UserError(f"--meetings {args.meetings}: give at least 1 (or leave it out for every meeting)")
    recipe = RunFolder(args.run).recipe()
    if recipe is None:
        raise UserError(f"--run {args.run}: no recipe.yaml there; point --run at a training run folder")
    _, docs = registry.read_rows("qmsum", pairs("--data", args.data, "qmsum=/data/qmsum/val.jsonl"))
    meetings = [doc["meeting"] for doc in docs[: args.meetings]]
    todo = [(meeting, q, a) for meeting in meetings for q, a in queries(meeting)]
    budget = locate.budget_words(recipe.data.max_length, recipe.data.max_target_length)
    split = recipe.data.locate.model_dump(include={"turns_per_passage", "max_words"}) if recipe.data.locate else {}
    decoding = decoding_for(recipe, recipe.eval.decoding.max_new_tokens or MAX_NEW_TOKENS)
    not_applied = {k: v for k, v in recipe.eval.decoding.changes().items() if k != "max_new_tokens"}
    engine = open_engine(Path(args.run), base=args.base, map_reduce=True)

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
            rows.append({"query": query, "summary": summary, "gen_length": metrics.word_count(summary),
                         "reference": answer, **metrics.rouge(summary, [answer]),
                         "faithfulness": metrics.faithfulness(summary, source), "generations": calls,
                         "seconds": round(seconds, 2)})
    finally:
        engine.close()
    keys = ("rouge1", "rouge2", "rougeL", "faithfulness", "gen_length", "generations", "seconds")
    result = {"strategy": "map-reduce", "run": str(args.run), "model": "base" if args.base else "tuned",
              "meetings": len(meetings), "budget_words": budget,
              "decoding": {**dataclasses.asdict(decoding), "greedy": decoding.temperature == 0,
                           "not_applied": not_applied},
              "metrics": {k: interval([r[k] for r in rows]) for k in keys}, "queries": rows}
    io.write_text(Path(args.output), json.dumps(result, indent=2) + "\n")
    print(f"map-reduce on {len(rows)} queries of {result['meetings']} meetings: " + "; ".join(
        f"{k} {result['metrics'][k]['value']:.4g}" for k in keys if result["metrics"][k]["value"] is not None))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="training run folder (its recipe gives the budget and passages)")
    parser.add_argument("--base", action="store_true", help="the run's base model without its adapter")
    parser.add_argument("--data", action="append", default=[], metavar="KEY=PATH", help="qmsum=PATH: another file")
    parser.add_argument("--meetings", type=int, help="the first N meetings only, each with all its queries")
    parser.add_argument("--batch-size", type=int, default=8, help="generations per batch")
    parser.add_argument("--output", help="where to write the JSON results")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return handle(lambda: score(args), args.debug)


if __name__ == "__main__":
    sys.exit(main())
