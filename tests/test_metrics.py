"""evals.metrics: agreement with the reference implementations, hand-worked search metrics, bootstrap behaviour."""

from __future__ import annotations

import subprocess
import sys
import time

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


def test_corpus_bleu_matches_sacrebleu_with_uneven_reference_counts():
    import sacrebleu

    # sacrebleu's own layout: one stream per reference position, None where an example has fewer refs.
    streams = [
        [REFERENCES[0][0], REFERENCES[1][0], REFERENCES[2][0]],
        [REFERENCES[0][1], None, REFERENCES[2][1]],
        [None, None, REFERENCES[2][2]],
    ]
    expected = sacrebleu.corpus_bleu(PREDICTIONS, streams).score
    assert metrics.corpus_bleu(PREDICTIONS, REFERENCES) == pytest.approx(expected)
    single = sacrebleu.corpus_bleu(PREDICTIONS, [[refs[0] for refs in REFERENCES]]).score
    assert metrics.corpus_bleu(PREDICTIONS, [refs[:1] for refs in REFERENCES]) == pytest.approx(single)

    stats = [metrics.bleu_stats(p, refs) for p, refs in zip(PREDICTIONS, REFERENCES)]
    assert len(stats[0]) == 10
    assert metrics.bleu_from_stats(np.sum(stats, axis=0)) == pytest.approx(expected)
    # The bootstrap's point estimate with the BLEU aggregate is corpus BLEU as well.
    point, low, high = metrics.bootstrap_ci(stats, aggregate="bleu", n_resamples=200)
    assert point == pytest.approx(expected)
    assert low <= high


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


def test_bootstrap_ci_contains_point_and_shrinks_with_more_data():
    rng = np.random.default_rng(1)
    small = rng.normal(5.0, 1.0, size=50)
    large = rng.normal(5.0, 1.0, size=5000)
    p_small, lo_small, hi_small = metrics.bootstrap_ci(small)
    p_large, lo_large, hi_large = metrics.bootstrap_ci(large)
    assert lo_small <= p_small <= hi_small and lo_large <= p_large <= hi_large
    assert p_small == pytest.approx(small.mean())
    assert (hi_large - lo_large) < (hi_small - lo_small) / 5
    # None items are dropped, and the same seed gives the same interval.
    assert metrics.bootstrap_ci(list(small) + [None]) == (p_small, lo_small, hi_small)
    assert all(np.isnan(metrics.bootstrap_ci([None, None])))
    # A custom aggregate runs once per resample.
    median = metrics.bootstrap_ci(small, aggregate=np.median, n_resamples=200)
    assert median[1] <= median[0] <= median[2]


def test_bootstrap_is_fast_for_10k_items():
    values = np.random.default_rng(0).random(10_000)
    start = time.perf_counter()
    metrics.bootstrap_ci(values, n_resamples=1000)
    metrics.paired_bootstrap(values, values + 0.01, n_resamples=1000)
    assert time.perf_counter() - start < 5


def test_paired_bootstrap():
    rng = np.random.default_rng(2)
    a = rng.random(300)
    diff, low, high = metrics.paired_bootstrap(a, a.copy())
    assert diff == 0.0 and low <= 0.0 <= high

    b = a + rng.normal(0.1, 0.05, size=300)
    diff, low, high = metrics.paired_bootstrap(a, b)
    assert diff == pytest.approx(b.mean() - a.mean())
    assert 0 < low < diff < high
    # A pair with a None on either side is dropped from both.
    assert metrics.paired_bootstrap([1.0, None, 3.0], [2.0, 5.0, None], n_resamples=50) == (1.0, 1.0, 1.0)


def test_semantic_similarity():
    scores = metrics.semantic_similarity(
        ["How much does a garage door opener repair cost?", "How much does a garage door opener repair cost?"],
        [["How much does a garage door opener repair cost?"], ["What is the capital of Mongolia?", "Volcano lava"]],
    )
    assert scores[0] == pytest.approx(100.0, abs=0.01)
    assert scores[1] < 50
    assert metrics.semantic_similarity([], []) == []


def test_import_is_cheap():
    code = "import sys, evals.metrics, evals.retrieval; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
