"""Confidence intervals for eval figures, each over the examples that metric actually scored.

A metric's n is its own: a rate defined only on some turns (unnecessary changes: turns that need no rewrite) counts
those turns, not the task's. Proportions (every per-example value 0 or 1: exact match, rates, accuracy) get a
Wilson score interval, which stays honest at small n and at 0 or 1, where a bootstrap collapses to [0, 0]. Their
paired differences use Newcombe's hybrid score interval, built from the two Wilson intervals. Everything else is a
percentile bootstrap over examples; corpus BLEU is bootstrapped from per-example sufficient statistics
(`metrics.bleu_stats`), so 1,000 resamples cost 1,000 cheap BLEU formulas instead of 1,000 re-tokenizations.
A retrieval measure with a floor (raw utterance) and a ceiling (reference rewrite) also gets the share of that gap the
rewrite closes, (system - floor) / (ceiling - floor), with a paired bootstrap: each resample of turns re-averages all
three, so the interval carries their correlation.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Callable

import numpy as np

from evals.metrics import AGGREGATES, CEILING, FLOOR, GAP, bleu_aggregate, bleu_from_stats, mean_aggregate

CONFIDENCE = 0.95

# Resample-batched forms of the common aggregates: (data, index matrix [B, n]) -> B scores. The bootstrap
# uses them when available; any other aggregate is called once per resample.
_BATCHED = {
    np.mean: lambda data, idx: data[idx].mean(axis=1),
    mean_aggregate: lambda data, idx: data[idx].mean(axis=1),
    bleu_aggregate: lambda data, idx: np.array([bleu_from_stats(s) for s in data[idx].sum(axis=1)]),
}
# Keep each gathered block (resamples x items x stat width) around 4M floats.
_BLOCK_ELEMENTS = 1 << 22


# --------------------------------------------------------------------------------------- results.json entries


def score_metrics(samples: list[dict], aggregates: dict, lm_results: dict,
                  higher_is_better: dict | None = None) -> dict:
    """{metric: {value, ci_low, ci_high, n, interval[, higher_is_better]}} for every figure that is finite.

    interval: "wilson" (proportions), "bootstrap", or "stderr" (lm-eval's, for aggregates with no per-example form).
    higher_is_better: the task's declaration per metric (lm-eval's `higher_is_better`), recorded where it is a bool.
    """
    out = {}
    for metric, aggregate in aggregates.items():
        values = [s.get(metric) for s in samples if s.get(metric) is not None]
        if not aggregate:
            value, low, high = _from_stderr(lm_results, metric)
            interval = "stderr"
        elif _is_proportion(values, aggregate):
            value, low, high = wilson_ci(sum(values), len(values))
            interval = "wilson"
        else:
            value, low, high = bootstrap_ci(values, aggregate)
            interval = "bootstrap"
        if _finite(value) is not None:
            out[metric] = {"value": value, "ci_low": _finite(low), "ci_high": _finite(high), "n": len(values),
                           "interval": interval}
            if isinstance((higher_is_better or {}).get(metric), bool):
                out[metric]["higher_is_better"] = higher_is_better[metric]
    for metric in aggregates:
        if aggregates[metric] == "mean" and aggregates.get(metric + FLOOR) and aggregates.get(metric + CEILING):
            value, low, high, n = gap_closed(*([s.get(metric + suffix) for s in samples] for suffix in ("", FLOOR, CEILING)))
            if _finite(value) is not None:
                out[metric + GAP] = {"value": value, "ci_low": _finite(low), "ci_high": _finite(high), "n": n,
                                     "interval": "bootstrap", "higher_is_better": True}
    return out


def gap_closed(system, floor, ceiling, n_resamples: int = 1000, confidence: float = CONFIDENCE,
               seed: int = 0) -> tuple[float, float, float, int]:
    """(mean(system) - mean(floor)) / (mean(ceiling) - mean(floor)) over the examples scored on all three, its paired
    percentile bootstrap interval, and that n. NaN where the ceiling does not beat the floor (no gap to close);
    resamples without a gap are left out of the interval."""
    rows = [row for row in zip(system, floor, ceiling) if None not in row]
    if not rows:
        return float("nan"), float("nan"), float("nan"), 0
    data = np.asarray(rows, dtype=float)

    def ratio(means: np.ndarray) -> np.ndarray:
        gap = means[..., 2] - means[..., 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(gap > 0, (means[..., 0] - means[..., 1]) / gap, np.nan)

    point = float(ratio(data.mean(axis=0)))
    if not math.isfinite(point):
        return point, float("nan"), float("nan"), len(rows)
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_ELEMENTS // data.size)
    ratios = np.concatenate([ratio(data[rng.integers(0, len(rows), size=(min(block, n_resamples - start), len(rows)))]
                                   .mean(axis=1)) for start in range(0, n_resamples, block)])
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) == 0:
        return point, float("nan"), float("nan"), len(rows)
    return (point, *_interval(ratios, confidence), len(rows))


def compare_metrics(base_samples: list[dict], tuned_samples: list[dict], aggregates: dict) -> dict:
    """Tuned minus base on the same examples (matched by doc_id)."""
    by_id = {s["doc_id"]: s for s in base_samples}
    pairs = [(by_id[s["doc_id"]], s) for s in tuned_samples if s["doc_id"] in by_id]
    return paired_comparison(
        [{m: b.get(m) for m in aggregates} for b, _ in pairs],
        [{m: t.get(m) for m in aggregates} for _, t in pairs],
        {m: a for m, a in aggregates.items() if a},
    )


def paired_comparison(scores_a: list[dict], scores_b: list[dict], aggregates: dict) -> dict:
    """{metric: {delta (b - a), ci_low, ci_high, n, interval}} over aligned per-example score dicts."""
    out = {}
    for metric, aggregate in aggregates.items():
        if metric.endswith((FLOOR, CEILING)):
            continue  # scores of the raw utterance and the human rewrite: the same texts for both models
        pairs = [(a.get(metric), b.get(metric)) for a, b in zip(scores_a, scores_b)]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        if pairs and _is_proportion([v for pair in pairs for v in pair], aggregate):
            delta, low, high = paired_proportion_ci([a for a, _ in pairs], [b for _, b in pairs])
            interval = "wilson"
        else:
            delta, low, high = paired_bootstrap([a for a, _ in pairs], [b for _, b in pairs], aggregate)
            interval = "bootstrap"
        if _finite(delta) is not None:
            out[metric] = {"delta": delta, "ci_low": _finite(low), "ci_high": _finite(high), "n": len(pairs),
                           "interval": interval}
    return out


def _is_proportion(values: list, aggregate) -> bool:
    """A mean of 0/1 outcomes (lists, such as BLEU statistics, never are)."""
    return (aggregate in ("mean", np.mean, mean_aggregate) and bool(values)
            and all(isinstance(v, (bool, int, float)) and v in (0, 1) for v in values))


def _from_stderr(lm_results: dict, metric: str) -> tuple[float, float, float]:
    value = lm_results.get(f"{metric},none")
    stderr = lm_results.get(f"{metric}_stderr,none")
    # lm-eval's standard error, widened the way its own reports do (z = 1.96).
    spread = 1.96 * stderr if isinstance(stderr, (int, float)) else float("nan")
    value = float(value) if isinstance(value, (int, float)) else float("nan")
    return value, value - spread, value + spread


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


# ----------------------------------------------------------------------------------------------- Wilson


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_ci(successes: float, n: int, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(observed proportion, Wilson score interval low, high); three NaNs when n is 0."""
    if n <= 0:
        return (float("nan"),) * 3
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return p, max(0.0, centre - half), min(1.0, centre + half)


