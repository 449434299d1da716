"""`searchtune eval`: score a model, an adapter or a run folder; or compare two evals.

    eval --model MODEL [--adapter DIR | --run RUN_DIR] --task TASK[,TASK...] [--data KEY=PATH ...] [--limit N]
         [--batch-size N|auto] [--max-length N] [--output DIR] [--wandb-mode online|offline|disabled]
         [--baseline base|none] [--length-words N] [--response-words N] [--retriever bm25|dense|fused]
         [--num-beams N] [--length-penalty X] [--no-repeat-ngram-size N] [--min-new-tokens N] [--max-new-tokens N]
         [--debug]
    eval --compare RUN_A RUN_B --output DIR

With --run, the run's recipe gives the model, the tasks, eval.batch_size, eval.limit, eval.baseline, eval.decoding,
data.max_length / data.max_target_length and the earlier responses its prompts carried (data.response_words); a flag
overrides each. A run is refused for a task that reports turns it trained on (evals.registry.reported_overlap, the
check training runs on its own eval.tasks). Heavy modules (torch, lm_eval) are imported only once the arguments are
valid.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from finetune.core.errors import UserError, handle


def build_parser() -> argparse.ArgumentParser:
    from evals.registry import DATA_KEYS, task_names

    p = argparse.ArgumentParser(prog="searchtune eval", description=__doc__.splitlines()[0])
    p.add_argument("--model", help="base model: Hub id, local folder, .gguf file or `smollm2-135m-instruct` "
                                   "(default with --run: the recipe's model.name)")
    p.add_argument("--adapter", help="PEFT adapter folder to evaluate on top of --model")
    p.add_argument("--run", help="training run folder: its recipe.yaml gives model, tasks and eval settings, its "
                                 "adapter/ is evaluated")
    p.add_argument("--task", action="append", default=[],
                   help="task name(s), comma-separated or repeated (default with --run: the recipe's eval.tasks); "
                        f"searchtune tasks: {', '.join(task_names())}; any lm-eval task name also works")
    p.add_argument("--data", action="append", default=[], metavar="KEY=PATH",
                   help=f"data file for a source key, e.g. canard=/data/canard/dev.jsonl (repeatable); keys: "
                        f"{', '.join(DATA_KEYS)}; default files live under $SEARCHTUNE_DATA_ROOT (../shared/data)")
    p.add_argument("--instruction", action="append", default=[], metavar="KEY=TEXT",
                   help="the instruction the model was trained with for a source key (repeatable); "
                        "default: the task's own")
    p.add_argument("--limit", type=int, help="score at most N examples per task (default with --run: eval.limit)")
    p.add_argument("--batch-size", help="generation batch size, or `auto` (default: 16, with --run eval.batch_size)")
    p.add_argument("--max-length", type=int,
                   help="cut prompts the way training does to fit N tokens with the answer (default with --run: "
                        "data.max_length; without: only the model's context length)")
    p.add_argument("--length-words", type=int,
                   help="length target of every summarize prompt (\"in about N words\"), for a model trained with "
                        "data.length_bucket (default with --run: eval.length_words, rounded to the bucket)")
    p.add_argument("--response-words", type=int,
                   help="put the earlier system responses (a conversations file's `responses`, CAsT 2021/2022) in "
                        "every query_rewrite prompt, each cut to N words as training cuts them; 0: leave them out "
                        "(default with --run: data.response_words when data.responses is include, else 0)")
    p.add_argument("--retriever", choices=("bm25", "dense", "fused"),
                   help="the passage retriever of a meeting task's locator (searchtune_sum_qmsum; default with --run: "
                        "data.locate.retriever, else bm25); recorded with the scores")
    p.add_argument("--engine", choices=("transformers", "vllm"), default="transformers",
                   help="generation backend: transformers (default), or vllm on a GPU (lm-eval's vLLM backend, the "
                        "adapter applied per request; needs `pip install vllm`)")
    p.add_argument("--output", help="output folder (default with --run: RUN_DIR/eval)")
    p.add_argument("--wandb-mode", choices=("auto", "online", "offline", "disabled"), default="auto",
                   help="auto: online with WANDB_API_KEY, else offline files")
    p.add_argument("--baseline", choices=("base", "none"),
                   help="base: also score the base model (adapter switched off) and compare; none: do not "
                        "(default with --run: eval.baseline, else none)")
    decoding = p.add_argument_group("decoding (default: greedy with each task's max_gen_toks; with --run: the "
                                    "recipe's eval.decoding)")
    decoding.add_argument("--num-beams", type=int, help="beam search width (1: greedy)")
    decoding.add_argument("--length-penalty", type=float, help="beam search length exponent (>1 longer, <1 shorter)")
    decoding.add_argument("--no-repeat-ngram-size", type=int, help="never repeat an n-gram of this size (0: off)")
    decoding.add_argument("--min-new-tokens", type=int, help="generate at least this many tokens")
    decoding.add_argument("--max-new-tokens", type=int, help="longest output in tokens (default: the task's own)")
    p.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"),
                   help="compare two evals (run folders or eval output folders) example by example")
    p.add_argument("--debug", action="store_true", help="show tracebacks and lm-eval's logs")
    return p


def batch_size(value) -> int | str:
    value = str(value)
    if value == "auto":
        return value
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise UserError(f"--batch-size {value}: use a positive integer or `auto`")


def pairs(option: str, values: list[str], example: str) -> dict[str, str]:
    """KEY=VALUE flags as a dict."""
    out = {}
    for pair in values:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise UserError(f"{option} {pair}: use KEY=VALUE, e.g. {option} {example}")
        out[key] = value
    return out


def _tasks(values: list[str]) -> list[str]:
    return [t.strip() for value in values for t in value.split(",") if t.strip()]


def _positive(option: str, value: int | None) -> int | None:
    if value is not None and value < 1:
        raise UserError(f"{option} {value}: use a positive number")
    return value


DECODING_FLAGS = ("num_beams", "length_penalty", "no_repeat_ngram_size", "min_new_tokens", "max_new_tokens")


def decoding(args, recipe_decoding: dict | None = None) -> dict:
    """The decoding changes from greedy: the recipe's eval.decoding with each given flag over it, checked by the
    recipe schema (one set of bounds for both)."""
    from pydantic import ValidationError

    from finetune.core.recipe import DecodingSection

    given = {key: getattr(args, key) for key in DECODING_FLAGS if getattr(args, key, None) is not None}
    try:
        return DecodingSection.model_validate({**(recipe_decoding or {}), **given}).changes()
    except ValidationError as e:
        first = e.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["loc"]:
            message = f"eval.decoding.{first['loc'][0]}: {message}"
        # The recipe's key names the flag too: eval.decoding.length_penalty -> --length-penalty.
        flag = re.sub(r"eval\.decoding\.(\w+)", lambda m: "--" + m.group(1).replace("_", "-"), message)
        raise UserError(flag) from None


def _length_words(flag: int | None, recipe) -> int | None:
    """A run's eval length target: the flag or eval.length_words, rounded to the bucket the run trained with."""
    from finetune.core.prompts import eval_length

    if flag is not None and recipe.data.length_bucket is None:
        raise UserError(f"--length-words {flag}: the run trained without a length target (no data.length_bucket); "
                        "drop the flag")
    return eval_length(recipe.data, recipe.eval.model_copy(update={"length_words": _positive("--length-words", flag)})
                       if flag is not None else recipe.eval)


