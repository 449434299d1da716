"""scripts/bench_vllm.py builds vLLM's arguments and server command as `searchtune eval --engine vllm` does and the
run's prompts as the engines do, and frees the offline engine's GPU memory before the server phase (vLLM itself
needs a GPU: only the construction, and the clean-up over a fake vllm, are tested here)."""

from __future__ import annotations

import json

import yaml

from tests.fakes.run_folder import make_run


def edit_recipe(run, **data):
    """The run's recipe.yaml with these data settings changed."""
    tree = yaml.safe_load((run / "recipe.yaml").read_text())
    tree["data"].update(data)
    (run / "recipe.yaml").write_text(yaml.safe_dump(tree, sort_keys=False))


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


def load_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "bench_vllm.py"
    spec = importlib.util.spec_from_file_location("bench_vllm", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prompts_are_the_runs_prompts_as_the_engines_build_them(tmp_path, tiny_model_dir):
    from pathlib import Path

    from finetune.serving.engines import prompt_parts, run_model

    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    edit_recipe(run, instruction="Make the last question stand alone.")
    spec, tokenizer = prompt_parts(*run_model(run))
    texts = load_script().prompts(spec, tokenizer, "/nowhere.jsonl", 3)  # the bundled sample, then
    first = json.loads((Path(__file__).resolve().parents[2] / "finetune" / "sample_data" /
                        "query_rewrite_heldout.jsonl").read_text().splitlines()[0])
    record = {"history": first.get("history") or [], "query": first["query"]}
    assert texts[0] == spec.render(tokenizer, record) and len(texts) == 3
    assert "Make the last question stand alone." in texts[0]  # the run's instruction, not the default


def test_the_offline_engine_frees_the_gpu_before_the_server_phase(tmp_path, monkeypatch):
    import sys
    import types
    import weakref
    from argparse import Namespace

    import torch

    import evals.lm  # noqa: F401  (imported before the fake vllm exists, so nothing probes the fake)

    events, engines = [], weakref.WeakSet()

    class FakeLLM:
        def __init__(self, **kwargs):
            engines.add(self)

        def generate(self, texts, params, lora_request=None):
            return [types.SimpleNamespace(outputs=[types.SimpleNamespace(token_ids=[1, 2])]) for _ in texts]

    def cleanup():
        events.append(("cleanup", len(engines)))  # the LLM is already gone when vLLM cleans up

    modules = {name: types.ModuleType(name) for name in ("vllm", "vllm.lora", "vllm.lora.request", "vllm.distributed")}
    modules["vllm"].LLM, modules["vllm"].SamplingParams = FakeLLM, lambda **k: k
    modules["vllm.lora.request"].LoRARequest = lambda *a: a
    modules["vllm.distributed"].cleanup_dist_env_and_memory = cleanup
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: events.append(("empty_cache", len(engines))))
    (tmp_path / "adapter_config.json").write_text(json.dumps({"r": 8}))
    args = Namespace(model="base", adapter=str(tmp_path), max_length=512, max_tokens=4)

    out = load_script().offline(args, ["p"] * 10)
    assert out["output_tokens_per_s"] == 2 * out["prompts_per_s"]
    assert events == [("cleanup", 0), ("empty_cache", 0)] and len(engines) == 0


def test_a_summarize_run_or_a_max_length_too_short_is_one_line(run_script, tmp_path, tiny_model_dir, capsys):
    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    capsys.readouterr()  # make_run's own loading bars
    # make_run's recipe: prompts up to 512 - 256 tokens
    assert run_script("bench_vllm.py", "--model", tiny_model_dir, "--adapter", run / "adapter", "--max-length",
                      "300", "--dry-run") != 0
    err = capsys.readouterr().err
    assert "--max-length 300" in err and "at least 304" in err and len(err.splitlines()) == 1
    edit_recipe(run, task="summarize")
    assert run_script("bench_vllm.py", "--model", tiny_model_dir, "--adapter", run / "adapter", "--dry-run") != 0
    err = capsys.readouterr().err
    assert "a summarize run" in err and len(err.splitlines()) == 1


def test_a_folder_without_an_adapter_is_one_line(run_script, tmp_path, tiny_model_dir, capsys):
    assert run_script("bench_vllm.py", "--model", tiny_model_dir, "--adapter", tmp_path, "--dry-run") != 0
    assert "no adapter_config.json" in capsys.readouterr().err
