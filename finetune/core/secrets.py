"""Secrets: the Hub and W&B tokens and the server's API key, read from the environment only and kept out of everything
a run writes.

Recipes cannot interpolate them (`${oc.env:HF_TOKEN}` is refused), and the run folder's text files are written
through `redact`, so a token pasted into a recipe field still never lands on disk.
"""

from __future__ import annotations

import os
import re
from typing import Iterable

ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "WANDB_API_KEY", "SEARCHTUNE_API_KEY")  # the last: `serve`'s key
# Shorter values are not credentials, and replacing them would mangle ordinary text.
MIN_LENGTH = 8
MASK = "<redacted>"
# Anything shaped like a Hub token is masked too, set in this environment or not (e.g. a colleague's, in a recipe).
HUB_TOKEN_SHAPE = re.compile(r"hf_[A-Za-z0-9]{30,}")


def values(extra: Iterable[str | None] = ()) -> list[str]:
    """The secret values set in this environment, plus `extra` ones (a token from `hf auth login`), longest first."""
    found = {(v or "").strip() for v in [*(os.environ.get(name) for name in ENV_VARS), *extra]}
    return sorted((v for v in found if len(v) >= MIN_LENGTH), key=len, reverse=True)


def redact(text: str, extra: Iterable[str | None] = ()) -> str:
    for value in values(extra):
        text = text.replace(value, MASK)
    return HUB_TOKEN_SHAPE.sub(MASK, text)
