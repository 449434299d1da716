"""Fine-tune a LoRA adapter from a recipe.

    accelerate launch --config_file accelerate_configs/cpu.yaml -m finetune.workflow RECIPE [key.sub=value ...]

recipe → data → model → SFTTrainer + LoraConfig → train → save → eval → push.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe, to_yaml


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="finetune.workflow", description=__doc__.splitlines()[0])
    parser.add_argument("recipe", help="recipe YAML file")
    parser.add_argument("overrides", nargs="*", help="key.sub=value overrides, e.g. train.max_steps=2")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser.parse_args(argv)


def train(args, stop=None) -> int:
    import torch
    from accelerate import PartialState
    from transformers import set_seed

    from finetune.training import callbacks, checkpoints, data, signals
    from finetune.core import io, models, provenance, run, tracking

    recipe = load_recipe(args.recipe, args.overrides)
    state = PartialState(cpu=not torch.cuda.is_available())  # gloo when CPU-only processes are launched
    out = Path(recipe.output_dir)
    # The code that runs is the code at start: record its commit now, not when training ends.
    started, t0, commit, dirty = provenance.now(), time.time(), provenance.git_commit(), provenance.git_dirty()
    with run.lock(out) if state.is_main_process else nullcontext():
        if state.is_main_process:
            io.write_text(out / "recipe.yaml", to_yaml(recipe))
        report_to = tracking.configure_wandb(recipe, out)
        set_seed(recipe.train.seed)

        model, tokenizer, checkpoint = models.load(recipe.model)
        with state.main_process_first():  # rank 0 tokenizes and caches; the others read its cache
            train_ds, eval_ds, stats = data.build_datasets(recipe, tokenizer)
        print(f"[searchtune] data: {stats.train_rows} train / {stats.eval_rows} eval rows, {stats.train_tokens} tokens, "
              f"{stats.truncated} truncated, {stats.dropped_too_long} dropped (too long), "
              f"{stats.bad_rows_skipped} bad rows skipped, cache {'hit' if stats.cache_hit else 'written'} ({stats.cache_key})")

        t = recipe.train
        has_eval = eval_ds is not None
        trainer = build_trainer(recipe, model, tokenizer, train_ds, eval_ds, out, report_to,
                                callbacks=[callbacks.RecipeToWandb(to_yaml(recipe))])
        trainer.remove_callback(callbacks.ProgressCallback)  # SummaryLine is the progress bar
        trainer.add_callback(callbacks.SummaryLine())
        checkpoints.stage_saves(trainer)
        if stop is not None:
            trainer.add_callback(stop)
        watchdog = callbacks.Watchdog(t.watchdog.spike_factor, t.watchdog.patience) if t.watchdog.enabled else None
        if watchdog:
            trainer.add_callback(watchdog)  # after the stop callback: its veto on saving a bad state wins
        resume = checkpoints.last_checkpoint(out / "checkpoints") if t.resume == "auto" else None
        if resume:
            print(f"[searchtune] resuming from {resume}")
        result = trainer.train(resume_from_checkpoint=resume)
        if (stop is not None and stop.signum) or (watchdog and watchdog.tripped):
            tracking.finish()
            last = checkpoints.last_checkpoint(out / "checkpoints")
            if watchdog and watchdog.tripped:
                raise UserError(f"training stopped: {watchdog.tripped}; the last good checkpoint is {last}. Lower "
                                "train.learning_rate, or tune train.watchdog (spike_factor, patience, enabled)", code=4)
            print(f"[searchtune] {stop.name} at step {stop.stopped_at}: stopped with checkpoint {last}; resume with:\n"
                  f"  {signals.resume_command(args.recipe, args.overrides, args.debug)}", file=sys.stderr, flush=True)
            return stop.code
        eval_loss = trainer.evaluate()["eval_loss"] if has_eval else None

        if state.is_main_process:
            with io.staged_dir(out / "adapter") as tmp:
                trainer.model.save_pretrained(tmp)
                tokenizer.save_pretrained(tmp)
            io.write_json(out / "log_history.json", trainer.state.log_history)
            runtime = result.metrics.get("train_runtime") or (time.time() - t0)
            tokens = trainer.state.num_input_tokens_seen
            manifest = {
                "task": recipe.data.task,
                "base_model": {"name": recipe.model.name, "gguf_file": recipe.model.gguf_file, "resolved_path": checkpoint},
                "packages": provenance.package_versions(), "git_commit": commit, "git_dirty": dirty,
                "data": stats.sources, "train_rows": stats.train_rows, "eval_rows": stats.eval_rows,
                "data_stats": {k: v for k, v in vars(stats).items() if k != "sources"},
                "seed": t.seed, "hardware": provenance.hardware(), "world_size": state.num_processes,
                "started_at": started, "finished_at": provenance.now(), "train_runtime_s": round(runtime, 2),
                "global_steps": trainer.state.global_step, "train_loss": result.training_loss, "eval_loss": eval_loss,
                "train_tokens": tokens, "tokens_per_second": round(tokens / runtime, 1) if runtime else None,
                "wandb": tracking.run_info(),
            }
            io.write_json(out / "manifest.json", manifest)
            print(f"[searchtune] adapter saved to {out / 'adapter'}: train loss {result.training_loss:.4f}, "
                  f"{manifest['tokens_per_second']} tokens/s over {runtime:.0f}s")

            if recipe.eval.tasks:
                from evals.report import summary_text
                from evals.pipeline import evaluate, recipe_instructions

                results = evaluate(
                    trainer.model, tokenizer, recipe.eval.tasks, out / "eval", limit=recipe.eval.limit,
                    batch_size=recipe.eval.batch_size, baseline=recipe.eval.baseline, run_dir=out,
                    instructions=recipe_instructions(recipe.model_dump(mode="json")),
                    model_info={"base": recipe.model.name, "adapter": str(out / "adapter")},
                )
                print(summary_text(results))
        tracking.finish()
        state.wait_for_everyone()

        if state.is_main_process and recipe.hub.push != "none":
            from finetune.publish.hub import push_run

            try:
                url = push_run(out, recipe.hub.repo_id, merged=recipe.hub.push == "merged", private=recipe.hub.private)
                print(f"[searchtune] pushed to {url}")
            except UserError as e:
                print(f"[searchtune] the run is complete in {out}, but the push failed: {e}", file=sys.stderr)
                return 3
    return 0


def build_trainer(recipe, model, tokenizer, train_ds, eval_ds, out: Path, report_to="none", callbacks=()):
    """The SFTTrainer (LoRA config, SFTConfig) that `train` runs for a recipe; scripts/bench_train.py builds the same."""
    import torch
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    from finetune.core import models
    from finetune.training import speed

    lora = recipe.lora
    peft_config = LoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=lora.target_modules,
        use_dora=lora.use_dora, use_rslora=lora.use_rslora, task_type="CAUSAL_LM",
    )
    t = recipe.train
    has_eval = eval_ds is not None
    config = SFTConfig(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=t.epochs, max_steps=t.max_steps or -1,
        per_device_train_batch_size=t.batch_size, per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum, learning_rate=t.learning_rate, lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio, weight_decay=t.weight_decay, max_grad_norm=t.max_grad_norm,
        gradient_checkpointing=t.gradient_checkpointing,
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        packing=t.packing, max_length=recipe.data.max_length, completion_only_loss=True,
        logging_steps=t.logging_steps, logging_first_step=True,
        eval_strategy="steps" if (has_eval and t.eval_steps) else "no", eval_steps=t.eval_steps,
        save_strategy="steps" if t.save_steps else "epoch", save_steps=t.save_steps or 500,
        save_total_limit=t.save_total_limit, seed=t.seed, data_seed=t.seed,
        bf16=models.torch_dtype(recipe.model.dtype) == torch.bfloat16,
        use_liger_kernel=recipe.model.use_liger_kernel,
        include_num_input_tokens_seen="non_padding",
        logging_nan_inf_filter=False,  # the watchdog must see a NaN loss, not the average the Trainer puts in its place
        report_to=report_to, run_name=recipe.logging.run_name or out.name,
        dataloader_num_workers=0, use_cpu=not torch.cuda.is_available(),
    )
    trainer = SFTTrainer(
        model=model, args=config, train_dataset=train_ds, eval_dataset=eval_ds, processing_class=tokenizer,
        peft_config=peft_config, callbacks=list(callbacks),
    )
    speed.tune(trainer, packing=t.packing, fast_path=t.fast_path)
    return trainer


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from finetune.training import signals

    try:
        with signals.GracefulStop() as stop:
            return train(args, stop)
    except signals.Interrupted as e:
        print(f"[searchtune] {e}: stopped; resume with:\n  {signals.resume_command(args.recipe, args.overrides, args.debug)}",
              file=sys.stderr, flush=True)
        return e.code
    except UserError as e:
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
