"""A fake finished run folder (adapter, recipe, manifest, eval results, predictions) around the tiny random Llama
from conftest, for the merge, model-card and push tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

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
def run_template(tmp_path_factory, tiny_model_dir) -> Path:
    """A finished run folder (see make_run), built once per test module."""
    return make_run(tmp_path_factory.mktemp("hub-run"), tiny_model_dir)


@pytest.fixture
def run(run_template, tmp_path) -> Path:
    """A fresh copy of run_template that a test may change."""
    return Path(shutil.copytree(run_template, tmp_path / "run"))
