"""The lm-eval task files and the source registry: data loading and its errors, prompts identical to training's
(long ones cut the same way), aggregations by registered name, metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import registry
from evals.tasks import utils
from evals.tasks_manager import load_tasks
from finetune.core import prompts
from finetune.core.errors import UserError
from finetune.core.prompts import render_prompt, user_message

REPO = Path(__file__).resolve().parents[2]

def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _requests(task_name: str, data: dict, lm, prompt: dict | None = None) -> list:
    task = load_tasks([task_name], data, prompt=prompt)["tasks"][task_name]
    task.build_all_requests(apply_chat_template=True, chat_template=lm.apply_chat_template,
                            tokenizer_name=lm.tokenizer_name)
    return task.instances


# A CAsT 2021/2022-style conversation: each earlier system response comes with the history (turn ids match the
# judgements of conftest's cast_data collection).
CAST_2021 = [
    {"qid": "1_1", "raw_utterance": "How do garage door openers work?", "history_utterances": [],
     "history_responses": [], "manual_rewrite": "How do garage door openers work?"},
    {"qid": "1_2", "raw_utterance": "Why did it stop working?",
     "history_utterances": ["How do garage door openers work?"],
     "history_responses": ["A garage door opener uses a motor and a chain to lift the door."],
     "manual_rewrite": "Why did my garage door opener stop working?"},
]


@pytest.mark.parametrize("plain", [False, True])
def test_lm_eval_prompt_equals_training_prompt(tmp_path, tiny_model_dir, tiny_plain_model_dir, plain, qr_rows,
                                               sum_rows, cast_data):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evals.lm import SearchtuneLM
    from evals.pipeline import prompt_settings, recipe_settings
    from finetune.core.recipe import Recipe
    from finetune.training import data as training_data

    folder = tiny_plain_model_dir if plain else tiny_model_dir
    tokenizer = AutoTokenizer.from_pretrained(folder)
    lm = SearchtuneLM(AutoModelForCausalLM.from_pretrained(folder), tokenizer)
    data = {"qr_sample": str(write_jsonl(tmp_path / "qr.jsonl", qr_rows)),
            "sum_sample": str(write_jsonl(tmp_path / "sum.jsonl", sum_rows))}
    for task_name, kind, rows in (("searchtune_qr_sample", "query_rewrite", qr_rows),
                                  ("searchtune_sum_sample", "summarize", sum_rows)):
        instances = _requests(task_name, data, lm)
        assert [i.args[0] for i in instances] == [render_prompt(tokenizer, user_message(kind, r)) for r in rows]
    if not plain:
        # lm_eval's own HF model (the plain `lm_eval --model hf` route) builds the same string.
        from lm_eval.models.huggingface import HFLM

        hf = HFLM(pretrained=lm.model, tokenizer=tokenizer)
        assert [i.args[0] for i in _requests("searchtune_qr_sample", data, hf)] == \
            [render_prompt(tokenizer, user_message("query_rewrite", r)) for r in qr_rows]

    # Earlier responses (data.responses: include): the eval prompt, built from the settings the eval takes from a
    # run's recipe, is the prompt training encoded for the same turn, token for token.
    cast = write_jsonl(tmp_path / "cast2021.jsonl", CAST_2021)
    recipe = Recipe.model_validate({"model": {"name": str(folder)}, "output_dir": str(tmp_path / "run"), "data": {
        "task": "query_rewrite", "responses": "include", "response_words": 6, "max_length": 1024,
        "max_target_length": 64, "train": [{"path": str(cast), "columns": {
            "history": "history_utterances", "query": "raw_utterance", "rewrite": "manual_rewrite",
            "responses": "history_responses"}}]}})
    trained = {}
    for rec in training_data.training_records(recipe):
        encoded, _ = training_data.encode_row(rec, tokenizer, recipe)
        trained[rec["qid"]] = encoded.input_ids[: encoded.completion_mask.index(1)]
    own = recipe_settings(recipe)
    prompt = prompt_settings(own["length_words"], own["max_length"], own["max_target_length"], own["locate"],
                             own["response_words"])
    instances = _requests("searchtune_qr_cast2020", dict(cast_data, cast2020=str(cast)), lm, prompt)
    assert {i.doc["qid"]: tokenizer(i.args[0], add_special_tokens=plain)["input_ids"] for i in instances} == trained
    assert any("System: A garage door opener uses a ...\n" in i.args[0] for i in instances)


def test_task_instructions_for_subject_lines_and_tldrs(tmp_path):
    aeslc = write_jsonl(tmp_path / "aeslc.jsonl", [{"id": "x", "email_body": "Meeting moved to 3pm.", "subject": "s",
                                                    "annotated_subjects": ["meeting moved", "new time", "3pm meeting"]}])
    scitldr = write_jsonl(tmp_path / "tldr.jsonl", [{"paper_id": "p", "source": ["We study X.", "It works."],
                                                     "target": ["X works.", "We show X works."]}])
    dialogsum = write_jsonl(tmp_path / "ds.jsonl", [{"id": "t", "dialogue": "#Person1#: hi", "summaries": ["a", "b", "c"]}])
    data = {"aeslc": str(aeslc), "scitldr": str(scitldr), "dialogsum": str(dialogsum)}
    doc = utils.load_dataset("aeslc", data)["test"][0]
    assert doc["references"] == ["meeting moved", "new time", "3pm meeting"]
    assert utils.doc_to_text(doc).startswith(registry.AESLC_INSTRUCTION)
    doc = utils.load_dataset("scitldr", data)["test"][0]
    assert doc["document"] == "We study X. It works." and len(doc["references"]) == 2
    assert utils.doc_to_text(doc).startswith(registry.SCITLDR_INSTRUCTION)
    assert utils.load_dataset("dialogsum", data)["test"][0]["references"] == ["a", "b", "c"]
    # Disfl-QA: no history; the fluent question is the reference, and the task scores only what applies.
    disfl = write_jsonl(tmp_path / "disfl.jsonl", [{"squad_v2_id": "q", "disfluent": "Who did no what did it do?",
                                                     "original": "What did it do?"}])
    doc = utils.load_dataset("disflqa", {"disflqa": str(disfl)})["test"][0]
    assert (doc["history"], doc["query"], doc["references"]) == ([], "Who did no what did it do?", ["What did it do?"])
    scores = utils.process_query_rewrite(doc, ["What did it do?"])
    assert scores["exact_match"] == 1.0 and scores["unnecessary_change_rate"] is None
    # A model trained with another instruction is evaluated with that instruction.
    doc = utils.load_dataset("aeslc", data, {"aeslc": "Title this email in 2 to 6 words."})["test"][0]
    assert utils.doc_to_text(doc) == user_message("summarize", {"document": "Meeting moved to 3pm."},
                                                  "Title this email in 2 to 6 words.")


def test_missing_data_file_and_column_are_user_errors(tmp_path):
    with pytest.raises(UserError) as err:
        load_tasks(["searchtune_qr_canard"], {"canard": str(tmp_path / "nope.jsonl")})
    assert str(err.value) == (f"task searchtune_qr_canard: data file {tmp_path / 'nope.jsonl'} does not exist; "
                              "pass --data canard=PATH or set SEARCHTUNE_DATA_ROOT")
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"history": [], "question": "q"}])
    with pytest.raises(UserError, match=r"line 1 has no column `rewrite`; this task needs history, question, rewrite"):
        load_tasks(["searchtune_qr_canard"], {"canard": str(bad)})


def test_default_data_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_DATA_ROOT", str(tmp_path))
    assert registry.resolve_path("canard") == tmp_path / "canard" / "dev.jsonl"
    monkeypatch.delenv("SEARCHTUNE_DATA_ROOT")
    assert registry.resolve_path("canard") == REPO.parent / "shared" / "data" / "canard" / "dev.jsonl"
    assert registry.resolve_path("canard", {"canard": "/x/dev.jsonl"}) == Path("/x/dev.jsonl")


def test_cast_retrieval_scores_have_floor_and_ceiling(tmp_path, monkeypatch, cast_data):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    docs = utils.load_dataset("cast2020", cast_data)["test"]
    scores = utils.process_query_rewrite(docs[1], ["Why did my garage door opener stop working?"])
    for index in ("bm25", "dense", "fused"):
        for metric in ("ndcg@3", "ndcg@10", "mrr@10", "recall@10", "recall@100"):
            assert {f"{index}_{metric}{s}" for s in ("", "_raw", "_manual")} <= scores.keys()
        # The model's rewrite equals the manual one here, so it reaches the ceiling.
        assert scores[f"{index}_ndcg@3"] == scores[f"{index}_ndcg@3_manual"]
    assert scores["exact_match"] == 1.0 and len(scores["bleu"]) == 10


LONG_QR = {"history": [f"turn {i}: what about the atlas billing service in region {i}" for i in range(40)],
           "query": "who leads it", "rewrite": "who leads the atlas project"}
LONG_SUM = {"document": " ".join(f"Sentence {i} says the atlas team moved billing to cluster {i}." for i in range(60)),
            "query": None, "summary": "Billing moved."}


@pytest.mark.parametrize("plain", [False, True])
def test_long_eval_prompts_are_cut_the_way_training_cuts_them(tmp_path, tiny_model_dir, tiny_plain_model_dir, plain):
    """Rows longer than max_length: the eval prompt is training's prompt, history/document shortened, head kept."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evals.lm import SearchtuneLM

    folder = tiny_plain_model_dir if plain else tiny_model_dir
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    for task_name, key, kind, row, short in (
        ("searchtune_qr_sample", "qr_sample", "query_rewrite", LONG_QR, dict(LONG_QR, history=[])),
        ("searchtune_sum_sample", "sum_sample", "summarize", LONG_SUM, dict(LONG_SUM, document="Sentence 0.")),
    ):
        budget = len(prompts.fit_prompt(tokenizer, kind, short, None).input_ids) + 40
        assert len(prompts.fit_prompt(tokenizer, kind, row, None).input_ids) > budget + 40  # a row longer than training allows
        lm = SearchtuneLM(model, tokenizer, batch_size=1, max_length=budget + 64, max_target_length=64)
        instances = _requests(task_name, {key: str(write_jsonl(tmp_path / f"{key}.jsonl", [row]))}, lm)
        for instance in instances:
            instance.arguments = (instance.args[0], {**instance.args[1], "max_gen_toks": 1})
        lm.generate_until(instances, disable_tqdm=True)
        (prompt,) = [instance.args[0] for instance in instances]

        # Training with the same room for the prompt (max_length less the target and its EOS) builds the same ids.
        target = len(tokenizer(row[prompts.TARGET_FIELD[kind]], add_special_tokens=False)["input_ids"]) + 1
        encoded = prompts.encode(tokenizer, kind, row, budget + target)
        assert encoded.truncated
        assert tokenizer(prompt, add_special_tokens=plain)["input_ids"] == \
            encoded.input_ids[: encoded.completion_mask.index(1)]
        # The instruction and the question survive; the oldest turns / the end of the document go.
        assert prompts.DEFAULT_INSTRUCTIONS[kind] in prompt
        if kind == "query_rewrite":
            assert "Last question: who leads it" in prompt and "turn 39:" in prompt and "turn 0:" not in prompt
        else:
            assert "Sentence 0 says" in prompt and "Sentence 59 says" not in prompt


