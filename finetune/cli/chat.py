"""`searchtune chat RUN [--base]`: type a conversation (or paste a document) and see the run's rewrite (or summary)."""

from __future__ import annotations

from pathlib import Path

from finetune.cli import engine_argument, run_dir_argument

HELP = "try a run in the terminal: type a conversation and see each rewrite, or paste a document for its summary"


def add_arguments(parser) -> None:
    run_dir_argument(parser)
    parser.add_argument("--base", action="store_true", help="show the base model's prediction beside the tuned one")
    engine_argument(parser)
    parser.add_argument("--max-new-tokens", type=int, metavar="N",
                        help="longest prediction in tokens (default: the run's eval.decoding.max_new_tokens, else "
                             "the eval task's: 64 for rewrites, 128 for summaries)")


def run(args) -> int:
    from finetune.cli.export import open_run_engine
    from finetune.core.errors import UserError
    from finetune.serving import chat
    from finetune.serving.engines import decoding_for, run_model

    if args.max_new_tokens is not None and args.max_new_tokens < 1:
        raise UserError(f"--max-new-tokens {args.max_new_tokens}: use a positive number")
    recipe = run_model(Path(args.run_dir))[1]
    task = recipe.data.task
    decoding = decoding_for(recipe, args.max_new_tokens)
    engines = {"tuned": open_run_engine(Path(args.run_dir), args.engine)}
    try:
        if args.base:
            engines["base"] = open_run_engine(Path(args.run_dir), args.engine, base=True)
        return chat.chat(engines, task, decoding)
    finally:
        for engine in engines.values():
            engine.close()
