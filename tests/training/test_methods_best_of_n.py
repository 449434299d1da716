"""best_of_n's pieces without a model: the rank-graded reward, the choice of each turn's best sample, a round's recipe."""

from __future__ import annotations

import json
import math

import pytest

from finetune.core.errors import UserError
from finetune.core.recipe.schema import Recipe
from finetune.training.methods import best_of_n, reward as rewards, sampling


def fake_reward(rankings: dict[str, list[str]], relevant: dict[str, set[str]], shape="log", depth=10):
    return rewards.Reward(lambda queries, k: [rankings[q][:k] for q in queries], relevant, shape, depth, {})


def test_reward_grades_by_rank_and_a_miss_scores_zero():
    r = fake_reward({"a": ["d1", "d2", "d3"], "b": ["d3", "d2", "d1"], "c": ["x", "y"]}, {"q": {"d1", "d3"}})
    a, b, c = r.score(["a", "b", "c"], ["q", "q", "q"])
    assert a == pytest.approx((1 / math.log2(2) + 1 / math.log2(4)) / 2)
    assert a == pytest.approx(b)  # the same two ranks, whichever passage holds which
    assert c == 0.0
    assert r.score(["a"], ["unjudged"]) == [None]


@pytest.mark.parametrize("shape, expected", [("reciprocal", 1 / 3), ("log", 1 / math.log2(4)), ("linear", 1 - 2 / 10)])
def test_reward_shapes_at_rank_three(shape, expected):
    r = fake_reward({"a": ["x", "y", "d"]}, {"q": {"d"}}, shape=shape)
    assert r.score(["a"], ["q"]) == [pytest.approx(expected)]


def test_a_passage_below_depth_is_a_miss():
    r = fake_reward({"a": ["x", "y", "d"]}, {"q": {"d"}}, depth=2)
    assert r.score(["a"], ["q"]) == [0.0]


def recipe(tmp_path, **train) -> Recipe:
    return Recipe.model_validate({
        "data": {"task": "query_rewrite", "train": [{"path": str(tmp_path / "t.jsonl"), "instruction": "Rewrite."}]},
        "train": {"method": "best_of_n", "sampling": {"n": 3}, **train},
        "reward": {"corpus": "c.jsonl", "qrels": "q.txt"},
        "output_dir": str(tmp_path / "run"),
    })


RECORDS = [
    {"history": ["tell me about jaguars"], "query": "how fast are they?", "rewrite": "how fast are jaguars?", "qid": "1_2"},
    {"history": [], "query": "what is bm25?", "rewrite": "what is bm25?", "qid": "2_1"},
]
RANKINGS = {"jaguar speed": ["j"], "how fast are they": ["x", "j"], "cats": ["x"], "how fast are jaguars?": ["x", "x2", "j"],
            "bm25": ["x"], "ranking": ["x"], "okapi": ["x"], "what is bm25?": ["x"]}


def test_choose_keeps_each_turns_best_and_skips_turns_where_nothing_retrieves(tmp_path, monkeypatch):
    monkeypatch.setattr(sampling, "sample", lambda model, tok, records, recipe: [
        ["how fast are they", "jaguar speed", "cats"], ["bm25", "ranking", "okapi"]])
    r = fake_reward(RANKINGS, {"1_2": {"j"}, "2_1": {"b"}})
    stats = best_of_n.choose(None, None, RECORDS, recipe(tmp_path), r, tmp_path)
    chosen = [json.loads(line) for line in (tmp_path / "chosen.jsonl").read_text().splitlines()]
    assert [c["rewrite"] for c in chosen] == ["jaguar speed"]  # rank 1 beats rank 2; turn 2_1 retrieves nothing
    assert chosen[0]["history"] == RECORDS[0]["history"] and chosen[0]["qid"] == "1_2"
    samples = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert samples[1]["chosen"] is None and len(samples[0]["samples"]) == 3
    assert stats["turns"] == 2 and stats["kept"] == 1
    assert stats["mean_best_reward"] == pytest.approx(0.5)
    assert stats["best_beats_reference"] == pytest.approx(0.5)


def test_the_reference_is_a_candidate_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(sampling, "sample", lambda *a: [["cats", "cats"], ["okapi", "okapi"]])
    r = fake_reward(RANKINGS, {"1_2": {"j"}, "2_1": {"b"}})
    with pytest.raises(UserError, match="no sampled rewrite"):
        best_of_n.choose(None, None, RECORDS, recipe(tmp_path), r, tmp_path)
    assert not (tmp_path / "chosen.jsonl").exists()
    rec = recipe(tmp_path, sampling={"n": 2, "include_reference": True})
    best_of_n.choose(None, None, RECORDS, rec, r, tmp_path)
    chosen = [json.loads(line) for line in (tmp_path / "chosen.jsonl").read_text().splitlines()]
    assert [c["rewrite"] for c in chosen] == ["how fast are jaguars?"]


def test_a_round_is_an_sft_run_on_the_chosen_rows_from_the_last_adapter(tmp_path):
    rec = recipe(tmp_path, init_adapter="runs/sft")
    r = best_of_n.round_recipe(rec, tmp_path / "chosen.jsonl", "runs/sft/adapter", tmp_path / "run/rounds/round-1")
    assert r.train.method == "sft" and r.train.init_adapter == "runs/sft/adapter" and r.train.resume == "auto"
    assert [s.path for s in r.data.train] == [str((tmp_path / "chosen.jsonl").resolve())]
    assert r.data.train[0].instruction == "Rewrite." and r.eval.tasks == []
    assert r.output_dir == str(tmp_path / "run/rounds/round-1")


def test_sampled_text_is_cut_where_the_eval_cuts_it():
    assert sampling.clean(" jaguar speed\n\nSure! Anything else?") == "jaguar speed"
    assert sampling.clean("jaguar speed<|im_end|>") == "jaguar speed"