def test_every_source_has_one_task_file_and_its_aggregations_are_registered_by_name():
    from lm_eval.api.registry import get_aggregation

    from evals import tasks_manager

    assert registry.task_names() == sorted(task for src in registry.SOURCES.values() for task in src.tasks)
    for key, src in registry.SOURCES.items():
        (path,) = registry.TASKS_DIR.rglob(f"{src.task}.yaml")
        assert path.parent.name == src.kind and (path.parent / "README.md").is_file()
        assert f"source: {key}\n" in path.read_text()
        for variant in src.variants:  # a variant includes its source's task file
            assert f"include: {src.task}.yaml\n" in (path.parent / f"{variant}.yaml").read_text()
    registry.register_aggregations()
    assert get_aggregation("searchtune_bleu") is registry.bleu and get_aggregation("searchtune_mean") is registry.mean
    assert get_aggregation("mean") is not registry.mean  # lm-eval's own aggregations are still there
    # The YAML names and the loaded task's functions give the same aggregates.
    configured = tasks_manager.configured_aggregates("searchtune_qr_sample")
    loaded = load_tasks(["searchtune_qr_sample"])["tasks"]["searchtune_qr_sample"]
    assert tasks_manager.aggregates(loaded) == configured == {
        "exact_match": "mean", "bleu": "bleu", "rouge1_recall": "mean", "history_term_recall": "mean",
        "unnecessary_change_rate": "mean"}


