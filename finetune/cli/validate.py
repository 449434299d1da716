"""`searchtune validate RECIPE [KEY=VALUE ...]`."""

from __future__ import annotations

from finetune.core.recipe import add_arguments as recipe_arguments

HELP = "check a recipe; exit 0 if valid, 2 with the errors"


def add_arguments(parser) -> None:
    recipe_arguments(parser)


def run(args) -> int:
    from finetune.core.recipe import load_recipe
    from finetune.preflight import preflight

    preflight(load_recipe(args.recipe, args.overrides))
    print(f"{args.recipe}: valid")
    return 0
