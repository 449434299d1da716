"""searchtune predict: input checks before any model loads, the column mapping, input-order output in each format,
resume from the journals, and batches that do not depend on the number of processes (with a fake engine; the tiny
model runs in test_predict_tiny_model_* and in tests/e2e/test_predict.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from finetune.cli import main
from finetune.core import prompts
from finetune.core.recipe import Recipe, to_yaml
from finetune.serving import predict
from finetune.serving.engines import Decoding

DECODING = Decoding(max_new_tokens=prompts.MAX_NEW_TOKENS["query_rewrite"], stop=prompts.STOP)

QR_ROWS = [{"id": i, "context": [f"who owns project p{i}?"] * (i % 3), "utterance": f"when is it due {'!' * i}?"}
           for i in range(7)]


class FakeEngine:
    """Prompts are the record as JSON; a prediction is the prompt's query upper-cased. Records every batch."""

    name, model, task = "fake", "fake-model", "query_rewrite"

    def __init__(self, fail_after: int | None = None):
        self.batches: list[list[str]] = []
        self.fail_after = fail_after

    def prompt(self, record: dict) -> str:
        return json.dumps(record, sort_keys=True)

    def generate(self, prompts: list[str], decoding) -> list[str]:
        if self.fail_after is not None and len(self.batches) == self.fail_after:
            raise KeyboardInterrupt  # a kill between batches
        self.batches.append(list(prompts))
        return [json.loads(p)["query"].upper() for p in prompts]

    def close(self) -> None:
        pass


def make_run_dir(root: Path, task: str = "query_rewrite", eval_section: dict | None = None, model: str = "tiny",
                 data: dict | None = None) -> Path:
    """A run folder with a recipe and no weights; `model` a real folder (the tiny model) where a tokenizer loads."""
    run = root / "run"
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_config.json").write_text("{}")
    sample = "query_rewrite_train.jsonl" if task == "query_rewrite" else "summarize_train.jsonl"
    recipe = Recipe.model_validate({"model": {"name": str(model)}, "output_dir": str(run), "eval": eval_section or {},
                                    "data": {"task": task, "train": [{"path": f"sample:{sample}"}], **(data or {})}})
    (run / "recipe.yaml").write_text(to_yaml(recipe))
    return run


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def no_model(monkeypatch):
    """open_engine fails the test: the checks must come before any model loads."""
    from finetune.serving import engines

    monkeypatch.setattr(engines, "open_engine", lambda *a, **k: pytest.fail("a model loaded before the checks"))


