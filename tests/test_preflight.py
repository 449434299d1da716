"""finetune.preflight: checks that read the world (reward files, reported topics) before any model loads."""

from __future__ import annotations

import json

import pytest

from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe
from finetune.preflight import preflight


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture()
def data_root(tmp_path, monkeypatch):
    """A data root with a four-turn CAsT 2020 file (topics 81 and 82) and a judged collection."""
    turns = [{"qid": f"{t}_{n}", "topic": str(t), "raw_utterance": f"what about it {n}?", "history_utterances": ["jaguars"],
              "manual_rewrite": f"what about jaguars {n}?"} for t in (81, 82) for n in (1, 2)]
    write_jsonl(tmp_path / "trec-cast/cast2020_eval.jsonl", turns)
    write_jsonl(tmp_path / "trec-cast/mini-collection/passages.jsonl",
                [{"passage_id": f"p{i}", "text": f"jaguars run fast {i}"} for i in range(4)])
    write_jsonl(tmp_path / "trec-cast/mini-collection/judged_pairs.jsonl",
                [{"qid": t["qid"], "passage_id": f"p{i}", "relevance": 3} for i, t in enumerate(turns)])
    monkeypatch.setenv("SEARCHTUNE_DATA_ROOT", str(tmp_path))
    return tmp_path


def recipe(tmp_path, *overrides):
    (tmp_path / "r.yaml").write_text(
        "data:\n  task: query_rewrite\n  root: ${oc.env:SEARCHTUNE_DATA_ROOT}\n  train:\n"
        "    - path: trec-cast/cast2020_eval.jsonl\n"
        "      columns: {history: history_utterances, query: raw_utterance, rewrite: manual_rewrite}\n"
        "      topics: odd\n"
        "train: {method: best_of_n}\n"
        "reward: {corpus: trec-cast/mini-collection/passages.jsonl, corpus_columns: {id: passage_id},\n"
        "         qrels: trec-cast/mini-collection/judged_pairs.jsonl, qrels_columns: {docid: passage_id, grade: relevance}}\n"
        "eval: {tasks: [searchtune_qr_cast2020_even]}\n"
        f"output_dir: {tmp_path / 'run'}\n")
    return load_recipe(tmp_path / "r.yaml", list(overrides))


def test_odd_topics_train_and_even_topics_report(data_root, tmp_path):
    preflight(recipe(tmp_path))


@pytest.mark.parametrize("override", ["data.train.0.topics=all", "data.train.0.topics=even",
                                      "eval.tasks=[searchtune_qr_cast2020]",
                                      "data.train.0.topics=all eval.tasks=[searchtune_qr_cast2020_even_multi]"])
def test_training_on_a_reported_topic_is_refused(data_root, tmp_path, override):
    with pytest.raises(UserError, match=r"r.yaml:\d+: `data.train.0`: trains on topics 8[12].*, which eval task "
                                        r"searchtune_qr_cast2020(_even)?(_multi)? reports"):
        preflight(recipe(tmp_path, *override.split()))


def test_an_sft_recipe_is_held_to_the_same_split(data_root, tmp_path):
    with pytest.raises(UserError, match="trains on topics 82"):
        preflight(recipe(tmp_path, "train.method=sft", "data.train.0.topics=all"))


def test_reward_qrels_naming_an_unknown_passage_are_refused_before_training(data_root, tmp_path):
    with (data_root / "trec-cast/mini-collection/judged_pairs.jsonl").open("a") as f:
        f.write(json.dumps({"qid": "81_1", "passage_id": "gone", "relevance": 2}) + "\n")
    with pytest.raises(UserError, match=r"`reward`: .*judged_pairs.jsonl:5: judges passage `gone`, which is not in "
                                        "the corpus"):
        preflight(recipe(tmp_path))


def test_a_missing_init_adapter_is_refused_before_training(data_root, tmp_path):
    with pytest.raises(UserError, match=r"`train.init_adapter`: .*gone holds no adapter_config.json"):
        preflight(recipe(tmp_path, f"train.init_adapter={tmp_path / 'gone'}"))


def test_query_ids_without_a_topic_number_are_compared_too(data_root, tmp_path):
    """Conversations named by words, not CAsT topic numbers: a shared query id is the overlap."""
    reported = [{"qid": f"bees_{n}", "raw_utterance": f"and the mites {n}?", "history_utterances": ["honeybees"],
                 "manual_rewrite": f"and the honeybee mites {n}?"} for n in (1, 2)]
    write_jsonl(data_root / "trec-cast/cast2020_eval.jsonl", reported)
    train = write_jsonl(tmp_path / "train.jsonl", [reported[1], dict(reported[0], qid="cats_1")])
    with pytest.raises(UserError, match=r"r.yaml(:\d+)?: `data.train.0`: trains on query ids bees_2, which eval task "
                                        r"searchtune_qr_cast2020 reports; train on the other topics"):
        preflight(recipe(tmp_path, "train.method=sft", f"data.train.0.path={train}", "data.train.0.topics=all",
                         "eval.tasks=[searchtune_qr_cast2020]"))
    write_jsonl(train, [dict(reported[0], qid="cats_1")])
    preflight(recipe(tmp_path, "train.method=sft", f"data.train.0.path={train}", "data.train.0.topics=all",
                     "eval.tasks=[searchtune_qr_cast2020]"))


def test_reported_turns_are_read_where_the_eval_reads_them(data_root, tmp_path):
    """evals.registry.reported_overlap, the one check training and `searchtune eval --run` share: the reported side
    comes from the eval's --data files (else the data root), the training side from the recipe's data.root."""
    from evals.registry import reported_overlap

    trained = recipe(tmp_path, "data.train.0.topics=all")  # topics 81 and 82
    (overlap,) = reported_overlap(trained, ["searchtune_qr_cast2020_even"])
    assert (overlap.source, overlap.task, overlap.topics, overlap.qids) == (0, "searchtune_qr_cast2020_even", (82,), ())
    other = write_jsonl(tmp_path / "other.jsonl", [{"qid": "90_1", "raw_utterance": "and then?",
                                                    "history_utterances": [], "manual_rewrite": "and then?"}])
    assert reported_overlap(trained, ["searchtune_qr_cast2020_even"], {"cast2020_even": str(other)}) == []
    assert reported_overlap(trained, ["searchtune_qr_sample", "searchtune_qr_canard"]) == []  # no query ids there
    (data_root / "trec-cast/cast2020_eval.jsonl").rename(tmp_path / "moved.jsonl")
    with pytest.raises(UserError, match=r"`data.train.0`: .*cast2020_eval.jsonl does not exist, so the turns it "
                                        r"trained on cannot be checked .*; point the recipe's data.root"):
        reported_overlap(trained, ["searchtune_qr_cast2020_even"], {"cast2020_even": str(tmp_path / "moved.jsonl")})
