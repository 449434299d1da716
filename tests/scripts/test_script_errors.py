"""The eval scripts parse --data and --batch-size like `searchtune eval` and fail with its one-line error."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("script, args, message", [
    ("reference_points.py", ["--data", "canard"], "--data canard: use KEY=VALUE, e.g. --data canard=/data/canard/dev.jsonl"),
    ("bench_eval.py", ["--data", "dialogsum"], "--data dialogsum: use KEY=VALUE, e.g. --data dialogsum=/data/dialogsum/dev.jsonl"),
    ("bench_eval.py", ["--batch-size", "0"], "--batch-size 0: use a positive integer or `auto`"),
])
def test_bad_flags_get_the_clis_one_line_error(run_script, capsys, script, args, message):
    assert run_script(script, *args) == 2
    assert capsys.readouterr().err.strip() == f"searchtune: error: {message}"
