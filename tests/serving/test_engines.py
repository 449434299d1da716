"""finetune.serving.engines: the transformers engine builds the eval's prompt and generates what the eval would."""

from __future__ import annotations

import pytest
import torch

from finetune.core.errors import UserError
from finetune.core.prompts import fit_prompt
from finetune.serving.engines import Decoding, open_engine
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