def error_of(capsys, *argv) -> str:
    assert main(["predict", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("searchtune: error: "), err
    return err


def test_bad_input_is_one_line_naming_file_line_and_fix_before_any_model_loads(tmp_path, capsys, no_model):
    run = make_run_dir(tmp_path)
    good = write_jsonl(tmp_path / "in.jsonl", QR_ROWS)
    out = str(tmp_path / "out.jsonl")
    cols = ["--columns", "query=utterance", "history=context"]

    assert "no such file" in error_of(capsys, str(run), "--input", str(tmp_path / "nope.jsonl"), "--output", out)
    (tmp_path / "in.txt").write_text("x")
    err = error_of(capsys, str(run), "--input", str(tmp_path / "in.txt"), "--output", out)
    assert "in.txt" in err and "unknown file type `.txt`" in err and ".parquet" in err
    err = error_of(capsys, str(run), "--input", str(good), "--output", str(tmp_path / "out.xlsx"), *cols)
    assert "--output" in err and "out.xlsx" in err
    err = error_of(capsys, str(run), "--input", str(good), "--output", out, "--columns", "query=question")
    assert "no column `question` (mapped from `query` by --columns)" in err and "utterance" in err
    err = error_of(capsys, str(run), "--input", str(good), "--output", out, "--columns", "qurey=utterance")
    assert "`qurey` is not a field of task query_rewrite" in err
    # Without the mapping the file has no `query` column at all: the first row says so, with the fix.
    err = error_of(capsys, str(run), "--input", str(good), "--output", out)
    assert f"{good}:1: missing field `query`" in err and "--columns query=COLUMN" in err
    bad = write_jsonl(tmp_path / "bad.jsonl", QR_ROWS[:3] + [{"context": []}] + QR_ROWS[3:])
    err = error_of(capsys, str(run), "--input", str(bad), "--output", out, *cols)
    assert f"{bad}:4: missing field `utterance` (mapped from `query`)" in err
    err = error_of(capsys, str(run), "--input", str(good), "--output", out, "--columns", "query=context")
    assert f"{good}:1: field `context` must be a string" in err
    err = error_of(capsys, str(run), "--input", str(good), "--output", out, "--columns", "query=utterance",
                   "rewrite=id")
    assert "already has a column `id`" in err
    err = error_of(capsys, str(tmp_path / "norun"), "--input", str(good), "--output", out)
    assert "run folder not found" in err


def test_an_existing_output_is_not_overwritten_silently(tmp_path, capsys, no_model):
    run = make_run_dir(tmp_path)
    good = write_jsonl(tmp_path / "in.jsonl", QR_ROWS)
    out = tmp_path / "out.jsonl"
    out.write_text("finished\n")
    err = error_of(capsys, str(run), "--input", str(good), "--output", str(out), "--columns", "query=utterance")
    assert "exists" in err and "--overwrite" in err
    assert out.read_text() == "finished\n"
    err = error_of(capsys, str(run), "--input", str(good), "--output", str(good), "--overwrite", "--columns",
                   "query=utterance")
    assert "is the input file" in err


def table(tmp_path, rows=QR_ROWS, name="in.jsonl"):
    path = write_jsonl(tmp_path / name, rows)
    return predict.read_table(path, "query_rewrite", {"query": "utterance", "history": "context"})


def read_out(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_predict(engine, tab, out, batch_size=2, rank=0, world=1):
    texts = [engine.prompt(record) for record in tab.records]
    return predict.predict(engine, tab, texts, out, "jsonl", DECODING, batch_size, rank, world)


def test_rows_come_back_in_input_order_with_the_engine_prompt_and_the_input_columns(tmp_path):
    tab = table(tmp_path)
    engine = FakeEngine()
    counts = run_predict(engine, tab, tmp_path / "out.jsonl", batch_size=3)
    rows = read_out(tmp_path / "out.jsonl")
    assert rows == [{**r, "rewrite": r["utterance"].upper()} for r in QR_ROWS]
    assert counts == {"rows": 7, "resumed": 0, "processes": 1}
    # Batches of 3 by prompt length, longest first; the record is the task record (history mapped from context).
    assert [len(b) for b in engine.batches] == [3, 3, 1]
    first = json.loads(engine.batches[0][0])
    assert first == {"history": QR_ROWS[5]["context"], "query": QR_ROWS[5]["utterance"], "qid": None, "responses": []}
    assert not predict.journals(tmp_path / "out.jsonl")


def test_a_killed_run_resumes_from_its_journal_to_the_uninterrupted_output(tmp_path):
    tab = table(tmp_path)
    whole = FakeEngine()
    run_predict(whole, tab, tmp_path / "whole.jsonl")

    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_predict(FakeEngine(fail_after=2), tab, out)
    assert not out.exists(), "the output appears only when complete"
    [log] = predict.journals(out)
    with log.open("a") as f:
        f.write('{"key": "cut sh')  # the line a kill cut short
    resumed = FakeEngine()
    counts = run_predict(resumed, tab, out)
    assert counts["resumed"] == 4
    assert resumed.batches == whole.batches[2:], "only the batches not journaled run again, as they were"
    assert out.read_text() == (tmp_path / "whole.jsonl").read_text()
    assert not predict.journals(out)


def test_two_processes_share_the_batches_and_write_what_one_process_writes(tmp_path):
    tab = table(tmp_path)
    one = FakeEngine()
    run_predict(one, tab, tmp_path / "one.jsonl")
    second, first = FakeEngine(), FakeEngine()
    out = tmp_path / "two.jsonl"
    run_predict(second, tab, out, rank=1, world=2)  # rank 1 journals its batches and leaves the writing to rank 0
    assert not out.exists()
    run_predict(first, tab, out, rank=0, world=2)
    assert first.batches == one.batches[0::2] and second.batches == one.batches[1::2]
    assert out.read_text() == (tmp_path / "one.jsonl").read_text()
    assert not predict.journals(out)


def test_csv_and_parquet_in_and_out(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"utterance": r["utterance"], "id": str(r["id"])} for r in QR_ROWS]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    tab = predict.read_table(tmp_path / "in.parquet", "query_rewrite", {"query": "utterance", "rewrite": "pred"})
    texts = [FakeEngine().prompt(record) for record in tab.records]
    predict.predict(FakeEngine(), tab, texts, tmp_path / "out.csv", "csv", DECODING, 4)
    with open(tmp_path / "out.csv", newline="") as f:
        back = list(csv.DictReader(f))
    assert back == [{**r, "pred": r["utterance"].upper()} for r in rows]

    tab = predict.read_table(tmp_path / "out.csv", "query_rewrite", {"query": "pred", "rewrite": "again"}, limit=3)
    texts = [FakeEngine().prompt(record) for record in tab.records]
    predict.predict(FakeEngine(), tab, texts, tmp_path / "out.parquet", "parquet", DECODING, 4)
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == [{**r, "again": r["pred"]} for r in back[:3]]


def test_summarize_rows_need_a_document_and_take_an_optional_focus(tmp_path):
    path = write_jsonl(tmp_path / "docs.jsonl", [{"text": "Latency fell.", "q": "latency"}, {"text": "Hired three."}])
    tab = predict.read_table(path, "summarize", {"document": "text", "query": "q"})
    assert tab.records == [{"document": "Latency fell.", "query": "latency"}, {"document": "Hired three.", "query": None}]
    assert tab.column == "summary"
    with pytest.raises(Exception, match=r"docs.jsonl:1: missing field `document`"):
        predict.read_table(path, "summarize", {})


def test_num_processes_relaunches_under_accelerate_with_the_same_arguments(tmp_path, monkeypatch, capsys, no_model,
                                                                          tiny_model_dir):
    from finetune.cli import train

    run = make_run_dir(tmp_path, model=tiny_model_dir)
    good = write_jsonl(tmp_path / "in.jsonl", QR_ROWS)
    launched = []
    monkeypatch.setattr(train, "visible_gpus", lambda: 0)
    monkeypatch.setattr(train, "accelerate_launch", lambda argv: launched.append(argv) or 0)
    assert main(["predict", str(run), "--input", str(good), "--output", str(tmp_path / "o.csv"), "--columns",
                 "query=utterance", "history=context", "--limit", "3", "--num-processes", "2"]) == 0
    [argv] = launched
    assert argv[:2] == ["--config_file", str(train.accelerate_config("multi_cpu"))]
    assert argv[argv.index("--num_processes") + 1] == "2"
    script = argv[argv.index("-m"):]
    assert script == ["-m", "finetune.cli", "predict", str(run), "--input", str(good), "--output",
                      str(tmp_path / "o.csv"), "--engine", "transformers", "--batch-size", "16", "--columns",
                      "query=utterance", "history=context", "--limit", "3"]
    assert "[searchtune] accelerate launch" in capsys.readouterr().out


def test_the_cli_decodes_as_the_run_evaluates_and_passes_engine_and_base_on(tmp_path, monkeypatch, capsys,
                                                                            tiny_model_dir):
    from finetune.serving import engines

    run = make_run_dir(tmp_path, eval_section={"decoding": {"max_new_tokens": 7}}, model=tiny_model_dir)
    good = write_jsonl(tmp_path / "in.jsonl", QR_ROWS)
    opened, seen = [], []
    fake = FakeEngine()
    fake.generate = lambda prompts, decoding: seen.append(decoding) or ["x"] * len(prompts)
    monkeypatch.setattr(engines, "open_engine", lambda *a, **k: opened.append((a, k)) or fake)
    argv = ["predict", str(run), "--input", str(good), "--columns", "query=utterance", "--engine", "transformers"]
    assert main([*argv, "--output", str(tmp_path / "a.jsonl"), "--base"]) == 0
    assert opened == [((run, "transformers"), {"base": True})]
    assert {d.max_new_tokens for d in seen} == {7} and seen[0].stop == prompts.STOP
    seen.clear()
    assert main([*argv, "--output", str(tmp_path / "b.jsonl"), "--max-new-tokens", "3"]) == 0
    assert {d.max_new_tokens for d in seen} == {3}
    assert f"[searchtune] predict: 7 rows -> {tmp_path / 'b.jsonl'}" in capsys.readouterr().out


def test_a_row_too_long_for_the_prompt_budget_fails_naming_its_line_before_any_model_loads(tmp_path, capsys, no_model,
                                                                                           tiny_model_dir):
    run = make_run_dir(tmp_path, model=tiny_model_dir, data={"max_length": 1024, "max_target_length": 16})
    # At least a token a word: 2,000 tokens, where the other rows take a few hundred at most.
    rows = QR_ROWS[:2] + [dict(QR_ROWS[2], utterance=" ".join(["when is project p7 due"] * 400))] + QR_ROWS[3:]
    good = write_jsonl(tmp_path / "in.jsonl", rows)
    err = error_of(capsys, str(run), "--input", str(good), "--output", str(tmp_path / "out.jsonl"), "--columns",
                   "query=utterance", "history=context")
    assert f"{good}:3: a query_rewrite request does not fit the run's prompt budget of 1008 tokens" in err


def test_prompts_are_the_engines_prompts_built_with_the_tokenizer_alone(tmp_path, tiny_model_dir):
    from finetune.serving.engines import prompt_parts, run_model

    run = make_run_dir(tmp_path, model=tiny_model_dir)
    spec, tokenizer = prompt_parts(*run_model(run))
    tab = table(tmp_path)
    assert predict.prompts_for(tab, spec, tokenizer) == [spec.render(tokenizer, r) for r in tab.records]
    assert tab.lines == list(range(1, len(QR_ROWS) + 1))
