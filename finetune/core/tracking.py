"""Weights & Biases: the one place that resolves the logging mode and starts a run (training's and the eval's).

Online with an API key, else offline files inside the run folder. W&B being unreachable or failing never stops a
run: the server is probed first (a few seconds), `wandb.init` waits a bounded time, and when either fails the run
logs offline with a one-line warning (`wandb sync` uploads it later).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

# wandb.init waits this long for its service before we give up and fall back (it must never hang a run).
INIT_TIMEOUT_S = 30
PROBE_TIMEOUT_S = 5
DEFAULT_BASE_URL = "https://api.wandb.ai"


def resolve_mode(mode: str | None) -> str:
    """"online", "offline" or "disabled": `mode` itself unless it is "auto" (or None), then WANDB_MODE, then online
    exactly when WANDB_API_KEY is set."""
    if mode and mode != "auto":
        return mode
    if os.environ.get("WANDB_MODE") in ("offline", "disabled", "online"):
        return os.environ["WANDB_MODE"]
    return "online" if os.environ.get("WANDB_API_KEY") else "offline"


def reachable_mode(mode: str) -> str:
    """`mode`, except "offline" (with a warning) when it is "online" and the W&B server does not answer."""
    base_url = os.environ.get("WANDB_BASE_URL", DEFAULT_BASE_URL)
    if mode == "online" and not _reachable(base_url):
        _warn_offline(f"W&B server {base_url} is unreachable")
        return "offline"
    return mode


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "", port), timeout=PROBE_TIMEOUT_S):
            return True
    except (OSError, ValueError):
        return False


def _warn_offline(reason: str) -> None:
    print(f"[searchtune] warning: {reason}; logging offline instead (upload later with `wandb sync`)",
          file=sys.stderr, flush=True)


def init(mode: str, *, project: str, name: str, directory: Path, **kwargs):
    """`wandb.init` in an already resolved mode ("online" or "offline") with a bounded wait, files under
    `directory`; if an online init fails, the run starts offline (and WANDB_MODE says so) after a one-line warning.
    `kwargs` go to `wandb.init` (job_type, config)."""
    import wandb

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    kwargs.update(project=project, name=name, dir=str(directory),
                  settings=wandb.Settings(init_timeout=INIT_TIMEOUT_S, silent=True))
    try:
        return wandb.init(mode=mode, **kwargs)
    except Exception as e:  # noqa: BLE001 - any failure to reach W&B must not cost the run
        if mode != "online":
            raise
        _warn_offline(f"wandb.init (online) failed ({str(e).splitlines()[0] if str(e) else type(e).__name__})")
        os.environ["WANDB_MODE"] = "offline"
        return wandb.init(mode="offline", **kwargs)


def configure_wandb(recipe, output_dir: Path) -> list[str]:
    """Set the environment transformers' WandbCallback reads, start the W&B run on the main process (so the
    callback reuses it), and return the trainer's report_to."""
    from accelerate import PartialState

    from finetune.core.paths import cache_dir

    mode = resolve_mode(recipe.logging.mode)
    if mode == "disabled":
        return []
    mode = reachable_mode(mode)
    directory = Path(output_dir).resolve()
    os.environ["WANDB_MODE"] = mode
    os.environ["WANDB_PROJECT"] = recipe.logging.project
    os.environ["WANDB_DIR"] = str(directory)
    os.environ.setdefault("WANDB_INIT_TIMEOUT", str(INIT_TIMEOUT_S))
    os.environ.setdefault("WANDB_SILENT", "true")
    # W&B's service logs and artifact staging go to ~/.cache/wandb otherwise: keep them in the user cache we own.
    os.environ.setdefault("WANDB_CACHE_DIR", str(cache_dir() / "wandb"))
    if PartialState().is_main_process:
        init(mode, project=recipe.logging.project, name=recipe.logging.run_name or directory.name, directory=directory)
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


def log(values: dict) -> None:
    """Log to this process's W&B run, if one is running: the statistics a training method computes itself."""
    try:
        import wandb
    except ImportError:
        return
    if wandb.run is not None:
        wandb.run.log(values)


def finish() -> None:
    try:
        import wandb
    except ImportError:
        return
    if wandb.run is not None:
        wandb.finish()
