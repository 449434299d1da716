"""finetune/core/compat.py: each patch does what it says, only where it is engaged, and the library still calls what
it patches (a library upgrade that routes around a patch fails here). The compact LM head's proof, with the rows it
projects counted, is in tests/training/test_speed.py."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from finetune.core import compat

REPO = Path(__file__).resolve().parents[2]

# As on a CPU with AVX512-BF16, where bitsandbytes logs its notice while it is imported.
AVX512_BF16 = REPO / "tests" / "fakes" / "avx512_bf16"


def test_checkpoint_saves_of_a_real_trainer_go_through_the_routed_save(tiny_model_dir, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=2, save_steps=1, save_strategy="steps",
                             per_device_train_batch_size=2, report_to="none", use_cpu=True, disable_tqdm=True)
    ids = torch.tensor([5, 6, 7, 8])
    trainer = Trainer(model=AutoModelForCausalLM.from_pretrained(tiny_model_dir), args=args,
                      train_dataset=[{"input_ids": ids, "labels": ids}] * 4)
    steps = []

    def around(step, save):
        steps.append(step)
        save()
        assert (tmp_path / "routed" / f"checkpoint-{step}" / "trainer_state.json").is_file()

    compat.route_checkpoint_saves(trainer, tmp_path / "routed", around)
    trainer.train()
    assert steps == [1, 2], "the Trainer no longer saves through _save_checkpoint"
    assert not list((tmp_path / "out").glob("checkpoint-*")), "the Trainer no longer asks _get_output_dir where"
    assert "_get_output_dir" not in vars(trainer)


def test_single_process_launch_execs_the_training_in_place(tmp_path, monkeypatch):
    from accelerate.commands import launch as accelerate

    config = tmp_path / "cpu.yaml"
    config.write_text("compute_environment: LOCAL_MACHINE\ndistributed_type: 'NO'\nnum_processes: 1\nuse_cpu: true\n")
    launcher = accelerate.simple_launcher
    execs = []

    class Exec(Exception):
        pass

    def execvpe(file, cmd, env):
        execs.append(cmd)
        raise Exec

    monkeypatch.setattr(os, "execvpe", execvpe)
    with pytest.raises(Exec):
        compat.exec_single_process_launch(["--config_file", str(config), "--num_cpu_threads_per_process", "1",
                                           "-m", "finetune.workflow", "recipe.yaml", "a.b=1"])
    assert len(execs) == 1, "accelerate's launch_command no longer calls simple_launcher for one process"
    assert execs[0][0] == sys.executable and execs[0][-4:] == ["-m", "finetune.workflow", "recipe.yaml", "a.b=1"]
    assert accelerate.simple_launcher is launcher


def _import_peft(*before: str) -> str:
    return subprocess.run([sys.executable, "-c", "\n".join([*before, "import peft"])], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": f"{AVX512_BF16}{os.pathsep}{REPO}"},
                          timeout=300).stderr


def test_bitsandbytes_cpu_kernel_notice_is_dropped_and_only_it():
    assert compat.BNB_CPU_KERNEL_NOTICE in _import_peft(), "bitsandbytes no longer logs the notice we drop"
    quiet = _import_peft("from finetune.core import compat", "compat.quiet_bitsandbytes_cpu_notice()")
    assert compat.BNB_CPU_KERNEL_NOTICE not in quiet and "Traceback" not in quiet, quiet[-2000:]

    compat.quiet_bitsandbytes_cpu_notice()
    compat.quiet_bitsandbytes_cpu_notice()
    logger = logging.getLogger(compat.BNB_CPU_KERNEL_LOGGER)
    assert len(logger.filters) == 1
    assert not logger.filter(logger.makeRecord(logger.name, logging.WARNING, "ops.py", 1,
                                               compat.BNB_CPU_KERNEL_NOTICE + ": %s", ("no kernels",), None))
    assert logger.filter(logger.makeRecord(logger.name, logging.WARNING, "ops.py", 1, "another notice", (), None))


def test_data_preparation_shows_no_map_bars_and_no_peft_deprecation(capfd):
    import datasets

    assert datasets.is_progress_bar_enabled()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with compat.quiet_data_preparation():
            datasets.Dataset.from_dict({"x": list(range(10))}).map(lambda row: row, desc="Tokenizing")
            warnings.warn("`is_gradient_checkpointing` is deprecated and will be removed in v6.", FutureWarning)
            warnings.warn("a warning that means something", FutureWarning)
    assert "Tokenizing" not in capfd.readouterr().err
    assert [str(w.message) for w in seen] == ["a warning that means something"]
    assert datasets.is_progress_bar_enabled()
