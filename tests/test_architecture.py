"""The layers hold: `lint-imports` (import-linter, configured in pyproject.toml) keeps every contract.

    finetune.cli > finetune.workflow > evals | finetune.training | finetune.publish > finetune.core
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

REPO = Path(__file__).resolve().parents[1]


def test_the_layers_contract_is_configured():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    assert layers["layers"][0] == "finetune.cli" and layers["layers"][-1] == "finetune.core"
    assert "evals | finetune.training | finetune.publish" in layers["layers"]


def test_every_import_contract_is_kept(monkeypatch, capsys):
    monkeypatch.chdir(REPO)  # lint-imports reads pyproject.toml from the working directory
    code = lint_imports(no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out[-4000:]
    assert "0 broken" in out
