"""`searchtune eval --engine vllm`: the arguments lm-eval's vLLM backend gets, and searchtune's prompt on top of it.
vLLM itself is not installed here (no GPU): its constructor and generate_until are stood in for."""

from __future__ import annotations

import sys
import types

import pytest

from evals.cli import main
from evals.lm import vllm_args, vllm_lm
from finetune.core.models import load_tokenizer
from finetune.core.prompts import render_prompt
from tests.fakes.run_folder import make_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_model_dir):
    return make_run(tmp_path_factory.mktemp("vllm"), tiny_model_dir, with_eval=False)


def test_args_serve_the_adapter_per_request_at_the_smallest_rank_that_holds_it(run_dir, tiny_model_dir):
    args = vllm_args(str(tiny_model_dir), run_dir / "adapter", dtype="bfloat16", max_length=512)
    assert args == {"pretrained": str(tiny_model_dir), "dtype": "bfloat16", "batch_size": "auto",
                    "enable_prefix_caching": True, "max_model_len": 512,
                    "lora_local_path": str(run_dir / "adapter"), "max_lora_rank": 8}  # make_run trains r=4
    assert "lora_local_path" not in vllm_args(str(tiny_model_dir), None)


@pytest.fixture()
def VLLM(monkeypatch, tmp_path):
    """lm-eval's VLLM class, importable without vllm: the names its module imports, as stand-ins, and an old
    version number (so it takes the import path with the fewest names)."""
    names = ("vllm", "vllm.lora", "vllm.lora.request", "vllm.transformers_utils", "vllm.transformers_utils.tokenizer")
    modules = {name: types.ModuleType(name) for name in names}
    modules["vllm"].LLM = modules["vllm"].SamplingParams = modules["vllm"].TokensPrompt = object
    modules["vllm.lora.request"].LoRARequest = object
    modules["vllm.transformers_utils.tokenizer"].get_tokenizer = None
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    (tmp_path / "vllm-0.8.0.dist-info").mkdir()
    (tmp_path / "vllm-0.8.0.dist-info" / "METADATA").write_text("Name: vllm\nVersion: 0.8.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lm_eval.models.vllm_causallms", raising=False)
    from lm_eval.models.vllm_causallms import VLLM

    yield VLLM
    sys.modules.pop("lm_eval.models.vllm_causallms", None)


def test_prompts_are_searchtunes_and_an_over_budget_one_is_cut_as_training_cuts(monkeypatch, VLLM, tiny_model_dir):
    tokenizer = load_tokenizer(str(tiny_model_dir))
    seen = {}

    def fake_init(self, **kwargs):
        seen["kwargs"] = kwargs
        self.tokenizer = tokenizer

    monkeypatch.setattr(VLLM, "__init__", fake_init)
    monkeypatch.setattr(VLLM, "generate_until", lambda self, reqs, disable_tqdm=False: [r.args[0] for r in reqs])
    lm = vllm_lm(str(tiny_model_dir), None, max_length=512, max_target_length=256)
    assert seen["kwargs"]["max_model_len"] == 512
    chat = [{"role": "user", "content": "rewrite: where was he born"}]
    assert lm.apply_chat_template(chat) == render_prompt(tokenizer, chat[0]["content"])

    doc = {"source": "canard", "history": [f"turn {i} about the corvel offices" for i in range(80)],
           "query": "where is it", "instruction": None}
    from finetune.core.prompts import user_message

    context = lm.apply_chat_template([{"role": "user", "content": user_message("query_rewrite", doc, None)}])

    class Request:
        def __init__(self):
            self.doc, self.arguments = doc, (context, {"until": [], "max_gen_toks": 16})

        @property
        def args(self):
            return self.arguments

    (sent,) = lm.generate_until([Request()])
    assert len(tokenizer(sent, add_special_tokens=False)["input_ids"]) <= 512 - 256
    assert "turn 79" in sent and "turn 0 " not in sent


def test_eval_with_vllm_refuses_a_baseline_and_a_missing_vllm_in_one_line(run_dir, capsys):
    args = ["--run", str(run_dir), "--task", "searchtune_qr_sample", "--engine", "vllm", "--output", str(run_dir / "e")]
    assert main([*args, "--baseline", "base"]) != 0
    assert "--engine vllm: serves the tuned adapter only" in capsys.readouterr().err
    assert main([*args, "--baseline", "none"]) != 0
    err = capsys.readouterr().err
    assert "--engine vllm: vllm is not installed" in err and "Traceback" not in err
