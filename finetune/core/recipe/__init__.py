"""The recipe: one Pydantic schema (schema.py), loaded from YAML with overrides and `${...}` references (loader.py),
its mistakes reported one line each with file:line and a fix (messages.py). No torch here: `searchtune validate`
stays fast."""

from finetune.core.recipe.loader import apply_override, load_recipe, read_yaml, to_yaml
from finetune.core.recipe.schema import (
    DataSection, EvalSection, HubSection, LoggingSection, LoraSection, ModelSection, Recipe, Source, TrainSection,
    WatchdogSection,
)

__all__ = [
    "DataSection", "EvalSection", "HubSection", "LoggingSection", "LoraSection", "ModelSection", "Recipe", "Source",
    "TrainSection", "WatchdogSection", "apply_override", "load_recipe", "read_yaml", "to_yaml",
]
