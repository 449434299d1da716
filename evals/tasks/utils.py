"""Data loading, prompts and per-example metrics for the searchtune lm-eval tasks (the YAML files next to this).

lm-eval imports this file by path, not as `evals.tasks.utils`, so it must not rely on relative imports.

Data files: each task names a source key (`dataset_kwargs.source` in its YAML). The file is, in order:
metadata["searchtune_data"][key] (the CLI's `--data KEY=PATH`, or `lm_eval --metadata`), else the default
path under $SEARCHTUNE_DATA_ROOT (default: <repo>/../shared/data), or the bundled sample file.

Instructions: a task's default (finetune.core.prompts.DEFAULT_INSTRUCTIONS, or the source's own below) unless
metadata["searchtune_instructions"][key] (the CLI's `--instruction KEY=TEXT`) replaces it, for models trained with
another instruction (a recipe source's `instruction`): the eval prompt must be the training prompt.

Every doc is normalized to one shape per task type, so prompts and metrics do not care where a row came from:
  query_rewrite: {"source", "id", "instruction", "history": [str], "query": str, "references": [str],
                  "qid", "collection"}  (the last two for CAsT only)
  summarize:     {"source", "id", "instruction", "document": str, "query": str | None, "references": [str]}
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Callable, NamedTuple

from finetune.core.errors import UserError
from finetune.core.paths import SAMPLE_DATA as SAMPLE_DIR, data_root
from finetune.core.prompts import user_message

AESLC_INSTRUCTION = "Write the subject line of the following email. Reply with the subject line only."
SCITLDR_INSTRUCTION = (
    "Summarize the following scientific abstract in one sentence (a TLDR). Reply with the sentence only."
)


def _texts(value, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise ValueError(f"`{what}` must be a string or a non-empty list of strings")


def _qr_sample(row: dict) -> dict:
    return {"history": row.get("history") or [], "query": row["query"], "references": [row["rewrite"]]}


def _canard(row: dict) -> dict:
    return {"history": row["history"], "query": row["question"], "references": [row["rewrite"]]}


def _disflqa(row: dict) -> dict:
    # A spoken question with a self-correction and no conversation: the rewrite removes the disfluency.
    return {"history": [], "query": row["disfluent"], "references": [row["original"]]}


def _cast(row: dict) -> dict:
    return {
        "history": row["history_utterances"] or [],
        "query": row["raw_utterance"],
        "references": [row["manual_rewrite"]],
        "qid": str(row["qid"]),
    }


def _sum_sample(row: dict) -> dict:
    return {"document": row["document"], "query": row.get("query") or None, "references": [row["summary"]]}


def _dialogsum(row: dict) -> dict:
    # dev/train rows carry one `summary`; test rows carry three `summaries`.
    refs = row["summaries"] if "summaries" in row else row["summary"]
    return {"document": row["dialogue"], "query": None, "references": _texts(refs, "summaries")}


def _aeslc(row: dict) -> dict:
    return {"document": row["email_body"], "query": None, "references": _texts(row["annotated_subjects"], "annotated_subjects")}


def _scitldr(row: dict) -> dict:
    return {"document": " ".join(_texts(row["source"], "source")), "query": None, "references": _texts(row["target"], "target")}


# A NamedTuple, not a dataclass: lm-eval executes this file without registering it in sys.modules, which
# dataclasses need.
class Source(NamedTuple):
    task: str  # the lm-eval task name, for error messages
    kind: str  # finetune.core.prompts task type
    default: Path | str  # absolute (bundled) or relative to data_root()
    required: tuple[str, ...]
    convert: Callable[[dict], dict]
    instruction: str | None = None
    # Alternatives: a row passes when it has at least one field of each tuple.
    any_of: tuple[tuple[str, ...], ...] = ()


SOURCES = {
    "qr_sample": Source("searchtune_qr_sample", "query_rewrite", SAMPLE_DIR / "query_rewrite_heldout.jsonl",
                        ("query", "rewrite"), _qr_sample),
    "canard": Source("searchtune_qr_canard", "query_rewrite", "canard/dev.jsonl",
                     ("history", "question", "rewrite"), _canard),
    "cast2020": Source("searchtune_qr_cast2020", "query_rewrite", "trec-cast/cast2020_eval.jsonl",
                       ("history_utterances", "raw_utterance", "manual_rewrite", "qid"), _cast),
    "disflqa": Source("searchtune_qr_disflqa", "query_rewrite", "disfl-qa/dev.jsonl", ("disfluent", "original"),
                      _disflqa),
    "sum_sample": Source("searchtune_sum_sample", "summarize", SAMPLE_DIR / "summarize_heldout.jsonl",
                         ("document", "summary"), _sum_sample),
    "dialogsum": Source("searchtune_sum_dialogsum", "summarize", "dialogsum/dev.jsonl", ("dialogue",), _dialogsum,
                        any_of=(("summary", "summaries"),)),
    "aeslc": Source("searchtune_sum_aeslc", "summarize", "aeslc/dev.jsonl", ("email_body", "annotated_subjects"),
                    _aeslc, AESLC_INSTRUCTION),
    "scitldr": Source("searchtune_sum_scitldr", "summarize", "scitldr/dev.jsonl", ("source", "target"), _scitldr,
                      SCITLDR_INSTRUCTION),
}
# The judged passage collection that CAsT rewrites are searched against.
COLLECTION_KEY = "cast2020_collection"
COLLECTION_DEFAULT = "trec-cast/mini-collection"
DATA_KEYS = (*SOURCES, COLLECTION_KEY)


def _override_hint(key: str) -> str:
    return f"pass --data {key}=PATH or set SEARCHTUNE_DATA_ROOT"


def resolve_path(key: str, overrides: dict | None = None) -> Path:
    """The file (or folder, for the collection) a data key points at; not checked for existence."""
    if overrides and overrides.get(key):
        return Path(overrides[key]).expanduser()
    default = COLLECTION_DEFAULT if key == COLLECTION_KEY else SOURCES[key].default
    return default if isinstance(default, Path) else data_root() / default


def read_rows(key: str, overrides: dict | None = None) -> tuple[Path, list[dict]]:
    """(path, normalized docs) for a source, with one-line UserErrors for a missing file, bad JSON or fields."""
    src = SOURCES[key]
    path = resolve_path(key, overrides)
    if not path.is_file():
        raise UserError(f"task {src.task}: data file {path} does not exist; {_override_hint(key)}")
    docs = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"task {src.task}: {path} line {lineno} is not valid JSON ({e.msg})") from None
            missing = [c for c in src.required if c not in row]
            missing += [" or ".join(alts) for alts in src.any_of if not any(a in row for a in alts)]
            if missing:
                raise UserError(
                    f"task {src.task}: {path} line {lineno} has no column `{missing[0]}`; "
                    f"this task needs {', '.join(src.required + tuple(' or '.join(a) for a in src.any_of))}"
                )
            try:
                doc = src.convert(row)
            except ValueError as e:
                raise UserError(f"task {src.task}: {path} line {lineno}: {e}") from None
            docs.append({"source": key, "id": str(row.get("id", row.get("qid", row.get("paper_id", lineno)))), **doc})
    if not docs:
        raise UserError(f"task {src.task}: data file {path} has no rows")
    return path, docs


def load_dataset(source: str, searchtune_data: dict | None = None, searchtune_instructions: dict | None = None,
                 **_metadata):
    """lm-eval `custom_dataset`: called with the task metadata and `dataset_kwargs` (which names the source)."""
    import datasets

    _, docs = read_rows(source, searchtune_data)
    instruction = (searchtune_instructions or {}).get(source) or SOURCES[source].instruction
    for doc in docs:
        doc["instruction"] = instruction
    if source == "cast2020":
        collection = resolve_path(COLLECTION_KEY, searchtune_data)
        if not (collection / "judged_pairs.jsonl").is_file():
            raise UserError(
                f"task {SOURCES[source].task}: retrieval collection {collection} has no judged_pairs.jsonl; "
                f"{_override_hint(COLLECTION_KEY)}"
            )
        for doc in docs:
            doc["collection"] = str(collection)
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def doc_to_text(doc: dict) -> str:
    """The user turn exactly as training builds it; lm-eval's chat templating wraps it like render_prompt."""
    return user_message(SOURCES[doc["source"]].kind, doc, doc["instruction"])


