"""The model card's metadata: huggingface_hub `ModelCardData`, with a `model-index` of `EvalResult`s from results.json,
so the Hub shows the scores in the shape it expects."""

from __future__ import annotations

from finetune.core.recipe.schema import HUB_PREFIX
from finetune.core.run import Results, RunFolder
from finetune.publish import base_model

TASK_TAGS = {"query_rewrite": "query-rewriting", "summarize": "summarization"}


def run_task(run: RunFolder) -> str | None:
    recipe = run.recipe()
    return recipe.data.task if recipe else run.manifest().task


def load_in_4bit(run: RunFolder) -> bool:
    recipe = run.recipe()
    return bool(recipe and recipe.model.load_in_4bit)


def hub_datasets(run: RunFolder) -> list[str]:
    """The Hub datasets (`hub:OWNER/NAME` sources) the run trained or validated on."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    recipe = run.recipe()
    if recipe is None:
        return []
    out = []
    for source in recipe.data.train + ([recipe.data.eval] if recipe.data.eval else []):
        if source.path.startswith(HUB_PREFIX):
            repo = source.path[len(HUB_PREFIX):].strip()
            try:
                validate_repo_id(repo)
            except HFValidationError:
                continue
            if repo not in out:
                out.append(repo)
    return out


def eval_results(results: Results) -> list:
    """One EvalResult per tuned-model score in results.json, with the decoding settings in metric_args."""
    from huggingface_hub import EvalResult

    out = []
    for task in results.tasks.values():
        path = str(task.dataset.path or "")
        dataset_type = path[len(HUB_PREFIX):] if path.startswith(HUB_PREFIX) else task.name
        dataset_args = {k: v for k, v in (("sha256", task.dataset.sha256), ("n", task.dataset.n)) if v is not None}
        for metric_name, score in task.metrics.items():
            if not score.finite:
                continue
            out.append(EvalResult(
                task_type="text-generation",
                task_name=task.name,
                dataset_type=dataset_type,
                dataset_name=str(task.dataset.name or task.name),
                dataset_args=dataset_args or None,
                metric_type=metric_name,
                metric_name=metric_name,
                metric_value=score.value,
                metric_args=dict(task.decoding) or None,
            ))
    return out


def card_data(run: RunFolder, repo_id: str | None, merged: bool, results: Results):
    from huggingface_hub import ModelCardData

    task = run_task(run)
    tags = ["searchtune", "qlora" if load_in_4bit(run) else "lora"]
    if task:
        tags.append(TASK_TAGS.get(task, task))
    evals = eval_results(results)
    name = (repo_id or run.name).split("/")[-1]
    return ModelCardData(
        base_model=base_model.hub_id(run),
        library_name="transformers" if merged else "peft",
        license=base_model.licence(run),
        tags=tags,
        datasets=hub_datasets(run) or None,
        pipeline_tag="text-generation",
        model_name=name if evals else None,
        eval_results=evals or None,
    )
