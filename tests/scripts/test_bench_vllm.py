"""scripts/bench_vllm.py builds vLLM's arguments and server command as `searchtune eval --engine vllm` does (vLLM
itself needs a GPU: only the construction is tested here)."""

from __future__ import annotations

import json

from tests.fakes.run_folder import make_run


def test_dry_run_serves_the_adapter_per_request(run_script, tmp_path, tiny_model_dir, capsys):
    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    adapter = run / "adapter"
    code = run_script("bench_vllm.py", "--model", tiny_model_dir, "--adapter", adapter, "--dry-run")
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    kwargs = json.loads(out[0].removeprefix("LLM( ").removesuffix(" )"))
    assert kwargs == {"model": str(tiny_model_dir), "dtype": "auto", "max_model_len": 512,
                      "enable_prefix_caching": True, "enable_lora": True, "max_lora_rank": 8}
    server = out[1].removeprefix("server: ").split()
    assert server[:3] == ["vllm", "serve", str(tiny_model_dir)]
    assert server[server.index("--lora-modules") + 1] == f"tuned={adapter}"
    assert server[server.index("--host") + 1] == "127.0.0.1" and "--enable-lora" in server


def test_prompts_are_the_training_prompts(run_script, tiny_model_dir):
    import importlib.util
    from pathlib import Path

    from finetune.core.models import load_tokenizer
    from finetune.core.prompts import fit_prompt

    path = Path(__file__).resolve().parents[2] / "scripts" / "bench_vllm.py"
    spec = importlib.util.spec_from_file_location("bench_vllm", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    texts = module.prompts(str(tiny_model_dir), "/nowhere.jsonl", 3, 512, 48)  # the bundled sample, then
    tokenizer = load_tokenizer(str(tiny_model_dir))
    first = json.loads((Path(__file__).resolve().parents[2] / "finetune" / "sample_data" /
                        "query_rewrite_heldout.jsonl").read_text().splitlines()[0])
    record = {"history": first.get("history") or [], "query": first["query"]}
    assert texts[0] == fit_prompt(tokenizer, "query_rewrite", record, 512 - 48).text and len(texts) == 3


def test_a_folder_without_an_adapter_is_one_line(run_script, tmp_path, tiny_model_dir, capsys):
    assert run_script("bench_vllm.py", "--model", tiny_model_dir, "--adapter", tmp_path, "--dry-run") != 0
    assert "no adapter_config.json" in capsys.readouterr().err
