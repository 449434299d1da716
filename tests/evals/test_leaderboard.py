"""The leaderboard: one row per run, swept keys, paired Δ against the reference (checked against hand-computed
values), runs scored on other examples left unpaired, the sweep folder standing for its trials, and two sweeps whose
trials share a name kept apart as SWEEP/NAME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evals import leaderboard
from finetune.core.errors import UserError

TASK = "searchtune_qr_sample"


def make_run(root: Path, name: str, exact: list[int], recall: list[float], *, r: int = 16, lr: float = 5e-4,
             sha: str = "abc", doc_ids=None, trial: dict | None = None) -> Path:
    run = root / name
    (run / "eval").mkdir(parents=True)
    recipe = {"model": {"name": "tiny"}, "lora": {"r": r, "alpha": 32}, "train": {"learning_rate": lr},
              "data": {"task": "query_rewrite"}, "output_dir": str(run)}
    (run / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    (run / "manifest.json").write_text(json.dumps({"train_runtime_s": 12.0, "tokens_per_second": 250.0,
                                                   "train_loss": 1.5}))
    doc_ids = doc_ids or list(range(len(exact)))
    mean = sum(exact) / len(exact)
    results = {"tasks": {TASK: {"dataset": {"sha256": sha, "n": len(exact)},
                                "metrics": {"exact_match": {"value": mean, "ci_low": 0.0, "ci_high": 1.0},
                                            "history_term_recall": {"value": sum(recall) / len(recall)}}}}}
    (run / "eval" / "results.json").write_text(json.dumps(results))
    rows = [{"task": TASK, "doc_id": d, "prediction": "p", "scores": {"exact_match": e, "history_term_recall": h}}
            for d, e, h in zip(doc_ids, exact, recall)]
    (run / "eval" / "predictions.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    if trial is not None:
        (run / "trial.json").write_text(json.dumps(trial))
    return run


def test_paired_delta_matches_hand_computed_values(tmp_path):
    ref = make_run(tmp_path, "ref", [1, 0, 0, 1, 0, 1, 0, 0], [0.5, 0.0, 0.25, 1.0, 0.5, 0.5, 0.0, 0.25])
    other = make_run(tmp_path, "r64", [1, 1, 0, 1, 1, 1, 0, 1], [0.5, 0.5, 0.25, 1.0, 1.0, 0.5, 0.25, 0.75], r=64)
    entries, reference, keys = leaderboard.build([str(ref), str(other)])
    assert reference.run.name == "ref" and keys == ["lora.r"]
    delta = entries[1].deltas[TASK]
    # Hand-computed: exact match 6/8 - 3/8 = 0.375; recall (4.75 - 3.0) / 8 = 0.21875.
    assert delta["exact_match"].value == pytest.approx(0.375)
    assert delta["history_term_recall"].value == pytest.approx(0.21875)
    for score in delta.values():
        assert score.ci_low <= score.value <= score.ci_high and score.n == 8
    assert delta["exact_match"].interval == "wilson" and delta["history_term_recall"].interval == "bootstrap"
    md, page = leaderboard.write_leaderboard([str(ref), str(other)], tmp_path / "out")
    table = md.read_text()
    assert "| r64 | 64 | 0.75 [0, 1] | +0.375 [" in table and "| ref (reference) | 16 |" in table
    assert "12 s, 250" in table
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "lora.r" in html and "http" not in html.split(
        "<svg")[0].replace("http://www.w3.org", "")


def test_other_examples_get_no_paired_delta(tmp_path):
    ref = make_run(tmp_path, "ref", [1, 0, 1], [0.5, 0.0, 0.5])
    moved = make_run(tmp_path, "moved", [1, 1, 1], [0.5, 0.5, 0.5], doc_ids=[0, 1, 7])
    other_file = make_run(tmp_path, "other-file", [1, 1, 1], [0.5, 0.5, 0.5], sha="def")
    entries, _, _ = leaderboard.build([str(ref), str(moved), str(other_file)], reference="ref")
    assert not entries[1].deltas and "other examples" in entries[1].unpaired[TASK]
    assert not entries[2].deltas and "another data file" in entries[2].unpaired[TASK]
    md = leaderboard.markdown(*leaderboard.build([str(ref), str(moved)]))
    assert "not paired" in md and "moved, searchtune_qr_sample: no paired Δ (scored on other examples" in md


def test_a_sweep_folder_stands_for_its_trials_with_their_swept_keys(tmp_path):
    sweep = tmp_path / "sweep"
    trials = sweep / "trials"
    for name, lr in (("ref", 5e-4), ("lr1e-4", 1e-4)):
        make_run(trials, name, [1, 0], [0.5, 0.0], lr=lr,
                 trial={"name": name, "overrides": {} if name == "ref" else {"train.learning_rate": lr}})
    (sweep / "sweep.json").write_text(json.dumps({"objective": {"task": TASK, "metric": "exact_match"},
                                                  "trials": [{"name": "ref"}, {"name": "lr1e-4"}]}))
    entries, reference, keys = leaderboard.build([str(sweep)], reference="ref")
    assert [e.run.name for e in entries] == ["ref", "lr1e-4"] and keys == ["train.learning_rate"]
    assert entries[1].deltas[TASK]["exact_match"].value == 0


def make_sweep(root: Path, name: str, trials: dict, failed: tuple = ()) -> Path:
    """A sweep folder: `trials` (name -> learning rate) scored, `failed` in its sweep.json only."""
    sweep = root / name
    for trial, lr in trials.items():
        make_run(sweep / "trials", trial, [1, 0], [0.5, 0.0], lr=lr,
                 trial={"name": trial, "overrides": {"train.learning_rate": lr}})
    summary = [{"name": t, "state": "COMPLETE"} for t in trials]
    summary += [{"name": t, "state": "FAIL", "fail_reason": "killed, e.g. out of memory"} for t in failed]
    (sweep / "sweep.json").write_text(json.dumps({"objective": {"task": TASK, "metric": "exact_match"},
                                                  "trials": summary}))
    return sweep


def test_two_sweeps_with_a_trial_of_one_name_stay_apart_as_sweep_slash_trial(tmp_path):
    a = make_sweep(tmp_path, "sweep-a", {"ref": 5e-4, "lr1e-4": 1e-4, "lr1e-3": 1e-3})
    b = make_sweep(tmp_path, "sweep-b", {"ref": 5e-4}, failed=("lr1e-4",))
    entries, reference, _ = leaderboard.build([str(a), str(b)], reference="sweep-b/ref")
    # Only clashing names are qualified; the trial failed in sweep-b counts as a clash for sweep-a's lr1e-4.
    assert [e.label for e in entries] == ["sweep-a/ref", "sweep-a/lr1e-4", "lr1e-3", "sweep-b/ref"]
    assert reference is entries[3] and entries[0].deltas[TASK]["exact_match"].value == 0
    with pytest.raises(UserError, match=r"^--reference ref: 2 runs given are named ref \(sweep-a/ref, sweep-b/ref\); "
                                        r"name one of those$"):
        leaderboard.build([str(a), str(b)], reference="ref")
    # A bare name that is one run's on the board still works, as does a trial's path.
    assert leaderboard.build([str(a), str(b)], reference="lr1e-4")[1].label == "sweep-a/lr1e-4"
    assert leaderboard.build([str(a), str(b)], reference=str(b / "trials" / "ref"))[1].label == "sweep-b/ref"
    md, page = leaderboard.write_leaderboard([str(a), str(b)], tmp_path / "out", reference="sweep-b/ref")
    table = md.read_text()
    assert "| sweep-a/ref | 0.0005 |" in table and "| sweep-b/ref (reference) | 0.0005 |" in table
    assert "| lr1e-3 | 0.001 |" in table and "Δ exact_match vs sweep-b/ref" in table
    assert "Not on the board: sweep-b/lr1e-4 (fail): killed, e.g. out of memory" in table
    assert "sweep-a/ref" in page.read_text()


def test_bad_inputs_are_one_line_errors(tmp_path):
    ref = make_run(tmp_path, "ref", [1], [0.5])
    with pytest.raises(UserError, match="neither a run folder"):
        leaderboard.build([str(tmp_path / "nothing")])
    with pytest.raises(UserError, match="--reference nope: not one of the runs given"):
        leaderboard.build([str(ref)], reference="nope")
    with pytest.raises(UserError, match="are the same run; pass each run once"):
        leaderboard.build([str(ref), str(ref)])
