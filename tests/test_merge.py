"""`searchtune merge`: the adapter folded into an unquantized base, saved atomically, loadable with plain transformers.

`make_run` builds a fake finished run folder (adapter, recipe, manifest, eval results, predictions) around the tiny
random Llama from conftest; test_hub.py reuses it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from finetune.core.errors import UserError
from finetune.publish.merge import merge_main, merge_run, read_run

IDS = torch.tensor([[1, 17, 42, 99, 7, 250, 3, 64]])

RESULTS = {
    "model": {"base": "tiny-llama", "adapter": "adapter"},
    "tasks": {
        "searchtune_qr_sample": {
            "dataset": {"name": "searchtune sample query rewriting (held-out)", "path": "sample:query_rewrite_test.jsonl",
                        "sha256": "ab" * 32, "n": 40},
            "decoding": {"do_sample": False, "max_new_tokens": 48, "apply_chat_template": True, "batch_size": 8},
            "metrics": {
                "bleu": {"value": 23.456789012345, "ci_low": 19.1234, "ci_high": 27.98765},
                "rougeL": {"value": 0.512345678901, "ci_low": 0.4611, "ci_high": 0.5599},
                "exact_match": {"value": 0.125, "ci_low": 0.05, "ci_high": 0.225},
            },
            "baseline": {"metrics": {
                "bleu": {"value": 11.0987, "ci_low": 8.5, "ci_high": 13.9},
                "rougeL": {"value": 0.3321, "ci_low": 0.29, "ci_high": 0.37},
                "exact_match": {"value": 0.025, "ci_low": 0.0, "ci_high": 0.075},
            }},
            "comparison": {
                "bleu": {"delta": 12.358, "ci_low": 8.1, "ci_high": 16.4},
                "rougeL": {"delta": 0.1802, "ci_low": 0.12, "ci_high": 0.24},
                "exact_match": {"delta": 0.1, "ci_low": -0.01, "ci_high": 0.2},
            },
        },
        "searchtune_qr_hub": {
            "dataset": {"name": "conversational rewrites (hub, test split)", "path": "hub:searchtune/qr-conversations",
                        "sha256": "cd" * 32, "n": 25},
            "decoding": {"do_sample": False, "max_new_tokens": 48, "apply_chat_template": True, "batch_size": 8},
            "metrics": {"bleu": {"value": 17.25, "ci_low": 12.5, "ci_high": 21.75}},
        },
    },
    "packages": {"lm_eval": "0.4.13"},
}

PREDICTIONS = [
    {"task": "searchtune_qr_sample", "doc_id": 0, "prompt": "<|im_start|>user\n...", "input":
     "Conversation so far:\n- Who directed Alien?\n\nLast question: what else did he make?",
     "reference": ["what films did Ridley Scott direct besides Alien", "Ridley Scott filmography"],
     "prediction": "what other films did Ridley Scott direct", "baseline_prediction": "what else did he make",
     "scores": {"bleu": 40.1}},
    {"task": "searchtune_qr_sample", "doc_id": 1, "prompt": "...", "input": "Last question: capital of France?",
     "reference": "capital of France", "prediction": "capital of France", "baseline_prediction": None, "scores": {}},
]


def make_run(root: Path, tiny_model_dir: Path, *, load_in_4bit: bool = False, with_eval: bool = True,
             wandb_online: bool = True, seed: int = 0) -> Path:
    """A finished-looking run folder: LoRA adapter (init_lora_weights=False, so it changes logits) + metadata."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    from finetune.core.recipe import Recipe, to_yaml

    run = root / "run"
    base = root / "base"  # the "resolved_path" cache: a copy with a model card stating the license
    shutil.copytree(tiny_model_dir, base)
    (base / "README.md").write_text("---\nlicense: mit\nlibrary_name: transformers\n---\n# tiny base\n")
    kwargs = {"quantization_config": BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                        bnb_4bit_compute_dtype=torch.float32)} if load_in_4bit else {}
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, **kwargs)
    torch.manual_seed(seed)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False,
                                             task_type="CAUSAL_LM"))
    model.save_pretrained(run / "adapter")
    AutoTokenizer.from_pretrained(base).save_pretrained(run / "adapter")

    recipe = Recipe.model_validate({
        "model": {"name": str(tiny_model_dir), "load_in_4bit": load_in_4bit},
        "lora": {"r": 4, "alpha": 8, "target_modules": "all-linear"},
        "data": {"task": "query_rewrite", "train": [
            {"path": "sample:query_rewrite_train.jsonl"},
            {"path": "hub:searchtune/qr-conversations", "weight": 0.5, "columns": {"query": "question"}},
        ]},
        "train": {"max_steps": 20},
        "eval": {"tasks": ["searchtune_qr_sample", "searchtune_qr_hub"]},
        "hub": {"repo_id": "tester/tiny-qr", "private": True, "push": "adapter"},
        "output_dir": str(run),
    })
    (run / "recipe.yaml").write_text(to_yaml(recipe))
    manifest = {
        "base_model": {"name": str(tiny_model_dir), "resolved_path": str(base)},
        "task": "query_rewrite",
        "packages": {"torch": torch.__version__, "transformers": "5.24.0", "peft": "0.21.2", "trl": "1.16.0"},
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "data": [{"path": "sample:query_rewrite_train.jsonl", "sha256": "ef" * 32, "rows": 800, "used_rows": 780},
                 {"path": "hub:searchtune/qr-conversations", "sha256": None, "rows": 400, "used_rows": 400}],
        "train_rows": 1200,
        "hardware": {"device": "cpu", "gpu": None, "cpu_count": 2},
        "started_at": "2025-01-01T10:00:00Z", "finished_at": "2025-01-01T10:03:25Z",
        "train_runtime_s": 205.4, "train_loss": 1.2345, "eval_loss": 1.4567, "train_tokens": 123456,
        "tokens_per_second": 601.2,
        "wandb": {"mode": "online", "url": "https://wandb.ai/team/searchtune/runs/abc123"} if wandb_online
        else {"mode": "offline", "url": None},
    }
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2))
    if with_eval:
        (run / "eval").mkdir()
        (run / "eval" / "results.json").write_text(json.dumps(RESULTS, indent=2))
        (run / "eval" / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in PREDICTIONS))
    return run


