"""finetune.core.locate: passages of speaker turns, retrieval of the asked-about ones within a word budget, span
recall against gold turn spans, and the records training and the eval share."""

from __future__ import annotations

import pytest

from finetune.core import locate
from tests.fakes.meeting import MEETING, TURNS


def test_passages_group_consecutive_turns_and_cover_the_transcript():
    passages = locate.split_turns(TURNS, turns_per_passage=3, max_words=1000)
    assert [(p.first_turn, p.last_turn) for p in passages] == [(i, i + 2) for i in range(0, 18, 3)]
    assert passages[0].text.splitlines()[0] == "Ann: Budget item 0: the travel budget grows by 0 percent."
    by_words = locate.split_turns(TURNS, turns_per_passage=100, max_words=25)
    assert all(p.words <= 25 for p in by_words) and by_words[-1].last_turn == 17


@pytest.mark.parametrize("retriever", ["bm25", "fused"])
def test_a_specific_query_keeps_its_passages_in_transcript_order(retriever):
    xml_words = sum(p.words for p in locate.split_turns(TURNS[6:12], turns_per_passage=2, max_words=1000))
    locator = locate.Locator(TURNS, budget=xml_words + 5, retriever=retriever, turns_per_passage=2, max_words=1000)
    located = locator.locate("XML format schema")
    kept = [(p.first_turn, p.last_turn) for p in located.passages]
    assert kept == [(6, 7), (8, 9), (10, 11)]  # the XML part of the meeting, in order; nothing else fits beside it
    assert located.document.startswith("Bob: On the XML format") and locate.GAP not in located.document
    assert locate.span_recall(located.passages, [["6", "11"]]) == 1.0
    # With room for one passage less, the third is left out; the words left fill with a shorter passage.
    smaller = locate.Locator(TURNS, budget=xml_words - 5, retriever=retriever, turns_per_passage=2, max_words=1000)
    passages = smaller.locate("XML format schema").passages
    assert len([p for p in passages if 6 <= p.first_turn <= 11]) == 2 and sum(p.words for p in passages) <= xml_words - 5


def test_gaps_are_marked_and_general_queries_spread_over_the_meeting():
    locator = locate.Locator(TURNS, budget=120, turns_per_passage=3, max_words=1000)
    general = locator.locate(None)
    firsts = [p.first_turn for p in general.passages]
    assert firsts[0] < 6 and firsts[-1] >= 12  # beginning and end of the meeting, not only its opening
    assert locate.GAP in general.document
    first = locate.Locator(TURNS, budget=70, strategy="first", turns_per_passage=3, max_words=1000).locate("lunch")
    assert [p.first_turn for p in first.passages] == [0, 3]  # the "first N tokens" baseline ignores the query


def test_span_recall():
    passages = [locate.Passage(0, 4, "a"), locate.Passage(10, 14, "b")]
    assert locate.span_recall(passages, [["3", "12"]]) == pytest.approx(5 / 10)
    assert locate.span_recall(passages, []) is None


def test_records_of_a_meeting_for_specific_and_general_queries():
    recs = locate.records(MEETING, budget=40, turns_per_passage=2, max_words=1000)
    assert [r["query_kind"] for r in recs] == ["specific", "specific", "general"]
    xml, lunch, general = recs
    assert xml["summary"].startswith("Bob said") and xml["spans"] == [[6, 11]] and xml["span_recall"] == 1 / 3
    assert lunch["document"].startswith("Cy: Lunch note") and lunch["passages"][0][0] >= 12
    assert general["span_recall"] is None and general["query"] == "Summarize the whole meeting."
    assert [r["query_kind"] for r in locate.records(MEETING, 60, queries="general")] == ["general"]
    assert locate.budget_words(1024, 160) == int((1024 - 160 - locate.PROMPT_TOKENS) / locate.TOKENS_PER_WORD)
    with pytest.raises(ValueError, match="queries"):
        locate.records(MEETING, 60, queries="some")


def test_gold_keeps_the_gold_span_passages_first_and_general_queries_as_locate_does():
    # The gold turns are the lunch notes, the query's words the XML ones: BM25 keeps an XML passage, gold the lunch.
    query = dict(MEETING["specific_query_list"][0], relevant_text_span=[["12", "13"]])
    meeting = dict(MEETING, specific_query_list=[query])
    located = locate.records(meeting, budget=40, turns_per_passage=2, max_words=1000)
    gold = locate.records(meeting, budget=40, strategy="gold", turns_per_passage=2, max_words=1000)
    assert located[0]["span_recall"] == 0.0 and gold[0]["span_recall"] == 1.0
    assert gold[0]["document"].startswith("Cy: Lunch note 0")
    assert gold[1]["document"] == located[1]["document"]  # a general query has no spans: spread as locate spreads


def test_pack_groups_consecutive_texts_within_the_budget():
    assert locate.pack(["a b", "c d", "e f g"], budget=4) == ["a b\nc d", "e f g"]
    assert locate.pack(["a b c", "d e f"], budget=4) == ["a b c", "d e f"]
    assert locate.pack(["a b c", "d e f", "g"], budget=4, shrink=True) == ["a b c\nd e f", "g"]


def test_map_reduce_summarizes_chunks_with_the_query_then_the_summaries():
    calls = []

    def summarize(records):
        calls.append(records)
        assert all(r["query"] == "XML?" for r in records)
        return [f"S{len(calls)}.{i}" for i in range(len(records))]

    summary, n = locate.map_reduce(summarize, TURNS, "XML?", budget=60, turns_per_passage=3, max_words=1000)
    chunks = calls[0]
    assert len(chunks) > 2 and all(len(c["document"].split()) <= 60 for c in chunks)
    assert "Ann: Budget item 0" in chunks[0]["document"] and "Lunch note 5" in chunks[-1]["document"]
    assert calls[1][0]["document"].startswith("S1.0\nS1.1")  # the second round reads the first round's summaries
    assert len(calls[-1]) == 1 and summary == f"S{len(calls)}.0" and n == sum(len(c) for c in calls)
    # A transcript that fits the budget is one generation.
    assert locate.map_reduce(summarize, TURNS[:2], "XML?", budget=1000)[1] == 1


def test_ranked_passages_come_first_then_those_sharing_no_term_in_transcript_order():
    class Searcher:
        def search(self, queries, k):
            return [["4", "1"]]

    locator = locate.Locator(TURNS, budget=1000, turns_per_passage=3, max_words=1000)
    locator._searcher = Searcher()
    assert locator._ranked("XML") == [4, 1, 0, 2, 3, 5]
