"""finetune.workflow: the eval after training scores with the prompts training built, from the same settings that
`searchtune eval --run` takes from the run folder (training itself is stubbed; tests/e2e/test_train.py runs it)."""

from __future__ import annotations

import json

import pytest

ROWS = [{"qid": "107_1", "raw_utterance": "What is throat cancer?", "history_utterances": [], "history_responses": [],
         "manual_rewrite": "What is throat cancer?"},
        {"qid": "107_2", "raw_utterance": "Is it treatable?", "history_utterances": ["What is throat cancer?"],
         "history_responses": ["Throat cancer develops in the throat or the voice box."],
         "manual_rewrite": "Is throat cancer treatable?"}]


@pytest.fixture()
def recipe_file(tmp_path, tiny_model_dir):
    train = tmp_path / "cast2021.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (tmp_path / "recipe.yaml").write_text(
        f"model: {{name: {tiny_model_dir}}}\n"
        "data:\n  task: query_rewrite\n  responses: include\n  response_words: 3\n  train:\n"
        f"    - path: {train}\n"
        "      columns: {history: history_utterances, query: raw_utterance, rewrite: manual_rewrite, "
        "responses: history_responses}\n"
        "eval: {tasks: [searchtune_qr_sample], limit: 2, baseline: false}\n"
        "logging: {mode: disabled}\n"
        f"output_dir: {tmp_path / 'run'}\n")
    return tmp_path / "recipe.yaml"


def test_the_eval_after_training_gets_the_runs_prompt_settings(recipe_file, tmp_path, monkeypatch):
    import evals.pipeline
    import finetune.publish.model_card
    from evals.cli import build_parser, eval_settings
    from finetune import workflow
    from finetune.training import trainer

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    calls = []
    monkeypatch.setattr(trainer, "train", lambda *a, **k: trainer.Trained(model="model", tokenizer="tokenizer"))
    monkeypatch.setattr(workflow, "sharded_engine", lambda: None)
    monkeypatch.setattr(evals.pipeline, "evaluate", lambda *a, **k: calls.append(k) or {})
    monkeypatch.setattr("evals.report.summary_text", lambda results: "")
    monkeypatch.setattr(finetune.publish.model_card, "write_model_card", lambda *a, **k: None)
    assert workflow.run(workflow.parse_args([str(recipe_file)])) == 0
    (after_training,) = calls
    assert after_training["response_words"] == 3  # data.responses: include, cut to data.response_words

    # `searchtune eval --run` of the run folder training left (its adapter stubbed) builds the same prompts.
    run = tmp_path / "run"
    (run / "adapter").mkdir(parents=True, exist_ok=True)
    (run / "adapter" / "adapter_config.json").write_text("{}")
    from_run = eval_settings(build_parser().parse_args(["--run", str(run)]))
    keys = ("instructions", "max_length", "max_target_length", "decoding", "length_words", "response_words", "locate")
    assert {k: from_run[k] for k in keys} == {k: after_training[k] for k in keys}
