"""dpo's and grpo's pieces without training: the pairs (best against worst, ties dropped), their files and statistics,
the prompt TRL gets, the TRL arguments, grpo's reward callable, its statistics and its watchdog. Training runs,
resume after a kill and QLoRA: tests/e2e/test_methods_dpo_grpo.py."""

from __future__ import annotations

import json
import math

import pytest
from transformers import TrainerControl, TrainerState

from finetune.core.errors import UserError
from finetune.core.recipe.schema import Recipe
from finetune.training.methods import dpo, grpo, reward as rewards, sampling

RECORDS = [
    {"history": ["tell me about jaguars"], "query": "how fast are they?", "rewrite": "how fast are jaguars?", "qid": "1_2"},
    {"history": [], "query": "what is bm25?", "rewrite": "what is bm25?", "qid": "2_1"},
    {"history": ["who wrote dune"], "query": "when?", "rewrite": "when was dune written?", "qid": "3_2"},
]
# Where each rewrite ranks the passages: j is 1_2's relevant passage, b is 2_1's, d is 3_2's.
RANKINGS = {"jaguar speed": ["j"], "how fast are they": ["x", "j"], "cats": ["x"], "how fast are jaguars?": ["x", "j"],
            "bm25": ["b"], "okapi": ["b"], "what is bm25?": ["x", "b"], "dune": ["x"], "when?": ["x"],
            "when was dune written?": ["d"]}
RELEVANT = {"1_2": {"j"}, "2_1": {"b"}, "3_2": {"d"}}


def fake_reward(relevant=RELEVANT):
    return rewards.Reward(lambda queries, k: [RANKINGS.get(q, [])[:k] for q in queries], relevant, "reciprocal", 10, {})


def recipe(tmp_path, **train) -> Recipe:
    return Recipe.model_validate({
        "data": {"task": "query_rewrite", "train": [{"path": str(tmp_path / "t.jsonl")}]},
        "train": {"method": "dpo", "sampling": {"n": 3}, **train},
        "reward": {"corpus": "c.jsonl", "qrels": "q.txt"},
        "output_dir": str(tmp_path / "run"),
    })


def test_a_pair_is_the_best_candidate_against_the_worst_and_ties_give_none():
    scored = [[("how fast are they", 0.5), ("jaguar speed", 1.0), ("cats", 0.0), ("jaguar", 1.0)],
              [("bm25", 1.0), ("okapi", 1.0)],  # all tie: nothing to prefer
              []]  # the third turn's prompt does not fit: nothing was sampled
    pairs = dpo.build_pairs(RECORDS, ["P1", "P2", None], scored)
    assert [(p["qid"], p["chosen"], p["rejected"]) for p in pairs] == [("1_2", "jaguar speed", "cats")]
    assert pairs[0] | {"prompt": "P1", "chosen_reward": 1.0, "rejected_reward": 0.0} == pairs[0]  # first of equals
    stats = dpo.pair_stats(scored, [0.5, 0.5, 1.0], pairs)
    assert stats == {"turns": 3, "pairs": 1, "ties_dropped": 1, "no_prompt": 1, "mean_reward": 0.75,
                     "mean_best_reward": 1.0, "mean_worst_reward": 0.5, "mean_reference_reward": 0.6667,
                     "mean_pair_margin": 1.0}


def test_pairs_per_turn_pairs_the_best_with_each_lowest_distinct_worse_candidate():
    scored = [[("jaguar speed", 1.0), ("cats", 0.0), ("how fast", 0.5), ("cats", 0.0), ("jaguar", 1.0), ("big cat", 0.2)],
              [("bm25", 1.0), ("okapi", 1.0)]]
    pairs = dpo.build_pairs(RECORDS, ["P1", "P2", None], scored, per_turn=3)
    assert [(p["chosen"], p["rejected"], p["rejected_reward"]) for p in pairs] == [
        ("jaguar speed", "cats", 0.0), ("jaguar speed", "big cat", 0.2), ("jaguar speed", "how fast", 0.5)]
    assert [p["rejected"] for p in dpo.build_pairs(RECORDS, ["P1", "P2", None], scored, per_turn=9)] == [
        "cats", "big cat", "how fast"]  # an equal of the best ("jaguar", 1.0) is never rejected
    assert dpo.build_pairs(RECORDS, ["P1", "P2", None], scored) == pairs[:1]