def doc_to_target(doc: dict) -> str:
    return doc["references"][0]


# ------------------------------------------------------------------------------------------ metrics


def process_query_rewrite(doc: dict, results: list[str]) -> dict:
    from evals import metrics

    pred = results[0].strip()
    refs = doc["references"]
    scores = {
        "exact_match": max(metrics.exact_match(pred, r) for r in refs),
        "bleu": metrics.bleu_stats(pred, refs),
        "rouge1_recall": max(metrics.rouge1_recall(pred, r) for r in refs),
        "history_term_recall": metrics.history_term_recall(pred, refs[0], doc["history"], doc["query"]),
        "unnecessary_change_rate": metrics.unnecessary_change(pred, doc["query"], refs[0]),
    }
    if doc.get("collection"):
        scores.update(_retrieval(doc, pred))
    return scores


def _retrieval(doc: dict, pred: str) -> dict:
    """Per-example ranking scores for the rewrite, the raw utterance (floor) and the manual rewrite (ceiling)."""
    from evals import retrieval

    collection, indexes = retrieval.get_indexes(doc["collection"])
    texts = {"": pred, "_raw": doc["query"], "_manual": doc["references"][0]}
    out = {}
    for index_name, index in indexes.items():
        rows = retrieval.retrieval_scores(collection, index, [doc["qid"]] * len(texts), list(texts.values()))
        for suffix, row in zip(texts, rows):
            for metric, value in row.items():
                out[f"{index_name}_{metric}{suffix}"] = value
    return out


def process_summary(doc: dict, results: list[str]) -> dict:
    from evals import metrics

    pred = results[0].strip()
    refs = doc["references"]
    return {
        **metrics.rouge(pred, refs),
        "gen_length": float(metrics.word_count(pred)),
        "compression_ratio": metrics.compression_ratio(doc["document"], pred),
        "semantic_similarity": metrics.semantic_similarity([pred], [refs])[0],
    }


# Aggregations: the function names are keys of evals.metrics.AGGREGATES, which is how the pipeline picks the
# same aggregate for its bootstrap confidence intervals.


def mean(items: list) -> float:
    from evals import metrics

    kept = [x for x in items if x is not None]
    return metrics.AGGREGATES["mean"](kept) if kept else float("nan")


def bleu(items: list) -> float:
    from evals import metrics

    return metrics.AGGREGATES["bleu"](items)
