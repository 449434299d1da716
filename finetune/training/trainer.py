"""Train a recipe's LoRA adapter: data, model, SFTTrainer, checkpoints, and the adapter and manifest it leaves."""

from __future__ import annotations

import importlib
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from finetune.core.errors import ExitCode, UserError
from finetune.core.recipe import to_yaml
from finetune.core.run import BaseModelInfo, DataSource, Hardware, Manifest, RunFolder, WandbInfo

# How long a rank waits in a collective for the others. Rank 0 works alone between collectives for as long as its
# own work takes (tokenizing a large dataset while the others wait to read its cache; the post-training eval and
# its baseline while they wait to finish), so torch's 10/30-minute defaults kill healthy runs. A rank that dies is
# ended by torchrun at once, so this only bounds a real hang. finetune.workflow creates the process group with it.
PROCESS_GROUP_TIMEOUT = timedelta(hours=6)


@dataclass
class Trained:
    """What a finished (or stopped) training hands to the workflow: the in-memory PEFT model for the eval."""

    model: object = None
    tokenizer: object = None
    manifest: Manifest | None = None
    stopped_code: int | None = None  # set when a signal stopped the run: the process exits with it


def train(recipe, out: Path, report_to, stop=None, resume_command: str = "") -> Trained:
    if recipe.train.method != "sft":
        method = importlib.import_module(f"finetune.training.methods.{recipe.train.method}")
        return method.train(recipe, out, report_to, stop, resume_command)
    from accelerate import PartialState
    from transformers import set_seed

    from finetune.core import compat, models, provenance
    from finetune.training import callbacks, data

    state = PartialState()
    run = RunFolder(out)
    # The code that runs is the code at start: record its commit now, not when training ends.
    started, t0, commit, dirty = provenance.now(), time.time(), provenance.git_commit(), provenance.git_dirty()
    set_seed(recipe.train.seed)
    # Before the model loads: under DeepSpeed ZeRO-3 the arguments register the config that makes from_pretrained
    # partition the weights as they load (zero3_init_flag) instead of every rank holding the whole model.
    args = training_args(recipe, out, report_to,
                         has_eval=recipe.data.eval is not None or recipe.data.eval_fraction is not None)
    model, tokenizer, checkpoint = models.load(recipe.model)
    model = with_init_adapter(model, recipe)
    with state.main_process_first(), compat.quiet_data_preparation():  # rank 0 tokenizes and caches; the others read it
        train_ds, eval_ds, stats = data.build_datasets(recipe, tokenizer)
    print(f"[searchtune] data: {stats.train_rows} train / {stats.eval_rows} eval rows, {stats.train_tokens} tokens, "
          f"{stats.truncated} truncated, {stats.dropped_too_long} dropped (too long), "
          f"{stats.bad_rows_skipped} bad rows skipped, cache {'hit' if stats.cache_hit else 'written'} ({stats.cache_key})")

    t = recipe.train
    trainer = build_trainer(recipe, model, tokenizer, train_ds, eval_ds, out, report_to,
                            callbacks=[callbacks.RecipeToWandb(to_yaml(recipe))], args=args)
    watchdog = callbacks.Watchdog(t.watchdog.spike_factor, t.watchdog.patience) if t.watchdog.enabled else None
    result = fit(trainer, recipe, run, stop, watchdog, resume_command)
    if result is None:
        return Trained(stopped_code=stop.code)
    eval_loss = trainer.evaluate()["eval_loss"] if eval_ds is not None else None

    save_adapter(trainer, run.adapter_dir)
    manifest = None
    if state.is_main_process:
        run.write_log_history(trainer.state.log_history)
        manifest = build_manifest(
            trainer, result, recipe, checkpoint, (started, t0, commit, dirty), stats.sources,
            train_rows=stats.train_rows, eval_rows=stats.eval_rows, eval_loss=eval_loss,
            data_stats={k: v for k, v in vars(stats).items() if k != "sources"},
        )
        run.write_manifest(manifest)
        print(f"[searchtune] adapter saved to {run.adapter_dir}: train loss {result.training_loss:.4f}, "
              f"{manifest.tokens_per_second} tokens/s over {manifest.train_runtime_s:.0f}s")
    return Trained(trainer.model, tokenizer, manifest)


