"""The retrieval benchmark of the query-rewrite tasks: a task's three files (conversations, corpus, qrels) read and
cross-checked before anything is scored; per turn, the ranking of the model's rewrite (several rewrites: their
reciprocal-rank fusion), of the raw utterance (the floor) and of the reference rewrite (the ceiling), by every
retriever, and their IR measures; the TREC run files of an eval.

A task's settings are its YAML's `dataset_kwargs.retrieval` (SETTINGS below lists them with their defaults); its
files and column mappings come from evals.registry (`--data` overrides). Each doc carries the resolved settings as a
JSON string (`retrieval`), which keys the per-process caches of collections and rankings, so lm-eval's per-example
`process_results` and the pipeline's run files share one computation.

Generated expansion (a task's metadata `expansion`, e.g. searchtune_qr_cast2020_even_expand): after the rewrite the
model writes a short passage answering it (query2doc, Wang et al. 2023; LLM4CS, Mao et al. 2023), prompted by
EXPANSION_INSTRUCTION through the same chat template (evals.lm generates it). The response then carries both, joined
by EXPANSION_MARK; retrieval searches the rewrite followed by the passage, the text metrics see the rewrite alone.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from finetune.core import retrieval
from finetune.core.errors import UserError
from evals import registry
from evals.metrics import CEILING, FLOOR

SETTINGS = {
    "retrievers": list(retrieval.RETRIEVERS),
    "rel": retrieval.REL,  # grade from which binary measures count a passage as relevant
    "bm25": {"k1": 1.5, "b": 0.75, "method": "lucene"},
    "dense_model": None,  # None: the packaged MiniLM; else a local sentence-transformers folder
    "rrf_k": retrieval.RRF_K,
    "depth": 100,  # ranks kept per query: the run files' depth and the deepest cutoff measured
}
# Systems of a run file, by the doc text they search.
SYSTEMS = {"": "rewrite", FLOOR: "raw", CEILING: "reference"}


def settings(task: str, given: dict | None) -> dict:
    """SETTINGS with a task's `dataset_kwargs.retrieval` over them, checked."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(SETTINGS))
    if unknown:
        raise UserError(f"task {task}: dataset_kwargs.retrieval.{unknown[0]}: unknown setting; settings are "
                        f"{', '.join(SETTINGS)}")
    out = {**SETTINGS, **given, "bm25": {**SETTINGS["bm25"], **(given.get("bm25") or {})}}
    bad = [r for r in out["retrievers"] if r not in retrieval.RETRIEVERS]
    if bad or not out["retrievers"]:
        raise UserError(f"task {task}: dataset_kwargs.retrieval.retrievers: {bad or 'none'}; choose from "
                        f"{', '.join(retrieval.RETRIEVERS)}")
    if int(out["depth"]) < 100:
        raise UserError(f"task {task}: dataset_kwargs.retrieval.depth {out['depth']}: Recall@100 needs at least 100")
    return out


def prepare(source: str, docs: list[dict], given: dict | None, overrides: dict | None) -> list[dict]:
    """Read the source's corpus and qrels, check them against its whole conversations file (before any topic
    filter) and stamp each doc with the resolved benchmark; a doc without judgements gets none (never scored)."""
    src = registry.SOURCES[source]
    judged = src.judged
    spec = {
        "corpus": str(registry.resolve_path(f"{judged.prefix}_corpus", overrides).resolve()),
        "corpus_columns": registry.columns(f"{judged.prefix}_corpus_columns", judged.corpus_columns, overrides),
        "qrels": str(registry.resolve_path(f"{judged.prefix}_qrels", overrides).resolve()),
        "qrels_columns": registry.columns(f"{judged.prefix}_qrels_columns", judged.qrels_columns, overrides),
        **settings(src.task, given),
    }
    path = registry.resolve_path(source, overrides)
    turns = retrieval.load_conversations(path, registry.columns(f"{source}_columns", src.columns, overrides),
                                         key=f"--data {source}_columns")
    qrels = collection(json.dumps(spec, sort_keys=True), {t["qid"] for t in turns}).qrels
    retrieval.check_judged(turns, qrels, path)
    key = json.dumps(spec, sort_keys=True)
    return [dict(doc, retrieval=key if doc["qid"] in qrels else "") for doc in docs]