def _response_words(flag: int | None) -> int | None:
    """Words kept of each earlier response, None for none: `--response-words 0` scores a model without them."""
    if flag is not None and flag < 0:
        raise UserError(f"--response-words {flag}: use 0 (no earlier responses) or a number of words to keep of each")
    return flag or None


def _reported_turns(run, recipe, tasks: list[str], data: dict) -> None:
    """Refuse to score a run on turns it trained on, in one line (the check training ran on its own eval.tasks)."""
    from evals.registry import reported_overlap

    overlaps = reported_overlap(recipe, tasks, data)
    if overlaps:
        raise UserError(f"--run {run.path}: {'; '.join(o.describe() for o in overlaps)}; its scores there would "
                        "count turns it learned: score a task that leaves them out (a run trained on `topics: odd` "
                        "reports searchtune_qr_cast2020_even) or retrain on the other topics")


def eval_settings(args) -> dict:
    """evaluate()'s arguments from the flags and, with --run, the run's recipe (a flag wins over the recipe)."""
    from finetune.core.run import RunFolder

    if args.run and args.adapter:
        raise UserError("--run and --adapter both name an adapter; pass one of them")
    settings = {
        "model": args.model, "gguf_file": None, "dtype": "auto", "load_in_4bit": False,
        "adapter": Path(args.adapter) if args.adapter else None,
        "run_dir": None, "tasks": _tasks(args.task), "limit": _positive("--limit", args.limit),
        "batch_size": batch_size(args.batch_size or 16), "baseline": args.baseline == "base",
        "max_length": _positive("--max-length", args.max_length), "max_target_length": None,
        "data": pairs("--data", args.data, "canard=/data/canard/dev.jsonl"),
        "instructions": pairs("--instruction", args.instruction, '"aeslc=Write the subject line of the email."'),
        "wandb_project": "searchtune", "decoding": decoding(args),
        "length_words": _positive("--length-words", args.length_words),
        "response_words": _response_words(args.response_words), "locate": None,
    }
    if args.run:
        run = RunFolder(args.run)
        recipe = run.recipe()
        if recipe is None:
            raise UserError(f"--run {run.path}: no recipe.yaml there; point --run at a training run folder")
        if not run.adapter_config_file.is_file():
            raise UserError(f"--run {run.path}: no adapter/ folder; has the run finished training?")
        from evals.pipeline import recipe_settings

        own = recipe_settings(recipe)
        settings.update(
            model=args.model or recipe.model.name, gguf_file=None if args.model else recipe.model.gguf_file,
            dtype=recipe.model.dtype, load_in_4bit=recipe.model.load_in_4bit, adapter=run.adapter_dir, run_dir=run.path,
            tasks=settings["tasks"] or list(recipe.eval.tasks),
            limit=settings["limit"] if args.limit is not None else recipe.eval.limit,
            batch_size=batch_size(args.batch_size or recipe.eval.batch_size),
            baseline=settings["baseline"] if args.baseline else recipe.eval.baseline,
            max_length=settings["max_length"] or own["max_length"], max_target_length=own["max_target_length"],
            instructions={**own["instructions"], **settings["instructions"]},
            wandb_project=recipe.logging.project, decoding=decoding(args, recipe.eval.decoding.model_dump()),
            length_words=_length_words(args.length_words, recipe),
            response_words=own["response_words"] if args.response_words is None else settings["response_words"],
            locate=own["locate"],
        )
        _reported_turns(run, recipe, settings["tasks"], settings["data"])
    if args.retriever:
        settings["locate"] = {**(settings["locate"] or {}), "retriever": args.retriever}
    if not settings["model"]:
        raise UserError("--model is required (or --run RUN_DIR with a recipe that names model.name)")
    if not settings["tasks"]:
        raise UserError("no tasks: pass --task NAME (e.g. --task searchtune_qr_sample)")
    if settings["baseline"] and settings["adapter"] is None:
        raise UserError("--baseline base compares against the adapter-free model: pass --adapter or --run")
    return settings


