"""Text metrics for rewrites and summaries, and the corpus-level aggregates of their per-example values.

Every scorer here works on one example (or one batch) and returns plain floats, so lm-eval's
`process_results`, the eval CLI and the reports can all share them. Corpus BLEU is computed from per-example
sufficient statistics (`bleu_stats`), so any subset's BLEU (a bootstrap resample, see evals.stats) is a sum and
a formula, not a re-tokenization.

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
# Name suffixes of the retrieval metrics of the raw utterance (floor) and the manual rewrite (ceiling), and of the share
# of the floor-to-ceiling gap that the rewrite closes (evals.stats.gap_closed).
FLOOR, CEILING, GAP = "_raw", "_manual", "_gap_closed"

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


# Multi-reference ROUGE is not comparable with single-reference ROUGE: each protocol is its own metric name. A name
# without a suffix is best over references (the figures reported so far); `_first` scores the first reference alone,
# the protocol of DialogSum's published baselines (BART-large 45.95 ROUGE-1 on test).
ROUGE_PROTOCOLS = {"": "best over references (max F1 per key)", "_first": "first reference alone"}


def rouge_protocol(metric: str) -> str | None:
    """The reference protocol a ROUGE metric name stands for, None for other metrics."""
    for suffix in sorted(ROUGE_PROTOCOLS, key=len, reverse=True):
        if metric in {key + suffix for key in ROUGE_TYPES}:
            return ROUGE_PROTOCOLS[suffix]
    return None


def rouge(prediction: str, references: list[str], protocol: str = "") -> dict[str, float]:
    """ROUGE-1/2/L/Lsum F1 x100 with Porter stemming, keyed `rouge1{protocol}` etc. (ROUGE_PROTOCOLS): with several
    references, the best one per key (""), or the first reference alone ("_first")."""
    if not references:
        raise ValueError("rouge: at least one reference is needed")
    if protocol not in ROUGE_PROTOCOLS:
        raise ValueError(f"rouge: protocol {protocol!r} is not one of {sorted(ROUGE_PROTOCOLS)}")
    if protocol == "_first":
        references = references[:1]
    scorer = _rouge_scorer(ROUGE_TYPES)
    # Newlines are plain whitespace to rouge1/2/L tokenization, so one sentence-split text serves all keys.
    pred = split_sentences(prediction)
    best = dict.fromkeys(ROUGE_TYPES, 0.0)
    for reference in references:
        scores = scorer.score(split_sentences(reference), pred)
        for key in ROUGE_TYPES:
            best[key] = max(best[key], scores[key].fmeasure * 100)
    return {key + protocol: value for key, value in best.items()}


def rouge1_recall(prediction: str, reference: str) -> float:
    """Share of the reference's unigrams (stemmed) that the prediction contains, x100."""
    return _rouge_scorer(("rouge1",)).score(reference, prediction)["rouge1"].recall * 100


# --------------------------------------------------------------------------------------- faithfulness

# Numbers, and runs of capitalized words (names, places, organisations): no NER model is installed offline, so
# capitalized spans stand in for named entities. A capitalized function word opening a span ("The", "We") is no
# entity and is dropped from the span it starts; so is a sentence opener (SENTENCE_OPENERS) at a sentence's start.
# A number is a whole word: the digits of DialogSum's speaker tags (`#Person1#`, source word `person1`) are none.
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*%?(?!\w)")
_CAPITALIZED = re.compile(r"[A-Z][\w'&-]*(?:\s+[A-Z][\w'&-]*)*")
_TOKEN = re.compile(r"[\w%]+")
_SENTENCE_START = re.compile(r"(?:\A|[.!?:\n])\s*\Z")
# Capitalized only because they open a sentence: the connectives, ordinals and prepositions that summaries start
# sentences with ("However, ...", "Lastly, ...", "After the break, ..."; QMSum's references most of all). Small on
# purpose: a word that can start a name ("May", "Will") stays out.
SENTENCE_OPENERS = frozenset(
    """however moreover furthermore besides additionally lastly finally firstly secondly thirdly first second third
    next afterwards meanwhile therefore thus hence overall instead nonetheless nevertheless although though while
    since because after before during among according except apart despite due""".split()
)


