"""`searchtune preview`: the first rows exactly as training encodes them, the trained tokens marked."""

from __future__ import annotations

import json
import shutil

import pytest

from finetune.cli import main

QR = {"history": ["who runs project atlas?", "Priya runs it."], "query": "when does it ship?",
      "rewrite": "when does project atlas ship?"}
# SmolLM2-135M-Instruct's template: a conversation without a system turn gets this one.
SMOLLM2_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\n" + SMOLLM2_SYSTEM + "<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@pytest.fixture()
def run_preview(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    rows = [QR, dict(QR, rewrite="far too long a target " * 40), dict(QR, query="and the budget?")]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    def run(model_dir, *args):
        recipe = tmp_path / "r.yaml"
        recipe.write_text(f"model: {{name: {model_dir}}}\ndata:\n  task: query_rewrite\n  train:\n"
                          f"    path: {tmp_path / 'd.jsonl'}\n  max_length: 512\n  max_target_length: 64\n"
                          "output_dir: out\n")
        assert main(["preview", str(recipe), *args]) == 0
        return capsys.readouterr().out

    return run


def test_rows_marked_as_training_encodes_them(run_preview, tiny_model_dir):
    from transformers import AutoTokenizer

    from finetune.core import prompts

    out = run_preview(tiny_model_dir, "-n", "2")
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    shown = [r for r in out.split("\n── ") if r.startswith("row ")]
    assert len(shown) == 2  # -n 2
    for block in shown:
        if "dropped" in block.splitlines()[0]:
            assert "target has" in block and "data.max_target_length is 64" in block
            continue
        query = "and the budget?" if "and the budget?" in block else QR["query"]
        enc = prompts.encode(tok, "query_rewrite", dict(QR, query=query), 512)
        trained = sum(enc.completion_mask)
        assert block.splitlines()[0].endswith(
            f"{len(enc.input_ids)} tokens = {len(enc.input_ids) - trained} prompt (no loss) + {trained} trained")
        # Prompt plain, completion (the target and its EOS) between the markers, nothing trained before it.
        assert block.count("⟦") == 1 and block.rstrip().endswith(f"⟦{QR['rewrite']}<|im_end|>⟧")
        assert "<|im_start|>assistant\n⟦" in block
    assert "all rows: 2 train / 0 eval rows" in out and "1 dropped (too long)" in out and "0 truncated" in out
    assert "system prompt" not in out  # the test template adds none


def test_the_chat_templates_own_system_prompt_is_shown(run_preview, tiny_model_dir, tmp_path):
    smol = shutil.copytree(tiny_model_dir, tmp_path / "smol-like")
    config = json.loads((smol / "tokenizer_config.json").read_text())
    (smol / "chat_template.jinja").unlink(missing_ok=True)
    config["chat_template"] = SMOLLM2_TEMPLATE
    (smol / "tokenizer_config.json").write_text(json.dumps(config))
    out = run_preview(smol, "-n", "3")
    assert f"<|im_start|>system\\n{SMOLLM2_SYSTEM}<|im_end|>" in out.splitlines()[0]
    assert "that is a system prompt of the chat template's own, not of this recipe" in out
    encoded = [r for r in out.split("\n── ")[1:] if r.startswith("row ") and "dropped" not in r.splitlines()[0]]
    assert len(encoded) == 2
    assert all(r.count(SMOLLM2_SYSTEM) == 1 and f"\n<|im_start|>system\n{SMOLLM2_SYSTEM}<|im_end|>\n" in r for r in encoded)


def test_bad_row_count_is_one_line(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    path.write_text("data: {task: query_rewrite, train: {path: 'sample:query_rewrite_train.jsonl'}}\noutput_dir: o\n")
    assert main(["preview", str(path), "-n", "0"]) == 2
    assert capsys.readouterr().err == "searchtune: error: -n 0: show at least one row, e.g. -n 3\n"
