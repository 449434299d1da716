"""scripts/qmsum_mapreduce.py: map-reduce over each query of a meeting with the run's engine, scored per query; on a
located run (data.locate) through the real open_engine, whose chunk prompts are the run's training prompts."""
import json

import pytest
import yaml

from tests.fakes.meeting import MEETING, TURNS

INSTRUCTION = "Answer the query from the meeting excerpts."


class FakeEngine:
    """Answers every prompt with its first transcript line, so the reduce rounds see the chunks' summaries."""

    def __init__(self):
        self.prompts, self.closed = [], False

    def prompt(self, record):
        return f"{record['query']}|{record['document']}"

    def generate(self, prompts, decoding):
        self.prompts += prompts
        assert decoding.max_new_tokens == 160
        return [" " + p.split("|", 1)[1].splitlines()[0] + " " for p in prompts]

    def close(self):
        self.closed = True


def test_map_reduce_script_scores_every_query(tmp_path, run_script, monkeypatch, capsys):
    from finetune.serving import engines

    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.yaml").write_text(yaml.safe_dump({
        "data": {"task": "summarize", "train": [{"path": "qmsum/train.jsonl"}], "max_length": 256,
                 "max_target_length": 64, "locate": {"turns_per_passage": 3, "max_words": 1000}},
        "output_dir": str(run)}))
    data = tmp_path / "val.jsonl"
    other = dict(MEETING, specific_query_list=[], general_query_list=[{"query": "Another meeting?", "answer": "No."}])
    data.write_text(json.dumps(MEETING) + "\n" + json.dumps(other) + "\n")
    engine, opened = FakeEngine(), []
    monkeypatch.setattr(engines, "open_engine", lambda path, base=False, map_reduce=False: opened.append(map_reduce)
                        or engine)
    out = tmp_path / "mr.json"
    assert run_script("qmsum_mapreduce.py", "--run", run, "--data", f"qmsum={data}", "--output", out,
                      "--batch-size", "2", "--meetings", "1") == 0
    assert opened == [True]  # the script builds its chunks itself
    result = json.loads(out.read_text())
    # Whole meetings: the first one with all three of its queries, none of the second's.
    assert result["meetings"] == 1
    assert [q["query"] for q in result["queries"]] == [q["query"] for q in MEETING["specific_query_list"]] + [
        "Summarize the whole meeting."]
    first = result["queries"][0]
    assert first["summary"].startswith("Ann: Budget item 0") and first["generations"] > 1
    assert first["gen_length"] == len(first["summary"].split()) and result["metrics"]["gen_length"]["n"] == 3
    assert result["metrics"]["rouge1"]["n"] == 3 and engine.closed
    # The run's decoding, recorded: greedy, the eval's stop strings, searchtune_sum_qmsum's length.
    assert result["decoding"] == {"max_new_tokens": 160, "temperature": 0.0, "top_p": 1.0, "stop": ["\n\n"],
                                  "greedy": True, "not_applied": {}}
    assert all(p.startswith(MEETING["specific_query_list"][0]["query"]) for p in engine.prompts[:first["generations"]])
    assert "map-reduce on 3 queries of 1 meetings" in capsys.readouterr().out
    assert run_script("qmsum_mapreduce.py", "--run", run, "--data", f"qmsum={data}", "--output", out) == 0
    assert json.loads(out.read_text())["meetings"] == 2  # without --meetings: every meeting
    assert run_script("qmsum_mapreduce.py", "--run", run, "--data", f"qmsum={data}") == 2  # no --output
    assert run_script("qmsum_mapreduce.py", "--run", run, "--data", f"qmsum={data}", "--output", out,
                      "--meetings", "0") == 2
    assert "--meetings 0: give at least 1" in capsys.readouterr().err


def test_map_reduce_runs_on_a_located_run_with_its_training_prompts(tmp_path, tiny_model_dir, run_script,
                                                                     monkeypatch):
    """The real path: open_engine -> prompt_parts -> PromptSpec.of on a recipe with data.locate (which serve and
    predict still refuse), each chunk rendered as the run's training prompt and decoded with the run's decoding."""
    from finetune.core import locate
    from finetune.core.errors import UserError
    from finetune.core.prompts import STOP, fit_prompt
    from finetune.serving import engines
    from tests.fakes.run_folder import make_run

    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    (run / "recipe.yaml").write_text(yaml.safe_dump({
        "model": {"name": str(tiny_model_dir)}, "lora": {"r": 4, "alpha": 8, "target_modules": "all-linear"},
        "data": {"task": "summarize", "train": [{"path": "qmsum/train.jsonl", "instruction": INSTRUCTION}],
                 "max_length": 256, "max_target_length": 64, "locate": {"turns_per_passage": 3, "max_words": 1000}},
        "eval": {"decoding": {"max_new_tokens": 4, "num_beams": 2}}, "output_dir": str(run)}))
    with pytest.raises(UserError, match="data.locate: a locate-then-summarize run cannot be served"):
        engines.open_engine(run)  # serve, predict, chat
    with pytest.raises(UserError, match="transformers engine only"):
        engines.open_engine(run, "llama.cpp", map_reduce=True)

    seen = []
    generate = engines.TransformersEngine.generate

    def spy(self, prompts, decoding):
        seen.append((self.tokenizer, list(prompts), decoding))
        return generate(self, prompts, decoding)

    monkeypatch.setattr(engines.TransformersEngine, "generate", spy)
    data = tmp_path / "val.jsonl"
    data.write_text(json.dumps(MEETING) + "\n")
    out = tmp_path / "mr.json"
    assert run_script("qmsum_mapreduce.py", "--run", run, "--data", f"qmsum={data}", "--output", out) == 0
    result = json.loads(out.read_text())
    assert len(result["queries"]) == 3 and all(q["generations"] > 1 for q in result["queries"])
    assert result["decoding"]["max_new_tokens"] == 4 and result["decoding"]["not_applied"] == {"num_beams": 2}
    tokenizer, prompts, decoding = seen[0]
    assert decoding.max_new_tokens == 4 and decoding.stop == STOP
    # The first map prompt: the first chunk of the transcript with the query, as training renders a located record
    # (its instruction, the chat template, the prompt budget of max_length less max_target_length).
    chunks = locate.pack([p.text for p in locate.split_turns(TURNS, 3, 1000)], locate.budget_words(256, 64))
    query = MEETING["specific_query_list"][0]["query"]
    assert len(chunks) > 1 and len(prompts) == min(len(chunks), 8)  # one batch of the default --batch-size
    assert prompts[0] == fit_prompt(tokenizer, "summarize", {"document": chunks[0], "query": query}, 256 - 64,
                                    INSTRUCTION).text
    assert INSTRUCTION in prompts[0] and f"Focus on: {query}" in prompts[0]
