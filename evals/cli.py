"""`searchtune eval` / `python -m evals eval`: score a model, an adapter or a run folder; or compare two evals.

    eval --model MODEL [--adapter DIR | --run RUN_DIR] --task TASK[,TASK...] [--data KEY=PATH ...] [--limit N]
         [--batch-size N|auto] [--output DIR] [--wandb-mode online|offline|disabled] [--baseline base] [--debug]
    eval --compare RUN_A RUN_B --output DIR

Heavy modules (torch, lm_eval) are imported only once the arguments are valid.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path

from finetune.core.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    from evals.pipeline import searchtune_tasks
    from evals.tasks.utils import DATA_KEYS

    p = argparse.ArgumentParser(prog="searchtune eval", description=__doc__.splitlines()[0])
    p.add_argument("--model", help="base model: Hub id, local folder, .gguf file or `smollm2-135m-instruct` "
                                   "(default with --run: the recipe's model.name)")
    p.add_argument("--adapter", help="PEFT adapter folder to evaluate on top of --model")
    p.add_argument("--run", help="training run folder: its recipe.yaml gives model and tasks, its adapter/ is evaluated")
    p.add_argument("--task", action="append", default=[],
                   help="task name(s), comma-separated or repeated (default with --run: the recipe's eval.tasks); "
                        f"searchtune tasks: {', '.join(searchtune_tasks())}; any lm-eval task name also works")
    p.add_argument("--data", action="append", default=[], metavar="KEY=PATH",
                   help=f"data file for a source key, e.g. canard=/data/canard/dev.jsonl (repeatable); keys: "
                        f"{', '.join(DATA_KEYS)}; default files live under $SEARCHTUNE_DATA_ROOT (../shared/data)")
    p.add_argument("--instruction", action="append", default=[], metavar="KEY=TEXT",
                   help="the instruction the model was trained with for a source key (repeatable); "
                        "default: the task's own")
    p.add_argument("--limit", type=int, help="score at most N examples per task")
    p.add_argument("--batch-size", default="16", help="generation batch size, or `auto` (default 16)")
    p.add_argument("--output", help="output folder (default with --run: RUN_DIR/eval)")
    p.add_argument("--wandb-mode", choices=("auto", "online", "offline", "disabled"), default="auto",
                   help="auto: online with WANDB_API_KEY, else offline files")
    p.add_argument("--baseline", choices=("base",), help="also score the base model (adapter switched off) and compare")
    p.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"),
                   help="compare two evals (run folders or eval output folders) example by example")
    p.add_argument("--debug", action="store_true", help="show tracebacks and lm-eval's logs")
    return p


def _batch_size(value: str) -> int | str:
    if value == "auto":
        return value
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise UserError(f"--batch-size {value}: use a positive integer or `auto`")


def _pairs(option: str, pairs: list[str], example: str) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise UserError(f"{option} {pair}: use KEY=VALUE, e.g. {option} {example}")
        out[key] = value
    return out


def _tasks(values: list[str]) -> list[str]:
    return [t.strip() for value in values for t in value.split(",") if t.strip()]


def _read_recipe(run_dir: Path) -> dict:
    import yaml

    path = run_dir / "recipe.yaml"
    if not path.is_file():
        raise UserError(f"--run {run_dir}: no recipe.yaml there; point --run at a training run folder")
    try:
        recipe = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise UserError(f"--run {run_dir}: recipe.yaml is not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(recipe, dict):
        raise UserError(f"--run {run_dir}: recipe.yaml is not a mapping")
    return recipe


def load_model(name: str, adapter: Path | None, gguf_file: str | None = None, dtype: str = "auto"):
    """(model, tokenizer): the base model, with the adapter attached when given (a PeftModel then)."""
    import torch

    from finetune.core.models import load_base_model, load_tokenizer, local_checkpoint

    if adapter is not None and not (adapter / "adapter_config.json").is_file():
        raise UserError(f"--adapter {adapter}: no adapter_config.json there; point at a PEFT adapter folder "
                        "(a run's adapter/)")
    checkpoint = local_checkpoint(name, gguf_file)
    # A run's adapter folder holds the tokenizer training used (pad token, chat template): prefer it.
    has_tokenizer = adapter is not None and (adapter / "tokenizer_config.json").is_file()
    tokenizer = load_tokenizer(str(adapter) if has_tokenizer else checkpoint)
    model = load_base_model(checkpoint, dtype, device_map="cuda" if torch.cuda.is_available() else None)
    if adapter is not None:
        model = attach_adapter(model, adapter, name)
    return model, tokenizer


def attach_adapter(model, adapter: Path, base_name: str):
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(adapter))
    except (RuntimeError, ValueError, KeyError) as e:
        trained_on = json.loads((adapter / "adapter_config.json").read_text()).get("base_model_name_or_path")
        hint = f"it was trained on `{trained_on}`: pass that model with --model" if trained_on else \
            "pass the model it was trained on with --model"
        raise UserError(f"--adapter {adapter} does not fit base model `{base_name}` ({_mismatch(e)}); {hint}") from None


_SIZE_MISMATCH = re.compile(r"size mismatch for (\S+): copying a param with shape torch\.Size\((\[[^\]]*\])\) from "
                            r"checkpoint, the shape in current model is torch\.Size\((\[[^\]]*\])\)")


def _mismatch(error: Exception) -> str:
    """The first concrete mismatch in a peft/torch loading error, in one short clause."""
    found = _SIZE_MISMATCH.search(str(error))
    if found:
        name, theirs, ours = found.groups()
        return f"size mismatch for {name}: adapter {theirs}, base model {ours}"
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    return (lines[0] if lines else type(error).__name__)[:200]


def run_eval(args) -> int:
    from evals import pipeline, report

    tasks = _tasks(args.task)
    data = _pairs("--data", args.data, "canard=/data/canard/dev.jsonl")
    instructions = _pairs("--instruction", args.instruction, '"aeslc=Write the subject line of the email."')
    batch_size = _batch_size(args.batch_size)
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit {args.limit}: use a positive number")
    if args.run and args.adapter:
        raise UserError("--run and --adapter both name an adapter; pass one of them")
    model_name, gguf_file, dtype, adapter, run_dir, project = args.model, None, "auto", None, None, "searchtune"
    if args.adapter:
        adapter = Path(args.adapter)
    if args.run:
        run_dir = Path(args.run)
        recipe = _read_recipe(run_dir)
        model_cfg = recipe.get("model") or {}
        if not args.model:
            model_name, gguf_file = model_cfg.get("name"), model_cfg.get("gguf_file")
        dtype = model_cfg.get("dtype") or "auto"
        tasks = tasks or list((recipe.get("eval") or {}).get("tasks") or [])
        instructions = {**pipeline.recipe_instructions(recipe), **instructions}
        project = (recipe.get("logging") or {}).get("project") or project
        adapter = run_dir / "adapter"
        if not adapter.is_dir():
            raise UserError(f"--run {run_dir}: no adapter/ folder; has the run finished training?")
    if not model_name:
        raise UserError("--model is required (or --run RUN_DIR with a recipe that names model.name)")
    if not tasks:
        raise UserError("no tasks: pass --task NAME (e.g. --task searchtune_qr_sample)")
    output = Path(args.output) if args.output else (run_dir / "eval" if run_dir else None)
    if output is None:
        raise UserError("--output DIR is required without --run")
    if args.baseline and adapter is None:
        raise UserError("--baseline base compares against the adapter-free model: pass --adapter or --run")

    pipeline.load_tasks(tasks, data, instructions)  # unknown tasks and bad data files fail before the model loads
    model, tokenizer = load_model(model_name, adapter, gguf_file, dtype)
    results = pipeline.evaluate(
        model, tokenizer, tasks, output, limit=args.limit, batch_size=batch_size, baseline=bool(args.baseline),
        data=data, instructions=instructions, run_dir=run_dir, wandb_mode=args.wandb_mode, wandb_project=project,
        model_info={"base": model_name, "adapter": str(adapter) if adapter else None},
    )
    print(report.summary_text(results))
    print(f"[searchtune] wrote {output / 'results.json'}, predictions.jsonl, report.md, report.html")
    return 0


def run_compare(args) -> int:
    if args.model or args.adapter or args.run or args.task:
        raise UserError("--compare takes two eval folders only; drop --model/--adapter/--run/--task")
    if not args.output:
        raise UserError("--compare needs --output DIR for the side-by-side report")
    from evals import pipeline

    pipeline.compare_runs(Path(args.compare[0]), Path(args.compare[1]), Path(args.output))
    print(f"[searchtune] wrote the comparison to {args.output}/report.md and report.html")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for `searchtune eval ARGS` (argv = ARGS, without the word `eval`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s")
    if not args.debug:
        # lm-eval warns once per task about things that are deliberate here (custom datasets, no few-shot split).
        for name in ("lm_eval", "lm-eval", "transformers", "datasets", "absl"):
            logging.getLogger(name).setLevel(logging.ERROR)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # weight loading bars; the generation bar stays
    try:
        return run_compare(args) if args.compare else run_eval(args)
    except UserError as e:
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return e.code
