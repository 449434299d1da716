"""Secrets: the Hub and W&B tokens, read from the environment only and kept out of everything a run writes.

Recipes cannot interpolate them (`${oc.env:HF_TOKEN}` is refused), and the run folder's text files are written
through `redact`, so a token pasted into a recipe field still never lands on disk.
"""

from __future__ import annotations

import os

ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "WANDB_API_KEY")
# Shorter values are not credentials, and replacing them would mangle ordinary text.
MIN_LENGTH = 8
MASK = "<redacted>"


def values() -> list[str]:
    """The secret values set in this environment, longest first."""
    found = {os.environ.get(name, "").strip() for name in ENV_VARS}
    return sorted((v for v in found if len(v) >= MIN_LENGTH), key=len, reverse=True)


def redact(text: str) -> str:
    for value in values():
        text = text.replace(value, MASK)
    return text
