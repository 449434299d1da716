"""`searchtune predict RUN --input FILE --output FILE`: one rewrite or summary per row, with the training prompt.

With `--num-processes N` or `--accelerate-config`, it launches itself under `accelerate launch` as `searchtune train`
does (same options, same configs), and the processes share the rows; without them it runs in this process. Run under
`accelerate launch` directly (`accelerate launch -m finetune.cli predict ...`), it shards the same way.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from finetune.cli import engine_argument, run_dir_argument
from finetune.cli import train as launching

HELP = "rewrite or summarize every row of a JSONL, CSV or Parquet file with a trained run"


def add_arguments(parser) -> None:
    run_dir_argument(parser)
    parser.add_argument("--input", required=True, type=Path, metavar="FILE", help=".jsonl, .csv or .parquet rows")
    parser.add_argument("--output", required=True, type=Path, metavar="FILE",
                        help=".jsonl, .csv or .parquet: the input rows with the prediction added")
    parser.add_argument("--columns", nargs="+", default=[], metavar="FIELD=COLUMN",
                        help="map task fields to the file's columns, as a recipe source's `columns` "
                             "(e.g. query=utterance history=context; rewrite=NAME or summary=NAME names the output "
                             "column)")
    engine_argument(parser)
    parser.add_argument("--base", action="store_true", help="predict with the base model, without the adapter")
    parser.add_argument("--batch-size", type=int, default=16, metavar="N", help="rows per generation batch")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N rows")
    parser.add_argument("--max-new-tokens", type=int, metavar="N",
                        help="longest prediction in tokens (default: the run's eval.decoding.max_new_tokens, else "
                             "the eval task's: 64 for rewrites, 128 for summaries)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    parser.add_argument("--accelerate-config", "--accelerate_config", dest="accelerate_config", metavar="NAME|PATH",
                        help="launch under accelerate with this config, as `searchtune train` (default with "
                             "--num-processes: multi_gpu where GPUs are visible, else multi_cpu)")
    parser.add_argument("--num-processes", "--num_processes", dest="num_processes", type=int, metavar="N",
                        help="processes to share the rows")


def run(args) -> int:
    from finetune.cli.export import open_run_engine
    from finetune.core.errors import UserError
    from finetune.serving import predict
    from finetune.serving.engines import decoding_for, prompt_parts, run_model

    for flag, value in (("--batch-size", args.batch_size), ("--limit", args.limit),
                        ("--max-new-tokens", args.max_new_tokens)):
        if value is not None and value < 1:
            raise UserError(f"{flag} {value}: use a positive number")
    # Everything is checked before a launch or a model load, so a bad input fails in a second.
    folder, recipe = run_model(Path(args.run_dir))
    task = recipe.data.task
    decoding = decoding_for(recipe, args.max_new_tokens)
    table = predict.read_table(args.input, task, predict.parse_columns(args.columns, task), args.limit)
    output_format = predict.check_output(args.output, args.overwrite, args.input)
    texts = predict.prompts_for(table, *prompt_parts(folder, recipe))  # the tokenizer alone: a row too long fails here
    if args.num_processes is not None or args.accelerate_config:
        return launch(args)

    rank, world, barrier = predict.process_group()
    engine = open_run_engine(Path(args.run_dir), args.engine, base=args.base)
    try:
        counts = predict.predict(engine, table, texts, args.output, output_format,
                                 decoding, args.batch_size, rank, world, barrier)
    finally:
        engine.close()
    if rank == 0:
        resumed = f", {counts['resumed']} resumed" if counts["resumed"] else ""
        print(f"[searchtune] predict: {counts['rows']} rows{resumed} -> {args.output}")
    return 0


def launch(args) -> int:
    """`accelerate launch -m finetune.cli predict ...` with the same arguments, less the launch options."""
    name = args.accelerate_config or ("multi_gpu" if launching.visible_gpus() else "multi_cpu")
    config = launching.accelerate_config(name)
    processes = launching.process_count(config, args.num_processes)
    options = ["--config_file", str(config)]
    options += ["--num_processes", str(processes)] if processes else []
    options += launching.cpu_threads(config, processes)
    script = ["-m", "finetune.cli", *(["--debug"] if args.debug else []), "predict", str(args.run_dir),
              "--input", str(args.input), "--output", str(args.output), "--engine", args.engine,
              "--batch-size", str(args.batch_size)]
    script += ["--columns", *args.columns] if args.columns else []
    script += ["--limit", str(args.limit)] if args.limit else []
    script += ["--max-new-tokens", str(args.max_new_tokens)] if args.max_new_tokens else []
    script += ["--base"] * args.base + ["--overwrite"] * args.overwrite
    print("[searchtune] " + shlex.join(["accelerate", "launch", *options, *script]))
    return launching.accelerate_launch([*options, *script])
