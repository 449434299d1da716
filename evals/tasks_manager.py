"""Finding and loading eval tasks: lm-eval's TaskManager over evals/tasks (and, only when a name needs it, lm-eval's
own task index), with one-line errors for unknown names and keys, and each metric's aggregate by registered name."""

from __future__ import annotations

import difflib
import functools
import json

from finetune.core.errors import UserError
from evals import registry


def check_keys(option: str, given: dict | None, keys) -> None:
    keys = list(keys)
    for key in given or {}:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise UserError(f"{option} {key}=...: unknown key; {hint}known keys: {', '.join(keys)}")


@functools.lru_cache(maxsize=4)
def _manager(include_defaults: bool, data: tuple, instructions: tuple, prompt: tuple = ()):
    from lm_eval.tasks import TaskManager

    metadata = {k: dict(v) for k, v in (("searchtune_data", data), ("searchtune_instructions", instructions)) if v}
    metadata.update({f"searchtune_{key}": json.loads(value) for key, value in prompt})
    return TaskManager(include_path=str(registry.TASKS_DIR), include_defaults=include_defaults,
                       metadata=metadata or None)


def all_task_names() -> list[str]:
    """Ours and lm-eval's own: the index a name outside ours is looked up in (built once per process)."""
    return _manager(True, (), ()).all_tasks


def task_manager(names: list[str], data: dict[str, str] | None = None, instructions: dict[str, str] | None = None,
                 prompt: dict | None = None):
    """A TaskManager that knows the requested names; lm-eval's own 14k-task index (5 s) only when needed.

    data: source key -> file; instructions: source key -> instruction text (see evals/registry.py); prompt: the
    recipe settings that shape prompts as training shaped them, each handed to evals.tasks.utils.load_dataset as
    metadata `searchtune_KEY`: length_words (finetune.core.prompts.with_length), max_length and max_target_length
    (the locator's budget), locate (a recipe's data.locate: finetune.core.locate's settings). None values are left out.
    """
    check_keys("--data", data, registry.DATA_KEYS)
    check_keys("--instruction", instructions, registry.SOURCES)
    ours = set(registry.task_names())
    manager = _manager(any(n not in ours for n in names), tuple(sorted((data or {}).items())),
                       tuple(sorted((instructions or {}).items())),
                       tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in (prompt or {}).items() if v is not None)))
    known = set(manager.all_tasks)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(ours) + sorted(known - ours), n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise UserError(
                f"--task {name}: unknown task; {hint}searchtune tasks: {', '.join(sorted(ours))} "
                "(any lm-eval task name also works)"
            )
    return manager


def load_tasks(names: list[str], data: dict[str, str] | None = None, instructions: dict[str, str] | None = None,
               prompt: dict | None = None) -> dict:
    loaded = task_manager(names, data, instructions, prompt).load(list(names))
    for task in loaded["tasks"].values():
        if task.get_config("num_fewshot") is None:
            task.set_config(key="num_fewshot", value=0)
        task.set_fewshot_seed(seed=1234)
    return loaded


def aggregates(task) -> dict[str, str | None]:
    """Metric -> name of its evals.metrics aggregate ("mean", "bleu") for a loaded task, or None when it has no
    bootstrap form; recognised by the name the aggregation is registered under with lm-eval."""
    registry.register_aggregations()
    return {metric: registry.bootstrap_aggregate(registry.aggregation_name(fn))
            for metric, fn in task.aggregation().items()}


def configured_aggregates(name: str) -> dict[str, str | None]:
    """The same for a task by name, from its YAML's `metric_list` (no data is loaded)."""
    config = task_manager([name]).task_index[name].cfg or {}
    return {m["metric"]: registry.bootstrap_aggregate(m.get("aggregation")) for m in config.get("metric_list") or []}
