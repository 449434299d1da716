"""The retrieval reward: where a rewrite's relevant passages rank in the recipe's judged collection.

A rank-graded score (rank 1 scores most, a miss below `depth` scores 0), averaged over the turn's relevant passages,
is dense enough to compare samples of one turn; nDCG@3 is zero for most samples of a small model and so ranks none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

SHAPES = {
    "reciprocal": lambda rank, depth: 1.0 / rank,
    "log": lambda rank, depth: 1.0 / math.log2(rank + 1),
    "linear": lambda rank, depth: 1.0 - (rank - 1) / depth,
}


@dataclass
class Reward:
    search: object  # (queries, k) -> ranked passage ids per query
    relevant: dict[str, set[str]]  # qid -> passages at or above min_grade
    shape: str
    depth: int
    settings: dict

    @classmethod
    def from_recipe(cls, recipe) -> Reward:
        from finetune.core import retrieval

        r = recipe.reward
        corpus, qrels = cls.files(recipe)
        relevant = {q: {d for d, g in docs.items() if g >= r.min_grade} for q, docs in qrels.items()}
        searcher = retrieval.searcher(r.retriever, corpus)
        settings = {"retriever": r.retriever, "shape": r.shape, "depth": r.depth, "min_grade": r.min_grade,
                    "corpus": r.corpus, "qrels": r.qrels, "passages": len(corpus.ids),
                    "judged_queries": sum(1 for v in relevant.values() if v)}
        return cls(searcher, {q: v for q, v in relevant.items() if v}, r.shape, r.depth, settings)

    @staticmethod
    def files(recipe):
        """(corpus, qrels) of the recipe's reward section, checked against each other."""
        from finetune.core import retrieval

        r = recipe.reward
        root = Path(recipe.data.root).expanduser()
        corpus = retrieval.load_corpus(_resolve(root, r.corpus), r.corpus_columns, key="reward.corpus_columns")
        qrels = retrieval.load_qrels(_resolve(root, r.qrels), r.qrels_columns, corpus=corpus, key="reward.qrels_columns")
        return corpus, qrels

    def judged(self, qid) -> bool:
        return str(qid) in self.relevant

    def score(self, rewrites: list[str], qids: list[str]) -> list[float | None]:
        """One reward per rewrite, judged against its qid's relevant passages; None for an unjudged qid."""
        rankings = self.search(list(rewrites), self.depth)
        shape = SHAPES[self.shape]
        out = []
        for ranked, qid in zip(rankings, qids):
            relevant = self.relevant.get(str(qid))
            if not relevant:
                out.append(None)
                continue
            ranks = {pid: rank for rank, pid in enumerate(ranked[: self.depth], start=1)}
            out.append(sum(shape(ranks[p], self.depth) for p in relevant if p in ranks) / len(relevant))
        return out

    def describe(self) -> dict:
        return dict(self.settings)


def _resolve(root: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else root / p
