"""The lm-eval hooks of the searchtune tasks (the YAML files under evals/tasks/<family>/): data loading, the
prompt and the per-example metrics. Which sources exist, where their files are and how rows are normalized is
evals.registry; the YAMLs name this module as `evals.tasks.utils` (the project is installed, so lm-eval imports it).

Instructions: a source's default (evals.registry, else finetune.core.prompts.DEFAULT_INSTRUCTIONS) unless
metadata["searchtune_instructions"][key] (the CLI's `--instruction KEY=TEXT`) replaces it, for models trained with
another instruction (a recipe source's `instruction`): the eval prompt must be the training prompt.
"""

from __future__ import annotations

from evals import registry
from finetune.core.errors import UserError
from finetune.core.prompts import user_message

# Before lm-eval builds a task from a YAML that names these aggregations (it imports this module first).
registry.register_aggregations()


def load_dataset(source: str, searchtune_data: dict | None = None, searchtune_instructions: dict | None = None,
                 **_metadata):
    """lm-eval `custom_dataset`: called with the task metadata and `dataset_kwargs` (which names the source)."""
    import datasets

    _, docs = registry.read_rows(source, searchtune_data)
    instruction = (searchtune_instructions or {}).get(source) or registry.SOURCES[source].instruction
    for doc in docs:
        doc["instruction"] = instruction
    if source in ("cast2020", "cast2020_even"):
        collection = registry.resolve_path(registry.COLLECTION_KEY, searchtune_data)
        if not (collection / "judged_pairs.jsonl").is_file():
            raise UserError(
                f"task {registry.SOURCES[source].task}: retrieval collection {collection} has no judged_pairs.jsonl; "
                f"{registry.override_hint(registry.COLLECTION_KEY)}"
            )
        for doc in docs:
            doc["collection"] = str(collection)
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def doc_to_text(doc: dict) -> str:
    """The user turn exactly as training builds it; lm-eval's chat templating wraps it like render_prompt."""
    return user_message(registry.SOURCES[doc["source"]].kind, doc, doc["instruction"])


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
    from finetune.core import retrieval

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
