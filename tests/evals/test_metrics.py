"""evals.metrics: agreement with the reference implementations and hand-worked search metrics."""

from __future__ import annotations

import numpy as np
import pytest

from evals import metrics

PREDICTIONS = [
    "The cat sat on the mat. It was very happy.",
    "Garage door openers fail when the motor burns out.",
    "Dental crowns cost more than veneers in most cases.",
]
REFERENCES = [
    ["A cat was sitting on the mat. The cat looked happy!", "The cat sat on a mat."],
    ["A garage door opener stops working when its motor fails."],
    ["Crowns are usually more expensive than veneers.", "Veneers are cheaper.", "Crowns cost more."],
]


def test_normalize_and_exact_match():
    assert metrics.normalize("  The Quick,  brown fox!! ") == "quick brown fox"
    assert metrics.normalize("An apple a day") == "apple day"
    # Articles go only as whole words.
    assert metrics.normalize("Theater and anthem") == "theater and anthem"
    assert metrics.exact_match("What is the garage door opener?", "what is garage door opener") == 1.0
    assert metrics.exact_match("garage door opener", "garage door openers") == 0.0


def test_word_count_and_compression_ratio():
    assert metrics.word_count("one two  three\nfour") == 4
    assert metrics.compression_ratio("a b c d e f", "x y") == 3.0
    assert metrics.compression_ratio("a b c", "") == 3.0


def test_rouge_matches_rouge_score_with_max_over_references():
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    for pred, refs in zip(PREDICTIONS, REFERENCES):
        ours = metrics.rouge(pred, refs)
        for key in ("rouge1", "rouge2", "rougeL"):
            expected = max(scorer.score(ref, pred)[key].fmeasure for ref in refs) * 100
            assert ours[key] == pytest.approx(expected)
        # rougeLsum compares sentence lists: rouge_score reads them from newline-separated text.
        split = metrics.split_sentences
        expected = max(scorer.score(split(ref), split(pred))["rougeLsum"].fmeasure for ref in refs) * 100
        assert ours["rougeLsum"] == pytest.approx(expected)
    assert metrics.split_sentences("It broke. Why? Fix it!\nNow") == "It broke.\nWhy?\nFix it!\nNow"
    # The second reference matches better on rouge2 than the first: max is per key.
    multi = metrics.rouge(PREDICTIONS[0], REFERENCES[0])
    assert multi["rouge2"] > metrics.rouge(PREDICTIONS[0], REFERENCES[0][:1])["rouge2"]


def test_rouge1_recall():
    # Reference unigrams garage, door, broke: the prediction has 2 of the 3.
    from rouge_score import rouge_scorer

    expected = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True).score("garage door broke", "the garage door")
    assert metrics.rouge1_recall("the garage door", "garage door broke") == pytest.approx(
        expected["rouge1"].recall * 100
    )
    assert metrics.rouge1_recall("the garage door", "garage door broke") == pytest.approx(200 / 3)


def test_corpus_bleu_from_stats_matches_sacrebleu_with_uneven_reference_counts():
    import sacrebleu

    # sacrebleu's own layout: one stream per reference position, None where an example has fewer refs.
    streams = [
        [REFERENCES[0][0], REFERENCES[1][0], REFERENCES[2][0]],
        [REFERENCES[0][1], None, REFERENCES[2][1]],
        [None, None, REFERENCES[2][2]],
    ]
    expected = sacrebleu.corpus_bleu(PREDICTIONS, streams).score
    stats = [metrics.bleu_stats(p, refs) for p, refs in zip(PREDICTIONS, REFERENCES)]
    assert len(stats[0]) == 10
    assert metrics.bleu_from_stats(np.sum(stats, axis=0)) == pytest.approx(expected)
    assert metrics.AGGREGATES["bleu"](np.array(stats)) == pytest.approx(expected)
    single = sacrebleu.corpus_bleu(PREDICTIONS, [[refs[0] for refs in REFERENCES]]).score
    assert metrics.bleu_aggregate([metrics.bleu_stats(p, refs[:1]) for p, refs in zip(PREDICTIONS, REFERENCES)]) == (
        pytest.approx(single))
    # Every subset is its own corpus: BLEU of two examples from their summed statistics.
    assert metrics.bleu_aggregate(np.array(stats[:2])) == pytest.approx(
        sacrebleu.corpus_bleu(PREDICTIONS[:2], [s[:2] for s in streams[:2]]).score)


def test_bleu_uses_only_public_sacrebleu_api(monkeypatch):
    real = metrics._bleu()

    class PublicOnly:
        """The BLEU object as we may use it: private names (sacrebleu may change them in any release) refuse."""

        def __getattr__(self, name):
            if name.startswith("_"):
                raise AssertionError(f"private sacrebleu API used: BLEU.{name}")
            return getattr(real, name)

    monkeypatch.setattr(metrics, "_bleu", PublicOnly)
    stats = metrics.bleu_stats(PREDICTIONS[0], REFERENCES[0])
    assert metrics.bleu_from_stats(stats) == pytest.approx(real.corpus_score([PREDICTIONS[0]], [[r] for r in REFERENCES[0]]).score)


