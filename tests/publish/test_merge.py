"""`searchtune merge`: the adapter folded into an unquantized base, saved atomically, loadable with plain transformers.

The run folders are tests/fakes/run_folder.py's `make_run`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from fakes.run_folder import make_run, model_logits, peft_logits

from finetune.cli import main as searchtune
from finetune.core.errors import UserError
from finetune.core.run import RunFolder
from finetune.publish.merge import merge_run


def resolved_base(run: Path) -> str:
    return RunFolder(run).manifest().base_model.resolved_path


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, tiny_model_dir) -> Path:
    return make_run(tmp_path_factory.mktemp("merge-lora"), tiny_model_dir)


def test_merge_default_output_loads_with_plain_transformers(lora_run, capsys):
    assert searchtune(["merge", str(lora_run)]) == 0
    merged = lora_run / "merged"
    assert capsys.readouterr().out.strip() == str(merged)
    assert (merged / "model.safetensors").is_file() and (merged / "tokenizer.json").is_file()
    assert not list(merged.parent.glob(".merged.*")), "the temporary merge folder was left behind"
    assert "quantization_config" not in json.loads((merged / "config.json").read_text())
    expected = peft_logits(lora_run, resolved_base(lora_run))
    base_only = model_logits(resolved_base(lora_run))
    assert not torch.allclose(expected, base_only, atol=1e-3), "the fixture adapter must change the logits"
    torch.testing.assert_close(model_logits(merged), expected, atol=1e-5, rtol=1e-4)
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(merged).chat_template  # the tokenizer travels with the merge


def test_merge_dtype_and_output_folder(lora_run, tmp_path):
    from safetensors import safe_open

    out = tmp_path / "bf16"
    assert searchtune(["merge", str(lora_run), "--output", str(out), "--dtype", "bf16"]) == 0
    with safe_open(out / "model.safetensors", "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.bfloat16}
    merge_run(lora_run, out, "fp32")  # an earlier merge at the output is replaced
    with safe_open(out / "model.safetensors", "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float32}


def test_merge_refuses_to_overwrite_other_folders_and_bad_runs(lora_run, tmp_path, capsys):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="exists and is not a merged model"):
        merge_run(lora_run, other)
    assert (other / "keep.txt").read_text() == "mine"
    assert searchtune(["merge", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run folder not found" in err


def test_prequantized_base_checkpoint_is_refused(lora_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(lora_run, run, ignore=shutil.ignore_patterns("merged"))
    base = tmp_path / "base-q"
    shutil.copytree(resolved_base(run), base)
    config = json.loads((base / "config.json").read_text())
    config["quantization_config"] = {"quant_method": "bitsandbytes", "load_in_4bit": True}
    (base / "config.json").write_text(json.dumps(config))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["base_model"]["resolved_path"] = str(base)
    (run / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="stored quantized"):
        merge_run(run)
    assert not (run / "merged").exists()


def test_qlora_run_merges_into_an_unquantized_base(tmp_path, tiny_model_dir, monkeypatch):
    run = make_run(tmp_path, tiny_model_dir, load_in_4bit=True, with_eval=False)
    assert yaml.safe_load((run / "recipe.yaml").read_text())["model"]["load_in_4bit"] is True
    from transformers import AutoModelForCausalLM

    calls = []
    original = AutoModelForCausalLM.from_pretrained.__func__

    def spy(cls, *args, **kwargs):
        calls.append(kwargs)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", classmethod(spy))
    merged = merge_run(run)
    monkeypatch.undo()
    assert calls and all("quantization_config" not in c and not c.get("load_in_4bit") for c in calls)
    config = json.loads((merged / "config.json").read_text())
    assert "quantization_config" not in config
    from safetensors import safe_open

    with safe_open(merged / "model.safetensors", "pt") as f:
        dtypes = {f.get_tensor(k).dtype for k in f.keys()}
    assert dtypes == {torch.float32}, "merged weights must be full precision, not packed 4-bit"
    expected = peft_logits(run, tmp_path / "base")
    torch.testing.assert_close(model_logits(merged), expected, atol=1e-5, rtol=1e-4)


def hub_cache_repo(cache: Path, repo_id: str, model_dir: Path) -> Path:
    """`repo_id` as huggingface_hub's cache lays out a download (refs/main -> snapshots/<commit>/files)."""
    commit = "0" * 40
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(model_dir, repo / "snapshots" / commit)
    return repo


def test_hub_base_with_dtype_auto_merges_in_the_checkpoints_dtype(tmp_path, tiny_model_dir, monkeypatch):
    """A Hub-id base (no local folder to read) stored in bf16, recipe `model.dtype: auto`: the merge is bf16, the
    base's own dtype, not fp32 at twice the size."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    stored = tmp_path / "bf16-base"
    AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.bfloat16).save_pretrained(stored)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(stored)
    assert json.loads((stored / "config.json").read_text())["dtype"] == "bfloat16"
    hub_cache_repo(tmp_path / "hub", "tester/tiny-bf16", stored)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    run = make_run(tmp_path / "made", tiny_model_dir, with_eval=False)
    recipe = yaml.safe_load((run / "recipe.yaml").read_text())
    recipe["model"]["name"] = "tester/tiny-bf16"
    assert recipe["model"]["dtype"] == "auto"
    (run / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["base_model"] = {"name": "tester/tiny-bf16", "resolved_path": "tester/tiny-bf16"}
    (run / "manifest.json").write_text(json.dumps(manifest))
    merged = merge_run(run)
    from safetensors import safe_open

    with safe_open(merged / "model.safetensors", "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.bfloat16}