def build_manifest(hf_trainer, result, recipe, checkpoint, timing, sources: list[dict], **fields) -> Manifest:
    """The manifest of a finished training (sft, dpo, grpo): provenance, hardware, speed and W&B, plus `fields`, the
    method's own. `timing`: (started, t0, commit, dirty), taken when the run started."""
    from accelerate import PartialState

    from finetune.core import provenance, tracking

    started, t0, commit, dirty = timing
    runtime = result.metrics.get("train_runtime") or (time.time() - t0)
    tokens = hf_trainer.state.num_input_tokens_seen
    return Manifest(
        task=recipe.data.task,
        base_model=BaseModelInfo(recipe.model.name, recipe.model.gguf_file, resolved_path=checkpoint),
        packages=provenance.package_versions(), git_commit=commit, git_dirty=dirty,
        data=[DataSource.from_dict(s) for s in sources], seed=recipe.train.seed,
        hardware=Hardware.from_dict(provenance.hardware()), world_size=PartialState().num_processes,
        started_at=started, finished_at=provenance.now(), train_runtime_s=round(runtime, 2),
        global_steps=hf_trainer.state.global_step, train_loss=result.training_loss,
        train_tokens=tokens, tokens_per_second=round(tokens / runtime, 1) if runtime else None,
        wandb=WandbInfo.from_dict(tracking.run_info()), **fields,
    )


def save_adapter(trainer, folder: Path) -> None:
    """Save the trained adapter and tokenizer to `folder` (staged, renamed into place whole) the way PEFT's FSDP and
    DeepSpeed guides do: `trainer.save_model()` on every rank, since FSDP and ZeRO-3 gather the sharded weights
    collectively (a rank's own `save_pretrained` writes its shard: DTensors, or ZeRO-3's empty tensors); rank 0
    writes."""
    from accelerate.utils import broadcast_object_list
    from transformers.trainer import TRAINING_ARGS_NAME

    from finetune.core import io

    if trainer.is_fsdp_enabled:  # under SHARDED_STATE_DICT, save_model writes no weights at all
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    writer = trainer.args.should_save
    with io.staged_dir(folder) if writer else nullcontext() as tmp:
        [path] = broadcast_object_list([str(tmp) if writer else None])
        trainer.save_model(path)
        if writer:
            # A pickle of this machine's arguments (paths included): not part of the adapter that push uploads.
            Path(path, TRAINING_ARGS_NAME).unlink(missing_ok=True)


def training_args(recipe, out: Path, report_to="none", has_eval: bool = True):
    """The SFTConfig of a recipe's run. `has_eval`: the run has eval data (eval loss every train.eval_steps)."""
    import torch
    from trl import SFTConfig

    from finetune.core import models

    t = recipe.train
    config = SFTConfig(
        output_dir=str(RunFolder(out).checkpoints_dir),
        num_train_epochs=t.epochs, max_steps=t.max_steps or -1,
        per_device_train_batch_size=t.batch_size, per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum, learning_rate=t.learning_rate, lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio, weight_decay=t.weight_decay, max_grad_norm=t.max_grad_norm,
        activation_checkpointing=t.gradient_checkpointing,
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
        # Every LoRA weight gets a gradient each step; transformers would otherwise make DDP search the graph for
        # unused parameters on every step, because a PeftModel is not a PreTrainedModel.
        ddp_find_unused_parameters=False,
        ddp_timeout=int(PROCESS_GROUP_TIMEOUT.total_seconds()),
        report_to=report_to, run_name=recipe.logging.run_name or out.name,
        dataloader_num_workers=0, use_cpu=not torch.cuda.is_available(),
    )
    plugin = config.deepspeed_plugin
    if config.activation_checkpointing and plugin is not None and plugin.zero_stage == 3:
        # PEFT under ZeRO-3 needs reentrant checkpointing. TRL forces it by writing `gradient_checkpointing_kwargs`,
        # which transformers 5.24 keeps only as an alias: the Trainer reads `activation_checkpointing_kwargs`.
        config.activation_checkpointing_kwargs = config.gradient_checkpointing_kwargs = {
            **(config.activation_checkpointing_kwargs or {}), "use_reentrant": True}
    return config


