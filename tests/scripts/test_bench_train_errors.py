"""scripts/bench_train.py fails with the CLI's one-line error, before any variant runs."""

from __future__ import annotations


def test_too_few_rows_for_the_steps_is_one_line(tiny_model_dir, tmp_path, run_script, capsys, monkeypatch):
    data = tmp_path / "one.jsonl"
    data.write_text('{"document": "a short text", "summary": "short"}\n')
    monkeypatch.chdir(tmp_path)
    code = run_script("bench_train.py", "--model", tiny_model_dir, "--data", data, "--steps", "3", "--cli-runs", "0",
                      "--no-prep")
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and lines[-1].startswith("searchtune: error: only 1 rows fit max_length="), err[-2000:]
    assert "Traceback" not in err
