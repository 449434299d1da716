"""finetune.core where another process is the point: a lock left by a killed holder, a library's import-time notice
in a fresh interpreter, and a real Trainer's checkpoint saves."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from finetune.core import compat
from finetune.core import run as run_folder

REPO = Path(__file__).resolve().parents[2]
# As on a CPU with AVX512-BF16, where bitsandbytes logs its notice while it is imported.
AVX512_BF16 = REPO / "tests" / "fakes" / "avx512_bf16"
# Dies holding the lock, as a kill -9 would leave it: .lock stays behind with its PID.
DIE_HOLDING_LOCK = "import os, sys; from pathlib import Path; from finetune.core import run; " \
                   "held = run.lock(Path(sys.argv[1])); held.__enter__(); os._exit(9)"


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path, capsys):
    out = tmp_path / "run"
    holder = subprocess.run([sys.executable, "-c", DIE_HOLDING_LOCK, str(out)], env={**os.environ})
    assert holder.returncode == 9
    pid = int((out / ".lock").read_text())
    assert pid != os.getpid()
    with run_folder.lock(out):
        assert (out / ".lock").read_text() == str(os.getpid())
    assert f"taking over the lock of PID {pid}" in capsys.readouterr().err
    assert not (out / ".lock").exists()


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