def fit(trainer, recipe, run: RunFolder, stop, watchdog, resume_command: str):
    """Run a Trainer the searchtune way (sft here; dpo and grpo too): progress lines, atomic checkpoints, the stop
    signal, the watchdog, resume from the newest complete checkpoint under train.resume=auto. Returns the TrainOutput,
    or None when a signal stopped the run (with a checkpoint, and the command that resumes it printed)."""
    from accelerate import PartialState

    from finetune.core import tracking
    from finetune.training import callbacks, checkpoints

    main = PartialState().is_main_process
    trainer.remove_callback(callbacks.ProgressCallback)  # SummaryLine is the progress bar
    trainer.add_callback(callbacks.SummaryLine())
    checkpoints.stage_saves(trainer)
    if stop is not None:
        trainer.add_callback(stop)
    if watchdog:
        trainer.add_callback(watchdog)  # after the stop callback: its veto on saving a bad state wins
    resume = checkpoints.last_checkpoint(run.checkpoints_dir) if recipe.train.resume == "auto" else None
    if resume and main:
        print(f"[searchtune] resuming from {resume}")
    result = trainer.train(resume_from_checkpoint=resume)
    if (stop is not None and stop.signum) or (watchdog and watchdog.tripped):
        tracking.finish()
        last = checkpoints.last_checkpoint(run.checkpoints_dir)
        if watchdog and watchdog.tripped:
            raise UserError(f"training stopped: {watchdog.tripped}; the last good checkpoint is {last}. Lower "
                            "train.learning_rate, or tune train.watchdog (spike_factor, patience, enabled)",
                            code=ExitCode.DIVERGED)
        if main:
            print(f"[searchtune] {stop.name} at step {stop.stopped_at}: stopped with checkpoint {last}; resume "
                  f"with:\n  {resume_command}", file=sys.stderr, flush=True)
        return None
    return result


def build_trainer(recipe, model, tokenizer, train_ds, eval_ds, out: Path, report_to="none", callbacks=(), args=None):
    """The SFTTrainer (LoRA config, SFTConfig) that `train` runs for a recipe; scripts/bench_train.py builds the same.
    `args`: the recipe's `training_args`, when they had to exist before the model loaded."""
    from peft import PeftModel
    from transformers.trainer_utils import IntervalStrategy
    from trl import SFTTrainer

    from finetune.core import compat
    from finetune.training import speed

    # A model that already carries its adapter (train.init_adapter, a best_of_n round) trains that adapter.
    peft_config = None if isinstance(model, PeftModel) else lora_config(recipe)
    t = recipe.train
    config = args or training_args(recipe, out, report_to, has_eval=eval_ds is not None)
    if eval_ds is None:  # `args` made from the recipe alone, whose eval rows were all dropped
        config.eval_strategy = IntervalStrategy.NO
    with compat.quiet_data_preparation():  # TRL builds the labels (and packs) here
        trainer = SFTTrainer(
            model=model, args=config, train_dataset=train_ds, eval_dataset=eval_ds, processing_class=tokenizer,
            peft_config=peft_config, callbacks=list(callbacks),
        )
    speed.tune(trainer, packing=t.packing, fast_path=t.fast_path)
    return trainer


def lora_config(recipe):
    from peft import LoraConfig

    lora = recipe.lora
    return LoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=lora.target_modules,
        use_dora=lora.use_dora, use_rslora=lora.use_rslora, task_type="CAUSAL_LM",
    )


def with_init_adapter(model, recipe):
    """The base with `train.init_adapter` loaded trainable, or the base unchanged (the trainer adds a fresh LoRA)."""
    path = init_adapter_dir(recipe)
    if path is None:
        return model
    from peft import PeftModel

    return PeftModel.from_pretrained(model, str(path), is_trainable=True)


def init_adapter_dir(recipe) -> Path | None:
    """The adapter folder `train.init_adapter` names (an adapter, or a finished run folder), checked."""
    if not recipe.train.init_adapter:
        return None
    path = Path(recipe.train.init_adapter).expanduser()
    if (path / "adapter" / "adapter_config.json").is_file():
        path = path / "adapter"
    if not (path / "adapter_config.json").is_file():
        raise UserError(f"`train.init_adapter`: {path} holds no adapter_config.json; point it at an adapter folder or "
                        "a finished run folder (train that recipe first)", code=ExitCode.USAGE)
    return path