def test_recipe_instructions_map_training_sources_to_eval_sources():
    import yaml

    mixture = yaml.safe_load((REPO / "recipes" / "summarize" / "mixture-smollm2-135m-lora.yaml").read_text())
    found = registry.recipe_instructions(mixture)
    assert set(found) == {"dialogsum", "aeslc", "scitldr"}
    assert found["aeslc"] == mixture["data"]["train"][1]["instruction"]
    assert registry.recipe_instructions({"data": {"task": "query_rewrite", "instruction": "Rewrite.",
                                                  "train": {"path": "/abs/canard/train.jsonl"}}}) == {"canard": "Rewrite."}
    assert registry.recipe_instructions({"data": {"task": "summarize", "train": [
        {"path": "sample:summarize_train.jsonl", "instruction": "Sum it up."}]}}) == {"sum_sample": "Sum it up."}
    qr_mixture = yaml.safe_load((REPO / "recipes" / "query_rewrite" / "mixture-smollm2-135m-lora.yaml").read_text())
    qr_mixture["data"]["instruction"] = "Rewrite."
    assert registry.recipe_instructions(qr_mixture) == {"canard": "Rewrite.", "cast2020": "Rewrite.", "cast2020_even": "Rewrite.", "disflqa": "Rewrite."}


def test_process_summary_scores_both_rouge_protocols_and_faithfulness(monkeypatch):
    from evals import metrics
    from evals.tasks import utils

    monkeypatch.setattr(metrics, "semantic_similarity", lambda preds, refs: [0.0] * len(preds))
    doc = {"document": "Bob moved the meeting to Friday.", "references": ["The meeting moved.", "Bob moved it to Friday."]}
    scores = utils.process_summary(doc, [" Bob moved it to Friday, says Ann. "])
    assert scores["rouge1_first"] == metrics.rouge("Bob moved it to Friday, says Ann.", doc["references"][:1])["rouge1"]
    assert scores["rouge1"] > scores["rouge1_first"]
    assert scores["faithfulness"] == pytest.approx(100 * 2 / 3)  # Ann is not in the source
    from evals import tasks_manager

    configured = tasks_manager.configured_aggregates("searchtune_sum_dialogsum")
    assert {"rouge1", "rouge1_first", "rougeL_first", "faithfulness"} <= configured.keys()
    assert set(configured) <= set(scores)


