"""The in-memory lm-eval model: batched greedy generation, stop strings, the streaming cache and resume, auto batch."""

from __future__ import annotations

import json

import pytest

from finetune.core.prompts import PLAIN_TEMPLATE


@pytest.fixture(scope="module")
def model_and_tokenizer(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    # At its init scale the random model only ever emits newlines; larger weights give varied text to check against.
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.3)
    return model, AutoTokenizer.from_pretrained(tiny_model_dir)


def _requests(lm, texts, until=(), max_gen_toks=12):
    from lm_eval.api.instance import Instance

    kwargs = {"until": list(until), "max_gen_toks": max_gen_toks, "do_sample": False}
    return [Instance("generate_until", {}, (lm.apply_chat_template([{"role": "user", "content": t}]), dict(kwargs)), i)
            for i, t in enumerate(texts)]


TEXTS = ["where was she born", "what does corvel sell to banks in europe and asia", "hello", "summarize atlas"]


def test_batched_left_padded_generation_matches_one_at_a_time(model_and_tokenizer):
    from evals.lm import SearchtuneLM

    model, tokenizer = model_and_tokenizer
    batched = SearchtuneLM(model, tokenizer, batch_size=4)
    single = SearchtuneLM(model, tokenizer, batch_size=1)
    out = batched.generate_until(_requests(batched, TEXTS), disable_tqdm=True)
    assert out == single.generate_until(_requests(single, TEXTS), disable_tqdm=True)
    assert len(set(out)) > 1 and all(out)


def test_stop_strings_end_generation(model_and_tokenizer):
    from evals.lm import SearchtuneLM

    model, tokenizer = model_and_tokenizer
    lm = SearchtuneLM(model, tokenizer, batch_size=4)
    full = lm.generate_until(_requests(lm, TEXTS), disable_tqdm=True)
    stop = full[1][3:5]
    cut = lm.generate_until(_requests(lm, TEXTS, until=[stop]), disable_tqdm=True)
    assert cut == [text.split(stop)[0] for text in full]


def test_results_stream_to_the_cache_and_an_interrupted_run_resumes(model_and_tokenizer, tmp_path):
    from evals.lm import SearchtuneLM, request_key

    model, tokenizer = model_and_tokenizer
    cache = tmp_path / "generations.jsonl"
    lm = SearchtuneLM(model, tokenizer, batch_size=1, cache_file=cache)
    requests = _requests(lm, TEXTS)
    real, calls = lm._generate, []

    def interrupted(batch):
        calls.append(len(batch))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(batch)

    lm._generate = interrupted
    with pytest.raises(KeyboardInterrupt):
        lm.generate_until(requests, disable_tqdm=True)
    assert len(cache.read_text().splitlines()) == 2  # each finished batch is on disk at once

    # A cached answer the model would never give proves the resumed run reads the cache instead of regenerating.
    # The interruption may also leave a line cut short: it is skipped, and later results start on a line of their own.
    with cache.open("a") as f:
        f.write(json.dumps({"key": request_key(*requests[3].args), "output": "CACHED"}) + "\n" + '{"key": "ab')
    resumed = SearchtuneLM(model, tokenizer, batch_size=4, cache_file=cache)
    generated = []
    resumed._generate = lambda batch: generated.extend(batch) or real(batch)
    out = resumed.generate_until(requests, disable_tqdm=True)
    assert len(generated) == 1 and out[3] == "CACHED"
    assert out[:3] == SearchtuneLM(model, tokenizer, batch_size=4).generate_until(requests[:3], disable_tqdm=True)
    lines = cache.read_text().splitlines()
    assert len(lines) == 5 and sum(line.endswith("}") for line in lines) == 4


def test_auto_batch_size_halves_on_out_of_memory(model_and_tokenizer):
    import torch

    from evals.lm import CPU_AUTO_BATCH, SearchtuneLM

    model, tokenizer = model_and_tokenizer
    lm = SearchtuneLM(model, tokenizer, batch_size="auto")
    assert lm.batch_size == CPU_AUTO_BATCH
    real = lm._generate

    def small_memory(batch):
        if len(batch) > 2:
            raise torch.OutOfMemoryError("simulated")
        return real(batch)

    lm._generate = small_memory
    assert len(lm.generate_until(_requests(lm, TEXTS), disable_tqdm=True)) == 4
    assert lm.batch_size == 2


def test_chat_formatting_and_registry(model_and_tokenizer, tiny_plain_model_dir):
    from lm_eval.api.registry import get_model
    from transformers import AutoTokenizer

    from evals.lm import SearchtuneLM

    model, tokenizer = model_and_tokenizer
    assert get_model("searchtune") is SearchtuneLM
    lm = SearchtuneLM(model, tokenizer)
    assert lm.chat_template() == tokenizer.chat_template
    plain = SearchtuneLM(model, AutoTokenizer.from_pretrained(tiny_plain_model_dir))
    assert plain.apply_chat_template([{"role": "user", "content": "hi"}]) == PLAIN_TEMPLATE.format(user="hi")
    turns = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}, {"role": "user", "content": "q2"}]
    assert plain.apply_chat_template(turns) == "### Instruction:\nq1\n\n### Response:\na1\n\n### Instruction:\nq2\n\n### Response:\n"


def test_loglikelihood_goes_through_lm_evals_hf_model(model_and_tokenizer):
    from lm_eval.api.instance import Instance

    from evals.lm import SearchtuneLM

    lm = SearchtuneLM(*model_and_tokenizer)
    (logprob, greedy), = lm.loglikelihood([Instance("loglikelihood", {}, ("The door", " opener"), 0)], disable_tqdm=True)
    assert logprob < 0 and isinstance(greedy, bool)


def test_beam_search_settings_reach_generation(model_and_tokenizer, monkeypatch):
    from evals.lm import SearchtuneLM, generation_kwargs
    from finetune.core.recipe import DecodingSection

    model, tokenizer = model_and_tokenizer
    seen = []
    generate = model.generate
    monkeypatch.setattr(model, "generate", lambda **kw: seen.append(kw["generation_config"]) or generate(**kw))
    lm = SearchtuneLM(model, tokenizer, batch_size=2)
    changes = DecodingSection(num_beams=3, length_penalty=0.5, no_repeat_ngram_size=2, min_new_tokens=4,
                              max_new_tokens=6).changes()
    requests = _requests(lm, TEXTS[:2])
    for req in requests:
        req.arguments[1].update(generation_kwargs(changes))
    beamed = lm.generate_until(requests, disable_tqdm=True)
    (config,) = seen
    assert (config.num_beams, config.length_penalty, config.no_repeat_ngram_size, config.min_new_tokens,
            config.max_new_tokens) == (3, 0.5, 2, 4, 6)
    greedy = lm.generate_until(_requests(lm, TEXTS[:2], max_gen_toks=6), disable_tqdm=True)
    assert seen[1].num_beams == 1 and beamed != greedy  # a separate cache key, and another search
