"""Tokens never reach a recipe or a file we write (finetune/core/secrets.py); the e2e reliability tests check logs
and every file of a real run."""

from __future__ import annotations

import pytest

from finetune.core import io
from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe

HF_SENTINEL = "hf_SENTINELtoken0123456789abcdefABCDEF"
RECIPE = "data: {task: query_rewrite, train: {path: 'sample:query_rewrite_train.jsonl'}}\noutput_dir: run\n"


def test_recipes_cannot_carry_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", HF_SENTINEL)
    (tmp_path / "plain.yaml").write_text(RECIPE)
    (tmp_path / "r.yaml").write_text(RECIPE + "hub: {repo_id: '${oc.env:HF_TOKEN}'}\n")
    with pytest.raises(UserError, match=r"\$\{oc.env:HF_TOKEN\} would copy a token into the run folder"):
        load_recipe(tmp_path / "r.yaml")
    with pytest.raises(UserError, match="`logging.run_name` holds the value of one of HF_TOKEN"):
        load_recipe(tmp_path / "plain.yaml", [f"logging.run_name=x{HF_SENTINEL}"])
    io.write_json(tmp_path / "m.json", {"note": f"token {HF_SENTINEL}"})
    assert HF_SENTINEL not in (tmp_path / "m.json").read_text() and "<redacted>" in (tmp_path / "m.json").read_text()
