"""finetune.core.retrieval: hand-worked ranking metrics, toy BM25/dense indexes, and the CAsT 2020 mini collection."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from finetune.core import retrieval

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
QRELS = {"a": 3, "b": 2, "c": 1, "z": 0}

TOY = {
    "p_garage": "A garage door opener stops working when the motor burns out or the remote battery dies.",
    "p_teeth": "Dentists repair a chipped tooth with bonding, veneers or a crown.",
    "p_volcano": "A volcano erupts when magma pressure in the chamber pushes lava through the crust.",
    "p_bread": "Sourdough bread rises because wild yeast ferments the flour and releases gas.",
    "p_tax": "Income tax returns are due in April; late filing adds a penalty and interest.",
    "p_cricket": "In cricket the bowler delivers the ball to the batsman who defends the wicket.",
}


def test_ndcg_at_3_hand_worked():
    # ranked b, x, a -> gains 2, 0, 3:  DCG  = 2/log2(2) + 0/log2(3) + 3/log2(4) = 2 + 0 + 1.5 = 3.5
    # ideal  a, b, c -> gains 3, 2, 1:  IDCG = 3/1 + 2/log2(3) + 1/2 = 3 + 1.26186 + 0.5 = 4.76186
    # nDCG@3 = 3.5 / 4.76186 = 0.73501
    assert retrieval.ndcg_at_k(["b", "x", "a"], QRELS, k=3) == pytest.approx(0.73501, abs=1e-5)
    assert retrieval.ndcg_at_k(["a", "b", "c", "x"], QRELS, k=3) == pytest.approx(1.0)
    assert retrieval.ndcg_at_k(["x", "y", "z", "a"], QRELS, k=3) == 0.0
    # One judged passage of grade 1 at rank 2: (1/log2(3)) / 1 = 0.63093
    assert retrieval.ndcg_at_k(["x", "c"], {"c": 1}, k=3) == pytest.approx(1 / math.log2(3))


def test_mrr_and_recall_hand_worked():
    # Binary relevance is grade >= 2: c (grade 1) does not count by default.
    assert retrieval.mrr(["x", "c", "b"], QRELS) == pytest.approx(1 / 3)
    assert retrieval.mrr(["x", "c", "b"], QRELS, min_rel=1) == pytest.approx(1 / 2)
    assert retrieval.mrr(["x", "c", "b"], QRELS, k=2) == 0.0
    # Relevant set {a, b}.
    assert retrieval.recall_at_k(["b", "x", "c", "a"], QRELS, k=3) == 0.5
    assert retrieval.recall_at_k(["b", "x", "c", "a"], QRELS, k=4) == 1.0
    assert retrieval.recall_at_k(["b", "x", "c", "a"], QRELS, k=3, min_rel=1) == pytest.approx(2 / 3)


def _write_toy(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    with (root / "passages.jsonl").open("w") as f:
        for pid, text in TOY.items():
            f.write(json.dumps({"passage_id": pid, "text": text}) + "\n")
    pairs = [("q1", "p_garage", 4), ("q2", "p_teeth", 3), ("q2", "p_bread", 1)]
    with (root / "judged_pairs.jsonl").open("w") as f:
        for qid, pid, rel in pairs:
            f.write(json.dumps({"year": 2020, "qid": qid, "passage_id": pid, "relevance": rel}) + "\n")
    with (root / "queries.jsonl").open("w") as f:
        for qid, q in [("q1", "Why did my garage door opener stop working?"), ("q2", "How to fix a chipped tooth?")]:
            f.write(json.dumps({"year": 2020, "qid": qid, "query_shown_to_annotators": q}) + "\n")
    return root


def test_bm25_and_dense_on_toy_collection(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    collection, indexes = retrieval.get_indexes(_write_toy(tmp_path / "toy"))
    assert collection.qrels["q2"] == {"p_teeth": 3, "p_bread": 1}
    assert collection.queries["q1"].startswith("Why did my garage")
    queries = ["garage door opener motor", "chipped tooth repair", "lava magma eruption"]
    for name, index in indexes.items():
        ranked = index.search(queries, k=3)
        assert [r[0] for r in ranked] == ["p_garage", "p_teeth", "p_volcano"], name
    # Stemming: "erupting"/"volcanoes" still reach the volcano passage; a query of stopwords finds nothing.
    assert indexes["bm25"].search(["erupting volcanoes", "what is the"], k=3) == [["p_volcano"], []]

    cached = list((tmp_path / "cache" / "embeddings").glob("*.npy"))
    assert len(cached) == 1
    again = retrieval.DenseIndex(collection.passage_ids, collection.passage_texts)
    np.testing.assert_array_equal(again.embeddings, np.load(cached[0]))

    scores = retrieval.retrieval_scores(
        collection, indexes["bm25"], ["q1", "q2", "unjudged"], [collection.queries["q1"], "chipped tooth", "x"]
    )
    assert scores[0] == {"ndcg@3": 1.0, "mrr": 1.0, "recall@10": 1.0}
    assert scores[1]["mrr"] == 1.0
    assert scores[2] == {"ndcg@3": None, "mrr": None, "recall@10": None}


@pytest.mark.skipif(not (DATA / "trec-cast").is_dir(), reason="shared CAsT data not available")
def test_manual_rewrites_beat_raw_utterances_on_cast2020():
    collection, indexes = retrieval.get_indexes(DATA / "trec-cast" / "mini-collection")
    turns = [json.loads(line) for line in (DATA / "trec-cast" / "cast2020_eval.jsonl").open()]
    qids = [t["qid"] for t in turns]
    means = {}
    for field in ("raw_utterance", "manual_rewrite"):
        scores = retrieval.retrieval_scores(collection, indexes["bm25"], qids, [t[field] for t in turns])
        means[field] = float(np.mean([s["ndcg@3"] for s in scores if s["ndcg@3"] is not None]))
    print(f"BM25 nDCG@3 on CAsT 2020 mini collection: {means}")
    assert means["manual_rewrite"] > means["raw_utterance"] + 0.05
