"""Where things live: the user cache, the data root, and the files shipped inside the installed package.

Shipped files are found through the import system, never relative to a checkout, so a wheel install works the same
as an editable one. The data root is the user's (environment or working directory), never the package's.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def package_dir(name: str) -> Path:
    """The folder of an installed (sub)package, e.g. `finetune.accelerate_configs`, wherever the install put it
    (pyproject maps that one to the top-level accelerate_configs/ folder)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not an installed package folder; reinstall searchtune (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


PACKAGE = package_dir("finetune")
SAMPLE_DATA = PACKAGE / "sample_data"
MODEL_CARD_TEMPLATES = PACKAGE / "publish" / "templates"


def accelerate_configs() -> Path:
    return package_dir("finetune.accelerate_configs")


def eval_tasks() -> Path:
    """The lm-eval task folder (one YAML file per task, in per-family folders)."""
    return package_dir("evals.tasks")


def cache_dir() -> Path:
    root = os.environ.get("SEARCHTUNE_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "searchtune"
    return Path(root)


def data_root() -> Path:
    """$SEARCHTUNE_DATA_ROOT, else ../shared/data from the working directory (where a checkout keeps it)."""
    return Path(os.environ.get("SEARCHTUNE_DATA_ROOT") or Path("..") / "shared" / "data").expanduser().resolve()