def test_history_term_recall():
    history = ["How do you know when your garage door opener is going bad?"]
    query = "Now it stopped working. Why?"
    reference = "Now my garage door opener stopped working. Why?"
    # Target words: garage, door, opener (in reference and history, not in the query).
    assert metrics.history_term_recall("Why did my garage door stop working?", reference, history, query) == (
        pytest.approx(2 / 3)
    )
    assert metrics.history_term_recall(reference, reference, history, query) == 1.0
    assert metrics.history_term_recall(query, reference, history, query) == 0.0
    # The reference adds nothing from the history: undefined.
    assert metrics.history_term_recall("x", "Why did it stop working?", history, query) is None


def test_unnecessary_change():
    query = "What is throat cancer?"
    assert metrics.unnecessary_change("what is throat cancer", query, "What is throat cancer?") == 0.0
    assert metrics.unnecessary_change("What is lung cancer?", query, "What is throat cancer?") == 1.0
    assert metrics.unnecessary_change("anything", "Is it treatable?", "Is throat cancer treatable?") is None


def test_semantic_similarity():
    scores = metrics.semantic_similarity(
        ["How much does a garage door opener repair cost?", "How much does a garage door opener repair cost?"],
        [["How much does a garage door opener repair cost?"], ["What is the capital of Mongolia?", "Volcano lava"]],
    )
    assert scores[0] == pytest.approx(100.0, abs=0.01)
    assert scores[1] < 50
    assert metrics.semantic_similarity([], []) == []


def test_first_reference_rouge_matches_rouge_score_on_the_first_reference_alone():
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    pred = "Bob moves the meeting to Friday at noon."
    refs = ["The meeting is moved.", "Bob moves the meeting to Friday at noon."]  # the second matches exactly
    first = metrics.rouge(pred, refs, protocol="_first")
    for key in ("rouge1", "rouge2", "rougeL"):
        assert first[key + "_first"] == pytest.approx(scorer.score(refs[0], pred)[key].fmeasure * 100)
    best = metrics.rouge(pred, refs)
    assert best["rouge1"] == pytest.approx(100.0) and first["rouge1_first"] < 60
    assert metrics.rouge_protocol("rouge1_first") == "first reference alone"
    assert metrics.rouge_protocol("rougeL").startswith("best over references")
    assert metrics.rouge_protocol("bleu") is None
    with pytest.raises(ValueError, match="protocol"):
        metrics.rouge(pred, refs, protocol="_last")


def test_faithfulness_counts_numbers_and_capitalized_spans_found_in_the_source():
    source = "Bob Smith said the XML format ships on March 3 for 40 users. we agreed."
    assert metrics.checkable_spans("The team: Bob Smith, 40 users, March 3, XML.") == ["40", "3", "Bob Smith", "March",
                                                                                       "XML"]
    # "Alice" and "12" are invented; "The" opening the sentence is no entity.
    summary = "The team heard Bob Smith: XML ships to 12 users, says Alice."
    assert metrics.unsupported_spans(summary, source) == ["12", "Alice"]
    assert metrics.faithfulness(summary, source) == pytest.approx(100 * 2 / 4)
    assert metrics.faithfulness("bob smith spoke", source) is None  # nothing to check
    assert metrics.faithfulness("bob said XML", source.lower()) == 100.0  # case-insensitive match
    assert metrics.unsupported_spans("Smith Bob agreed", source) == ["Smith Bob"]  # word order matters


def test_faithfulness_numbers_are_whole_words_so_dialogsum_speaker_tags_are_none():
    # The source's word is `person1`: counting its digit as a number made every DialogSum reference unfaithful.
    summary = "#Person1# tells #Person2# the train leaves at 5."
    assert metrics.checkable_spans(summary) == ["5", "Person1", "Person2"]
    assert metrics.faithfulness(summary, "#Person1#: The train leaves at 5.\n#Person2#: Thanks.") == 100.0
    # Times, decimals and percentages stay one number; digits inside a word (v2, covid19) are none.
    assert metrics.checkable_spans("At 3:30 the price rose 12.5% to $40 (v2, covid19).") == ["3:30", "12.5%", "40"]


def test_faithfulness_reads_qmsum_spelled_out_letters_as_the_word():
    source = "Bob: the L_C_D screen and the T_V_ remote"  # how QMSum's transcripts write LCD and TV
    assert metrics.unsupported_spans("The LCD screen and the TV remote.", source) == []
    assert metrics.unsupported_spans("The DVD player.", source) == ["DVD"]


def test_faithfulness_skips_sentence_openers_only_at_a_sentence_start():
    summary = "However, Bob agreed. Lastly, the team left.\nMoreover Alice Smith spoke at the After Party."
    assert metrics.checkable_spans(summary) == ["Bob", "Alice Smith", "After Party"]  # mid-sentence: part of a name
    assert {"however", "lastly", "moreover"} <= metrics.SENTENCE_OPENERS