@dataclass
class Collection:
    corpus: retrieval.Corpus
    qrels: dict[str, dict[str, int]]
    settings: dict
    indexes: dict


@functools.lru_cache(maxsize=4)
def _collection(key: str) -> Collection:
    spec = json.loads(key)
    corpus = retrieval.load_corpus(spec["corpus"], spec["corpus_columns"], key="--data *_corpus_columns")
    qrels = retrieval.load_qrels(spec["qrels"], spec["qrels_columns"], corpus=corpus, key="--data *_qrels_columns")
    return Collection(corpus, qrels, spec, {})


def collection(key: str, queries=None) -> Collection:
    """The benchmark a doc names, read once per process; with `queries`, its qrels are checked to name only them."""
    if queries is not None:
        spec = json.loads(key)
        corpus = _collection(key).corpus
        retrieval.load_qrels(spec["qrels"], spec["qrels_columns"], corpus=corpus, key="--data *_qrels_columns",
                             queries=queries)
    return _collection(key)


def _index(c: Collection, name: str):
    if name not in c.indexes:
        corpus, s = c.corpus, c.settings
        c.indexes[name] = (retrieval.BM25Index(corpus.ids, corpus.texts, **s["bm25"]) if name == "bm25"
                           else retrieval.DenseIndex(corpus.ids, corpus.texts, model=s["dense_model"]))
    return c.indexes[name]


@functools.lru_cache(maxsize=1 << 16)
def _scored(key: str, index: str, text: str) -> tuple[tuple[str, float], ...]:
    c = collection(key)
    return tuple(_index(c, index).scored([text], k=int(c.settings["depth"]))[0])


def ranking(key: str, retriever: str, texts: list[str]) -> list[tuple[str, float]]:
    """(passage, score) best first for one or several texts: one text by `retriever` itself (`fused`: the RRF of BM25
    and dense), several by the RRF of all their rankings (for `fused`, of both retrievers' rankings of each)."""
    c = collection(key)
    parts = ["bm25", "dense"] if retriever == "fused" else [retriever]
    depth = int(c.settings["depth"])
    if len(parts) == 1 and len(texts) == 1:
        return list(_scored(key, parts[0], texts[0]))
    return retrieval.fuse([[[pid for pid, _ in _scored(key, p, t)]] for t in texts for p in parts], int(c.settings["rrf_k"]),
                          depth)[0]


def texts(doc: dict, rewrites: list[str]) -> dict[str, list[str]]:
    """Metric suffix -> the texts searched: the rewrite(s) (with their expansions: queries_of), the raw utterance
    (floor) and the reference (ceiling)."""
    out = {"": [r for r in rewrites if r.strip()] or [""], FLOOR: [doc["query"]]}
    if doc["references"]:
        out[CEILING] = [doc["references"][0]]
    return out


def scores(doc: dict, rewrites: list[str]) -> dict:
    """`{retriever}_{measure}{suffix}` for every retriever and measure of the doc's benchmark."""
    key = doc.get("retrieval")
    if not key:
        return {}
    c = collection(key)
    qid = doc["qid"]
    out = {}
    for retriever in c.settings["retrievers"]:
        runs = {suffix: [pid for pid, _ in ranking(key, retriever, t)] for suffix, t in texts(doc, rewrites).items()}
        values = retrieval.evaluate(runs, {suffix: c.qrels[qid] for suffix in runs}, rel=int(c.settings["rel"]))
        for suffix, row in values.items():
            for measure, value in row.items():
                out[f"{retriever}_{measure}{suffix}"] = value
    return out


# The expansion's prompt: fixed, so every model and run is asked the same thing (the rewrite follows it).
EXPANSION_INSTRUCTION = ("Write a short passage that answers the question below, as a search result would. Answer "
                         "with the passage only.")
