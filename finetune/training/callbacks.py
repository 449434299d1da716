"""Trainer callbacks: one summary line per logging step, the recipe in the W&B config, the divergence watchdog."""

from __future__ import annotations

import math
import time

from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback


class SummaryLine(ProgressCallback):
    """The trainer's progress bar, with `step 10/40 | loss 1.23 | lr 1.9e-04 | 412 tok/s` per logging step in
    place of the raw metrics dict it would print."""

    def on_train_begin(self, args, state, control, **kwargs):
        super().on_train_begin(args, state, control, **kwargs)
        self._t0, self._tokens0 = time.time(), state.num_input_tokens_seen

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        parts = [f"step {state.global_step}/{state.max_steps}"]
        for key, fmt in (("loss", "loss {:.4f}"), ("eval_loss", "eval_loss {:.4f}"), ("learning_rate", "lr {:.2e}"), ("grad_norm", "grad_norm {:.3f}")):
            if isinstance(logs.get(key), (int, float)):
                parts.append(fmt.format(logs[key]))
        elapsed = time.time() - self._t0
        if elapsed > 0 and state.num_input_tokens_seen:
            parts.append(f"{(state.num_input_tokens_seen - self._tokens0) / elapsed:.0f} tok/s")
        line = "[searchtune] " + " | ".join(parts)
        if self.training_bar is not None:
            self.training_bar.write(line)
        else:
            print(line, flush=True)


class RecipeToWandb(TrainerCallback):
    """Attach the resolved recipe to the W&B run config, once the WandbCallback has started the run."""

    def __init__(self, recipe_yaml: str):
        self.recipe_yaml = recipe_yaml

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero or "wandb" not in (args.report_to or []):
            return
        import wandb
        import yaml

        if wandb.run is not None:
            wandb.run.config.update({"recipe": yaml.safe_load(self.recipe_yaml)}, allow_val_change=True)


class Watchdog(TrainerCallback):
    """Stop a diverging run before it writes a bad checkpoint.

    Trips on a NaN/Inf logged loss, on `patience` logged losses in a row above `spike_factor` times the lowest loss
    logged so far, or on NaN/Inf trainable weights when a checkpoint or the end of training comes. While the loss is
    spiking no checkpoint is written, so rotation cannot delete the last good one. Needs `logging_nan_inf_filter=False`
    (the Trainer otherwise logs the average of earlier losses in place of a NaN).
    """

    def __init__(self, spike_factor: float = 3.0, patience: int = 3):
        self.spike_factor, self.patience = spike_factor, patience
        self.tripped: str | None = None
        self._lowest = math.inf
        self._streak = 0

    def _trip(self, reason: str, control):
        self.tripped = reason
        control.should_save = False
        control.should_evaluate = False
        control.should_training_stop = True

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if model is not None and (control.should_save or control.should_training_stop) and not self.tripped:
            bad = [n for n, p in model.named_parameters() if p.requires_grad and not bool(p.isfinite().all())]
            if bad:
                self._trip(f"weights turned NaN/Inf at step {state.global_step} ({bad[0]})", control)
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if not isinstance(loss, (int, float)) or self.tripped:
            return control
        if not math.isfinite(loss):
            self._trip(f"the training loss is {loss} at step {state.global_step}", control)
        elif loss > self.spike_factor * self._lowest:
            self._streak += 1
            control.should_save = False
            if self._streak >= self.patience:
                self._trip(f"the training loss rose to {loss:.4g} at step {state.global_step}, above "
                           f"{self.spike_factor:g}x the lowest logged loss ({self._lowest:.4g}) for {self._streak} "
                           "logging steps in a row", control)
        else:
            self._streak = 0
            self._lowest = min(self._lowest, loss)
        return control

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.tripped or self._streak:
            control.should_save = False
        return control
