"""Every place searchtune reaches into a library's internals or quiets a library's console output.

Each patch is scoped to the object or the call that needs it and engages only when its caller's switch is on.
tests/core/test_compat.py checks what each one does and that the library still calls what it patches, so an upgrade
that routes around a patch fails a test instead of silently changing training.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path


@contextmanager
def _replaced(owner, name: str, value) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


# -- TRL -------------------------------------------------------------------------------------------------------------


def compact_lm_head(trainer) -> None:
    """Make `trainer`'s fused LM head project only the positions that carry a label on CPU too, in its own loss
    computations (training and evaluation) and nowhere else.

    TRL's fused head (`trl.trainer.utils.add_fused_lm_head`) compacts to the loss positions on Triton devices and
    scores every position elsewhere (static tile shapes for compilers such as Neuron's). It decides on each forward
    by calling `trl.trainer.utils._use_triton(device)`, which that module uses for nothing else; TRL has no option
    for it. Inside `trainer.compute_loss` that call also answers True for CPU tensors.
    """
    import trl.trainer.utils as trl_utils

    compute_loss = trainer.compute_loss
    use_triton = trl_utils._use_triton

    def compact(device) -> bool:
        return device.type == "cpu" or use_triton(device)

    @wraps(compute_loss)
    def compute_loss_compact(*args, **kwargs):
        with _replaced(trl_utils, "_use_triton", compact):
            return compute_loss(*args, **kwargs)

    trainer.compute_loss = compute_loss_compact


# -- transformers ----------------------------------------------------------------------------------------------------


def route_checkpoint_saves(trainer, folder: Path, around: Callable[[int, Callable[[], None]], None]) -> None:
    """Run each of `trainer`'s checkpoint saves as `around(step, save)`, where `save()` writes `folder/checkpoint-N`.

    The Trainer has no option for where one save goes: `Trainer._save_checkpoint` writes `checkpoint-N` under
    `self._get_output_dir(trial)` (and rotates old checkpoints there). For the duration of `save()`, this trainer's
    `_get_output_dir` answers `folder`.
    """
    save_checkpoint = trainer._save_checkpoint

    def routed(model, trial=None):
        def save():
            trainer._get_output_dir = lambda trial=None: str(folder)
            try:
                save_checkpoint(model, trial)
            finally:
                del trainer._get_output_dir

        around(trainer.state.global_step, save)

    trainer._save_checkpoint = routed


# -- accelerate ------------------------------------------------------------------------------------------------------


def exec_single_process_launch(argv: list[str]) -> int:
    """`accelerate launch ARGV`, except that a single-process launch becomes this process (exec) rather than its child,
    and a multi-process launch exits with its processes' code. Returns that code.

    accelerate's `simple_launcher` runs the script as a subprocess: it would not pass SIGTERM on, and would turn the
    training's exit code (2, 3, 4, 130, 143) into 1 with a traceback. `launch_command` picks it, as a module global,
    for every launch that is not multi-process. Multi-process launches run torchrun's elastic agent in this process,
    which raises where a plain exit code is meant: `ChildFailedError` when a process exits non-zero (the first one
    to fail is the cause, torch's own choice for its error report), `SignalException` when the agent itself got
    SIGINT/SIGTERM (it has handed the signal to the processes, which stopped with a checkpoint, and waited for them).
    """
    from accelerate.commands import launch as accelerate
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    def exec_simple(args):
        cmd, env = accelerate.prepare_simple_launcher_cmd_env(args)
        os.execvpe(cmd[0], cmd, env)

    try:
        with _replaced(accelerate, "simple_launcher", exec_simple):
            accelerate.launch_command(accelerate.launch_command_parser().parse_args(argv))
    except ChildFailedError as e:
        code = e.get_first_failure()[1].exitcode
        return code if code > 0 else 128 - code  # a process killed by signal N reports -N
    except SignalException as e:
        return 128 + int(e.sigval)
    return 0


# -- console output --------------------------------------------------------------------------------------------------

# bitsandbytes logs this when it is imported on a CPU with AVX512-BF16 and without the `kernels` package. peft imports
# bitsandbytes unconditionally, so every run would show it; bitsandbytes' own CPU path still serves 4-bit layers.
BNB_CPU_KERNEL_LOGGER = "bitsandbytes.backends.cpu.ops"
BNB_CPU_KERNEL_NOTICE = "Failed to load CPU gemm_4bit_forward from kernels-community"

# peft reads `model.is_gradient_checkpointing`, which transformers 5 renamed: a notice for peft, not for our user.
PEFT_DEPRECATION = r"`is_gradient_checkpointing` is deprecated"


def _not_bnb_cpu_kernel_notice(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(BNB_CPU_KERNEL_NOTICE)


def quiet_bitsandbytes_cpu_notice() -> None:
    """Drop bitsandbytes' CPU-kernel notice, and only it. Call before anything imports transformers' trainer or peft
    (bitsandbytes logs it while it is imported)."""
    logger = logging.getLogger(BNB_CPU_KERNEL_LOGGER)
    if _not_bnb_cpu_kernel_notice not in logger.filters:
        logger.addFilter(_not_bnb_cpu_kernel_notice)


@contextmanager
def quiet_data_preparation() -> Iterator[None]:
    """Without datasets' per-map progress bars (our tokenization, TRL's label building and packing: one bar each,
    per dataset and per rank) and peft's deprecation notice. Our data summary line says what the maps did.
    HF_DATASETS_DISABLE_PROGRESS_BARS, when set, still decides."""
    import datasets

    shown = datasets.is_progress_bar_enabled()
    if shown and "HF_DATASETS_DISABLE_PROGRESS_BARS" not in os.environ:
        datasets.disable_progress_bars()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=PEFT_DEPRECATION, category=FutureWarning)
            yield
    finally:
        if shown and not datasets.is_progress_bar_enabled():
            datasets.enable_progress_bars()


# -- llama-cpp-python ------------------------------------------------------------------------------------------------

LLAMA_EXTRA_BUFFERS = "SEARCHTUNE_LLAMA_EXTRA_BUFFERS"


@contextmanager
def llama_without_extra_buffers() -> Iterator[None]:
    """Load `llama_cpp.Llama` models with llama.cpp's extra CPU buffer types off (`use_extra_bufts=False`), unless
    SEARCHTUNE_LLAMA_EXTRA_BUFFERS=1: the weights stay in their GGUF blocks instead of being repacked for the AMX
    kernels.

    On this project's 2-core Xeon VM, which reports AMX-INT8, the first decode of a q8_0 model segfaults inside the
    repacked path (llama_cpp/_internals.py `decode`), while plain blocks decode on the AVX-512 kernels. `Llama.__init__`
    has no option for the field: it fills `llama_model_params` from `llama_cpp.llama_model_default_params()` (called
    through the `llama_cpp` module that `llama_cpp.llama` imports), which this wraps while a model loads.
    """
    if os.environ.get(LLAMA_EXTRA_BUFFERS) == "1":
        yield
        return
    from llama_cpp import llama as llama_module

    bindings = llama_module.llama_cpp
    default = bindings.llama_model_default_params

    def without_extra_buffers():
        params = default()
        params.use_extra_bufts = False
        return params

    with _replaced(bindings, "llama_model_default_params", without_extra_buffers):
        yield
