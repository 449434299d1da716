"""`searchtune eval --run` scores the model the run trained: a QLoRA run's adapter on the 4-bit NF4 base that
training evaluated in memory, not on a bf16/fp32 copy. The run folders are tests/fakes/run_folder.py's `make_run`;
the scoring itself is stubbed (tests/evals covers it)."""

from __future__ import annotations

import pytest
from fakes.run_folder import make_run

from finetune import cli


@pytest.mark.parametrize("qlora", [True, False], ids=["qlora", "lora"])
def test_eval_run_scores_the_base_the_run_trained_on(tmp_path, tiny_model_dir, monkeypatch, qlora):
    from peft import PeftModel

    run = make_run(tmp_path, tiny_model_dir, load_in_4bit=qlora, with_eval=False)
    scored = []
    monkeypatch.setattr("evals.tasks_manager.load_tasks", lambda *a, **k: None)
    monkeypatch.setattr("evals.pipeline.evaluate", lambda model, *a, **k: scored.append(model) or {})
    monkeypatch.setattr("evals.report.summary_text", lambda results: "")
    assert cli.main(["eval", "--run", str(run)]) == 0
    [model] = scored
    assert isinstance(model, PeftModel)
    packed = [p for p in model.base_model.parameters() if type(p).__name__ == "Params4bit"]
    assert bool(packed) is qlora, "the eval's base is not quantized the way the run trained it"
    lora = [n for n, _ in model.named_parameters() if "lora_A" in n]
    assert lora, "the adapter was not attached"
