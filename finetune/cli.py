"""`searchtune`: validate, show and run recipes; evaluate, merge and push runs.

Only the subcommand that runs imports its heavy dependencies: `--help`, `validate`, `show` and `schema`
never import torch.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from finetune.core.errors import UserError

REPO = Path(__file__).resolve().parents[1]
ACCELERATE_CONFIGS = REPO / "accelerate_configs"


def _recipe_args(p):
    p.add_argument("recipe", help="recipe YAML file")
    p.add_argument("overrides", nargs="*", help="key.sub=value overrides, e.g. train.max_steps=2")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="searchtune", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _recipe_args(sub.add_parser("validate", help="check a recipe; exit 0 if valid, 2 with the errors"))
    _recipe_args(sub.add_parser("show", help="print the fully resolved recipe as YAML"))
    sub.add_parser("schema", help="print the recipe JSON schema")
    p = sub.add_parser("train", help="train a recipe under accelerate launch")
    _recipe_args(p)
    p.add_argument("--accelerate-config", default="cpu", help="a name from accelerate_configs/ or a path (default: cpu)")
    for name, help_ in (("eval", "evaluate a model or run (see `searchtune eval --help`)"),
                        ("merge", "merge a run's adapter into its base model"),
                        ("push", "push a run to the Hugging Face Hub")):
        sub.add_parser(name, help=help_, add_help=False)
    return parser


def _accelerate_config(value: str) -> Path:
    path = Path(value)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise UserError(f"--accelerate-config: {path} does not exist")
        return path
    named = ACCELERATE_CONFIGS / f"{value}.yaml"
    if not named.is_file():
        names = sorted(p.stem for p in ACCELERATE_CONFIGS.glob("*.yaml"))
        raise UserError(f"--accelerate-config: no config named `{value}`; choose one of {', '.join(names)} or give a path")
    return named


def run(argv: list[str]) -> int:
    # Subcommands with their own parsers get their arguments untouched.
    debug = "--debug" in argv
    head = [a for a in argv if a != "--debug"]
    if head and head[0] in ("eval", "merge", "push"):
        rest = head[1:] + (["--debug"] if debug else [])
        if head[0] == "eval":
            from evals.cli import main as eval_main

            return eval_main(rest)
        if head[0] == "merge":
            from finetune.publish.merge import merge_main

            return merge_main(rest)
        from finetune.publish.hub import push_main

        return push_main(rest)

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # Overrides may also follow options (`train R --accelerate-config multi_cpu a.b=1`).
    if extra and (args.command in ("validate", "show", "train")) and all("=" in e and not e.startswith("-") for e in extra):
        args.overrides += extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    from finetune.core.recipe import Recipe, load_recipe, to_yaml

    if args.command == "schema":
        print(json.dumps(Recipe.model_json_schema(), indent=2))
        return 0
    if args.command in ("validate", "show"):
        recipe = load_recipe(args.recipe, args.overrides)
        print(f"{args.recipe}: valid" if args.command == "validate" else to_yaml(recipe), end="\n" if args.command == "validate" else "")
        return 0
    # train: validate here first, so a typo fails in a second rather than after accelerate starts.
    load_recipe(args.recipe, args.overrides)
    config = _accelerate_config(args.accelerate_config)
    launch = ["--config_file", str(config), "-m", "finetune.workflow", args.recipe, *args.overrides] + (["--debug"] if args.debug else [])
    print("[searchtune] " + " ".join(["accelerate launch", "--config_file", str(config), "-m finetune.workflow", args.recipe, *args.overrides]))
    # finetune.workflow repeats this command in the resume hint it prints after a stop signal (finetune/training/signals.py).
    os.environ["SEARCHTUNE_LAUNCH_COMMAND"] = shlex.join(["searchtune", "train", "--accelerate-config", args.accelerate_config])
    return _accelerate_launch(launch)


def _accelerate_launch(argv: list[str]) -> int:
    """`accelerate launch ARGV`, except that a single-process launch becomes the training process (exec) rather than
    its parent: accelerate's launcher would not pass SIGTERM on, and would turn the training's exit code (2, 3, 4,
    130, 143) into 1 with a traceback. Multi-process launches go through accelerate (torchrun) unchanged."""
    from accelerate.commands import launch as accelerate

    def exec_simple(ns):
        cmd, env = accelerate.prepare_simple_launcher_cmd_env(ns)
        os.execvpe(cmd[0], cmd, env)

    accelerate.simple_launcher = exec_simple
    accelerate.launch_command(accelerate.launch_command_parser().parse_args(argv))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except UserError as e:
        if "--debug" in argv:
            raise
        print(f"error: {e}", file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
