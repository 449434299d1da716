"""`searchtune show RECIPE [KEY=VALUE ...]`."""

from __future__ import annotations

from finetune.core.recipe import add_arguments as recipe_arguments

HELP = "print the fully resolved recipe as YAML"


def add_arguments(parser) -> None:
    recipe_arguments(parser)


def run(args) -> int:
    from finetune.core.recipe import load_recipe, to_yaml

    print(to_yaml(load_recipe(args.recipe, args.overrides)), end="")
    return 0
