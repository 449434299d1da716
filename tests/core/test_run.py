"""The typed run folder: manifest, recipe, results and card round trips, old folders, and the lock's home."""

from __future__ import annotations

import json

import pytest

from finetune.core.errors import UserError
from finetune.core.recipe import Recipe
from finetune.core.run import Manifest, Results, RunFolder, decoding_line, write_results

# A manifest as trainer.py wrote it before the Manifest type existed: its JSON must come back key for key.
OLD_MANIFEST = {
    "task": "query_rewrite",
    "base_model": {"name": "smollm2-135m-instruct", "gguf_file": None, "resolved_path": "/cache/smollm2"},
    "packages": {"torch": "2.9.0"}, "git_commit": "abc", "git_dirty": False,
    "data": [{"path": "sample:query_rewrite_train.jsonl", "sha256": "ef" * 32, "rows": 800, "used_rows": 780}],
    "train_rows": 780, "eval_rows": 20, "data_stats": {"train_rows": 780, "truncated": 3},
    "seed": 42, "hardware": {"device": "cpu", "cpu_count": 2}, "world_size": 1,
    "started_at": "2025-01-01T10:00:00Z", "finished_at": "2025-01-01T10:03:25Z", "train_runtime_s": 205.4,
    "global_steps": 20, "train_loss": 1.2, "eval_loss": None, "train_tokens": 1000, "tokens_per_second": 4.9, "method": {},
    "wandb": {"mode": "offline", "url": None},
}


def test_manifest_json_is_unchanged_by_a_round_trip(tmp_path):
    run = RunFolder(tmp_path / "run")
    run.write_manifest(Manifest.from_dict(OLD_MANIFEST))
    text = run.manifest_file.read_text()
    assert json.loads(text) == OLD_MANIFEST
    assert list(json.loads(text)) == list(OLD_MANIFEST)  # same key order as before
    manifest = run.manifest()
    assert manifest.base_model.resolved_path == "/cache/smollm2" and manifest.train_rows == 780


def test_an_older_or_partial_manifest_still_reads(tmp_path):
    run = RunFolder(tmp_path)
    run.manifest_file.write_text(json.dumps({"base_model": {"name": "x"}, "wandb": None, "dropped_key": 1}))
    manifest = run.manifest()
    assert manifest.base_model.name == "x" and manifest.base_model.resolved_path is None
    assert not manifest.wandb and manifest.train_rows is None
    assert RunFolder(tmp_path / "none").manifest() == Manifest()
    run.manifest_file.write_text("{not json")
    with pytest.raises(UserError, match="manifest.json: invalid JSON"):
        run.manifest()


def test_recipe_reads_the_resolved_recipe(tmp_path):
    run = RunFolder(tmp_path)
    assert run.recipe() is None
    recipe = Recipe.model_validate({"data": {"task": "summarize", "train": [{"path": "/gone/train.jsonl"}]},
                                    "output_dir": str(tmp_path)})
    run.write_recipe(recipe)
    assert run.recipe() == recipe  # its data file no longer exists: a finished run still reads
    run.recipe_file.write_text("data: {task: summarise}\noutput_dir: x\n")
    with pytest.raises(UserError, match="recipe.yaml: `data"):
        run.recipe()


def test_results_view_and_atomic_write(tmp_path):
    raw = {"model": {"base": "b"}, "tasks": {"t": {
        "dataset": {"name": "d", "path": "hub:o/d", "sha256": None, "n": 4},
        "decoding": {"do_sample": False, "max_new_tokens": 8, "apply_chat_template": True, "batch_size": 2,
                     "until": ["\n"]},
        "metrics": {"bleu": {"value": 12.5, "ci_low": 10.0, "ci_high": 15.0}, "em": 0.25, "bad": "x"},
        "baseline": {"metrics": {"bleu": {"value": 5.0}}},
        "comparison": {"bleu": {"delta": 7.5, "ci_low": 1.0, "ci_high": 9.0}},
    }}}
    run = RunFolder(tmp_path)
    assert run.results() == Results()
    write_results(run.eval_dir, raw)
    assert json.loads(run.results_file.read_text()) == raw
    assert not [p for p in run.eval_dir.iterdir() if p.name != "results.json"]  # no temp file left
    task = run.results().tasks["t"]
    assert task.dataset.n == 4 and task.metrics["em"].value == 0.25 and "bad" not in task.metrics
    assert task.metrics["bleu"].has_interval and not task.baseline["bleu"].has_interval
    assert task.comparison["bleu"].value == 7.5
    assert decoding_line(task.decoding) == ('greedy, max_new_tokens=8, chat template on, batch size 2, '
                                            'stop strings ["\\n"]')
    with pytest.raises(ValueError):
        write_results(run.eval_dir, {"tasks": {}, "x": float("nan")})  # refused, and the old file is kept
    assert run.results().tasks


def test_finished_refuses_folders_without_an_adapter(tmp_path):
    with pytest.raises(UserError, match="run folder not found"):
        RunFolder.finished(tmp_path / "missing")
    with pytest.raises(UserError, match="no trained adapter"):
        RunFolder.finished(tmp_path)
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "adapter_config.json").write_text("{}")
    assert RunFolder.finished(tmp_path).adapter_config() == {}


def test_card_replaces_the_adapter_stub_and_masks_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secretsecretsecret")
    run = RunFolder(tmp_path)
    run.adapter_dir.mkdir()
    (run.adapter_dir / "README.md").write_text("PEFT stub")
    run.write_card("# card hf_secretsecretsecret\n")
    assert run.card_file.read_text() == (run.adapter_dir / "README.md").read_text() == "# card <redacted>\n"


def test_lock_lives_on_the_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not a searchtune run folder"):
        RunFolder(tmp_path).check_claimable()
    run = RunFolder(tmp_path / "run")
    with run.lock():
        assert (run.path / ".lock").read_text() == str(__import__("os").getpid())
    assert not (run.path / ".lock").exists()


def test_a_resolved_recipe_with_a_defaulted_target_length_reads_back(tmp_path):
    # max_target_length defaults to 256; with max_length 256 that is fine as a default, and the resolved recipe.yaml
    # writes it out: reading the run folder must not refuse what the run accepted.
    from finetune.core.recipe import load_recipe

    path = tmp_path / "recipe.yaml"
    path.write_text(f"data: {{task: summarize, train: {{path: /x.jsonl}}, max_length: 256}}\noutput_dir: {tmp_path}\n")
    recipe = load_recipe(path, check_files=False)
    run = RunFolder(tmp_path / "run")
    run.write_recipe(recipe)
    assert run.recipe().data.max_target_length == 256
