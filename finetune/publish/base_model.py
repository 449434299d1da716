"""A run's base model as the Hub sees it: its repo id, the GGUF file it was read from, and its licence.

Everything here reads local files only (the run folder, the base checkpoint, the Hub cache), so a card can be built
offline.
"""

from __future__ import annotations

import json
from pathlib import Path

from finetune.core.errors import UserError
from finetune.core.models import SMOLLM2_ALIAS
from finetune.core.run import RunFolder

# Model aliases the recipe accepts, with the Hub repo they stand for (for model cards and adapter configs).
ALIASES = {SMOLLM2_ALIAS: "HuggingFaceTB/SmolLM2-135M-Instruct"}


def hub_id(run: RunFolder) -> str | None:
    """The Hub repo id of the base model, or None when the base is a local folder or file."""
    name = run.base_model_name()
    if not name:
        return None
    if name in ALIASES:
        return ALIASES[name]
    if Path(name).expanduser().exists() or name.startswith((".", "/", "~")) or name.endswith(".gguf"):
        return None
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        return None
    return name if name.count("/") == 1 else None


def gguf_file(run: RunFolder) -> Path | None:
    """The local GGUF file the base was read from, if any."""
    from finetune.core.models import resolve

    recipe = run.recipe()
    if recipe is None:
        return None
    try:
        folder, gguf = resolve(recipe.model.name, recipe.model.gguf_file)
    except UserError:
        return None
    path = Path(folder).expanduser() / gguf if gguf else None
    return path if path is not None and path.is_file() else None


def _licence_from_card(path: Path) -> str | None:
    from huggingface_hub import ModelCard

    try:
        value = ModelCard.load(path).data.get("license")
    except Exception:  # noqa: BLE001 - a malformed base card only means "licence unknown"
        return None
    return value if isinstance(value, str) and value.strip() else None


def _licence_from_config(folder: Path) -> str | None:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = config.get("license") if isinstance(config, dict) else None
    return value if isinstance(value, str) else None


def licence(run: RunFolder) -> str | None:
    """The base model's licence, from its card, its config, the Hub cache, or GGUF metadata; None when unknown."""
    for folder in [run.manifest().base_model.resolved_path, run.base_model_name()]:
        if folder and Path(folder).expanduser().is_dir():
            folder = Path(folder).expanduser()
            if (folder / "README.md").is_file() and (found := _licence_from_card(folder / "README.md")):
                return found
            if found := _licence_from_config(folder):
                return found
    repo = hub_id(run)
    if repo:
        from huggingface_hub import try_to_load_from_cache

        try:
            cached = try_to_load_from_cache(repo, "README.md")
        except Exception:  # noqa: BLE001
            cached = None
        if isinstance(cached, str) and (found := _licence_from_card(Path(cached))):
            return found
    gguf = gguf_file(run)
    if gguf is not None:
        try:
            from gguf import GGUFReader

            field = GGUFReader(str(gguf)).fields.get("general.license")
            if field is not None and isinstance(field.contents(), str):
                return field.contents()
        except Exception:  # noqa: BLE001 - unreadable metadata only means "licence unknown"
            pass
    return None
