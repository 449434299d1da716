"""Checks of a loaded recipe against the world: its eval task names and its data files' columns.

They run where a recipe enters (`searchtune validate`, `searchtune train`, finetune.workflow), after load_recipe and
before any model loads, so a typo costs a second rather than a finished training run. They live here, not in the
recipe schema, because they need the evals registry and the data readers, which the core may not import.
"""

from __future__ import annotations

from finetune.core.errors import UserError
from finetune.core.recipe import Recipe
from finetune.core.recipe.messages import did_you_mean

OUR_PREFIX = "searchtune_"


def preflight(recipe: Recipe) -> None:
    """Raise one UserError listing every problem, one line each with file:line, the key and the fix."""
    from finetune.training.data import check_columns

    problems = unknown_tasks(recipe) + check_columns(recipe)
    problems = problems or (init_adapter(recipe) + reward_files(recipe) + reported_turns_in_training(recipe))
    if problems:
        raise UserError("\n".join(problems))


def unknown_tasks(recipe: Recipe) -> list[str]:
    from evals.registry import task_names

    ours = task_names()
    theirs = [name for name in recipe.eval.tasks if not name.startswith(OUR_PREFIX)]
    # lm-eval's own index takes seconds to build: only a recipe that names one of its tasks pays for it.
    known = set(ours) | (set(_lm_eval_tasks()) if theirs else set())
    problems = []
    for i, name in enumerate(recipe.eval.tasks):
        if name in known:
            continue
        hint = did_you_mean(name, ours if name.startswith(OUR_PREFIX) else sorted(known))
        problems.append(f"{recipe.where(f'eval.tasks.{i}')}: `eval.tasks.{i}`: unknown eval task `{name}`{hint or ';'} "
                        f"the searchtune tasks are {', '.join(ours)}, and any lm-eval task name works")
    return problems


def _lm_eval_tasks() -> list[str]:
    from evals.tasks_manager import all_task_names

    return all_task_names()


def init_adapter(recipe: Recipe) -> list[str]:
    from finetune.training.trainer import init_adapter_dir

    try:
        init_adapter_dir(recipe)
    except UserError as e:
        return [f"{recipe.where('train.init_adapter')}: {e}"]
    return []


def reward_files(recipe: Recipe) -> list[str]:
    """The reward's corpus and qrels read and cross-checked now (a second), not after the model has loaded."""
    if recipe.train.method == "sft":
        return []
    from finetune.training.methods.reward import Reward

    try:
        Reward.files(recipe)
    except UserError as e:
        return [f"{recipe.where('reward')}: `reward`: {e}"]
    return []


def reported_turns_in_training(recipe: Recipe) -> list[str]:
    """Training turns that the recipe's own eval tasks report (evals.registry.reported_overlap, which `searchtune
    eval --run` runs too): relevance learned on a reported topic would inflate its score."""
    from evals.registry import reported_overlap

    return [f"{recipe.where(f'data.train.{o.source}.path')}: {o.describe()}; train on the other topics "
            f"(`data.train.{o.source}.topics: odd` with searchtune_qr_cast2020_even) or report a task that leaves "
            "them out" for o in reported_overlap(recipe, recipe.eval.tasks)]
