"""Model loading is safe by default (finetune/core/models.py): no remote code unless the recipe trusts it, and
pickled .bin weights are refused, never unpickled."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch

from finetune.core import models
from finetune.core.errors import UserError


def test_remote_code_runs_only_when_the_recipe_trusts_it(tiny_model_dir, tmp_path, caplog):
    from finetune.core.recipe import ModelSection

    assert ModelSection().trust_remote_code is False
    repo = tmp_path / "custom"
    shutil.copytree(tiny_model_dir, repo)
    config = json.loads((repo / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "remote.RemoteConfig", "AutoModelForCausalLM": "remote.RemoteModel"}
    (repo / "config.json").write_text(json.dumps(config))
    marker = tmp_path / "REMOTE_CODE_RAN"
    (repo / "remote.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "from transformers import LlamaConfig, LlamaForCausalLM\n"
        "class RemoteConfig(LlamaConfig):\n    pass\n"
        "class RemoteModel(LlamaForCausalLM):\n    config_class = RemoteConfig\n"
    )
    models.load_base_model(str(repo))
    assert not marker.exists(), "remote code ran without trust_remote_code"
    with caplog.at_level("WARNING", logger="searchtune"):
        models.load_base_model(str(repo), trust_remote_code=True)
    assert marker.exists()
    assert f"model.trust_remote_code is on: code from {repo} will run on this machine" in caplog.text


class _Payload:
    marker = ""

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_in_bin_weights_is_refused_not_executed(tiny_model_dir, tmp_path):
    folder = tmp_path / "bin-model"
    folder.mkdir()
    (folder / "config.json").write_text((tiny_model_dir / "config.json").read_text())
    payload = _Payload()
    payload.marker = str(tmp_path / "PICKLE_RAN")
    torch.save({"model.embed_tokens.weight": payload}, folder / "pytorch_model.bin")
    with pytest.raises(UserError, match="its .bin weights hold pickled objects that are not tensors"):
        models.load_base_model(str(folder))
    assert not Path(payload.marker).exists()


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_4bit_weights_are_stored_as_the_compute_dtype(tiny_model_dir, dtype):
    """QLoRA under FSDP2 or ZeRO-3 needs float quant storage: accelerate's FSDP2 path excludes from sharding every
    frozen Params4bit that is not floating point (`fsdp2_prepare_model`), leaving it whole on every rank."""
    model = models.load_base_model(str(tiny_model_dir), dtype, load_in_4bit=True)
    packed = [p for p in model.parameters() if type(p).__name__ == "Params4bit"]
    assert packed, "no 4-bit weights: the test would check nothing"
    unshardable = [p for p in packed if not p.requires_grad and not p.is_floating_point()]
    assert not unshardable and {p.dtype for p in packed} == {getattr(torch, dtype)}
    assert model.config.quantization_config.bnb_4bit_quant_storage == getattr(torch, dtype)
    # With gradients on, as in training (bitsandbytes' CPU inference path needs rows of at least one 64-value block).
    assert torch.isfinite(model(torch.tensor([[1, 17, 42]])).logits).all()
