"""`searchtune eval` in process: a run folder (its recipe's settings, baseline comparison), --compare, errors.
Logging into W&B, read back by W&B's own reader: tests/e2e/test_evals_process.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def eval_main(*args) -> int:
    from evals.cli import main

    return main([str(a) for a in args])


def write_recipe(run: Path, **sections) -> None:
    """A run's recipe.yaml as training resolves it: summaries trained from the sample with their own instruction."""
    data = {"task": "summarize", "train": [{"path": "sample:summarize_train.jsonl", "instruction": "Sum it up."}],
            **sections.pop("data", {})}
    recipe = {"data": data, "output_dir": str(run), **sections}
    (run / "recipe.yaml").write_text(yaml.safe_dump(recipe))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, tiny_model_dir):
    """A training run folder as finetune.workflow leaves it: recipe, adapter (+ tokenizer), log history."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run = tmp_path_factory.mktemp("run")
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                           LoraConfig(r=4, target_modules=["q_proj", "v_proj", "o_proj"]))
    # Large random LoRA weights, so that the adapter visibly changes the (tiny, random) model's output.
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.normal_(0, 1.0)
    model.save_pretrained(run / "adapter")
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(run / "adapter")
    write_recipe(run, model={"name": str(tiny_model_dir), "gguf_file": None, "dtype": "float32"},
                 eval={"tasks": ["searchtune_qr_cast2020", "searchtune_sum_sample"], "limit": 1, "batch_size": 3})
    (run / "log_history.json").write_text(json.dumps(
        [{"loss": 3.1, "step": 1}, {"loss": 2.4, "step": 2}, {"eval_loss": 2.6, "step": 2}, {"loss": 2.0, "step": 3}]))
    return run


def test_run_folder_with_baseline_comparison(run_folder, tmp_path, monkeypatch, cast_data, sum_rows):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    data = [f"{key}={path}" for key, path in cast_data.items()]
    data += [f"sum_sample={write_jsonl(tmp_path / 'sum.jsonl', sum_rows)}"]
    args = ["--run", run_folder, "--baseline", "base", "--limit", "2", "--wandb-mode", "disabled"]
    for pair in data:
        args += ["--data", pair]
    assert eval_main(*args) == 0
    out = run_folder / "eval"
    results = json.loads((out / "results.json").read_text())
    recipe = yaml.safe_load((run_folder / "recipe.yaml").read_text())
    assert results["model"] == {"base": recipe["model"]["name"], "adapter": str(run_folder / "adapter")}
    cast = results["tasks"]["searchtune_qr_cast2020"]
    assert set(cast) == {"dataset", "decoding", "metrics", "baseline", "comparison", "seconds"}
    assert {"bm25_ndcg@3", "bm25_ndcg@3_raw", "bm25_ndcg@3_manual", "dense_recall@10_manual"} <= cast["metrics"].keys()
    assert {"delta", "ci_low", "ci_high"} <= set(cast["comparison"]["bleu"])
    # The raw utterance and the human rewrite score the same for both models: no Δ is reported for them.
    assert "bm25_ndcg@3" in cast["comparison"] and "bm25_ndcg@3_raw" not in cast["comparison"]
    # Floor and ceiling do not depend on the model.
    assert cast["baseline"]["metrics"]["bm25_mrr@10_manual"] == cast["metrics"]["bm25_mrr@10_manual"]
    summ = results["tasks"]["searchtune_sum_sample"]
    assert {"rouge1", "rouge2", "rougeL", "rougeLsum", "gen_length", "compression_ratio",
            "semantic_similarity"} <= summ["metrics"].keys()
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(r["baseline_prediction"] is not None and r["baseline_scores"] for r in rows)
    assert any(r["prediction"] != r["baseline_prediction"] for r in rows)  # the adapter really was switched off
    # The recipe trained summaries with its own instruction, so the eval prompts use it too.
    assert all("Sum it up." in r["prompt"] for r in rows if r["task"] == "searchtune_sum_sample")
    report_md = (out / "report.md").read_text()
    assert "floor (raw utterance)" in report_md and "Biggest wins" in report_md and "Biggest losses" in report_md
    html = (out / "report.html").read_text()
    assert html.count("<svg") >= 3 and "<polyline" in html and "<circle" in html  # bars, loss curve, scatter

    # --compare: the tuned run against a base-model eval of the same data, example by example.
    base_out = tmp_path / "base-eval"
    assert eval_main("--model", recipe["model"]["name"], "--task", "searchtune_sum_sample",
                     "--data", data[-1], "--limit", "2", "--output", base_out, "--wandb-mode", "disabled") == 0
    compared = tmp_path / "compare"
    assert eval_main("--compare", base_out, run_folder, "--output", compared) == 0
    comparison = json.loads((compared / "comparison.json").read_text())
    assert list(comparison["tasks"]) == ["searchtune_sum_sample"]
    delta = comparison["tasks"]["searchtune_sum_sample"]["comparison"]["rougeL"]
    tuned = summ["metrics"]["rougeL"]["value"]
    base = json.loads((base_out / "results.json").read_text())["tasks"]["searchtune_sum_sample"]["metrics"]["rougeL"]["value"]
    assert delta["delta"] == pytest.approx(tuned - base)
    assert (compared / "report.html").is_file() and (compared / "report.md").is_file()


def test_run_folder_eval_follows_the_recipe_unless_a_flag_overrides_it(run_folder, tmp_path, monkeypatch, tiny_model_dir):
    """eval.limit, eval.batch_size, eval.baseline and data.max_length / max_target_length come from the run's recipe."""
    import shutil

    from transformers import AutoTokenizer

    from finetune.core import prompts

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    shutil.copytree(run_folder, run)
    long_row = {"document": " ".join(f"Sentence {i} says the atlas team moved billing." for i in range(20)),
                "summary": "Billing moved."}
    short = prompts.fit_prompt(AutoTokenizer.from_pretrained(tiny_model_dir), "summarize",
                               {"document": "Sentence 0.", "query": None}, None, "Sum it up.")
    max_length = len(short.input_ids) + 30 + 16
    write_recipe(run, model={"name": str(tiny_model_dir), "dtype": "float32"},
                 data={"max_length": max_length, "max_target_length": 16},
                 eval={"tasks": ["searchtune_sum_sample"], "limit": 1, "batch_size": 3, "baseline": True})
    data = write_jsonl(tmp_path / "sum.jsonl", [long_row, long_row])

    assert eval_main("--run", run, "--data", f"sum_sample={data}", "--wandb-mode", "disabled") == 0
    entry = json.loads((run / "eval" / "results.json").read_text())["tasks"]["searchtune_sum_sample"]
    assert entry["dataset"]["n"] == 1 and entry["decoding"]["batch_size"] == 3 and "comparison" in entry
    (row,) = [json.loads(line) for line in (run / "eval" / "predictions.jsonl").read_text().splitlines()]
    assert "Sentence 0 says" in row["prompt"] and "Sentence 19 says" not in row["prompt"]  # cut like training

    assert eval_main("--run", run, "--data", f"sum_sample={data}", "--wandb-mode", "disabled", "--limit", "2",
                     "--batch-size", "2", "--baseline", "none", "--max-length", "4096") == 0
    entry = json.loads((run / "eval" / "results.json").read_text())["tasks"]["searchtune_sum_sample"]
    assert entry["dataset"]["n"] == 2 and entry["decoding"]["batch_size"] == 2 and "comparison" not in entry
    rows = [json.loads(line) for line in (run / "eval" / "predictions.jsonl").read_text().splitlines()]
    assert all("Sentence 19 says" in r["prompt"] for r in rows)


