"""`searchtune export RUN_DIR --format gguf|ct2`."""

from __future__ import annotations

from finetune.cli import run_dir_argument

HELP = "write a run's merged model in an inference engine's format, with its prompt template and generation settings"


def add_arguments(parser) -> None:
    # Checked by export_run: command modules import no library at import time, so `searchtune --help` stays light
    # (finetune.publish.export imports none either).
    from finetune.publish.export import FORMATS

    run_dir_argument(parser)
    parser.add_argument("--format", default="gguf", metavar="|".join(FORMATS),
                        help="the engine format (default gguf: llama.cpp; ct2: CTranslate2)")
    parser.add_argument("--quant", metavar="TYPE", help="weight type, the format's first by default: " + "; ".join(
        f"{fmt} {', '.join(quants)}" for fmt, quants in FORMATS.items()))
    parser.add_argument("--output", metavar="DIR", help="where to write it (default RUN_DIR/export/FORMAT-QUANT)")
    parser.add_argument("--pre-tokenizer", metavar="NAME", help="llama.cpp pre-tokenizer for a byte-level BPE "
                        "tokenizer its converter does not recognise (e.g. gpt-2); SmolLM2's is recognised")


def run(args) -> int:
    from finetune.publish.export import export_run

    print(export_run(args.run_dir, args.format, args.quant, args.output, args.pre_tokenizer))
    return 0


def open_run_engine(run_dir, engine: str, **options):
    """open_engine for serve, predict and chat; a run without the export its engine reads (llama.cpp's GGUF,
    CTranslate2's model) is exported first (once: later starts find it), since export is publishing and
    finetune.serving only reads what it wrote."""
    from pathlib import Path

    from finetune.core.run import EXPORT_SETTINGS_FILE, RunFolder
    from finetune.serving.engines import ENGINE_EXPORTS, open_engine

    run = RunFolder.finished(run_dir)
    if engine in ENGINE_EXPORTS and not options.get("base") and \
            not (run.export_dir(*ENGINE_EXPORTS[engine]) / EXPORT_SETTINGS_FILE).is_file():
        from finetune.publish.export import export_run

        fmt, quant = ENGINE_EXPORTS[engine]
        print(f"searchtune: exporting {run.name} for {engine} ({fmt} {quant}, once)", flush=True)
        export_run(run.path, fmt, quant)
    return open_engine(Path(run_dir), engine, **options)
