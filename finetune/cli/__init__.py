"""`searchtune`: validate, show and run recipes; evaluate, merge and push runs.

A registry of commands, as in TRL's `cli/`: each command is a module of this package with `HELP`,
`add_arguments(parser)` and `run(args) -> int`; `main` builds one parser from them and runs the chosen command
inside `finetune.core.errors.handle`. A module with `PASSTHROUGH = True` (eval, whose parser lives in evals.cli)
gets its arguments untouched in `args.passthrough`, `--help` included. Command modules import their heavy dependencies inside `run`, so `--help`,
`validate`, `show` and `schema` never import torch.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import import_module
from importlib.metadata import version

from finetune.core import compat
from finetune.core.errors import handle

COMMANDS = ("validate", "show", "schema", "preview", "train", "eval", "merge", "export", "push", "predict", "chat",
            "serve", "sweep", "leaderboard")
OVERRIDE = re.compile(r"[A-Za-z_][\w.]*=.*", re.DOTALL)


def run_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run folder (a recipe's output_dir)")


def engine_argument(parser: argparse.ArgumentParser) -> None:
    """--engine for serve, predict and chat, from the one list of engines (checked by open_engine)."""
    from finetune.serving.engines import ENGINE_EXPORTS, ENGINES  # no library imported: --help stays light

    parser.add_argument("--engine", default="transformers", metavar="|".join(ENGINES),
                        help=f"the inference engine (default transformers); {' and '.join(ENGINE_EXPORTS)} serve the "
                             "run's export (`searchtune export`), written on first use")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="searchtune", description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('searchtune')}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        command = import_module(f"{__name__}.{name}")
        passthrough = getattr(command, "PASSTHROUGH", False)
        p = sub.add_parser(name, help=command.HELP, description=command.HELP, add_help=not passthrough,
                           allow_abbrev=False)
        command.add_arguments(p)
        # SUPPRESS: `searchtune --debug CMD` stays on when CMD's own --debug is absent.
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
        p.set_defaults(run=command.run, **({"passthrough": []} if passthrough else {}))
    return parser


def parse(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if hasattr(args, "passthrough"):
        args.passthrough = extra
    elif extra and hasattr(args, "overrides") and all(OVERRIDE.fullmatch(e) for e in extra):
        args.overrides += extra  # overrides may also follow options (`train R --accelerate-config multi_cpu a.b=1`)
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else list(argv))
    compat.quiet_bitsandbytes_cpu_notice()  # eval, merge and preview import peft, which imports bitsandbytes
    return handle(lambda: args.run(args), args.debug)
