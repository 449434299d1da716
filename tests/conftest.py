"""Shared fixtures: a tiny random Llama with a real (tiny) BPE tokenizer, built from a config, no download."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Tests never touch the network or a real W&B account.
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tiny models gain nothing from threads, and two threads fighting over a busy core slow torch down badly.
os.environ.setdefault("OMP_NUM_THREADS", "1")

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _corpus() -> list[str]:
    lines = []
    for name in ("query_rewrite_train.jsonl", "summarize_train.jsonl"):
        path = REPO / "finetune" / "sample_data" / name
        if path.exists():
            lines += [json.dumps(json.loads(line)) for line in path.read_text().splitlines()[:200]]
    from finetune.core.prompts import DEFAULT_INSTRUCTIONS

    # The instructions appear in every prompt: training on them keeps tiny-model sequences short.
    return lines + list(DEFAULT_INSTRUCTIONS.values()) * 20 + ["the quick brown fox jumps over the lazy dog"] * 10


def build_tiny_model(path: Path, chat_template: bool = True, seed: int = 0) -> Path:
    """Write a 2-layer random Llama and a 400-token byte-level BPE tokenizer to `path`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        _corpus(),
        trainers.BpeTrainer(vocab_size=400, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()),
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    if chat_template:
        fast.chat_template = CHATML
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=1024, bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id, tie_word_embeddings=True,
    )
    LlamaForCausalLM(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_plain_model_dir(tmp_path_factory) -> Path:
    """The same tiny model with no chat template, for the plain-text prompt fallback."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama-plain"), chat_template=False)


@pytest.fixture()
def python() -> str:
    return sys.executable


# ------------------------------------------------------------------ eval data (tests/evals, tests/e2e): tiny task files

EVAL_QR_ROWS = [
    {"history": ["who founded corvel", "Ana Reyes founded it in 2011."], "query": "where was she born",
     "rewrite": "where was Ana Reyes born"},
    {"history": [], "query": "what does corvel sell", "rewrite": "what does corvel sell"},
    {"history": ["tell me about the atlas project"], "query": "who leads it", "rewrite": "who leads the atlas project"},
    {"history": ["what is sso", "Single sign-on."], "query": "does corvel support it",
     "rewrite": "does corvel support single sign-on"},
]
EVAL_SUM_ROWS = [
    {"document": "The atlas team moved the billing service to the new cluster. Latency fell by half.",
     "query": "latency", "summary": "Moving billing to the new cluster halved latency."},
    {"document": "Corvel hired three engineers for the search team in March.", "summary": "Search gained three engineers."},
]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture()
def qr_rows() -> list[dict]:
    """Four query-rewrite rows in the bundled sample's columns (history, query, rewrite)."""
    return [dict(r) for r in EVAL_QR_ROWS]


@pytest.fixture()
def sum_rows() -> list[dict]:
    """Two summarization rows in the bundled sample's columns (document, query, summary)."""
    return [dict(r) for r in EVAL_SUM_ROWS]


@pytest.fixture()
def cast_data(tmp_path) -> dict[str, str]:
    """--data pairs for a two-turn CAsT file and a five-passage judged collection: every retrieval metric runs."""
    rows = [
        {"qid": "1_1", "raw_utterance": "How do garage door openers work?", "history_utterances": [],
         "manual_rewrite": "How do garage door openers work?"},
        {"qid": "1_2", "raw_utterance": "Why did it stop working?", "history_utterances": ["How do garage door openers work?"],
         "manual_rewrite": "Why did my garage door opener stop working?"},
    ]
    folder = tmp_path / "collection"
    folder.mkdir()
    passages = [("p1", "A garage door opener uses a motor to lift the door."),
                ("p2", "Garage door openers stop working when the sensor is blocked or the remote battery dies."),
                ("p3", "Dental crowns cover a damaged tooth."), ("p4", "Veneers are thin shells on teeth."),
                ("p5", "Bread rises because yeast produces gas.")]
    _write_jsonl(folder / "passages.jsonl", [{"passage_id": p, "text": t} for p, t in passages])
    _write_jsonl(folder / "judged_pairs.jsonl", [{"qid": "1_1", "passage_id": "p1", "relevance": 4},
                                                 {"qid": "1_2", "passage_id": "p2", "relevance": 3}])
    _write_jsonl(folder / "queries.jsonl", [{"qid": r["qid"], "query_shown_to_annotators": r["manual_rewrite"]}
                                            for r in rows])
    return {"cast2020": str(_write_jsonl(tmp_path / "cast.jsonl", rows)),
            "cast2020_corpus": str(folder / "passages.jsonl"), "cast2020_qrels": str(folder / "judged_pairs.jsonl")}


@pytest.fixture(autouse=True)
def _no_launch_command_leak(monkeypatch):
    """`searchtune train` run in-process sets the resume-hint launch command for its child; keep it in that test."""
    monkeypatch.delenv("SEARCHTUNE_LAUNCH_COMMAND", raising=False)


# ------------------------------------------------------------------ scripts/ (tests/scripts): run one in this process


@pytest.fixture()
def run_script(monkeypatch):
    """`python scripts/NAME ARGS` in this process: the script's main() and its exit code (argparse's too)."""
    import importlib.util

    def run(name: str, *args: str) -> int:
        spec = importlib.util.spec_from_file_location(f"script_{Path(name).stem}", REPO / "scripts" / name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        monkeypatch.setattr(sys, "argv", [name, *map(str, args)])
        try:
            return module.main()
        except SystemExit as e:
            return e.code
    return run
