"""`searchtune train RECIPE [KEY=VALUE ...]`: validate the recipe, then `accelerate launch -m finetune.workflow`."""

from __future__ import annotations

import difflib
import os
import shlex
from pathlib import Path

from finetune.core import paths
from finetune.core.errors import UserError
from finetune.core.recipe import add_arguments as recipe_arguments

HELP = "train a recipe under accelerate launch"
# TRL's config names (trl/accelerate_configs/, `trl sft --accelerate_config zero2`) for the ones we ship.
TRL_NAMES = {"zero2": "deepspeed_zero2", "zero3": "deepspeed_zero3", "fsdp2": "fsdp"}


def config_names() -> list[str]:
    return sorted(p.stem for p in paths.accelerate_configs().glob("*.yaml"))


def add_arguments(parser) -> None:
    recipe_arguments(parser)
    parser.add_argument("--accelerate-config", "--accelerate_config", dest="accelerate_config", default="cpu",
                        metavar="NAME|PATH",
                        help=f"one of {', '.join(config_names())} (TRL's {', '.join(TRL_NAMES)} also work), or a "
                             "config file (default: cpu)")
    parser.add_argument("--num-processes", "--num_processes", dest="num_processes", type=int, metavar="N",
                        help="processes to launch, overriding the config's (default for the shipped multi_gpu, fsdp "
                             "and deepspeed configs: one per visible GPU)")


def run(args) -> int:
    from finetune.core.recipe import load_recipe
    from finetune.preflight import preflight

    # Validate here first, so a typo fails in a second rather than after accelerate starts.
    preflight(load_recipe(args.recipe, args.overrides))
    config = accelerate_config(args.accelerate_config)
    processes = process_count(config, args.num_processes)
    options = ["--config_file", str(config)]
    options += ["--num_processes", str(processes)] if processes else []
    options += cpu_threads(config, processes)
    script = ["-m", "finetune.workflow", args.recipe, *args.overrides]
    print("[searchtune] " + shlex.join(["accelerate", "launch", *options, *script]))
    # finetune.workflow repeats this command in the resume hint it prints after a stop signal
    # (LAUNCH_COMMAND_ENV in finetune/training/signals.py, not imported here: it would load transformers).
    again = ["searchtune", "train", "--accelerate-config", args.accelerate_config]
    again += ["--num-processes", str(args.num_processes)] if args.num_processes else []
    os.environ["SEARCHTUNE_LAUNCH_COMMAND"] = shlex.join(again)
    return accelerate_launch([*options, *script] + (["--debug"] if args.debug else []))


def accelerate_config(value: str) -> Path:
    """A shipped config by name (ours or TRL's), or a config file."""
    path = Path(value)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise UserError(f"--accelerate-config: {path} does not exist")
        return path
    named = paths.accelerate_configs() / f"{TRL_NAMES.get(value, value)}.yaml"
    if named.is_file():
        return named
    names = config_names()
    near = difflib.get_close_matches(value, names + list(TRL_NAMES), n=1)
    hint = f"did you mean `{near[0]}`? " if near else ""
    raise UserError(f"--accelerate-config: no config named `{value}`; {hint}choose one of {', '.join(names)} "
                    "or give a path to a config file")


def process_count(config: Path, requested: int | None) -> int | None:
    """The `--num_processes` to launch with, or None where the config's own count stands.

    The shipped GPU configs name no count (accelerate would refuse them without one): each launch gets one process
    per visible GPU, as `accelerate launch` without a config does. A count beyond the visible GPUs of one machine is
    refused here, before torchrun starts ranks that fail on an invalid device ordinal."""
    import yaml

    if requested is not None and requested < 1:
        raise UserError(f"--num-processes {requested}: use a positive number")
    settings = yaml.safe_load(config.read_text()) or {}
    on_gpus = not settings.get("use_cpu") and settings.get("distributed_type") in ("MULTI_GPU", "FSDP", "DEEPSPEED")
    if not on_gpus or (settings.get("num_machines") or 1) > 1:
        return requested
    if requested is None and settings.get("num_processes") is not None:
        return None
    gpus = visible_gpus()
    if gpus == 0:
        raise UserError(f"--accelerate-config {config.stem}: runs one process per GPU, and no GPU is visible here "
                        "(CUDA_VISIBLE_DEVICES, the driver); use --accelerate-config cpu or multi_cpu")
    if requested is not None and requested > gpus:
        raise UserError(f"--num-processes {requested}: only {gpus} GPU{'s' * (gpus > 1)} visible here; pass "
                        f"--num-processes {gpus} or fewer")
    return requested or gpus


def visible_gpus() -> int:
    """GPUs this process may use (CUDA_VISIBLE_DEVICES applies), counted without initializing CUDA."""
    import torch

    return torch.cuda.device_count()


def cpu_threads(config: Path, num_processes: int | None) -> list[str]:
    """For a CPU config without OMP_NUM_THREADS, accelerate sets threads per process to physical cores / processes
    and prints a "values not passed to `accelerate launch`" notice on every run: pass that same choice ourselves."""
    import psutil
    import yaml

    settings = yaml.safe_load(config.read_text()) or {}
    if not settings.get("use_cpu") or os.environ.get("OMP_NUM_THREADS"):
        return []
    processes = num_processes or settings.get("num_processes") or 1
    return ["--num_cpu_threads_per_process", str(max((psutil.cpu_count(logical=False) or 1) // processes, 1))]


def accelerate_launch(argv: list[str]) -> int:
    """`accelerate launch ARGV`; a single-process launch becomes the training process (finetune/core/compat.py)."""
    from finetune.core import compat

    return compat.exec_single_process_launch(argv)
