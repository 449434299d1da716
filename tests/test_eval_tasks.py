"""The lm-eval task files: data loading and its errors, prompts identical to training's, metrics, plain lm_eval."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from finetune.core.errors import UserError
from finetune.core.prompts import render_prompt, user_message

REPO = Path(__file__).resolve().parents[1]

QR_ROWS = [
    {"history": ["who founded corvel", "Ana Reyes founded it in 2011."], "query": "where was she born",
     "rewrite": "where was Ana Reyes born"},
    {"history": [], "query": "what does corvel sell", "rewrite": "what does corvel sell"},
]
SUM_ROWS = [
    {"document": "The atlas team moved the billing service to the new cluster. Latency fell by half.",
     "query": "latency", "summary": "Moving billing to the new cluster halved latency."},
    {"document": "Corvel hired three engineers for the search team in March.", "summary": "Search gained three engineers."},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_cast(tmp_path: Path) -> dict[str, str]:
    """A two-turn CAsT file and a five-passage judged collection: enough to exercise every retrieval metric."""
    rows = [
        {"qid": "1_1", "raw_utterance": "How do garage door openers work?", "history_utterances": [],
         "manual_rewrite": "How do garage door openers work?"},
        {"qid": "1_2", "raw_utterance": "Why did it stop working?", "history_utterances": ["How do garage door openers work?"],
         "manual_rewrite": "Why did my garage door opener stop working?"},
    ]
    folder = tmp_path / "collection"
    folder.mkdir()
    passages = [("p1", "A garage door opener uses a motor to lift the door."),
                ("p2", "Garage door openers stop working when the sensor is blocked or the remote battery dies."),
                ("p3", "Dental crowns cover a damaged tooth."), ("p4", "Veneers are thin shells on teeth."),
                ("p5", "Bread rises because yeast produces gas.")]
    write_jsonl(folder / "passages.jsonl", [{"passage_id": p, "text": t} for p, t in passages])
    write_jsonl(folder / "judged_pairs.jsonl", [{"qid": "1_1", "passage_id": "p1", "relevance": 4},
                                                {"qid": "1_2", "passage_id": "p2", "relevance": 3}])
    write_jsonl(folder / "queries.jsonl", [{"qid": r["qid"], "query_shown_to_annotators": r["manual_rewrite"]} for r in rows])
    return {"cast2020": str(write_jsonl(tmp_path / "cast.jsonl", rows)), "cast2020_collection": str(folder)}


def _requests(task_name: str, data: dict, lm) -> list:
    from evals.pipeline import load_tasks

    task = load_tasks([task_name], data)["tasks"][task_name]
    task.build_all_requests(apply_chat_template=True, chat_template=lm.apply_chat_template,
                            tokenizer_name=lm.tokenizer_name)
    return task.instances


@pytest.mark.parametrize("plain", [False, True])
def test_lm_eval_prompt_equals_training_prompt(tmp_path, tiny_model_dir, tiny_plain_model_dir, plain):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evals.lm import SearchtuneLM

    folder = tiny_plain_model_dir if plain else tiny_model_dir
    tokenizer = AutoTokenizer.from_pretrained(folder)
    lm = SearchtuneLM(AutoModelForCausalLM.from_pretrained(folder), tokenizer)
    data = {"qr_sample": str(write_jsonl(tmp_path / "qr.jsonl", QR_ROWS)),
            "sum_sample": str(write_jsonl(tmp_path / "sum.jsonl", SUM_ROWS))}
    for task_name, kind, rows in (("searchtune_qr_sample", "query_rewrite", QR_ROWS),
                                  ("searchtune_sum_sample", "summarize", SUM_ROWS)):
        instances = _requests(task_name, data, lm)
        assert [i.args[0] for i in instances] == [render_prompt(tokenizer, user_message(kind, r)) for r in rows]
    if not plain:
        # lm_eval's own HF model (the plain `lm_eval --model hf` route) builds the same string.
        from lm_eval.models.huggingface import HFLM

        hf = HFLM(pretrained=lm.model, tokenizer=tokenizer)
        assert [i.args[0] for i in _requests("searchtune_qr_sample", data, hf)] == \
            [render_prompt(tokenizer, user_message("query_rewrite", r)) for r in QR_ROWS]


def test_task_instructions_for_subject_lines_and_tldrs(tmp_path):
    from evals.pipeline import task_utils

    utils = task_utils()
    aeslc = write_jsonl(tmp_path / "aeslc.jsonl", [{"id": "x", "email_body": "Meeting moved to 3pm.", "subject": "s",
                                                    "annotated_subjects": ["meeting moved", "new time", "3pm meeting"]}])
    scitldr = write_jsonl(tmp_path / "tldr.jsonl", [{"paper_id": "p", "source": ["We study X.", "It works."],
                                                     "target": ["X works.", "We show X works."]}])
    dialogsum = write_jsonl(tmp_path / "ds.jsonl", [{"id": "t", "dialogue": "#Person1#: hi", "summaries": ["a", "b", "c"]}])
    data = {"aeslc": str(aeslc), "scitldr": str(scitldr), "dialogsum": str(dialogsum)}
    doc = utils.load_dataset("aeslc", data)["test"][0]
    assert doc["references"] == ["meeting moved", "new time", "3pm meeting"]
    assert utils.doc_to_text(doc).startswith(utils.AESLC_INSTRUCTION)
    doc = utils.load_dataset("scitldr", data)["test"][0]
    assert doc["document"] == "We study X. It works." and len(doc["references"]) == 2
    assert utils.doc_to_text(doc).startswith(utils.SCITLDR_INSTRUCTION)
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
    from evals.pipeline import load_tasks

    with pytest.raises(UserError) as err:
        load_tasks(["searchtune_qr_canard"], {"canard": str(tmp_path / "nope.jsonl")})
    assert str(err.value) == (f"task searchtune_qr_canard: data file {tmp_path / 'nope.jsonl'} does not exist; "
                              "pass --data canard=PATH or set SEARCHTUNE_DATA_ROOT")
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"history": [], "question": "q"}])
    with pytest.raises(UserError, match=r"line 1 has no column `rewrite`; this task needs history, question, rewrite"):
        load_tasks(["searchtune_qr_canard"], {"canard": str(bad)})


def test_default_data_root_follows_the_environment(tmp_path, monkeypatch):
    from evals.pipeline import task_utils

    utils = task_utils()
    monkeypatch.setenv("SEARCHTUNE_DATA_ROOT", str(tmp_path))
    assert utils.resolve_path("canard") == tmp_path / "canard" / "dev.jsonl"
    monkeypatch.delenv("SEARCHTUNE_DATA_ROOT")
    assert utils.resolve_path("canard") == REPO.parent / "shared" / "data" / "canard" / "dev.jsonl"
    assert utils.resolve_path("canard", {"canard": "/x/dev.jsonl"}) == Path("/x/dev.jsonl")


def test_cast_retrieval_scores_have_floor_and_ceiling(tmp_path, monkeypatch):
    from evals.pipeline import task_utils

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    utils = task_utils()
    docs = utils.load_dataset("cast2020", write_cast(tmp_path))["test"]
    scores = utils.process_query_rewrite(docs[1], ["Why did my garage door opener stop working?"])
    for index in ("bm25", "dense"):
        for metric in ("ndcg@3", "mrr", "recall@10"):
            assert {f"{index}_{metric}{s}" for s in ("", "_raw", "_manual")} <= scores.keys()
        # The model's rewrite equals the manual one here, so it reaches the ceiling.
        assert scores[f"{index}_ndcg@3"] == scores[f"{index}_ndcg@3_manual"]
    assert scores["exact_match"] == 1.0 and len(scores["bleu"]) == 10


def test_plain_lm_eval_cli_runs_the_tasks(tmp_path, tiny_model_dir):
    data = write_jsonl(tmp_path / "qr.jsonl", QR_ROWS)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "WANDB_MODE": "disabled"}
    env.pop("PYTHONPATH", None)  # the task utils must find the project on their own
    lm_eval = Path(sys.executable).parent / "lm_eval"
    proc = subprocess.run(
        [str(lm_eval), "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}", "--device", "cpu",
         "--include_path", str(REPO / "evals" / "tasks"), "--tasks", "searchtune_qr_sample", "--limit", "2",
         "--apply_chat_template", "--metadata", json.dumps({"searchtune_data": {"qr_sample": str(data)}}),
         "--output_path", str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())
    scores = results["results"]["searchtune_qr_sample"]
    assert {"exact_match,none", "bleu,none", "rouge1_recall,none", "history_term_recall,none",
            "unnecessary_change_rate,none"} <= scores.keys()
