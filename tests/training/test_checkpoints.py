"""Finding a checkpoint to resume from (finetune/training/checkpoints.py): partial or corrupt folders are skipped with
a warning, uncommitted staging is invisible. Kills during real saves: tests/e2e/test_reliability.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from finetune.training import checkpoints


def _fake_checkpoint(folder: Path, step: int) -> Path:
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    save_file({"w": torch.ones(4, 4)}, path / "adapter_model.safetensors")
    for name in ("optimizer.pt", "scheduler.pt", "rng_state.pth"):
        torch.save({"state": torch.zeros(3)}, path / name)
    return path


@pytest.mark.parametrize("damage, reason", [
    (lambda p: (p / "trainer_state.json").unlink(), "trainer_state.json is missing"),
    (lambda p: (p / "trainer_state.json").write_text('{"global_st'), "trainer_state.json is unreadable"),
    (lambda p: (p / "optimizer.pt").unlink(), "optimizer.pt is missing"),
    (lambda p: (p / "adapter_model.safetensors").unlink(), "adapter weights are missing"),
    (lambda p: (p / "adapter_model.safetensors").write_bytes(b"\x08" + b"\0" * 7 + b"not json"), "adapter_model.safetensors is unreadable"),
    (lambda p: (p / "rng_state.pth").write_bytes((p / "rng_state.pth").read_bytes()[:100]),
     "rng_state.pth is truncated or unreadable"),
])
def test_partial_or_corrupt_checkpoint_is_skipped_with_a_warning(tmp_path, capsys, damage, reason):
    good = _fake_checkpoint(tmp_path, 4)
    bad = _fake_checkpoint(tmp_path, 8)
    assert checkpoints.last_checkpoint(tmp_path) == str(bad)
    damage(bad)
    assert checkpoints.last_checkpoint(tmp_path) == str(good)
    assert f"skipping checkpoint {bad}: {reason}; trying the previous one" in capsys.readouterr().out
    (tmp_path / ".staging" / "checkpoint-12").mkdir(parents=True)  # a save that never committed is invisible
    assert checkpoints.last_checkpoint(tmp_path) == str(good)
