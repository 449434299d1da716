"""scripts/qmsum_mapreduce.py: map-reduce over each query of a meeting with the run's engine, scored per query."""
import json

import yaml

from tests.fakes.meeting import MEETING


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
    data.write_text(json.dumps(MEETING) + "\n")
    engine = FakeEngine()
    monkeypatch.setattr(engines, "open_engine", lambda path, base=False: engine)
    out = tmp_path / "mr.json"
    assert run_script("qmsum_mapreduce.py", "--run", run, "--data", f"qmsum={data}", "--output", out,
                      "--batch-size", "2") == 0
    result = json.loads(out.read_text())
    assert [q["query"] for q in result["queries"]] == [q["query"] for q in MEETING["specific_query_list"]] + [
        "Summarize the whole meeting."]
    first = result["queries"][0]
    assert first["summary"].startswith("Ann: Budget item 0") and first["generations"] > 1
    assert result["metrics"]["rouge1"]["n"] == 3 and engine.closed
    assert all(p.startswith(MEETING["specific_query_list"][0]["query"]) for p in engine.prompts[:first["generations"]])
    assert "map-reduce on 3 queries" in capsys.readouterr().out
    assert run_script("qmsum_mapreduce.py", "--run", run, "--data", f"qmsum={data}") == 2  # no --output
