"""Run a recipe end to end: train → eval → model card → push. The module `accelerate launch` runs.

    accelerate launch --config_file accelerate_configs/cpu.yaml -m finetune.workflow RECIPE [key.sub=value ...]

Training hands its in-memory PEFT model straight to the eval; each step's own module does the work.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from contextlib import nullcontext

from finetune.core import compat
from finetune.core.errors import ExitCode, UserError, handle
from finetune.core.recipe import add_arguments as recipe_arguments
from finetune.core.recipe import load_recipe
from finetune.preflight import preflight


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="finetune.workflow", description=__doc__.splitlines()[0])
    recipe_arguments(parser)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser.parse_args(argv)


def run(args, stop=None) -> int:
    import torch
    from accelerate import PartialState
    from accelerate.utils import InitProcessGroupKwargs

    from finetune.core import tracking
    from finetune.core.run import RunFolder
    from finetune.training import signals, trainer

    recipe = load_recipe(args.recipe, args.overrides)
    preflight(recipe)
    # This creates the process group (gloo when CPU-only processes are launched): the Trainer's own `ddp_timeout`
    # would come too late, so the timeout goes here.
    timeout = InitProcessGroupKwargs(timeout=trainer.PROCESS_GROUP_TIMEOUT).to_kwargs()
    state = PartialState(cpu=not torch.cuda.is_available(), **timeout)
    main_process = state.is_main_process
    folder = RunFolder(recipe.output_dir)
    out = folder.path
    with folder.lock() if main_process else nullcontext():
        if main_process:
            folder.write_recipe(recipe)
        report_to = tracking.configure_wandb(recipe, out)
        trained = trainer.train(recipe, out, report_to, stop,
                                resume_command=signals.resume_command(args.recipe, args.overrides, args.debug))
        if trained.stopped_code is not None:
            return trained.stopped_code

        engine = sharded_engine()
        if main_process and recipe.eval.tasks and engine:
            print(f"[searchtune] eval: not run in this launch: under {engine} every forward pass needs all "
                  f"{state.num_processes} processes. Evaluate the saved adapter with:\n"
                  f"  searchtune eval --run {shlex.quote(str(out))}", flush=True)
        elif main_process and recipe.eval.tasks:
            from evals.report import summary_text
            from evals.pipeline import evaluate, recipe_settings

            # The prompt settings come from the one place `searchtune eval --run` takes them from (earlier
            # responses included); preflight already refused reported turns in the training data.
            results = evaluate(
                trained.model, trained.tokenizer, recipe.eval.tasks, folder.eval_dir, limit=recipe.eval.limit,
                batch_size=recipe.eval.batch_size, baseline=recipe.eval.baseline, run_dir=out,
                model_info={"base": recipe.model.name, "adapter": str(folder.adapter_dir)}, **recipe_settings(recipe),
            )
            print(summary_text(results))
        tracking.finish()
        state.wait_for_everyone()

        if main_process:
            from finetune.publish.model_card import write_model_card

            write_model_card(folder, repo_id=recipe.hub.repo_id)
            print(f"[searchtune] model card written to {folder.card_file}")
        if main_process and recipe.hub.push != "none":
            from finetune.publish.hub import push_run

            try:
                url = push_run(out, recipe.hub.repo_id, merged=recipe.hub.push == "merged", private=recipe.hub.private)
            except UserError as e:
                raise UserError(f"the run is complete in {out}, but the push failed: {e}",
                                code=ExitCode.PUSH_FAILED) from e
            print(f"[searchtune] pushed to {url}")
    return ExitCode.OK


def sharded_engine() -> str | None:
    """The engine that shards the trained model across the processes (FSDP, DeepSpeed ZeRO-3), or None (DDP, one
    process): rank 0 alone can generate only from a model it holds whole."""
    from accelerate.state import AcceleratorState, is_initialized
    from accelerate.utils import DistributedType

    if not is_initialized():
        return None
    state = AcceleratorState()
    if state.distributed_type == DistributedType.FSDP:
        return "FSDP"
    if state.distributed_type == DistributedType.DEEPSPEED and state.deepspeed_plugin.zero_stage == 3:
        return "DeepSpeed ZeRO-3"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    compat.quiet_bitsandbytes_cpu_notice()  # before the trainer imports peft, which imports bitsandbytes
    from finetune.training import signals

    def go() -> int:
        try:
            with signals.GracefulStop() as stop:
                return run(args, stop)
        except signals.Interrupted as e:
            print(f"[searchtune] {e}: stopped; resume with:\n  {signals.resume_command(args.recipe, args.overrides, args.debug)}",
                  file=sys.stderr, flush=True)
            return e.code

    return handle(go, args.debug)


if __name__ == "__main__":
    sys.exit(main())
