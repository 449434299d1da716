"""`searchtune merge RUN_DIR`."""

from __future__ import annotations

from finetune.cli import run_dir_argument

HELP = "merge a run's adapter into an unquantized copy of its base model (safetensors + tokenizer)"


def add_arguments(parser) -> None:
    run_dir_argument(parser)
    parser.add_argument("--output", metavar="DIR", help="where to write the merged model (default RUN_DIR/merged)")
    # Checked by merge_run: command modules import no library at import time, so `searchtune --help` stays light.
    parser.add_argument("--dtype", metavar="bf16|fp16|fp32", help="weight dtype of the merged model "
                        "(default: the recipe's model.dtype, else the base checkpoint's)")


def run(args) -> int:
    from finetune.publish.merge import merge_run

    print(merge_run(args.run_dir, args.output, args.dtype))
    return 0
