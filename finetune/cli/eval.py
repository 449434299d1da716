"""`searchtune eval ARGS`: evals.cli owns the parser; its arguments pass through untouched."""

from __future__ import annotations

HELP = "evaluate a model or run (see `searchtune eval --help`)"
PASSTHROUGH = True


def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    from evals.cli import main

    return main(args.passthrough + (["--debug"] if args.debug else []))
