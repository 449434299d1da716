"""evals.stats: per-metric n, Wilson intervals for proportions, paired intervals, the bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evals import metrics, stats


def test_bootstrap_ci_contains_point_and_shrinks_with_more_data():
    rng = np.random.default_rng(1)
    small = rng.normal(5.0, 1.0, size=50)
    large = rng.normal(5.0, 1.0, size=5000)
    p_small, lo_small, hi_small = stats.bootstrap_ci(small)
    p_large, lo_large, hi_large = stats.bootstrap_ci(large)
    assert lo_small <= p_small <= hi_small and lo_large <= p_large <= hi_large
    assert p_small == pytest.approx(small.mean())
    assert (hi_large - lo_large) < (hi_small - lo_small) / 5
    # None items are dropped, and the same seed gives the same interval.
    assert stats.bootstrap_ci(list(small) + [None]) == (p_small, lo_small, hi_small)
    assert all(np.isnan(stats.bootstrap_ci([None, None])))
    # A custom aggregate runs once per resample.
    median = stats.bootstrap_ci(small, aggregate=np.median, n_resamples=200)
    assert median[1] <= median[0] <= median[2]


def test_bootstrap_with_the_bleu_aggregate_is_corpus_bleu():
    import sacrebleu

    preds = ["the cat sat on the mat", "a dog barked loudly today", "it rained all day long"]
    refs = ["the cat sat on a mat", "a dog barked today", "it was raining all day"]
    point, low, high = stats.bootstrap_ci([metrics.bleu_stats(p, [r]) for p, r in zip(preds, refs)], "bleu",
                                          n_resamples=200)
    assert point == pytest.approx(sacrebleu.corpus_bleu(preds, [refs]).score)
    assert low <= point <= high


def test_paired_bootstrap():
    rng = np.random.default_rng(2)
    a = rng.random(300)
    diff, low, high = stats.paired_bootstrap(a, a.copy())
    assert diff == 0.0 and low <= 0.0 <= high

    b = a + rng.normal(0.1, 0.05, size=300)
    diff, low, high = stats.paired_bootstrap(a, b)
    assert diff == pytest.approx(b.mean() - a.mean())
    assert 0 < low < diff < high
    # A pair with a None on either side is dropped from both.
    assert stats.paired_bootstrap([1.0, None, 3.0], [2.0, 5.0, None], n_resamples=50) == (1.0, 1.0, 1.0)


def test_wilson_matches_the_textbook_values():
    # Wilson (1927) / Newcombe (1998) table: 81 of 263 -> [0.2553, 0.3662]; 0 of 10 -> [0, 0.2775].
    p, low, high = stats.wilson_ci(81, 263)
    assert (p, round(low, 4), round(high, 4)) == (81 / 263, 0.2553, 0.3662)
    assert tuple(round(x, 4) for x in stats.wilson_ci(0, 10)) == (0.0, 0.0, 0.2775)
    assert tuple(round(x, 4) for x in stats.wilson_ci(10, 10)) == (1.0, 0.7225, 1.0)
    assert all(np.isnan(stats.wilson_ci(0, 0)))


def test_paired_proportion_matches_newcombe():
    # Newcombe (1998) table II example (a, b, c, d) = (36, 12, 2, 0), n = 50: theta = 0.2, method 10 CI [0.0569, 0.3404].
    first = [1] * 36 + [1] * 12 + [0] * 2
    second = [1] * 36 + [0] * 12 + [1] * 2
    delta, low, high = stats.paired_proportion_ci(second, first)
    assert round(delta, 4) == 0.2 and (round(low, 4), round(high, 4)) == (0.0569, 0.3404)
    assert all(np.isnan(stats.paired_proportion_ci([], [])))


def _samples(values: dict[str, list]) -> list[dict]:
    n = len(next(iter(values.values())))
    return [{"doc_id": i, **{m: v[i] for m, v in values.items()}} for i in range(n)]


def test_a_rate_over_a_small_subset_has_its_own_n_and_a_wilson_interval():
    # 72 turns; only 14 need no rewrite, so the unnecessary-change rate is defined on 14 (defect 9).
    change_tuned = [0.0] * 14 + [None] * 58
    change_base = [1.0] * 14 + [None] * 58
    em = [1.0, 0.0] * 36
    aggregates = {"unnecessary_change_rate": "mean", "exact_match": "mean", "rouge1_recall": "mean"}
    tuned = _samples({"unnecessary_change_rate": change_tuned, "exact_match": em, "rouge1_recall": [50.0] * 72})
    base = _samples({"unnecessary_change_rate": change_base, "exact_match": em[::-1], "rouge1_recall": [40.0] * 72})

    scored = stats.score_metrics(tuned, aggregates, {})
    rate = scored["unnecessary_change_rate"]
    assert (rate["n"], rate["interval"], rate["value"], rate["ci_low"]) == (14, "wilson", 0.0, 0.0)
    assert rate["ci_high"] == pytest.approx(0.2153, abs=1e-4)  # not the bootstrap's collapsed [0, 0]
    assert scored["exact_match"]["n"] == 72 and scored["exact_match"]["interval"] == "wilson"
    assert scored["rouge1_recall"] == {"value": 50.0, "ci_low": 50.0, "ci_high": 50.0, "n": 72, "interval": "bootstrap"}
    base_rate = stats.score_metrics(base, aggregates, {})["unnecessary_change_rate"]
    assert base_rate["value"] == 1.0 and base_rate["ci_low"] == pytest.approx(0.7847, abs=1e-4)

    comparison = stats.compare_metrics(base, tuned, aggregates)
    delta = comparison["unnecessary_change_rate"]
    assert (delta["n"], delta["interval"], delta["delta"], delta["ci_low"]) == (14, "wilson", -1.0, -1.0)
    assert -1.0 < delta["ci_high"] < 0
    assert comparison["rouge1_recall"]["interval"] == "bootstrap"
    assert comparison["rouge1_recall"]["delta"] == pytest.approx(10.0)


def test_score_metrics_falls_back_to_lm_eval_stderr_and_drops_non_finite():
    samples = _samples({"perplexity": [1.0, 2.0]})
    out = stats.score_metrics(samples, {"perplexity": None, "missing": None},
                              {"perplexity,none": 3.0, "perplexity_stderr,none": 0.5})
    assert out == {"perplexity": {"value": 3.0, "ci_low": 3.0 - 0.98, "ci_high": 3.0 + 0.98, "n": 2,
                                  "interval": "stderr"}}


def test_floor_and_ceiling_metrics_are_not_compared():
    a = _samples({"ndcg": [0.1, 0.5], "ndcg" + metrics.FLOOR: [0.2, 0.2], "ndcg" + metrics.CEILING: [0.9, 0.9]})
    b = _samples({"ndcg": [0.3, 0.7], "ndcg" + metrics.FLOOR: [0.2, 0.2], "ndcg" + metrics.CEILING: [0.9, 0.9]})
    out = stats.paired_comparison(a, b, {m: "mean" for m in a[0] if m != "doc_id"})
    assert list(out) == ["ndcg"] and out["ndcg"]["delta"] == pytest.approx(0.2)


def test_gap_closed_is_a_ratio_of_paired_means_with_a_paired_interval():
    from evals.stats import gap_closed

    # Floor 0.2, ceiling 0.6, system 0.4 on average: half the gap; a turn missing a score is left out.
    system, floor, ceiling = [0.4, 0.5, 0.3, None], [0.2, 0.3, 0.1, 0.0], [0.6, 0.7, 0.5, 0.9]
    value, low, high, n = gap_closed(system, floor, ceiling)
    assert (value, n) == (pytest.approx(0.5), 3)
    # Every turn closes exactly half its own gap, so every resample does too: the paired interval is a point.
    assert low == pytest.approx(0.5) and high == pytest.approx(0.5)
    # No gap (the ceiling does not beat the floor): undefined, not infinite.
    assert math.isnan(gap_closed([0.5], [0.5], [0.5])[0])
