"""scripts/bench_train.py fails with the CLI's one-line error, before any variant runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_too_few_rows_for_the_steps_is_one_line(tiny_model_dir, tmp_path):
    data = tmp_path / "one.jsonl"
    data.write_text('{"document": "a short text", "summary": "short"}\n')
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_train.py"), "--model", str(tiny_model_dir),
                        "--data", str(data), "--steps", "3", "--cli-runs", "0", "--no-prep"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and lines[-1].startswith("searchtune: error: only 1 rows fit max_length="), r.stderr[-2000:]
    assert "Traceback" not in r.stderr
