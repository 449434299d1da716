"""`searchtune export RUN_DIR --format gguf`."""

from __future__ import annotations

from finetune.cli import run_dir_argument

HELP = "write a run's merged model in an inference engine's format, with its prompt template and generation settings"


def add_arguments(parser) -> None:
    run_dir_argument(parser)
    # Checked by export_run: command modules import no library at import time, so `searchtune --help` stays light.
    parser.add_argument("--format", default="gguf", metavar="gguf", help="the engine format (default gguf: llama.cpp)")
    parser.add_argument("--quant", default="q8_0", metavar="q8_0|q4_k_m|f16|f32",
                        help="GGUF weight type (default q8_0)")
    parser.add_argument("--output", metavar="DIR", help="where to write it (default RUN_DIR/export/FORMAT-QUANT)")
    parser.add_argument("--pre-tokenizer", metavar="NAME", help="llama.cpp pre-tokenizer for a byte-level BPE "
                        "tokenizer its converter does not recognise (e.g. gpt-2); SmolLM2's is recognised")


def run(args) -> int:
    from finetune.publish.export import export_run

    print(export_run(args.run_dir, args.format, args.quant, args.output, args.pre_tokenizer))
    return 0


def open_run_engine(run_dir, engine: str, **options):
    """open_engine for serve, predict and chat; a run without the GGUF export llama.cpp reads is exported first (once:
    later starts find it), since export is publishing and finetune.serving only reads what it wrote."""
    from pathlib import Path

    from finetune.core.run import EXPORT_SETTINGS_FILE, RunFolder
    from finetune.serving.engines import open_engine

    run = RunFolder.finished(run_dir)
    if engine == "llama.cpp" and not options.get("base") and \
            not (run.export_dir("gguf", "q8_0") / EXPORT_SETTINGS_FILE).is_file():
        from finetune.publish.export import export_run

        print(f"searchtune: exporting {run.name} for llama.cpp (q8_0, once)", flush=True)
        export_run(run.path, "gguf", "q8_0")
    return open_engine(Path(run_dir), engine, **options)
