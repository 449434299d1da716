"""finetune/core/compat.py: each patch does what it says, only where it is engaged, and the library still calls what
it patches (a library upgrade that routes around a patch fails here). The compact LM head's proof, with the rows it
projects counted, is in tests/training/test_speed.py; the checks that need a fresh interpreter or a real Trainer are in
tests/e2e/test_core_process.py."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import pytest

from finetune.core import compat


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


def test_llama_models_load_without_extra_buffers_unless_asked(monkeypatch):
    from llama_cpp import Llama

    from finetune.core.models import SMOLLM2_ALIAS, resolve

    folder, gguf = resolve(SMOLLM2_ALIAS)
    path = str(Path(folder) / gguf)

    def load():  # the vocabulary only: Llama.__init__ builds its model params all the same
        return Llama(path, vocab_only=True, verbose=False).model_params.use_extra_bufts

    monkeypatch.delenv(compat.LLAMA_EXTRA_BUFFERS, raising=False)
    with compat.llama_without_extra_buffers():
        assert load() is False
    assert load() is True  # llama.cpp's default, restored
    monkeypatch.setenv(compat.LLAMA_EXTRA_BUFFERS, "1")
    with compat.llama_without_extra_buffers():
        assert load() is True
