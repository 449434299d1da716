"""The layers hold: `lint-imports` (import-linter, configured in pyproject.toml) keeps every contract.

    finetune.cli > finetune.workflow > evals | finetune.training | finetune.publish | finetune.serving > finetune.core
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]


def test_the_layers_contract_is_configured():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    assert layers["layers"][0] == "finetune.cli" and layers["layers"][-1] == "finetune.core"
    assert "evals | finetune.training | finetune.publish | finetune.serving" in layers["layers"]


def test_every_import_contract_is_kept():
    # The command a contributor runs, in its own process: in-process, import-linter prints through a console bound to
    # the stdout that existed when it was first imported, which pytest's capture has closed by then.
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "0 broken" in r.stdout, r.stdout[-4000:] + r.stderr[-2000:]


def test_test_modules_have_unique_names():
    """pytest imports test files by basename (no __init__.py): two of one name fail the whole collection."""
    names = [p.name for p in (Path(__file__).parent).rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
