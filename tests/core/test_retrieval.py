"""finetune.core.retrieval: the user-file loaders and their errors, BM25/dense/fused search with scores, IR measures
equal to trec_eval's (pytrec_eval runs trec_eval's own C code) on the example set and on CAsT 2020, run files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from finetune.core import retrieval
from finetune.core.errors import UserError

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
EXAMPLE = Path(__file__).resolve().parents[2] / "evals" / "tasks" / "query_rewrite" / "example"

TOY = {
    "p_garage": "A garage door opener stops working when the motor burns out or the remote battery dies.",
    "p_teeth": "Dentists repair a chipped tooth with bonding, veneers or a crown.",
    "p_volcano": "A volcano erupts when magma pressure in the chamber pushes lava through the crust.",
    "p_bread": "Sourdough bread rises because wild yeast ferments the flour and releases gas.",
    "p_tax": "Income tax returns are due in April; late filing adds a penalty and interest.",
    "p_cricket": "In cricket the bowler delivers the ball to the batsman who defends the wicket.",
}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def jsonl(path: Path, rows: list[dict]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in rows))


# ------------------------------------------------------------------------------------------- loaders


def test_corpus_layouts_and_errors(tmp_path):
    beir = retrieval.load_corpus(jsonl(tmp_path / "beir.jsonl", [{"_id": "d1", "title": "Bees", "text": "They dance."}]))
    assert (beir.ids, beir.texts) == (["d1"], ["Bees. They dance."])
    mapped = retrieval.load_corpus(jsonl(tmp_path / "m.jsonl", [{"pid": 7, "body": "x"}]), {"id": "pid", "text": "body"})
    assert (mapped.ids, mapped.texts) == (["7"], ["x"])
    dup = jsonl(tmp_path / "dup.jsonl", [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}, {"id": "a", "text": "z"}])
    with pytest.raises(UserError, match=rf"^{dup}:3: duplicate passage id `a` \(first on line 1\)"):
        retrieval.load_corpus(dup)
    with pytest.raises(UserError, match=r"the corpus is empty"):
        retrieval.load_corpus(write(tmp_path / "empty.jsonl", "\n"))
    with pytest.raises(UserError, match=r"m.jsonl:1: no `id` column for `id` \(columns: body, pid\); map it with `corpus_columns: \{id: COLUMN\}`"):
        retrieval.load_corpus(tmp_path / "m.jsonl")


def test_qrels_formats_and_errors(tmp_path):
    corpus = retrieval.Corpus(["a", "b"], ["x", "y"])
    expected = {"q1": {"a": 2, "b": 0}}
    assert retrieval.load_qrels(write(tmp_path / "q.txt", "q1 0 a 2\n\nq1 0 b 0\n"), corpus=corpus) == expected
    assert retrieval.load_qrels(write(tmp_path / "q.tsv", "query-id\tcorpus-id\tscore\nq1\ta\t2\nq1\tb\t0\n")) == expected
    assert retrieval.load_qrels(jsonl(tmp_path / "q.jsonl", [{"query": "q1", "doc": "a", "rel": 2}]),
                                {"qid": "query", "docid": "doc", "grade": "rel"}) == {"q1": {"a": 2}}
    for text, message in (("q1 0 a 2\nq1 0 zz 1\n", r"q.txt:2: judges passage `zz`, which is not in the corpus"),
                          ("q1 0 a 2\nq9 0 b 1\n", r"q.txt:2: judges query `q9`, which no conversation turn has"),
                          ("q1 0 a 2\nq1 0 a 1\n", r"q.txt:2: `q1` judges `a` twice"),
                          ("q1 0 a\n", r"q.txt:1: a qrels line has 4 fields \(`qid 0 docid grade`\), this one has 3 fields"),
                          ("q1 0 a high\n", r"q.txt:1: grade `high` is not an integer")):
        with pytest.raises(UserError, match=message):
            retrieval.load_qrels(write(tmp_path / "q.txt", text), corpus=corpus, queries={"q1"})


def test_conversations_with_responses_mapping_and_errors(tmp_path):
    rows = [{"id": "5_1", "utterance": "What is a heat pump?", "ctx": [], "gold": "What is a heat pump?"},
            {"id": "5_2", "utterance": "How efficient is it?", "ctx": ["What is a heat pump?"],
             "answers": ["A heat pump moves heat from outside air into the house."], "gold": "How efficient is a heat pump?"}]
    columns = {"qid": "id", "query": "utterance", "history": "ctx", "rewrite": "gold", "responses": "answers"}
    turns = retrieval.load_conversations(jsonl(tmp_path / "c.jsonl", rows), columns)
    assert turns[1] == {"qid": "5_2", "query": "How efficient is it?", "history": ["What is a heat pump?"], "line": 2,
                        "rewrite": "How efficient is a heat pump?", "conversation": "5",
                        "responses": ["A heat pump moves heat from outside air into the house."]}
    assert "responses" not in turns[0] and turns[0]["conversation"] == "5"
    with pytest.raises(UserError, match=r"c.jsonl:2: duplicate query id `5_1` \(first on line 1\)"):
        retrieval.load_conversations(jsonl(tmp_path / "c.jsonl", [rows[0], rows[0]]), columns)
    with pytest.raises(UserError, match=r"c.jsonl:1: no `query` column for `query`.*`conv: \{query: COLUMN\}`"):
        retrieval.load_conversations(tmp_path / "c.jsonl", {"qid": "id"}, key="conv")
    with pytest.raises(UserError, match=r"unknown field `answer`"):
        retrieval.load_conversations(tmp_path / "c.jsonl", {"answer": "x"})
    # A conversation none of whose turns is judged is refused at its first line.
    turns = retrieval.load_conversations(jsonl(tmp_path / "two.jsonl", [
        {"qid": "1_1", "query": "a"}, {"qid": "1_2", "query": "b"}, {"qid": "2_1", "query": "c"}]))
    retrieval.check_judged(turns[:2], {"1_2": {"p": 1}}, "two.jsonl")
    with pytest.raises(UserError, match=r"^two.jsonl:3: conversation `2` has no judged turn"):
        retrieval.check_judged(turns, {"1_2": {"p": 1}}, "two.jsonl")


# ------------------------------------------------------------------------------------------- search


def test_bm25_dense_and_fused_search_with_scores(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    corpus = retrieval.Corpus(list(TOY), list(TOY.values()))
    queries = ["garage door opener motor", "chipped tooth repair", "lava magma eruption"]
    for name in retrieval.RETRIEVERS:
        search = retrieval.searcher(name, corpus)
        assert [r[0] for r in search(queries, 3)] == ["p_garage", "p_teeth", "p_volcano"], name
        for ranked in search.scored(queries, 3):
            assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True), name
    bm25 = retrieval.BM25Index(corpus.ids, corpus.texts)
    # Stemming: "erupting"/"volcanoes" still reach the volcano passage; a query of stopwords finds nothing.
    assert bm25.search(["erupting volcanoes", "what is the"], k=3) == [["p_volcano"], []]
    # The settings reach bm25s: with b=0 document length no longer matters, so scores change.
    flat = retrieval.BM25Index(corpus.ids, corpus.texts, k1=0.9, b=0.0, method="robertson")
    assert flat.scored(["garage motor"], 1)[0][0][1] != bm25.scored(["garage motor"], 1)[0][0][1]
    with pytest.raises(UserError, match=r"bm25 method `okapi`: unknown"):
        retrieval.BM25Index(corpus.ids, corpus.texts, method="okapi")
    # Equal scores rank the higher id first, as trec_eval does.
    tied = retrieval.BM25Index(["a", "c", "b"], ["same words", "same words", "same words"])
    assert tied.search(["words"], 3) == [["c", "b", "a"]]

    cached = list((tmp_path / "cache" / "embeddings").glob("*.npy"))
    assert len(cached) == 1
    again = retrieval.DenseIndex(corpus.ids, corpus.texts)
    np.testing.assert_array_equal(again.embeddings, np.load(cached[0]))
    with pytest.raises(UserError, match=r"dense model .*nope: no such folder"):
        retrieval.DenseIndex(corpus.ids, corpus.texts, model=str(tmp_path / "nope"))


def test_reciprocal_rank_fusion():
    fused = retrieval.fuse([[["a", "b", "c"]], [["b", "d"]]], k=60)[0]
    # b: 1/62 + 1/61, a: 1/61, d: 1/62, c: 1/63.
    assert [pid for pid, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert retrieval.fuse([[["a"]], [["b"]]], k=60, depth=1) == [[("b", 1 / 61)]]  # a tie: the higher id first


# ------------------------------------------------------------------------------------------- measures


def test_measures_hand_worked_and_undefined():
    qrels = {"q": {"a": 3, "b": 2, "c": 1, "z": 0}, "only1": {"a": 1}, "zero": {"a": 0}}
    values = retrieval.evaluate({"q": ["b", "x", "a"], "only1": ["a"], "zero": ["a"]}, qrels)
    # ranked b, x, a -> gains 2, 0, 3: DCG = 2 + 0 + 3/2 = 3.5; ideal a, b, c: 3 + 2/log2(3) + 1/2 = 4.76186.
    assert values["q"]["ndcg@3"] == pytest.approx(3.5 / 4.76186, abs=1e-5)
    # Binary relevance is grade >= 2: b at rank 1; the relevant set {a, b} is found by rank 3.
    assert values["q"]["mrr@10"] == 1.0 and values["q"]["recall@10"] == 1.0
    # Grade 1 counts for nDCG only; a query with no positive grade has no measure at all.
    assert values["only1"] == {"ndcg@3": 1.0, "ndcg@10": 1.0, "mrr@10": None, "recall@10": None, "recall@100": None}
    assert set(values["zero"].values()) == {None}
    # The threshold is settable: at rel=3 only `a` (rank 3) is relevant.
    assert retrieval.evaluate({"q": ["b", "x", "a"]}, qrels, rel=3)["q"]["mrr@10"] == pytest.approx(1 / 3)
    # An empty ranking scores zero where defined.
    assert retrieval.evaluate({"q": []}, qrels)["q"]["ndcg@3"] == 0.0


def _trec_eval(qrels: dict, runs: dict, rel: int) -> dict:
    """trec_eval's own numbers through pytrec_eval; MRR@10 is recip_rank over the top 10."""
    import pytrec_eval

    full = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.3,10", "recall.10,100"}, relevance_level=rel)
    top10 = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}, relevance_level=rel)
    as_run = {q: {pid: score for pid, score in ranked} for q, ranked in runs.items()}
    a, b = full.evaluate(as_run), top10.evaluate({q: {p: s for p, s in ranked[:10]} for q, ranked in runs.items()})
    return {q: {"ndcg@3": a[q]["ndcg_cut_3"], "ndcg@10": a[q]["ndcg_cut_10"], "mrr@10": b[q]["recip_rank"],
                "recall@10": a[q]["recall_10"], "recall@100": a[q]["recall_100"]} for q in a}


