"""Where things live: the user cache, the data root, and the files shipped inside the installed package.

Everything is found relative to the installed package, never the checkout, so a wheel install works the same as an
editable one.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
SAMPLE_DATA = PACKAGE / "sample_data"


def cache_dir() -> Path:
    root = os.environ.get("SEARCHTUNE_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "searchtune"
    return Path(root)


def data_root() -> Path:
    """$SEARCHTUNE_DATA_ROOT, else ../shared/data from the working directory (where a checkout keeps it)."""
    return Path(os.environ.get("SEARCHTUNE_DATA_ROOT") or Path("..") / "shared" / "data").expanduser().resolve()