def run_eval(args) -> int:
    from finetune.core.run import PREDICTIONS_FILE, REPORT_FILES, RESULTS_FILE, RunFolder
    from evals import pipeline, tasks_manager
    from evals.loading import load_model
    from evals.report import summary_text

    s = eval_settings(args)
    output = Path(args.output) if args.output else (RunFolder(s["run_dir"]).eval_dir if s["run_dir"] else None)
    if output is None:
        raise UserError("--output DIR is required without --run")
    # Unknown tasks and bad data files fail before the model loads.
    tasks_manager.load_tasks(s["tasks"], s["data"], s["instructions"], pipeline.prompt_settings(
        s["length_words"], s["max_length"], s["max_target_length"], s["locate"], s["response_words"]))
    if args.engine == "vllm":
        model, tokenizer, lm = None, None, vllm_engine(s)
    else:
        model, tokenizer = load_model(s["model"], s["adapter"], s["gguf_file"], s["dtype"], s["load_in_4bit"])
        lm = None
    results = pipeline.evaluate(
        model, tokenizer, s["tasks"], output, limit=s["limit"], batch_size=s["batch_size"], baseline=s["baseline"],
        data=s["data"], instructions=s["instructions"], max_length=s["max_length"],
        max_target_length=s["max_target_length"], decoding=s["decoding"], length_words=s["length_words"],
        response_words=s["response_words"], locate=s["locate"], run_dir=s["run_dir"],
        wandb_mode=args.wandb_mode, wandb_project=s["wandb_project"],
        model_info={"base": s["model"], "adapter": str(s["adapter"]) if s["adapter"] else None}, lm=lm,
    )
    print(summary_text(results))
    print(f"[searchtune] wrote {output / RESULTS_FILE}, {PREDICTIONS_FILE}, {', '.join(REPORT_FILES)}")
    return 0


def vllm_engine(s: dict):
    """lm-eval's vLLM backend over the settings' base and adapter, checked before vLLM starts."""
    from importlib.util import find_spec

    from evals.lm import vllm_lm
    from finetune.core.models import local_checkpoint

    if s["baseline"]:
        raise UserError("--engine vllm: serves the tuned adapter only; pass --baseline none")
    if find_spec("vllm") is None:
        raise UserError("--engine vllm: vllm is not installed; `pip install vllm` on a GPU machine "
                        "(see docs/serving.md)")
    return vllm_lm(local_checkpoint(s["model"], s["gguf_file"]), s["adapter"], dtype=s["dtype"],
                   max_length=s["max_length"], max_target_length=s["max_target_length"], batch_size="auto")


def run_compare(args) -> int:
    if args.model or args.adapter or args.run or args.task:
        raise UserError("--compare takes two eval folders only; drop --model/--adapter/--run/--task")
    if not args.output:
        raise UserError("--compare needs --output DIR for the side-by-side report")
    from finetune.core.run import REPORT_FILES
    from evals.compare import compare_runs

    compare_runs(Path(args.compare[0]), Path(args.compare[1]), Path(args.output))
    print(f"[searchtune] wrote the comparison to {args.output}/{' and '.join(REPORT_FILES)}")
    return 0


def quiet_libraries() -> None:
    """lm-eval warns once per task about things that are deliberate here (custom datasets, no few-shot split)."""
    for name in ("lm_eval", "lm-eval", "transformers", "datasets", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # weight loading bars; the generation bar stays


def main(argv: list[str] | None = None) -> int:
    """Entry point for `searchtune eval ARGS` (argv = ARGS, without the word `eval`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s")
    if not args.debug:
        quiet_libraries()
    return handle(lambda: run_compare(args) if args.compare else run_eval(args), args.debug)
