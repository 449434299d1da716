"""Weights & Biases set-up for training: online with an API key, else offline files inside the run folder."""

from __future__ import annotations

import os
from pathlib import Path

# wandb.init waits this long for its service before we give up and fall back (it must never hang a run).
INIT_TIMEOUT_S = 30


def resolve_mode(mode: str) -> str:
    if mode != "auto":
        return mode
    if os.environ.get("WANDB_MODE") in ("offline", "disabled", "online"):
        return os.environ["WANDB_MODE"]
    return "online" if os.environ.get("WANDB_API_KEY") else "offline"


def configure_wandb(recipe, output_dir: Path) -> list[str]:
    """Set the environment transformers' WandbCallback reads; return the trainer's report_to."""
    mode = resolve_mode(recipe.logging.mode)
    if mode == "disabled":
        return []
    os.environ["WANDB_MODE"] = mode
    os.environ["WANDB_PROJECT"] = recipe.logging.project
    os.environ["WANDB_DIR"] = str(Path(output_dir).resolve())
    os.environ.setdefault("WANDB_INIT_TIMEOUT", str(INIT_TIMEOUT_S))
    os.environ.setdefault("WANDB_SILENT", "true")
    return ["wandb"]


def run_info() -> dict:
    try:
        import wandb
    except ImportError:
        return {"mode": "disabled", "url": None}
    run = wandb.run
    if run is None:
        return {"mode": os.environ.get("WANDB_MODE", "disabled"), "url": None}
    return {"mode": os.environ.get("WANDB_MODE"), "url": run.url if not run.offline else None, "id": run.id, "dir": run.dir}


def finish() -> None:
    try:
        import wandb
    except ImportError:
        return
    if wandb.run is not None:
        wandb.finish()
