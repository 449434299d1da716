"""predictions.jsonl: one row per example and task (prompt, input, reference, predictions, per-example scores).

Rows are streamed to a temporary file as each pass of the eval finishes, and the file takes its name only when the
eval completes (finetune.core.io.streamed_text), so a killed eval never leaves a predictions.jsonl that looks
whole. The generations themselves are cached by evals.lm, which is what lets a restarted eval resume.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from finetune.core import io
from finetune.core.run import read_predictions

# Doc fields that are plumbing rather than model input.
_NOT_INPUT = ("references", "source", "retrieval", "instruction")


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def prediction_rows(task: str, tuned: list[dict], base: list[dict] | None, aggregates: dict) -> list[dict]:
    """Rows from lm-eval's logged samples of the tuned model (and of the base model, matched by doc_id)."""
    base_by_id = {s["doc_id"]: s for s in base or []}
    rows = []
    for sample in tuned:
        doc = sample["doc"]
        other = base_by_id.get(sample["doc_id"])
        if isinstance(doc, dict) and "references" in doc:
            refs = doc["references"]
            reference = refs[0] if len(refs) == 1 else refs
            given = {k: v for k, v in doc.items() if k not in _NOT_INPUT}
        else:
            reference, given = sample["target"], doc
        rows.append(_jsonable({
            "task": task,
            "doc_id": sample["doc_id"],
            "prompt": sample["arguments"][0][0],
            "input": given,
            "reference": reference,
            "prediction": _response(sample),
            "baseline_prediction": _response(other) if other else None,
            "scores": {m: sample.get(m) for m in aggregates},
            "baseline_scores": {m: other.get(m) for m in aggregates} if other else None,
        }))
    return rows


def _response(sample: dict):
    """The generated text; for multiple-choice tasks, the (log-likelihood, is-greedy) of every choice."""
    responses = sample["filtered_resps"]
    return responses[0] if len(responses) == 1 else responses


@contextmanager
def streamed(path: Path):
    """Yield `write(rows)`, which appends rows to the file; it appears as `path` when the block completes."""
    with io.streamed_text(path) as write:
        yield lambda rows: write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


def write_predictions(path: Path, rows: list[dict]) -> None:
    with streamed(path) as write:
        write(rows)


class PredictionsFile:
    """predictions.jsonl as rows, read again on each pass over it (the reports go over the rows several times)."""

    def __init__(self, path: Path):
        self.path = path

    def __iter__(self):
        return read_predictions(self.path)
