"""The sweep file: did-you-mean for unknown keys, every trial's overrides validated against the recipe before
anything trains, and the trials a grid and an ablation expand to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finetune.core.errors import UserError
from finetune.sweep.schema import load_sweep, override_args

REPO = Path(__file__).resolve().parents[2]
SWEEPS = sorted((REPO / "recipes" / "sweeps").glob("*.yaml"))


@pytest.fixture()
def base(tmp_path):
    (tmp_path / "qr.jsonl").write_text(json.dumps({"history": [], "query": "q", "rewrite": "r"}) + "\n")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"data: {{task: query_rewrite, train: {{path: {tmp_path / 'qr.jsonl'}}}}}\n"
                      "eval: {tasks: [searchtune_qr_sample]}\n"
                      f"output_dir: {tmp_path / 'run'}\n")
    return recipe


def write(tmp_path, base, body: str):
    path = tmp_path / "sweep.yaml"
    path.write_text(f"base: {base}\nobjective: {{task: searchtune_qr_sample, metric: bleu}}\n"
                    f"output_dir: {tmp_path / 'sweep'}\n{body}")
    return path


def test_grid_and_ablation_expand_to_their_trials(tmp_path, base):
    grid = load_sweep(write(tmp_path, base, "strategy: grid\nspace: {lora.r: [4, 8], train.learning_rate: [1.0e-4]}\n"))
    assert grid.fixed_trials() == [("trial-000", {"lora.r": 4, "train.learning_rate": 1e-4}),
                                   ("trial-001", {"lora.r": 8, "train.learning_rate": 1e-4})]
    ablation = load_sweep(write(tmp_path, base, "strategy: ablation\nablation:\n"
                                "  - {name: r64, set: {lora.r: 64, lora.alpha: 128}}\n"
                                "  - {name: qv, set: {lora.target_modules: [q_proj, v_proj]}}\n"))
    assert [n for n, _ in ablation.fixed_trials()] == ["ref", "r64", "qv"]
    assert override_args({"lora.target_modules": ["q_proj", "v_proj"], "lora.r": 64}) == [
        'lora.target_modules=["q_proj", "v_proj"]', "lora.r=64"]


def test_unknown_sweep_key_says_did_you_mean(tmp_path, base):
    with pytest.raises(UserError, match=r"sweep.yaml:4: `stratgy`: unknown key, did you mean `strategy`\?"):
        load_sweep(write(tmp_path, base, "stratgy: grid\nspace: {lora.r: [4]}\n"))
    with pytest.raises(UserError, match=r"`objective.direction`: .*did you mean `maximize`\?"):
        load_sweep(write(tmp_path, base, "strategy: grid\nspace: {lora.r: [4]}\nobjective: "
                                         "{task: searchtune_qr_sample, metric: bleu, direction: maximise}\n"))


def test_each_trials_overrides_are_validated_against_the_recipe(tmp_path, base):
    with pytest.raises(UserError, match=r"trial trial-000 \(lora.r=4 lora.alph=8\): .*`lora.alph`: unknown key, did you mean `alpha`"):
        load_sweep(write(tmp_path, base, "strategy: grid\nspace: {lora.r: [4], lora.alph: [8]}\n"))
    with pytest.raises(UserError, match=r"trial bad \(lora.r=0\): .*`lora.r`"):
        load_sweep(write(tmp_path, base, "strategy: ablation\nablation: [{name: bad, set: {lora.r: 0}}]\n"))
    # A sampler's ranges: both ends are checked.
    with pytest.raises(UserError, match=r"lora.dropout=1.0.*`lora.dropout`"):
        load_sweep(write(tmp_path, base, "strategy: sampler\ntrials: 3\nspace: {lora.dropout: {low: 0.0, high: 1.0}}\n"))


def test_strategy_needs_its_fields(tmp_path, base):
    with pytest.raises(UserError, match="a grid needs a list of values"):
        load_sweep(write(tmp_path, base, "strategy: grid\nspace: {lora.r: {low: 4, high: 8, type: int}}\n"))
    with pytest.raises(UserError, match="needs a trial budget"):
        load_sweep(write(tmp_path, base, "strategy: sampler\nspace: {lora.r: [4, 8]}\n"))
    with pytest.raises(UserError, match="`ref` is the reference's"):
        load_sweep(write(tmp_path, base, "strategy: ablation\nablation: [{name: ref, set: {lora.r: 8}}]\n"))
    body = "strategy: grid\nspace: {lora.r: [4]}\nobjective: {task: searchtune_qr_canard, metric: bleu}\n"
    with pytest.raises(UserError, match="searchtune_qr_canard is not among the base recipe's eval.tasks"):
        load_sweep(write(tmp_path, base, body))


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_every_shipped_sweep_validates(path, monkeypatch):
    """Begins with the command that runs it, and it and every trial's overrides pass the schemas."""
    first = path.read_text().splitlines()[0]
    assert first.startswith("# searchtune sweep ") and str(path.relative_to(REPO)) in first
    monkeypatch.chdir(REPO)
    import yaml

    from finetune.core.recipe import load_recipe

    base = load_recipe(yaml.safe_load(path.read_text())["base"], check_files=False)
    missing = [p for p in map(base.source_path, base.data.train) if p is not None and not p.is_file()]
    if missing:  # its trials load their data files: checked only where ../shared/data is, as the recipes are
        pytest.skip(f"trials not loaded: {', '.join(map(str, missing))} absent (set SEARCHTUNE_DATA_ROOT)")
    assert load_sweep(path.relative_to(REPO)).fixed_trials()