# Joins a rewrite and its expansion in the one response lm-eval hands to process_results: a blank line (the
# query-rewrite tasks stop a rewrite at one) and a label, so no rewrite carries it and predictions.jsonl shows both.
EXPANSION_MARK = "\n\n[expansion] "
# The doc field that carries a task's expansion budget in tokens (evals.tasks.utils.load_dataset sets it).
EXPANSION_FIELD = "expansion_tokens"
EXPANSION_SETTINGS = {"max_gen_toks": 64}


def expansion_settings(where: str, given: dict | None) -> dict | None:
    """EXPANSION_SETTINGS under a task's metadata `expansion` (`where`: its YAML file, or the task), checked; None
    when the task has none."""
    if given is None:
        return None
    if not isinstance(given, dict):
        raise UserError(f"{where}: metadata.expansion: use a mapping, e.g. {{max_gen_toks: 64}}")
    unknown = sorted(set(given) - set(EXPANSION_SETTINGS))
    if unknown:
        raise UserError(f"{where}: metadata.expansion.{unknown[0]}: unknown setting; settings are "
                        f"{', '.join(EXPANSION_SETTINGS)}")
    out = {**EXPANSION_SETTINGS, **given}
    tokens = out["max_gen_toks"]
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
        raise UserError(f"{where}: metadata.expansion.max_gen_toks {tokens!r}: use a positive integer")
    return out


def expansion_message(rewrite: str) -> str:
    """The user turn that asks for a rewrite's expansion."""
    return f"{EXPANSION_INSTRUCTION}\n\nQuestion: {rewrite}"


def with_expansion(rewrite: str, expansion: str) -> str:
    return f"{rewrite.strip()}{EXPANSION_MARK}{expansion.strip()}"


def _parts(response) -> list[tuple[str, str | None]]:
    """(rewrite, expansion or None) of each generated response of one example (several from a task with `repeats`)."""
    out = []
    for r in response if isinstance(response, list) else [response]:
        rewrite, mark, expansion = str(r).partition(EXPANSION_MARK)
        out.append((rewrite.strip(), expansion.strip() if mark else None))
    return out


def rewrites_of(response) -> list[str]:
    """The generated rewrite(s) of one example, without any expansion: what the text metrics score."""
    return [rewrite for rewrite, _ in _parts(response)]


def queries_of(doc: dict, response) -> list[str]:
    """What retrieval searches for one example: each rewrite, followed by its expansion where the task asks for one.
    A task that asks for one but got none was generated by a model without the second step (lm-eval's own `hf`)."""
    parts = _parts(response)
    if not doc.get(EXPANSION_FIELD):
        return [rewrite for rewrite, _ in parts]
    if any(expansion is None for _, expansion in parts):
        raise UserError(f"source {doc.get('source')}: the task's metadata.expansion asks for a generated expansion, "
                        "which only searchtune's model writes; score the task with `searchtune eval`")
    return [f"{rewrite} {expansion}".strip() for rewrite, expansion in parts]


def write_runs(folder: Path, task: str, variant: str, samples: list[dict]) -> list[Path]:
    """TREC run files RUNS/<task>.<system>.<retriever>.trec of one model variant's samples (lm-eval's logged samples);
    the raw utterance and the reference get theirs with the tuned model's. Returns the files written."""
    docs = [(s["doc"], queries_of(s["doc"], s["filtered_resps"][0])) for s in samples
            if isinstance(s.get("doc"), dict) and s["doc"].get("retrieval")]
    if not docs:
        return []
    systems = {"": variant} if variant != "tuned" else {"": variant, FLOOR: "raw", CEILING: "reference"}
    settings_of = collection(docs[0][0]["retrieval"]).settings
    written = []
    for retriever in settings_of["retrievers"]:
        for suffix, system in systems.items():
            runs = {}
            for doc, rewrites in docs:
                searched = texts(doc, rewrites)
                if suffix in searched:
                    runs[doc["qid"]] = ranking(doc["retrieval"], retriever, searched[suffix])
            if runs:
                path = Path(folder) / f"{task}.{system}.{retriever}.trec"
                retrieval.write_run(path, runs, tag=f"searchtune-{system}-{retriever}")
                written.append(path)
    return written
