"""Trainer callbacks: one summary line per logging step, the recipe in the W&B config, checkpoint discovery."""

from __future__ import annotations

import time
from pathlib import Path

from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR


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


def last_checkpoint(folder: Path) -> str | None:
    """The newest complete checkpoint (its trainer state was written last), or None."""
    if not folder.is_dir():
        return None
    found = []
    for path in folder.glob(f"{PREFIX_CHECKPOINT_DIR}-*"):
        suffix = path.name.rsplit("-", 1)[-1]
        if suffix.isdigit() and (path / "trainer_state.json").is_file():
            found.append((int(suffix), path))
    return str(max(found)[1]) if found else None