def test_qmsum_gives_one_located_doc_per_query_and_scores_span_recall(tmp_path, monkeypatch):
    from evals import metrics, tasks_manager
    from tests.fakes.meeting import MEETING

    path = tmp_path / "val.jsonl"
    path.write_text(json.dumps(MEETING) + "\n")
    settings = {"turns_per_passage": 2, "max_words": 1000}
    located = utils.load_dataset("qmsum", {"qmsum": str(path)}, locate={"strategy": "locate"},
                                 searchtune_locate=settings, searchtune_max_length=1024)["test"]
    first = utils.load_dataset("qmsum", {"qmsum": str(path)}, locate={"strategy": "first"},
                               searchtune_locate=settings, searchtune_max_length=1024)["test"]
    assert [d["id"] for d in located] == ["1_0", "1_1", "1_2"]
    assert [d["query_kind"] for d in located] == ["specific", "specific", "general"]
    assert located[0]["instruction"] == registry.QMSUM_INSTRUCTION and located[0]["references"] == [
        MEETING["specific_query_list"][0]["answer"]]
    assert "Focus on: What did the team decide about the XML format schema?" in utils.doc_to_text(located[0])
    # The whole small meeting fits 1024 tokens: both strategies keep everything; a small budget tells them apart.
    small = dict(searchtune_locate=settings, searchtune_max_length=96 + 40 + 16, searchtune_max_target_length=16)
    loc = utils.load_dataset("qmsum", {"qmsum": str(path)}, locate={"strategy": "locate"}, **small)["test"][1]
    fst = utils.load_dataset("qmsum", {"qmsum": str(path)}, locate={"strategy": "first"}, **small)["test"][1]
    assert loc["span_recall"] > fst["span_recall"] == 0.0 and "Lunch" in loc["document"]
    assert first[0]["document"] == located[0]["document"]

    monkeypatch.setattr(metrics, "semantic_similarity", lambda preds, refs: [0.0] * len(preds))
    scores = utils.process_located_summary(dict(loc), ["Pizza on Friday."])
    assert scores["span_recall"] == loc["span_recall"] and scores["rouge1"] == 100.0
    # The gold strategy reads the spans: with the XML query's span moved to the lunch notes, it keeps those.
    moved = tmp_path / "moved.jsonl"
    query = dict(MEETING["specific_query_list"][0], relevant_text_span=[["12", "13"]])
    moved.write_text(json.dumps(dict(MEETING, specific_query_list=[query])) + "\n")
    by = {s: utils.load_dataset("qmsum", {"qmsum": str(moved)}, locate={"strategy": s}, **small)["test"][0]
          for s in ("locate", "gold")}
    assert by["locate"]["span_recall"] == 0.0 and by["gold"]["span_recall"] > 0.0
    for task in ("searchtune_sum_qmsum", "searchtune_sum_qmsum_first", "searchtune_sum_qmsum_gold"):
        configured = tasks_manager.configured_aggregates(task)
        assert "span_recall" in configured and set(configured) == set(scores)