def write(tmp_path, monkeypatch, samples, **train):
    monkeypatch.setattr(sampling, "prompt_text", lambda tok, rec, r: f"PROMPT {rec['query']}")
    monkeypatch.setattr(dpo, "trl_prompt", lambda tok, text: text)
    monkeypatch.setattr(sampling, "sample", lambda model, tok, records, r: samples)
    dpo.write_pairs(None, None, RECORDS, recipe(tmp_path, **train), fake_reward(), tmp_path)
    return [json.loads(line) for line in (tmp_path / dpo.PAIRS_FILE).read_text().splitlines()]


def test_write_pairs_scores_by_retrieval_and_keeps_every_candidate(tmp_path, monkeypatch):
    pairs = write(tmp_path, monkeypatch, [["cats", "jaguar speed", "how fast are they"], ["okapi", "bm25", "bm25"],
                                          ["dune", "when?", "dune"]])
    assert [(p["chosen"], p["rejected"]) for p in pairs] == [("jaguar speed", "cats")]
    assert pairs[0]["prompt"] == "PROMPT how fast are they?"
    samples = [json.loads(line) for line in (tmp_path / dpo.SAMPLES_FILE).read_text().splitlines()]
    assert [s["rewrite"] for s in samples[0]["samples"]] == ["cats", "jaguar speed", "how fast are they"]
    assert [s["reward"] for s in samples[0]["samples"]] == [0.0, 1.0, 0.5]
    assert samples[2]["reference_reward"] == 1.0
    stats = json.loads((tmp_path / dpo.STATS_FILE).read_text())
    assert stats["pairs"] == 1 and stats["ties_dropped"] == 2

    # The reference as one more candidate: it can win (1_2, 3_2) or lose (2_1: rank 2 against the samples' rank 1).
    pairs = write(tmp_path, monkeypatch, [["cats"] * 3, ["okapi"] * 3, ["dune"] * 3],
                  sampling={"n": 3, "include_reference": True})
    assert [(p["qid"], p["chosen"], p["rejected"]) for p in pairs] == [
        ("1_2", "how fast are jaguars?", "cats"), ("2_1", "okapi", "what is bm25?"), ("3_2", "when was dune written?", "dune")]


def test_no_pair_at_all_is_refused_and_leaves_no_pairs_file(tmp_path, monkeypatch):
    with pytest.raises(UserError, match="none of the 3 training turns gave a pair .3 whose candidates all got"):
        write(tmp_path, monkeypatch, [["cats"] * 3, ["okapi"] * 3, ["dune"] * 3])
    assert (tmp_path / dpo.SAMPLES_FILE).is_file() and not (tmp_path / dpo.PAIRS_FILE).exists()


def bos_tokenizer(tiny_model_dir, post: str):
    """The tiny tokenizer made to add a special token to every text, as Llama 3's adds its BOS."""
    from tokenizers import processors
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    token = tok.bos_token if post.startswith("bos") else tok.pad_token
    single = f"{token} $A" if post.startswith("bos") else f"$A {token}"
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=single, special_tokens=[(token, tok.convert_tokens_to_ids(token))])
    tok.chat_template = "{{ bos_token }}" + tok.chat_template
    return tok


def test_trl_gets_the_prompt_that_tokenizes_as_the_training_prompt(tiny_model_dir):
    from transformers import AutoTokenizer

    from finetune.core import prompts

    plain = AutoTokenizer.from_pretrained(tiny_model_dir)
    text = prompts.fit_prompt(plain, "query_rewrite", RECORDS[0], None).text
    assert dpo.trl_prompt(plain, text) == text
    llama_like = bos_tokenizer(tiny_model_dir, "bos")
    prompt = prompts.fit_prompt(llama_like, "query_rewrite", RECORDS[0], None)
    assert llama_like(prompt.text)["input_ids"] != prompt.input_ids  # TRL's own call would double the BOS
    assert llama_like(dpo.trl_prompt(llama_like, prompt.text))["input_ids"] == prompt.input_ids
    with pytest.raises(UserError, match="model.name: its tokenizer adds special tokens"):
        dpo.trl_prompt(bos_tokenizer(tiny_model_dir, "eos"), prompt.text)


