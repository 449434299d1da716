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
from finetune.core.locate import budget_words, records
from finetune.core.prompts import LENGTH_FIELD, user_message, with_responses

# A meeting task's prompt budget without a recipe (`searchtune eval --model` without --max-length): SmolLM2-size
# context that CPU generation still handles.
DEFAULT_MAX_LENGTH, DEFAULT_MAX_TARGET_LENGTH = 2048, 256

# Before lm-eval builds a task from a YAML that names these aggregations (it imports this module first).
registry.register_aggregations()


def load_dataset(source: str, searchtune_data: dict | None = None, searchtune_instructions: dict | None = None,
                 retrieval: dict | None = None, searchtune_response_words: int | None = None,
                 searchtune_length_words: int | None = None, locate: dict | None = None,
                 searchtune_locate: dict | None = None, searchtune_max_length: int | None = None,
                 searchtune_max_target_length: int | None = None, expansion: dict | None = None, **_metadata):
    """lm-eval `custom_dataset`: called with the task metadata and `dataset_kwargs` (which names the source and, for
    a retrieval source, its retriever settings: evals.benchmark.SETTINGS).

    Earlier system responses (a conversations file's `responses`) enter the prompt only with
    metadata["searchtune_response_words"] (the recipe's data.response_words when data.responses is `include`), cut
    as training cuts them (finetune.core.prompts.with_responses). A summarize prompt carries a length target only with
    metadata["searchtune_length_words"] (a recipe's eval.length_words, rounded to its data.length_bucket).

    A meeting source (QMSum) gives one doc per query, its transcript located as training locates it
    (finetune.core.locate): the recipe's data.locate (metadata searchtune_locate) under the task's own `locate`
    settings (dataset_kwargs: the strategy, the queries), within the budget of searchtune_max_length.

    A retrieval source's task with metadata `expansion` (evals.benchmark.EXPANSION_SETTINGS) has the model write an
    expansion after each rewrite: every doc carries its token budget (benchmark.EXPANSION_FIELD), which evals.lm
    reads."""
    import datasets

    from evals import benchmark

    src = registry.SOURCES[source]
    # lm-eval names the task's YAML file in its metadata: the file a bad setting is in.
    yaml_file = _metadata.get("config_source")
    where = yaml_file if yaml_file not in (None, "inline") else f"task {src.task}"
    expand = benchmark.expansion_settings(where, expansion)
    if expand and not src.judged:
        raise UserError(f"{where}: metadata.expansion set, but source {source} has no judged collection to search "
                        "with it; drop the setting or use a retrieval source")
    _, docs = registry.read_rows(source, searchtune_data)
    instruction = (searchtune_instructions or {}).get(source) or src.instruction
    if src.meetings:
        settings = {**(searchtune_locate or {}), **(locate or {})}
        budget = budget_words(searchtune_max_length or DEFAULT_MAX_LENGTH,
                              searchtune_max_target_length or DEFAULT_MAX_TARGET_LENGTH)
        docs = [{"source": source, "id": f"{doc['id']}_{i}", "references": [rec.pop("summary")], **rec}
                for doc in docs for i, rec in enumerate(records(doc["meeting"], budget, **settings))]
    docs = [dict(with_responses(doc, searchtune_response_words), instruction=instruction) for doc in docs]
    if searchtune_length_words and src.kind == "summarize":
        docs = [dict(doc, **{LENGTH_FIELD: int(searchtune_length_words)}) for doc in docs]
    if any("responses" in doc for doc in docs):  # one column for every row: datasets takes the first row's keys
        docs = [{"responses": [], **doc} for doc in docs]
    if src.judged:
        docs = benchmark.prepare(source, docs, retrieval, searchtune_data)
    elif retrieval:
        raise UserError(f"task {src.task}: dataset_kwargs.retrieval set, but source {source} has no judged collection")
    if expand:
        docs = [dict(doc, **{benchmark.EXPANSION_FIELD: expand["max_gen_toks"]}) for doc in docs]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


def doc_to_text(doc: dict) -> str:
    """The user turn exactly as training builds it; lm-eval's chat templating wraps it like render_prompt."""
    return user_message(registry.SOURCES[doc["source"]].kind, doc, doc["instruction"])


def doc_to_target(doc: dict) -> str:
    return doc["references"][0] if doc["references"] else ""


# ------------------------------------------------------------------------------------------ metrics


def process_query_rewrite(doc: dict, results: list) -> dict:
    """Text metrics of the (first) rewrite against the reference, None without one; for a retrieval source, the
    measures of the rewrite, the raw utterance (floor) and the reference (ceiling) by every retriever
    (evals.benchmark). A task with `repeats` hands several rewrites, searched together (reciprocal-rank fusion); a
    task with an expansion hands each rewrite with it, and only retrieval sees the expansion."""
    from evals import benchmark, metrics

    rewrites = benchmark.rewrites_of(results[0])
    pred, refs = rewrites[0], doc["references"]
    scores = dict.fromkeys(("exact_match", "bleu", "rouge1_recall", "history_term_recall", "unnecessary_change_rate"))
    if refs:
        scores.update({
            "exact_match": max(metrics.exact_match(pred, r) for r in refs),
            "bleu": metrics.bleu_stats(pred, refs),
            "rouge1_recall": max(metrics.rouge1_recall(pred, r) for r in refs),
            "history_term_recall": metrics.history_term_recall(pred, refs[0], doc["history"], doc["query"]),
            "unnecessary_change_rate": metrics.unnecessary_change(pred, doc["query"], refs[0]),
        })
    scores.update(benchmark.scores(doc, benchmark.queries_of(doc, results[0])))
    return scores


def process_located_summary(doc: dict, results: list[str]) -> dict:
    """A meeting query's summary scores, and the locator's span recall (None for a general query)."""
    return {**process_summary(doc, results), "span_recall": doc.get("span_recall")}


def process_summary(doc: dict, results: list[str]) -> dict:
    from evals import metrics

    pred = results[0].strip()
    refs = doc["references"]
    return {
        **metrics.rouge(pred, refs),
        **metrics.rouge(pred, refs, protocol="_first"),
        "faithfulness": metrics.faithfulness(pred, doc["document"]),
        "gen_length": float(metrics.word_count(pred)),
        "compression_ratio": metrics.compression_ratio(doc["document"], pred),
        "semantic_similarity": metrics.semantic_similarity([pred], [refs])[0],
    }