def _assert_equals_trec_eval(corpus, qrels, queries: dict[str, str], tmp_path: Path, rel: int = retrieval.REL):
    """Our measures of each retriever's run equal trec_eval's on the run file we wrote (its real scores)."""
    for name in ("bm25", "fused"):
        search = retrieval.searcher(name, corpus)
        scored = dict(zip(queries, search.scored(list(queries.values()), 100)))
        path = tmp_path / f"{name}.trec"
        retrieval.write_run(path, scored, tag=name)
        from_file: dict[str, list] = {}
        for line in path.read_text().splitlines():
            qid, _, pid, _, score, _ = line.split()
            from_file.setdefault(qid, []).append((pid, float(score)))
        ours = retrieval.evaluate({q: [p for p, _ in r] for q, r in scored.items()}, qrels, rel=rel)
        theirs = _trec_eval({q: qrels[q] for q in from_file}, from_file, rel)
        compared = 0
        for qid, row in ours.items():
            for measure, value in row.items():
                if value is not None and qid in theirs:
                    assert value == pytest.approx(theirs[qid][measure], abs=1e-9), (name, qid, measure)
                    compared += 1
        assert compared > len(queries)  # most queries were compared


def test_measures_equal_trec_eval_on_the_example_set(tmp_path):
    corpus = retrieval.load_corpus(EXAMPLE / "corpus.jsonl")
    turns = retrieval.load_conversations(EXAMPLE / "conversations.jsonl")
    qrels = retrieval.load_qrels(EXAMPLE / "qrels.txt", corpus=corpus, queries={t["qid"] for t in turns})
    retrieval.check_judged(turns, qrels, EXAMPLE / "conversations.jsonl")
    for rel in (1, 2):
        _assert_equals_trec_eval(corpus, qrels, {t["qid"]: t["query"] for t in turns}, tmp_path, rel)


@pytest.mark.skipif(not (DATA / "trec-cast").is_dir(), reason="shared CAsT data not available")
def test_measures_equal_trec_eval_on_cast2020(tmp_path):
    mini = DATA / "trec-cast" / "mini-collection"
    corpus = retrieval.load_corpus(mini / "passages.jsonl", {"id": "passage_id"})
    qrels = retrieval.load_qrels(mini / "judged_pairs.jsonl", {"docid": "passage_id", "grade": "relevance"},
                                 corpus=corpus)
    turns = [json.loads(line) for line in (DATA / "trec-cast" / "cast2020_eval.jsonl").open()]
    _assert_equals_trec_eval(corpus, qrels, {t["qid"]: t["raw_utterance"] for t in turns if t["qid"] in qrels},
                             tmp_path)


def test_run_file_lines():
    lines = retrieval.run_lines({"q1": [("b", 2.5), ("a", 0.1)]}, tag="my system")
    assert lines == ["q1 Q0 b 1 2.5 mysystem\n", "q1 Q0 a 2 0.1 mysystem\n"]