def test_trl_arguments_are_the_sft_runs_plus_the_methods_own(tmp_path):
    from trl import DPOConfig, GRPOConfig

    rec = recipe(tmp_path, max_steps=7, batch_size=4, learning_rate=5e-5, save_steps=3, save_total_limit=4)
    args = dpo.method_args(rec, tmp_path / "run", "none", DPOConfig, max_length=99)
    assert (args.max_steps, args.per_device_train_batch_size, args.learning_rate, args.save_steps) == (7, 4, 5e-5, 3)
    assert args.output_dir == str(tmp_path / "run" / "checkpoints") and args.max_length == 99
    assert args.save_total_limit == 4 and args.activation_checkpointing is False  # TRL's default would turn it on
    g = dpo.method_args(rec, tmp_path / "run", "none", GRPOConfig, num_generations=2, remove_unused_columns=False)
    assert g.num_generations == 2 and g.generation_batch_size == 4 and not g.remove_unused_columns


def test_grpo_refuses_a_batch_that_splits_a_group_before_loading_anything(tmp_path):
    rec = recipe(tmp_path, method="grpo", batch_size=3, sampling={"n": 2})
    with pytest.raises(UserError, match=r"train.batch_size: .* = 3 completions; make that a multiple of 2"):
        grpo.train(rec, tmp_path / "run", "none")
    assert not (tmp_path / "run").exists()


def test_the_reward_callable_scores_cleaned_completions_by_their_qid():
    from trl.trainer.utils import get_callable_name

    logged = {}
    fn = grpo.reward_function(fake_reward())
    completions = ["jaguar speed\n\nSure, anything else?", "cats", "bm25<|im_end|>", "what is bm25?", "x", "y"]
    qids = ["1_2", "1_2", "2_1", "2_1", "9_9", "9_9"]
    scores = fn(prompts=["p"] * 6, completions=completions, completion_ids=[[]] * 6, qid=qids,
                log_metric=lambda name, value: logged.setdefault(name, value), trainer_state=None)
    assert scores == [1.0, 0.0, 1.0, 0.5, None, None]  # 9_9 has no judgement: TRL leaves it out
    assert get_callable_name(fn) == "retrieval_reward"  # TRL logs it as rewards/retrieval_reward/mean
    assert logged == {"retrieval/best": 1.0, "retrieval/worst": 0.25, "retrieval/hit_rate": 0.75}


def test_reward_statistics_come_from_the_logged_steps():
    history = [{"loss": 0.0, "reward": 0.2, "retrieval/best": 0.5, "retrieval/hit_rate": 0.5, "step": 1},
               {"loss": 0.0, "reward": 0.4, "retrieval/best": 0.7, "retrieval/hit_rate": 1.0, "step": 2},
               {"train_runtime": 3.0, "step": 2}]
    assert grpo.reward_stats(history) == {"logged_steps": 2, "first": 0.2, "last": 0.4, "mean": 0.3,
                                          "mean_best": 0.6, "mean_hit_rate": 0.75}
    assert grpo.reward_stats([{"loss": 1.0}]) == {}


def test_grpo_watchdog_ignores_a_loss_around_zero_and_trips_on_nan():
    dog, state, control = grpo.FiniteWatchdog(), TrainerState(), TrainerControl()
    for step, loss in enumerate([0.0, -0.02, 0.05, 0.3, 0.4, 0.5, -0.1], 1):
        state.global_step, control.should_save = step, True
        dog.on_log(None, state, control, logs={"loss": loss})
        assert control.should_save and not control.should_training_stop, f"step {step}"
    dog.on_log(None, state, control, logs={"loss": math.nan})
    assert control.should_training_stop and not control.should_save and "nan at step 7" in dog.tripped
