"""scripts/qmsum_locator.py: span recall of locator settings on the same queries, with paired differences, no model."""
import json

import pytest
import yaml

from tests.fakes.meeting import MEETING


def test_locator_script_scores_each_setting_against_the_first(tmp_path, run_script, capsys):
    run = tmp_path / "run"
    run.mkdir()
    # A 40-word budget (budget_words(220, 64)): one 2-turn passage per query.
    (run / "recipe.yaml").write_text(yaml.safe_dump({
        "data": {"task": "summarize", "train": [{"path": "qmsum/train.jsonl"}], "max_length": 220,
                 "max_target_length": 64, "locate": {"turns_per_passage": 2, "max_words": 1000}},
        "output_dir": str(run)}))
    # The XML query's gold turns moved to the lunch notes: BM25 keeps an XML passage, gold a lunch one.
    moved = dict(MEETING["specific_query_list"][0], relevant_text_span=[["12", "13"]])
    data = tmp_path / "val.jsonl"
    data.write_text(json.dumps(dict(MEETING, specific_query_list=[moved, MEETING["specific_query_list"][1]])) + "\n")
    out = tmp_path / "loc.json"
    assert run_script("qmsum_locator.py", "--run", run, "--data", f"qmsum={data}", "--retrievers", "bm25",
                      "--strategies", "locate,gold,first", "--output", out) == 0
    result = json.loads(out.read_text())
    assert result["budget_words"] == 40 and result["passages"] == {"turns_per_passage": 2, "max_words": 1000}
    by = {s["strategy"]: s for s in result["settings"]}
    assert by["locate"]["span_recall"]["n"] == 2  # the general query has no gold spans
    # One passage a query: locate keeps 2 of the 6 lunch turns and none of the moved XML ones; gold keeps both moved
    # turns and 2 lunch ones.
    assert by["locate"]["span_recall"]["value"] == pytest.approx((0 + 2 / 6) / 2)
    assert by["gold"]["span_recall"]["value"] == pytest.approx((1 + 2 / 6) / 2)
    assert by["gold"]["vs_first"]["delta"] == pytest.approx(0.5)
    assert by["first"]["retriever"] is None and by["first"]["span_recall"]["value"] == 0.0
    assert "vs_first" not in by["locate"] and "gold/bm25: span recall 0.667" in capsys.readouterr().out


def test_locator_script_refuses_bad_settings_in_one_line(tmp_path, run_script, capsys):
    data = tmp_path / "val.jsonl"
    data.write_text(json.dumps(MEETING) + "\n")
    assert run_script("qmsum_locator.py", "--max-length", "512", "--max-target-length", "64",
                      "--retrievers", "bm25,splade", "--data", f"qmsum={data}") == 2
    assert "--retrievers bm25,splade: use a comma-separated list of bm25, dense, fused" in capsys.readouterr().err
    assert run_script("qmsum_locator.py", "--max-length", "64", "--max-target-length", "64",
                      "--data", f"qmsum={data}") == 2
    assert "smaller --max-target-length" in capsys.readouterr().err
    assert run_script("qmsum_locator.py", "--max-length", "512", "--max-target-length", "64",
                      "--data", f"qmsum={tmp_path / 'none.jsonl'}") == 2
    assert "does not exist" in capsys.readouterr().err