def test_compare_labels_name_the_run_and_its_eval_folder(tmp_path):
    from evals.compare import _run_name

    run = tmp_path / "canard-lora"
    (run / "eval-disflqa").mkdir(parents=True)
    (run / "recipe.yaml").write_text("{}")
    assert _run_name(run) == _run_name(run / "eval") == "canard-lora"
    assert _run_name(run / "eval-disflqa") == "canard-lora/eval-disflqa"
    assert _run_name(tmp_path / "base-eval") == "base-eval"


# ---------------------------------------------------------------------------------------------- errors


def _error(capsys, *args) -> str:
    assert eval_main(*args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_unknown_task_suggests_the_nearest_name(capsys, tmp_path, tiny_model_dir):
    err = _error(capsys, "--model", tiny_model_dir, "--task", "searchtune_qr_canrd", "--output", tmp_path)
    assert err.startswith("searchtune: error: --task searchtune_qr_canrd: unknown task; did you mean `searchtune_qr_canard`?")


def test_missing_data_file(capsys, tmp_path, tiny_model_dir):
    err = _error(capsys, "--model", tiny_model_dir, "--task", "searchtune_qr_canard", "--data",
                 f"canard={tmp_path / 'dev.jsonl'}", "--output", tmp_path)
    assert err == (f"searchtune: error: task searchtune_qr_canard: data file {tmp_path / 'dev.jsonl'} does not exist; "
                   "pass --data canard=PATH or set SEARCHTUNE_DATA_ROOT")


def test_missing_column(capsys, tmp_path, tiny_model_dir):
    bad = write_jsonl(tmp_path / "qr.jsonl", [{"history": [], "query": "q"}])
    err = _error(capsys, "--model", tiny_model_dir, "--task", "searchtune_qr_sample", "--data", f"qr_sample={bad}",
                 "--output", tmp_path)
    assert err == f"searchtune: error: task searchtune_qr_sample: {bad} line 1 has no column `rewrite`; this task needs query, rewrite"


def test_unknown_data_key(capsys, tmp_path, tiny_model_dir):
    err = _error(capsys, "--model", tiny_model_dir, "--task", "searchtune_qr_sample", "--data", "canrd=/x.jsonl",
                 "--output", tmp_path)
    assert err.startswith("searchtune: error: --data canrd=...: unknown key; did you mean `canard`?")


def test_compare_with_an_empty_predictions_file(capsys, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps({"model": {}, "tasks": {}}))
        (tmp_path / name / "predictions.jsonl").write_text("")
    err = _error(capsys, "--compare", tmp_path / "a", tmp_path / "b", "--output", tmp_path / "c")
    assert err == (f"searchtune: error: --compare {tmp_path / 'a'}: {tmp_path / 'a' / 'predictions.jsonl'} is empty; "
                   "re-run the eval")


def test_adapter_for_another_base_model(capsys, tmp_path, tiny_model_dir, qr_rows):
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    other = LlamaForCausalLM(LlamaConfig(vocab_size=400, hidden_size=64, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2))
    get_peft_model(other, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(tmp_path / "adapter")
    data = write_jsonl(tmp_path / "qr.jsonl", qr_rows)
    err = _error(capsys, "--model", tiny_model_dir, "--adapter", tmp_path / "adapter", "--task", "searchtune_qr_sample",
                 "--data", f"qr_sample={data}", "--output", tmp_path / "out")
    assert err == (f"searchtune: error: --adapter {tmp_path / 'adapter'} does not fit base model `{tiny_model_dir}` (size "
                          "mismatch for base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight: "
                          "adapter [4, 64], base model [4, 32]); pass the model it was trained on with --model")


def test_decoding_options_from_the_recipe_and_flags_are_recorded_with_the_scores(run_folder, tmp_path, monkeypatch,
                                                                               tiny_model_dir, sum_rows):
    import shutil

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    shutil.copytree(run_folder, run)
    write_recipe(run, model={"name": str(tiny_model_dir), "dtype": "float32"},
                 eval={"tasks": ["searchtune_sum_sample"], "limit": 1, "baseline": False,
                       "decoding": {"num_beams": 2, "length_penalty": 0.7, "no_repeat_ngram_size": 3}})
    data = write_jsonl(tmp_path / "sum.jsonl", sum_rows)
    assert eval_main("--run", run, "--data", f"sum_sample={data}", "--wandb-mode", "disabled",
                     "--max-new-tokens", "9", "--num-beams", "3") == 0
    decoding = json.loads((run / "eval" / "results.json").read_text())["tasks"]["searchtune_sum_sample"]["decoding"]
    assert {k: decoding.get(k) for k in ("num_beams", "length_penalty", "no_repeat_ngram_size", "max_new_tokens")} == {
        "num_beams": 3, "length_penalty": 0.7, "no_repeat_ngram_size": 3, "max_new_tokens": 9}
    assert "- Decoding: beam search (3 beams), max_new_tokens=9, length_penalty=0.7, no_repeat_ngram_size=3," in (
        run / "eval" / "report.md").read_text()


def test_bad_decoding_flags_fail_before_the_model_loads(capsys, tmp_path):
    assert eval_main("--model", tmp_path / "nowhere", "--task", "searchtune_sum_sample", "--output", tmp_path,
                     "--length-penalty", "2") == 2
    assert "--length-penalty: applies to beam search only" in capsys.readouterr().err
    assert eval_main("--model", tmp_path / "nowhere", "--task", "searchtune_sum_sample", "--output", tmp_path,
                     "--num-beams", "0") == 2
    assert "--num-beams: Input should be greater than or equal to 1" in capsys.readouterr().err


def test_length_words_for_a_run_trained_without_a_target_is_refused(capsys, run_folder):
    assert eval_main("--run", run_folder, "--length-words", "20", "--wandb-mode", "disabled") == 2
    assert "--length-words 20: the run trained without a length target" in capsys.readouterr().err


# ------------------------------------------------------------------- earlier responses, reported turns (issue 13)

CAST_COLUMNS = {"history": "history_utterances", "query": "raw_utterance", "rewrite": "manual_rewrite",
                "responses": "history_responses"}


def cast2021_rows(topic, first: str, response: str) -> list[dict]:
    """Two turns of a CAsT 2021/2022-style conversation: the earlier system response comes with the history."""
    return [{"qid": f"{topic}_1", "raw_utterance": first, "history_utterances": [], "history_responses": [],
             "manual_rewrite": first},
            {"qid": f"{topic}_2", "raw_utterance": "Why did it stop working?", "history_utterances": [first],
             "history_responses": [response], "manual_rewrite": "Why did my garage door opener stop working?"}]


def qr_run(run_folder, tmp_path, tiny_model_dir, train_rows, *, topics="all", **data) -> Path:
    """A copy of the run folder, its recipe a query_rewrite run trained on `train_rows` (CAsT columns)."""
    import shutil

    run = tmp_path / "qr-run"
    shutil.copytree(run_folder, run)
    train = write_jsonl(tmp_path / "train.jsonl", train_rows)
    write_recipe(run, model={"name": str(tiny_model_dir), "dtype": "float32"},
                 data={"task": "query_rewrite",
                       "train": [{"path": str(train), "columns": CAST_COLUMNS, "topics": topics}], **data},
                 eval={"tasks": ["searchtune_qr_cast2020"], "limit": 2, "batch_size": 2, "baseline": False})
    return run


def test_a_responses_trained_run_is_scored_with_its_responses_and_without_them_on_request(
        run_folder, tmp_path, monkeypatch, tiny_model_dir, cast_data):
    """The eval prompt carries the earlier responses as the run trained with them (data.responses: include, cut to
    data.response_words); `--response-words 0` scores the same model without them; results.json says which."""
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    run = qr_run(run_folder, tmp_path, tiny_model_dir,
                 cast2021_rows(107, "What is a garage door opener?", "It is a motorized device that opens doors."),
                 responses="include", response_words=3, max_length=1024, max_target_length=64)  # no history cut
    reported = write_jsonl(tmp_path / "cast2021.jsonl", cast2021_rows(
        1, "How do garage door openers work?", "A garage door opener uses a motor to lift the door."))
    data = [f"cast2020={reported}", f"cast2020_corpus={cast_data['cast2020_corpus']}",
            f"cast2020_qrels={cast_data['cast2020_qrels']}"]
    flags = [x for pair in data for x in ("--data", pair)] + ["--wandb-mode", "disabled"]

    def scored(out: Path) -> tuple[list[str], dict]:
        prompts = [json.loads(line)["prompt"] for line in (out / "predictions.jsonl").read_text().splitlines()]
        decoding = json.loads((out / "results.json").read_text())["tasks"]["searchtune_qr_cast2020"]["decoding"]
        return prompts, decoding

    assert eval_main("--run", run, *flags) == 0
    prompts, decoding = scored(run / "eval")
    assert len(prompts) == 2 and decoding["response_words"] == 3
    assert any("User: How do garage door openers work?\nSystem: A garage door ...\n\nLast question: Why did it stop"
               in p for p in prompts)

    assert eval_main("--run", run, *flags, "--response-words", "0", "--output", tmp_path / "without") == 0
    prompts, decoding = scored(tmp_path / "without")
    assert len(prompts) == 2 and "response_words" not in decoding and not any("System:" in p for p in prompts)
    assert any("- How do garage door openers work?\n\nLast question: Why did it stop" in p for p in prompts)


def test_response_words_flag_over_the_recipe_and_its_bounds(run_folder, tmp_path, tiny_model_dir):
    from evals.cli import build_parser, eval_settings

    def settings(run, *flags):
        args = ["--run", str(run), "--task", "searchtune_qr_sample", *map(str, flags)]
        return eval_settings(build_parser().parse_args(args))

    rows = cast2021_rows(107, "What is a garage door opener?", "It opens doors.")
    assert settings(qr_run(run_folder, tmp_path / "a", tiny_model_dir, rows))["response_words"] is None
    run = qr_run(run_folder, tmp_path / "b", tiny_model_dir, rows, responses="include", response_words=3)
    assert [settings(run, *f)["response_words"] for f in ((), ("--response-words", 7), ("--response-words", 0))] == \
        [3, 7, None]
    from finetune.core.errors import UserError

    with pytest.raises(UserError, match=r"--response-words -1: use 0 \(no earlier responses\) or a number of words"):
        settings(run, "--response-words", -1)


def test_eval_run_refuses_a_task_that_reports_topics_the_run_trained_on(run_folder, tmp_path, monkeypatch, capsys,
                                                                        tiny_model_dir):
    """`searchtune eval --run RUN --task searchtune_qr_cast2020_even` (how reported numbers are made) runs the check
    training runs on its own eval.tasks, on the reported rows the eval would score (--data), before a model loads."""
    from evals.cli import build_parser, eval_settings

    monkeypatch.setenv("SEARCHTUNE_DATA_ROOT", str(tmp_path / "empty"))  # the reported rows come from --data alone
    cast = write_jsonl(tmp_path / "cast2020.jsonl", [
        {"qid": f"{t}_{n}", "raw_utterance": f"what about it {n}?", "history_utterances": ["jaguars"],
         "manual_rewrite": f"what about jaguars {n}?"} for t in (81, 82, 84) for n in (1, 2)])
    run = qr_run(run_folder, tmp_path, tiny_model_dir, [json.loads(line) for line in cast.read_text().splitlines()])
    args = ["--run", run, "--task", "searchtune_qr_cast2020_even", "--data", f"cast2020_even={cast}",
            "--model", tmp_path / "no-model-here", "--wandb-mode", "disabled"]
    assert _error(capsys, *args) == (
        f"searchtune: error: --run {run}: `data.train.0`: trains on topics 82, 84, which eval task "
        "searchtune_qr_cast2020_even reports; its scores there would count turns it learned: score a task that leaves "
        "them out (a run trained on `topics: odd` reports searchtune_qr_cast2020_even) or retrain on the other topics")
    # Trained on the odd topics only: the even ones may be reported.
    odd = qr_run(run_folder, tmp_path / "odd", tiny_model_dir,
                 [json.loads(line) for line in cast.read_text().splitlines()], topics="odd")
    args[1] = odd
    assert eval_settings(build_parser().parse_args([str(a) for a in args]))["tasks"] == ["searchtune_qr_cast2020_even"]


def _fake_eval(folder: Path, task: str, rouge: list[float], references: list[str]) -> Path:
    """An eval output folder as `searchtune eval` writes it: results.json and one prediction per example."""
    folder.mkdir()
    metric = {"value": sum(rouge) / len(rouge), "ci_low": min(rouge), "ci_high": max(rouge), "n": len(rouge),
              "interval": "bootstrap", "higher_is_better": True}
    (folder / "results.json").write_text(json.dumps({"model": {"base": "tiny"}, "tasks": {task: {
        "dataset": {"name": "qmsum", "path": "/d/val.jsonl", "sha256": "same-file", "n": len(rouge)},
        "decoding": {"do_sample": False}, "metrics": {"rouge1": metric}}}}))
    (folder / "predictions.jsonl").write_text("".join(json.dumps(
        {"task": task, "doc_id": i, "input": {}, "reference": ref, "prediction": f"summary {i}",
         "scores": {"rouge1": value}}) + "\n" for i, (value, ref) in enumerate(zip(rouge, references))))
    return folder


def test_compare_pairs_two_variants_of_one_task_over_the_same_examples(capsys, tmp_path):
    """searchtune_sum_qmsum (locate) against searchtune_sum_qmsum_first (the first-N baseline) on the same queries."""
    refs = [f"answer {i}" for i in range(6)]
    first = _fake_eval(tmp_path / "first", "searchtune_sum_qmsum_first", [10.0, 12, 14, 11, 13, 12], refs)
    located = _fake_eval(tmp_path / "locate", "searchtune_sum_qmsum", [13.0, 15, 16, 14, 15, 16], refs)
    assert eval_main("--compare", first, located, "--output", tmp_path / "c") == 0
    task = json.loads((tmp_path / "c" / "comparison.json").read_text())["tasks"]["searchtune_sum_qmsum"]
    assert task["baseline"]["task"] == "searchtune_sum_qmsum_first"
    assert task["comparison"]["rouge1"]["delta"] == pytest.approx(89 / 6 - 72 / 6)
    # Same file, other examples under the same numbers: refused, not paired.
    other = _fake_eval(tmp_path / "other", "searchtune_sum_qmsum_first", [10.0] * 6, refs[::-1])
    err = _error(capsys, "--compare", other, located, "--output", tmp_path / "d")
    assert err.startswith("searchtune: error: --compare: tasks searchtune_sum_qmsum_first and searchtune_sum_qmsum "
                          "number different examples alike")


def test_retriever_flag_relocates_a_meeting_task_and_results_record_the_locator(
        run_folder, tmp_path, monkeypatch, tiny_model_dir):
    """`--retriever` replaces the run's data.locate.retriever for a meeting task; results.json and the report say
    which strategy and retriever chose the passages the scores were made on."""
    import shutil

    from evals import metrics
    from tests.fakes.meeting import MEETING

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(metrics, "semantic_similarity", lambda preds, refs: [0.0] * len(preds))
    run = tmp_path / "sum-run"
    shutil.copytree(run_folder, run)
    meetings = write_jsonl(tmp_path / "val.jsonl", [MEETING])
    write_recipe(run, model={"name": str(tiny_model_dir), "dtype": "float32"},
                 data={"task": "summarize", "train": [{"path": str(meetings)}], "max_length": 512,
                       "max_target_length": 64, "locate": {"retriever": "fused", "turns_per_passage": 2}},
                 eval={"tasks": ["searchtune_sum_qmsum"], "limit": 2, "batch_size": 2, "baseline": False})
    flags = ["--data", f"qmsum={meetings}", "--wandb-mode", "disabled", "--max-new-tokens", "4"]

    def locator(out: Path, task: str) -> dict:
        assert "located by " + "/".join(json.loads((out / "results.json").read_text())["tasks"][task]["decoding"]
                                        ["locate"][k] for k in ("strategy", "retriever")) in (out / "report.md").read_text()
        return json.loads((out / "results.json").read_text())["tasks"][task]["decoding"]["locate"]

    assert eval_main("--run", run, *flags, "--retriever", "bm25", "--output", tmp_path / "bm25") == 0
    assert locator(tmp_path / "bm25", "searchtune_sum_qmsum") == {
        "strategy": "locate", "retriever": "bm25", "queries": "all", "turns_per_passage": 2, "max_words": 300}
    assert eval_main("--run", run, *flags, "--retriever", "bm25", "--task", "searchtune_sum_qmsum_gold",
                     "--output", tmp_path / "gold") == 0
    assert locator(tmp_path / "gold", "searchtune_sum_qmsum_gold")["strategy"] == "gold"
