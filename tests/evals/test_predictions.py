"""predictions.jsonl has one reader (finetune.core.run.read_predictions); the eval's PredictionsFile goes through it."""

from __future__ import annotations

import json

from finetune.core.run import RunFolder, read_predictions
from evals.predictions import PredictionsFile


def test_one_predictions_reader_skips_bad_lines_and_reads_again(tmp_path):
    path = tmp_path / "predictions.jsonl"
    path.write_text(json.dumps({"task": "t", "doc_id": 0}) + "\n\n{cut off\n[1]\n" + json.dumps({"doc_id": 1}) + "\n")
    assert [r["doc_id"] for r in read_predictions(path)] == [0, 1]
    rows = PredictionsFile(path)
    assert list(rows) == list(rows) == list(RunFolder(tmp_path).predictions(tmp_path))
    assert list(read_predictions(tmp_path / "absent.jsonl")) == []
