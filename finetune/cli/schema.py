"""`searchtune schema`."""

from __future__ import annotations

import json

HELP = "print the recipe JSON schema"


def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    from finetune.core.recipe import Recipe

    print(json.dumps(Recipe.model_json_schema(), indent=2))
    return 0
