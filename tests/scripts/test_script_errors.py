"""The eval scripts parse --data and --batch-size like `searchtune eval` and fail with its one-line error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script, args, message", [
    ("reference_points.py", ["--data", "canard"], "--data canard: use KEY=VALUE, e.g. --data canard=/data/canard/dev.jsonl"),
    ("bench_eval.py", ["--data", "dialogsum"], "--data dialogsum: use KEY=VALUE, e.g. --data dialogsum=/data/dialogsum/dev.jsonl"),
    ("bench_eval.py", ["--batch-size", "0"], "--batch-size 0: use a positive integer or `auto`"),
])
def test_bad_flags_get_the_clis_one_line_error(script, args, message):
    r = subprocess.run([sys.executable, str(REPO / "scripts" / script), *args], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert (r.returncode, r.stderr.strip()) == (2, f"searchtune: error: {message}")