def peft_logits(run: Path, base_path: str | Path) -> torch.Tensor:
    """Logits of base (unquantized, fp32) + the run's adapter, through PEFT without merging."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, run / "adapter").eval()
    with torch.no_grad():
        return model(IDS).logits


def model_logits(path: str | Path) -> torch.Tensor:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    with torch.no_grad():
        return model(IDS).logits


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, tiny_model_dir) -> Path:
    return make_run(tmp_path_factory.mktemp("merge-lora"), tiny_model_dir)


def test_merge_default_output_loads_with_plain_transformers(lora_run, capsys):
    assert merge_main([str(lora_run)]) == 0
    merged = lora_run / "merged"
    assert capsys.readouterr().out.strip() == str(merged)
    assert (merged / "model.safetensors").is_file() and (merged / "tokenizer.json").is_file()
    assert not list(merged.parent.glob(".merged.*")), "the temporary merge folder was left behind"
    assert "quantization_config" not in json.loads((merged / "config.json").read_text())
    expected = peft_logits(lora_run, read_run(lora_run).manifest["base_model"]["resolved_path"])
    base_only = model_logits(read_run(lora_run).manifest["base_model"]["resolved_path"])
    assert not torch.allclose(expected, base_only, atol=1e-3), "the fixture adapter must change the logits"
    torch.testing.assert_close(model_logits(merged), expected, atol=1e-5, rtol=1e-4)
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(merged).chat_template  # the tokenizer travels with the merge


def test_merge_dtype_and_output_folder(lora_run, tmp_path):
    from safetensors import safe_open

    out = tmp_path / "bf16"
    assert merge_main([str(lora_run), "--output", str(out), "--dtype", "bf16"]) == 0
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
    assert merge_main([str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run folder not found" in err


def test_prequantized_base_checkpoint_is_refused(lora_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(lora_run, run, ignore=shutil.ignore_patterns("merged"))
    base = tmp_path / "base-q"
    shutil.copytree(read_run(run).manifest["base_model"]["resolved_path"], base)
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