def _tokens(text: str) -> list[str]:
    # Underscores go: QMSum's transcripts spell letters out (`L_C_D`, `T_V_`) where a summary writes LCD or TV.
    return _TOKEN.findall(text.lower().replace("_", ""))


def checkable_spans(summary: str) -> list[str]:
    """The numbers and capitalized spans of a summary, in order, each once."""
    spans = [m.group() for m in _NUMBER.finditer(summary)]
    for match in _CAPITALIZED.finditer(summary):
        words = match.group().split()
        if _SENTENCE_START.search(summary, 0, match.start()) and words[0].lower() in SENTENCE_OPENERS:
            words = words[1:]
        while words and (words[0].lower() in STOPWORDS or len(words[0]) == 1):
            words = words[1:]
        if words:
            spans.append(" ".join(words))
    return list(dict.fromkeys(spans))


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def unsupported_spans(summary: str, source: str) -> list[str]:
    """The summary's numbers and capitalized spans whose words (case-insensitive) do not occur in the source."""
    words = _tokens(source)
    return [span for span in checkable_spans(summary) if not _contains(words, _tokens(span))]


def faithfulness(summary: str, source: str) -> float | None:
    """Share of the summary's numbers and capitalized spans found in the source, x100; None when it has none (the
    mean skips it, as for the other rates defined on a subset).

    Its ceiling on real data is below 100: a reference scored as a summary against its own source misses words a
    person paraphrased (QMSum's transcripts spell numbers out). scripts/faithfulness_calibration.py prints that
    calibration row for DialogSum dev and QMSum validation."""
    spans = checkable_spans(summary)
    if not spans:
        return None
    return 100 * (1 - len(unsupported_spans(summary, source)) / len(spans))


# ----------------------------------------------------------------------------------------------- BLEU


@functools.lru_cache(maxsize=None)
def _bleu():
    from sacrebleu.metrics import BLEU

    # Same defaults as sacrebleu.corpus_bleu (13a tokenizer, exp smoothing, case-sensitive).
    return BLEU()


def bleu_stats(prediction: str, refs: list[str]) -> list[float]:
    """sacrebleu's sufficient statistics for one example: [hyp_len, ref_len, correct_1..4, total_1..4].

    Summing these over any set of examples and calling `bleu_from_stats` gives that set's corpus BLEU.
    """
    if not refs:
        raise ValueError("bleu_stats: at least one reference is needed")
    # A one-example corpus score carries the example's statistics (lengths, n-gram matches and totals).
    score = _bleu().corpus_score([prediction], [[r] for r in refs])
    return [float(x) for x in (score.sys_len, score.ref_len, *score.counts, *score.totals)]


def bleu_from_stats(summed_stats: Sequence[float]) -> float:
    bleu = _bleu()
    order = bleu.max_ngram_order
    stats = [int(round(x)) for x in summed_stats]
    return float(bleu.compute_bleu(correct=stats[2:2 + order], total=stats[2 + order:], sys_len=stats[0],
                                   ref_len=stats[1], smooth_method=bleu.smooth_method, smooth_value=bleu.smooth_value,
                                   effective_order=bleu.effective_order, max_ngram_order=order).score)


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
    from finetune.core.retrieval import embed

    vectors = embed(texts)
    return [
        float(max(vectors[row[p]] @ vectors[row[r]] for r in refs) * 100)
        for p, refs in zip(predictions, references)
    ]


# ---------------------------------------------------------------------------------------- aggregates


def bleu_aggregate(stats: np.ndarray) -> float:
    """Corpus BLEU of a set of examples given their `bleu_stats` rows."""
    return bleu_from_stats(np.asarray(stats).sum(axis=0))


def mean_aggregate(values: np.ndarray) -> float:
    return float(np.mean(values))


# Corpus-level aggregates by name: lm-eval task files and the confidence intervals (evals.stats) use the same ones.
AGGREGATES: dict[str, Callable[[np.ndarray], float]] = {"mean": mean_aggregate, "bleu": bleu_aggregate}
