"""finetune.serving.engines: the transformers engine builds the eval's prompt and generates what the eval would; the
CTranslate2 engine, on the run's export, builds the same prompts and decodes the same greedy answers; every engine
carries the run's decoding (decoding_for: what predict, chat and serve decode with)."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from finetune.core.errors import UserError
from finetune.core.prompts import STOP, fit_prompt
from finetune.core.recipe import Recipe
from finetune.serving.engines import Decoding, decoding_for, open_engine
from tests.fakes.run_folder import make_run

RECORDS = [{"history": ["who founded corvel", "Gordon Clemons founded CorVel."], "query": "where was he born"},
           {"history": [], "query": "corvel headquarters"}]


@pytest.fixture(scope="module")
def engine(tmp_path_factory, tiny_model_dir):
    run = make_run(tmp_path_factory.mktemp("engine"), tiny_model_dir, with_eval=False)
    engine = open_engine(run, "transformers", threads=1)
    yield engine
    engine.close()


def test_prompt_is_the_training_prompt_within_the_runs_budget(engine):
    budget = 512 - 256  # make_run's recipe: the schema defaults of max_length and max_target_length
    for record in RECORDS:
        assert engine.prompt(record) == fit_prompt(engine.tokenizer, "query_rewrite", record, budget).text
    long = {"history": [f"turn {i} about corvel and its many offices" for i in range(60)], "query": "where is it"}
    cut = engine.prompt(long)
    assert len(engine.tokenizer(cut, add_special_tokens=False)["input_ids"]) <= budget
    assert "turn 59" in cut and "turn 0 " not in cut  # the oldest turns go first, as in training


def test_decoding_is_the_runs_eval_decoding_unless_given():
    def recipe(task, **decoding):
        sample = "query_rewrite_train.jsonl" if task == "query_rewrite" else "summarize_train.jsonl"
        return Recipe.model_validate({"model": {"name": "tiny"}, "output_dir": "run", "eval": {"decoding": decoding},
                                      "data": {"task": task, "train": [{"path": f"sample:{sample}"}]}})

    assert decoding_for(recipe("query_rewrite")) == Decoding(max_new_tokens=64, stop=STOP)  # the eval task's
    assert decoding_for(recipe("summarize")) == Decoding(max_new_tokens=128, stop=STOP)
    assert decoding_for(recipe("summarize", max_new_tokens=40)).max_new_tokens == 40
    assert decoding_for(recipe("summarize", max_new_tokens=40), 7).max_new_tokens == 7


def test_the_engine_carries_the_runs_decoding(engine):
    assert engine.decoding == Decoding(max_new_tokens=64, stop=STOP)  # make_run's recipe sets no eval.decoding


def test_batched_greedy_equals_one_at_a_time_generate(engine):
    prompts = [engine.prompt(r) for r in RECORDS]
    decoding = Decoding(max_new_tokens=8)
    batched = engine.generate(prompts, decoding)
    single = []
    for p in prompts:
        ids = engine.tokenizer(p, add_special_tokens=False, return_tensors="pt")
        with torch.inference_mode():
            out = engine.net.generate(**ids, max_new_tokens=8, do_sample=False,
                                      pad_token_id=engine.tokenizer.pad_token_id)
        single.append(engine.tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True))
    assert batched == single


def test_base_engine_drops_the_adapter(engine, tmp_path, tiny_model_dir):
    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    base = open_engine(run, base=True, threads=1)
    assert base.model == f"{engine.model}-base"
    prompt = engine.prompt(RECORDS[0])
    ids = engine.tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
    with torch.inference_mode():
        assert not torch.allclose(engine.net(**ids).logits, base.net(**ids).logits)


def test_unknown_engine_names_the_nearest(tmp_path):
    with pytest.raises(UserError, match="did you mean `transformers`"):
        open_engine(tmp_path, "transformer")


def test_unfinished_run_is_refused(tmp_path):
    with pytest.raises(UserError, match="run folder not found"):
        open_engine(tmp_path / "missing")


@pytest.fixture(scope="module")
def ct2_run(tmp_path_factory, tiny_model_dir):
    """A run whose base has SmolLM2's RoPE base (100000, not Llama's default 10000), exported for CTranslate2 in
    float32 and int8: transformers 5 keeps it in config.rope_parameters, and a converter that missed it would
    silently use the default and still agree on a default-RoPE model."""
    pytest.importorskip("ctranslate2")
    from finetune.publish.export import export_run

    root = tmp_path_factory.mktemp("ct2")
    base = shutil.copytree(tiny_model_dir, root / "tiny-rope")
    config = json.loads((base / "config.json").read_text())
    config["rope_parameters"]["rope_theta"] = 100000.0
    (base / "config.json").write_text(json.dumps(config))
    run = make_run(root, base, with_eval=False)
    export_run(run, "ct2", "float32")
    export_run(run, "ct2")  # int8: the format's default, what the engine serves
    return run


def test_ctranslate2_engine_builds_the_training_prompt_and_decodes_greedy_as_transformers(ct2_run):
    from finetune.serving.engines import CTranslate2Engine, run_model

    reference = open_engine(ct2_run, "transformers", threads=1)
    engine = CTranslate2Engine(*run_model(ct2_run), quant="float32", threads=1)
    try:
        prompts = [engine.prompt(r) for r in RECORDS]
        assert prompts == [reference.prompt(r) for r in RECORDS]
        decoding = Decoding(max_new_tokens=16)
        expected = reference.generate(prompts, decoding)
        assert engine.generate(prompts, decoding) == expected  # one batch of prompts of different lengths
        assert [engine.generate([p], decoding)[0] for p in prompts] == expected
    finally:
        engine.close()
        reference.close()


def test_ctranslate2_int8_export_loads_and_generates(ct2_run):
    engine = open_engine(ct2_run, "ctranslate2", threads=1)
    try:
        assert engine.settings["quant"] == "int8"
        texts = engine.generate([engine.prompt(r) for r in RECORDS], Decoding(max_new_tokens=8))
        assert len(texts) == len(RECORDS) and all(isinstance(t, str) for t in texts) and any(texts)
    finally:
        engine.close()


def test_ctranslate2_engine_without_an_export_names_the_command(tmp_path, tiny_model_dir):
    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    with pytest.raises(UserError, match=r"no CT2 export; run `searchtune export .* --format ct2 --quant int8`"):
        open_engine(run, "ctranslate2")
    with pytest.raises(UserError, match="--engine ctranslate2: serves the tuned export only; use --engine transformers"):
        open_engine(run, "ctranslate2", base=True)
