"""SIGINT/SIGTERM: stop a training run at the next step boundary with a checkpoint, and say how to resume it.

During training the first signal is only noted; the `GracefulStop` callback then has the Trainer save a checkpoint
at the end of the current optimizer step and leave the loop, and finetune.workflow exits with 128 + the signal number
(130 for SIGINT, 143 for SIGTERM) after printing the command that resumes the run. A second signal, or one that
arrives outside the training loop (loading, tokenizing, final eval), raises `Interrupted` at once.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys

from transformers import TrainerCallback

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Set by `searchtune train` to the command line that launched it, so the resume hint repeats that command.
LAUNCH_COMMAND_ENV = "SEARCHTUNE_LAUNCH_COMMAND"


class Interrupted(Exception):
    """A stop signal outside the training loop (or a second one): unwind now, releasing the run folder's lock."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.code = 128 + signum


class GracefulStop(TrainerCallback):
    """Note the first stop signal during training; at the end of that step, save a checkpoint and stop."""

    def __init__(self):
        self.signum: int | None = None
        self.stopped_at: int | None = None
        self._training = False
        self._saved_step: int | None = None
        self._previous: dict = {}

    @property
    def code(self) -> int:
        return 128 + (self.signum or 0)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    def __enter__(self):
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False

    def _handle(self, signum, frame):
        if self._training and self.signum is None:
            self.signum = signum
            print(f"[searchtune] {signal.Signals(signum).name}: saving a checkpoint at the end of this step, then "
                  "stopping (send it again to stop at once)", file=sys.stderr, flush=True)
            return
        raise Interrupted(signum)

    def _agreed_signal(self, args) -> int | None:
        # Every rank must leave the loop at the same step, or the others hang in their next collective.
        import torch.distributed as dist

        if args.world_size <= 1 or not dist.is_available() or not dist.is_initialized():
            return self.signum
        import torch

        flag = torch.tensor([self.signum or 0], device=args.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return int(flag.item()) or None

    def on_train_begin(self, args, state, control, **kwargs):
        self._training = True

    def on_step_end(self, args, state, control, **kwargs):
        signum = self._agreed_signal(args)
        if signum:
            self.signum, self.stopped_at = signum, state.global_step
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.signum and self._saved_step == state.global_step:
            control.should_save = False  # already saved at this step; an epoch-end save would repeat it
        return control

    def on_save(self, args, state, control, **kwargs):
        self._saved_step = state.global_step

    def on_train_end(self, args, state, control, **kwargs):
        self._training = False


def resume_command(recipe: str, overrides: list[str], debug: bool = False) -> str:
    """The command that continues this run from its newest checkpoint."""
    prefix = os.environ.get(LAUNCH_COMMAND_ENV) or f"{shlex.quote(sys.executable)} -m finetune.workflow"
    kept = [o for o in overrides if o.split("=", 1)[0].strip() != "train.resume"]
    args = [recipe, *kept, "train.resume=auto"] + (["--debug"] if debug else [])
    return f"{prefix} {shlex.join(args)}"
