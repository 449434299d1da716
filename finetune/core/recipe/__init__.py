"""The recipe: one Pydantic schema (schema.py), loaded from YAML with overrides and `${...}` references (loader.py),
its mistakes reported one line each with file:line and a fix (messages.py). No torch here: `searchtune validate`
stays fast."""

import argparse

from finetune.core.recipe.loader import apply_override, load_recipe, read_yaml, to_yaml
from finetune.core.recipe.schema import (
    DataSection, DecodingSection, EvalSection, LocateSection, HubSection, LoggingSection, LoraSection, ModelSection, Recipe, Source, TrainSection,
    WatchdogSection,
)

__all__ = [
    "DataSection", "DecodingSection", "EvalSection", "LocateSection", "HubSection", "LoggingSection", "LoraSection", "ModelSection", "Recipe", "Source",
    "TrainSection", "WatchdogSection", "add_arguments", "apply_override", "load_recipe", "read_yaml", "to_yaml",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The positional RECIPE and its overrides, as every command that loads a recipe takes them."""
    parser.add_argument("recipe", help="recipe YAML file")
    parser.add_argument("overrides", nargs="*", help="key.sub=value overrides, e.g. train.max_steps=2")
