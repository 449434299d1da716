"""Locate, then summarize: the parts of a long transcript that a query asks about, cut to fit the prompt.

A meeting (QMSum layout: `meeting_transcripts` of {speaker, content} turns, `specific_query_list` and
`general_query_list` of {query, answer[, relevant_text_span]}) is split into passages of consecutive speaker turns.
A specific query keeps the passages finetune.core.retrieval ranks highest for it (BM25, dense or their fusion: the
searchers the rewrite evaluation uses); a general query ("summarize the whole meeting") keeps passages spread evenly
over the meeting. Kept passages go back in transcript order, gaps marked, until the word budget is spent. The
"first N tokens" baseline (`first`) keeps the opening passages instead.

Training (finetune.training.data) and the eval (evals.registry's qmsum source) both build their records here, with
the same settings, so a located prompt is the same text on both sides. The budget is in words, derived from the
recipe's max_length (budget_words); finetune.core.prompts.fit_prompt still cuts exactly in tokens.

`gold` is the locator's ceiling, not a locator: a specific query keeps the passages its gold relevant_text_span
turns fall in first (most gold turns first), then the retriever's ranking fills what budget is left. Comparing its
scores with `locate` on the same queries says how much of the gap is the locator's.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

STRATEGIES = ("locate", "first", "gold")
QUERY_KINDS = ("specific", "general", "all")
GAP = "\n...\n"  # between two kept passages that are not adjacent in the transcript
# Subword tokens per transcript word (SmolLM2 on QMSum's spaced punctuation is about 1.3), with a margin; the chat
# header, instruction and query take PROMPT_TOKENS.
TOKENS_PER_WORD = 1.5
PROMPT_TOKENS = 96


@dataclass(frozen=True)
class Passage:
    first_turn: int  # transcript turn indices, inclusive (relevant_text_span counts turns the same way)
    last_turn: int
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Located:
    document: str
    passages: list[Passage]  # the kept ones, in transcript order


def budget_words(max_length: int, max_target_length: int) -> int:
    """Transcript words that fit a prompt of max_length tokens beside an answer of max_target_length."""
    return max(1, int((max_length - max_target_length - PROMPT_TOKENS) / TOKENS_PER_WORD))


def split_turns(turns: list[dict], turns_per_passage: int = 20, max_words: int = 300) -> list[Passage]:
    """Consecutive `Speaker: content` turns, a new passage after `turns_per_passage` turns or `max_words` words."""
    out, lines, first, words = [], [], 0, 0
    for i, turn in enumerate(turns):
        line = f"{turn.get('speaker') or 'Speaker'}: {' '.join(str(turn.get('content') or '').split())}"
        if lines and (len(lines) >= turns_per_passage or words + len(line.split()) > max_words):
            out.append(Passage(first, i - 1, "\n".join(lines)))
            lines, first, words = [], i, 0
        lines.append(line)
        words += len(line.split())
    if lines:
        out.append(Passage(first, len(turns) - 1, "\n".join(lines)))
    return out


class Locator:
    """Chooses passages of one meeting for each of its queries (the meeting's index is built once)."""

    def __init__(self, turns: list[dict], budget: int, retriever: str = "bm25", strategy: str = "locate",
                 turns_per_passage: int = 20, max_words: int = 300):
        if strategy not in STRATEGIES:
            raise ValueError(f"locate strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
        self.passages = split_turns(turns, turns_per_passage, max_words)
        self.budget, self.retriever, self.strategy = budget, retriever, strategy
        self._searcher = None

    def _ranked(self, query: str | None, spans: list | None = None) -> list[int]:
        n = len(self.passages)
        if self.strategy == "first":
            return list(range(n))
        if not query:  # a general query: every part of the meeting, evenly
            return _spread(n)
        if self.strategy == "gold":
            gold = _turns(spans)
            overlap = [len(gold & set(range(p.first_turn, p.last_turn + 1))) for p in self.passages]
            retrieved = self._retrieved(query)
            return sorted(retrieved, key=lambda i: -overlap[i])  # stable: ties keep the retriever's order
        return self._retrieved(query)

    def _retrieved(self, query: str) -> list[int]:
        n = len(self.passages)
        if self._searcher is None:
            from finetune.core.retrieval import Corpus, searcher

            corpus = Corpus([str(i) for i in range(n)], [p.text for p in self.passages])
            self._searcher = searcher(self.retriever, corpus)
        ranked = [int(pid) for pid in self._searcher.search([query], k=n)[0]]
        found = set(ranked)
        return ranked + [i for i in range(n) if i not in found]  # passages sharing no term, in order

    def locate(self, query: str | None, spans: list | None = None) -> Located:
        """The kept passages for a query (None: a general one), in transcript order, within the word budget. A
        passage that does not fit whole is skipped for a smaller one further down the ranking. `spans`, the query's
        gold relevant_text_span, is read by the `gold` strategy only."""
        kept, used = [], 0
        ranked = self._ranked(query, spans)
        for i in ranked:
            words = self.passages[i].words
            if used + words <= self.budget:
                kept.append(i)
                used += words
        if not kept and self.passages:  # one passage longer than the budget: its start (fit_prompt cuts the rest)
            kept = [ranked[0]]
        kept.sort()
        parts, previous = [], None
        for i in kept:
            if previous is not None:
                parts.append("\n" if i == previous + 1 else GAP)
            parts.append(self.passages[i].text)
            previous = i
        return Located("".join(parts), [self.passages[i] for i in kept])


def _spread(n: int) -> list[int]:
    """0..n-1 in an order whose every prefix covers the range evenly: breadth-first midpoints of halved intervals."""
    order, intervals = [], deque([(0, n)])
    while intervals:
        lo, hi = intervals.popleft()
        if lo < hi:
            mid = (lo + hi) // 2
            order.append(mid)
            intervals += [(lo, mid), (mid + 1, hi)]
    return order


def span_recall(passages: list[Passage], spans: list) -> float | None:
    """Share of the gold turns (relevant_text_span: [[start, end], ...], inclusive, numbers as strings or ints) that
    the kept passages cover; None without gold spans (general queries)."""
    gold = _turns(spans)
    if not gold:
        return None
    covered = {t for p in passages for t in range(p.first_turn, p.last_turn + 1)}
    return len(gold & covered) / len(gold)


def _turns(spans: list | None) -> set[int]:
    return {t for start, end in spans or [] for t in range(int(start), int(end) + 1)}


def records(meeting: dict, budget: int, queries: str = "all", retriever: str = "bm25", strategy: str = "locate",
            turns_per_passage: int = 20, max_words: int = 300) -> list[dict]:
    """One summarize record per query of a meeting: {document (located), query, summary, spans, span_recall,
    passages (turn ranges kept)}. queries: specific, general or all."""
    if queries not in QUERY_KINDS:
        raise ValueError(f"queries {queries!r}: use one of {', '.join(QUERY_KINDS)}")
    locator = Locator(meeting.get("meeting_transcripts") or [], budget, retriever, strategy, turns_per_passage,
                      max_words)
    chosen = []
    if queries in ("specific", "all"):
        chosen += [(q, "specific") for q in meeting.get("specific_query_list") or []]
    if queries in ("general", "all"):
        chosen += [(q, "general") for q in meeting.get("general_query_list") or []]
    out = []
    for q, kind in chosen:
        spans = q.get("relevant_text_span") or []
        located = locator.locate(q["query"] if kind == "specific" else None, spans)
        out.append({"document": located.document, "query": q["query"], "summary": q["answer"], "query_kind": kind,
                    "spans": [[int(a), int(b)] for a, b in spans], "span_recall": span_recall(located.passages, spans),
                    "passages": [[p.first_turn, p.last_turn] for p in located.passages]})
    return out


# ------------------------------------------------------------------------------------------- map-reduce


def pack(texts: list[str], budget: int, shrink: bool = False) -> list[str]:
    """Consecutive texts joined into groups of at most `budget` words (a longer text stands alone). With `shrink`,
    a group of one also takes the next text, so that each reduce round has fewer texts than the last (fit_prompt cuts
    a pair over budget)."""
    groups: list[list[str]] = []
    words = 0
    for text in texts:
        n = len(text.split())
        if groups and (words + n <= budget or (shrink and len(groups[-1]) == 1)):
            groups[-1].append(text)
            words += n
        else:
            groups.append([text])
            words = n
    return ["\n".join(group) for group in groups]


def map_reduce(summarize, turns: list[dict], query: str | None, budget: int, turns_per_passage: int = 20,
               max_words: int = 300) -> tuple[str, int]:
    """Summarize each budget-sized chunk of the transcript with the query, then the summaries, until one is left.

    `summarize(records) -> summaries` runs one generation per summarize record ({document, query}; the caller
    batches them and renders the training prompt). Returns (summary, generations used)."""
    texts = pack([p.text for p in split_turns(turns, turns_per_passage, max_words)], budget) or [""]
    calls = 0
    while True:
        summaries = summarize([{"document": text, "query": query} for text in texts])
        calls += len(texts)
        if len(summaries) == 1:
            return summaries[0], calls
        texts = pack(summaries, budget, shrink=True)
