"""The sweep file: one Pydantic schema, loaded and reported the way a recipe is (finetune/core/recipe/), and the
fixed list of trials a grid or an ablation expands to. Every trial's overrides are validated against the recipe
schema here, before anything trains."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe, read_yaml
from finetune.core.recipe.messages import clip, format_errors

REFERENCE = "ref"  # the ablation's trial with no change


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(Section):
    low: float = Field(description="Smallest value the sampler may draw.")
    high: float = Field(description="Largest value the sampler may draw.")
    type: Literal["int", "float"] = Field("float", description="Draw integers or floats.")
    log: bool = Field(False, description="Draw uniformly in log space (learning rates, ranks).")

    @model_validator(mode="after")
    def _ordered(self):
        if self.low >= self.high:
            raise ValueError(f"low: {self.low} is not below high={self.high}; swap or fix them")
        if self.log and self.low <= 0:
            raise ValueError(f"low: a log range needs low > 0 (got {self.low})")
        return self

    def ends(self) -> list:
        cast = int if self.type == "int" else float
        return [cast(self.low), cast(self.high)]


class Change(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*$", description="The trial's name and run folder name.")
    set: dict[str, Any] = Field(min_length=1,
                                description="Recipe keys this change sets, e.g. {lora.r: 64, lora.alpha: 128}.")


class Objective(Section):
    task: str = Field(description="The eval task whose metric is optimized (one of the base recipe's eval.tasks).")
    metric: str = Field(description="The metric of that task in eval/results.json, e.g. bleu.")
    direction: Literal["maximize", "minimize"] = Field("maximize", description="Whether higher or lower is better.")


class Sweep(Section):
    base: str = Field(description="The base recipe every trial starts from (a path, relative to the working folder).")
    overrides: list[str] = Field(default_factory=list,
                                 description="key=value overrides applied to every trial, e.g. data.limit=200.")
    strategy: Literal["grid", "sampler", "ablation"] = Field(
        description="grid: every combination of `space`; sampler: `trials` draws from `space` by `sampler`; "
                    "ablation: the base plus each of `ablation`, one change at a time.")
    space: dict[str, list | Range] = Field(
        default_factory=dict,
        description="Recipe key -> a list of values (grid, sampler) or a range {low, high, type, log} (sampler).")
    ablation: list[Change] = Field(default_factory=list, description="The changes an ablation tries, one per trial.")
    sampler: Literal["tpe", "random"] = Field("tpe", description="Optuna sampler for strategy=sampler.")
    trials: int | None = Field(None, ge=1, description="Trial budget for strategy=sampler.")
    seed: int = Field(0, ge=0, description="Sampler seed.")
    objective: Objective = Field(description="What the sweep optimizes and the leaderboard ranks by.")
    output_dir: str = Field(description="The sweep folder: the study store and one run folder per trial under trials/.")

    @model_validator(mode="after")
    def _strategy_fields(self):
        if self.strategy == "ablation" and not self.ablation:
            raise ValueError("ablation: strategy=ablation needs a list of changes ({name, set})")
        if self.strategy != "ablation" and not self.space:
            raise ValueError(f"space: strategy={self.strategy} needs a search space (recipe key -> values)")
        if self.strategy == "grid":
            ranges = [k for k, v in self.space.items() if isinstance(v, Range)]
            if ranges:
                raise ValueError(f"space: `{ranges[0]}` is a range; a grid needs a list of values (or use "
                                 "strategy=sampler)")
        if self.strategy == "sampler" and self.trials is None:
            raise ValueError("trials: strategy=sampler needs a trial budget, e.g. trials: 20")
        empty = [k for k, v in self.space.items() if isinstance(v, list) and not v]
        if empty:
            raise ValueError(f"space: `{empty[0]}` has no values")
        names = [c.name for c in self.ablation]
        dup = next((n for n in names if names.count(n) > 1 or n == REFERENCE), None)
        if dup:
            raise ValueError(f"ablation: the name `{dup}` is used twice (`{REFERENCE}` is the reference's); rename it")
        return self

    # -- the trials -------------------------------------------------------------------------------------------
    def fixed_trials(self) -> list[tuple[str, dict]]:
        """(name, {recipe key: value}) of every trial a grid or an ablation runs, in order; [] for a sampler."""
        if self.strategy == "ablation":
            return [(REFERENCE, {})] + [(c.name, dict(c.set)) for c in self.ablation]
        if self.strategy == "grid":
            keys = list(self.space)
            combos = itertools.product(*(self.space[k] for k in keys))
            return [(f"trial-{i:03d}", dict(zip(keys, values))) for i, values in enumerate(combos)]
        return []

    def folder(self) -> Path:
        return Path(self.output_dir)

    def trial_dir(self, name: str) -> Path:
        return self.folder() / "trials" / name


def override_args(values: dict) -> list[str]:
    """`key=value` arguments for `searchtune train`; JSON is YAML, so the recipe loader reads each value back."""
    return [f"{key}={json.dumps(value)}" for key, value in values.items()]


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file and every trial's overrides against the base recipe; one line per problem."""
    tree, lines = read_yaml(path)
    try:
        sweep = Sweep.model_validate(tree)
    except ValidationError as err:
        raise UserError("\n".join(format_errors(err, Sweep, str(path), lines, tree))) from None
    candidates = sweep.fixed_trials() or _space_corners(sweep)
    recipe = None
    for name, values in candidates:
        try:
            recipe = load_recipe(sweep.base, [*sweep.overrides, *override_args(values)])
        except UserError as e:
            shown = " ".join(override_args(values)) or "(no change)"
            raise UserError(f"{path}: trial {name} ({clip(shown, 200)}): {e}") from None
    if sweep.objective.task not in recipe.eval.tasks:
        where = f"{path}:{lines.get(('objective', 'task'), '')}".rstrip(":")
        raise UserError(f"{where}: `objective.task`: {sweep.objective.task} is not among the base recipe's eval.tasks "
                        f"({', '.join(recipe.eval.tasks) or 'none'}); name one of them")
    return sweep


def _space_corners(sweep: Sweep) -> list[tuple[str, dict]]:
    """For a sampler: every listed value and both ends of every range, one key at a time."""
    return [(f"{key}={value}", {key: value}) for key, options in sweep.space.items()
            for value in (options.ends() if isinstance(options, Range) else options)]
