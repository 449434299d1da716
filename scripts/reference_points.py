"""Score the trivial baselines that published papers quote, with the eval module's own scorers and intervals.

    .venv/bin/python scripts/reference_points.py [--data KEY=PATH ...]

- CANARD dev: the question copied unchanged (the "copy" row of the CANARD paper): BLEU, ROUGE-1 recall, exact match.
  Disfl-QA dev: the disfluent question copied unchanged, with the same scorers.
- TREC CAsT 2020: the automatic rewrite that the organizers ship with each turn, searched in the mini collection
  like a model's rewrite (BM25, dense and fused nDCG@3, Recall@10, and the share of the raw-to-human gap it
  closes), over all topics and over the even topics that retrieval-trained recipes are reported on.
- DialogSum dev: the first two turns of the dialogue (the "Longest-2"/lead style baseline of the DialogSum paper):
  ROUGE-1/2/L, best over references.
- AESLC dev: the email's first six words as its subject; SciTLDR dev: the abstract's first sentence.

These need no model, so a fine-tuned model's scores in docs/results.md can be read against them. Sources whose
data file is missing are skipped with a note.
"""
from __future__ import annotations

import argparse
import json
import sys
from functools import partial

from evals import benchmark, metrics, registry, stats
from evals.cli import pairs
from evals.tasks.utils import process_query_rewrite
from finetune.core.errors import handle


def first_turns(dialogue: str, n: int = 2) -> str:
    return " ".join([line for line in dialogue.splitlines() if line.strip()][:n])


def first_sentence(text: str) -> str:
    return metrics.split_sentences(text).split("\n")[0]


def first_words(text: str, n: int = 6) -> str:
    return " ".join(text.split()[:n])


def interval(values, aggregate="mean") -> str:
    point, low, high = stats.bootstrap_ci(values, aggregate)
    return f"{point:.4g} [{low:.4g}, {high:.4g}]"


def score_rewrites(docs: list[dict], overrides: dict) -> list[str]:
    preds = [d["query"] for d in docs]
    refs = [d["references"][0] for d in docs]
    return [
        f"BLEU {interval([metrics.bleu_stats(p, [r]) for p, r in zip(preds, refs)], 'bleu')}",
        f"ROUGE-1 recall {interval([metrics.rouge1_recall(p, r) for p, r in zip(preds, refs)])}",
        f"exact match {interval([metrics.exact_match(p, r) for p, r in zip(preds, refs)])}",
    ]


def score_automatic_rewrites(key: str, docs: list[dict], overrides: dict) -> list[str]:
    """The rewrite that ships with each CAsT 2020 turn (`automatic_rewrite`), searched like a model's rewrite, over
    the turns of source `key` (all topics, or the even ones that retrieval-trained recipes are reported on)."""
    with registry.resolve_path(key, overrides).open(encoding="utf-8") as f:
        automatic = {str(row["qid"]): row.get("automatic_rewrite") for row in map(json.loads, filter(str.strip, f))}
    docs = benchmark.prepare(key, docs, None, overrides)
    scores = [process_query_rewrite(d, [automatic.get(d["qid"]) or d["query"]]) for d in docs]
    out = [f"BLEU {interval([s['bleu'] for s in scores], 'bleu')}"]
    for metric in ("bm25_ndcg@3", "bm25_recall@10", "dense_ndcg@3", "fused_ndcg@3"):
        judged = [s for s in scores if s.get(metric) is not None]
        value, raw, human = (sum(s[metric + suffix] for s in judged) / len(judged) for suffix in ("", "_raw", "_manual"))
        gap = "no gap" if human == raw else f"{(value - raw) / (human - raw):.0%} of the gap"
        out.append(f"{metric} {interval([s[metric] for s in judged])} (raw {raw:.3f}, human {human:.3f}: {gap})")
    return out


def score_summaries(docs: list[dict], baseline) -> list[str]:
    scores = [metrics.rouge(baseline(d["document"]), d["references"]) for d in docs]
    return [f"{key} {interval([s[key] for s in scores])}" for key in ("rouge1", "rouge2", "rougeL")]


BASELINES = {
    "canard": ("question copied unchanged", score_rewrites),
    "disflqa": ("disfluent question copied unchanged", score_rewrites),
    "cast2020": ("the automatic rewrite shipped with the topics", partial(score_automatic_rewrites, "cast2020")),
    "cast2020_even": ("the same, even topics only", partial(score_automatic_rewrites, "cast2020_even")),
    "dialogsum": ("first two turns", lambda docs, _: score_summaries(docs, first_turns)),
    "aeslc": ("first six words of the email", lambda docs, _: score_summaries(docs, first_words)),
    "scitldr": ("first sentence of the abstract", lambda docs, _: score_summaries(docs, first_sentence)),
}


def score_all(data: list[str]) -> int:
    overrides = pairs("--data", data, "canard=/data/canard/dev.jsonl")
    for key, (name, score) in BASELINES.items():
        path = registry.resolve_path(key, overrides)
        if not path.is_file():
            print(f"{key}: skipped, {path} does not exist")
            continue
        _, docs = registry.read_rows(key, overrides)
        print(f"{key} ({path}, n={len(docs)}), {name}: " + "; ".join(score(docs, overrides)))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", default=[], metavar="KEY=PATH", help="override a dev file")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args()
    return handle(lambda: score_all(args.data), args.debug)


if __name__ == "__main__":
    sys.exit(main())