def paired_proportion_ci(outcomes_a, outcomes_b, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """mean(b) - mean(a) for paired 0/1 outcomes with Newcombe's (1998, method 10) score interval."""
    if len(outcomes_a) != len(outcomes_b):
        raise ValueError(f"paired_proportion_ci: {len(outcomes_a)} vs {len(outcomes_b)} items; pairs must align")
    n = len(outcomes_a)
    if n == 0:
        return (float("nan"),) * 3
    both = sum(1 for a, b in zip(outcomes_a, outcomes_b) if a and b)
    only_b = sum(1 for a, b in zip(outcomes_a, outcomes_b) if b and not a)
    only_a = sum(1 for a, b in zip(outcomes_a, outcomes_b) if a and not b)
    neither = n - both - only_a - only_b
    p_b, low_b, high_b = wilson_ci(both + only_b, n, confidence)
    p_a, low_a, high_a = wilson_ci(both + only_a, n, confidence)
    # Correlation of the two outcomes; 0 when a margin is constant (the score intervals alone then bound it).
    denominator = math.sqrt((both + only_b) * (only_a + neither) * (both + only_a) * (only_b + neither))
    phi = (both * neither - only_a * only_b) / denominator if denominator else 0.0
    delta = p_b - p_a
    down = math.sqrt(max(0.0, (p_b - low_b) ** 2 - 2 * phi * (p_b - low_b) * (high_a - p_a) + (high_a - p_a) ** 2))
    up = math.sqrt(max(0.0, (high_b - p_b) ** 2 - 2 * phi * (high_b - p_b) * (p_a - low_a) + (p_a - low_a) ** 2))
    return delta, max(-1.0, delta - down), min(1.0, delta + up)


# -------------------------------------------------------------------------------------------- bootstrap


def _resolve(aggregate) -> Callable[[np.ndarray], float]:
    if isinstance(aggregate, str):
        if aggregate not in AGGREGATES:
            raise ValueError(f"unknown aggregate {aggregate!r}; choose one of {sorted(AGGREGATES)}")
        return AGGREGATES[aggregate]
    return aggregate


def _resampled_scores(data: np.ndarray, aggregate, n_resamples: int, rng: np.random.Generator):
    """Yields (index block, scores of `aggregate` on each resample in the block)."""
    n = len(data)
    width = int(np.prod(data.shape[1:], dtype=int))
    block = max(1, _BLOCK_ELEMENTS // max(1, n * width))
    batched = _BATCHED.get(aggregate)
    for start in range(0, n_resamples, block):
        idx = rng.integers(0, n, size=(min(block, n_resamples - start), n))
        scores = batched(data, idx) if batched else np.array([aggregate(data[row]) for row in idx])
        yield idx, scores


def _interval(scores: np.ndarray, confidence: float) -> tuple[float, float]:
    _z(confidence)  # validates it
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_ci(stats, aggregate=np.mean, n_resamples: int = 1000, confidence: float = CONFIDENCE,
                 seed: int = 0) -> tuple[float, float, float]:
    """(point estimate on all items, percentile CI low, high). None items are dropped first.

    `stats` holds one value per example: a number, or a stat vector such as `bleu_stats` (then pass
    aggregate="bleu"). With no items left, returns three NaNs so reports can show "n/a".
    """
    aggregate = _resolve(aggregate)
    data = np.asarray([s for s in stats if s is not None], dtype=float)
    if len(data) == 0:
        return (float("nan"),) * 3
    point = float(aggregate(data))
    rng = np.random.default_rng(seed)
    scores = np.concatenate([s for _, s in _resampled_scores(data, aggregate, n_resamples, rng)])
    return (point, *_interval(scores, confidence))


def paired_bootstrap(stats_a, stats_b, aggregate=np.mean, n_resamples: int = 1000, confidence: float = CONFIDENCE,
                     seed: int = 0) -> tuple[float, float, float]:
    """aggregate(b) - aggregate(a) on the same resampled examples, with its percentile CI.

    Pairs where either side is None are dropped. A CI that excludes 0 means b differs from a.
    """
    if len(stats_a) != len(stats_b):
        raise ValueError(f"paired_bootstrap: {len(stats_a)} vs {len(stats_b)} items; pairs must align")
    aggregate = _resolve(aggregate)
    pairs = [(a, b) for a, b in zip(stats_a, stats_b) if a is not None and b is not None]
    if not pairs:
        return (float("nan"),) * 3
    data_a = np.asarray([a for a, _ in pairs], dtype=float)
    data_b = np.asarray([b for _, b in pairs], dtype=float)
    point = float(aggregate(data_b) - aggregate(data_a))
    rng = np.random.default_rng(seed)
    batched = _BATCHED.get(aggregate)
    diffs = []
    for idx, scores_a in _resampled_scores(data_a, aggregate, n_resamples, rng):
        scores_b = batched(data_b, idx) if batched else np.array([aggregate(data_b[row]) for row in idx])
        diffs.append(scores_b - scores_a)
    return (point, *_interval(np.concatenate(diffs), confidence))
