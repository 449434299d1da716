"""Finding a checkpoint to resume from (finetune/training/checkpoints.py): partial or corrupt folders are skipped with
a warning, uncommitted staging is invisible. Kills during real saves: tests/e2e/test_reliability.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

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


# -- the layouts FSDP and DeepSpeed write (issue 17) ----------------------------------------------------------------


def _common(path: Path, step: int, world: int) -> Path:
    """What the Trainer writes beside any engine's states: trainer_state.json and every rank's RNG state."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    for rank in range(world):
        torch.save({"cpu": torch.zeros(3)}, path / f"rng_state_{rank}.pth")
    return path


def _fsdp_checkpoint(folder: Path, step: int, state_dict_type: str) -> Path:
    """A checkpoint folder as the Trainer writes it under FSDP2: the model and optimizer through accelerate's own
    `save_fsdp_model` / `save_fsdp_optimizer` (what `Trainer._save_optimizer_and_scheduler` calls), scheduler.pt."""
    from accelerate import PartialState
    from accelerate.utils import FullyShardedDataParallelPlugin, save_fsdp_model, save_fsdp_optimizer

    PartialState(cpu=True)  # accelerate's logging needs a state; one process, no process group
    path = _common(folder / f"checkpoint-{step}", step, world=2)
    plugin = FullyShardedDataParallelPlugin(fsdp_version=2, state_dict_type=state_dict_type)
    model = torch.nn.Linear(4, 4)
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.randn(2, 4)).sum().backward()
    optimizer.step()
    accelerator = SimpleNamespace(process_index=0, num_processes=1)
    save_fsdp_model(plugin, accelerator, model, str(path), adapter_only=True)
    save_fsdp_optimizer(plugin, accelerator, optimizer, model, str(path))
    torch.save({"last_epoch": step}, path / "scheduler.pt")
    return path


# deepspeed 0.19.8 `DeepSpeedEngine.save_checkpoint` (not installable here): `save_dir/latest` holds the tag,
# `save_dir/<tag>/` the states. ZeRO-1/2: mp_rank_00_model_states.pt from rank 0 and each rank's
# {bf16_}zero_pp_rank_<r>_mp_rank_00_optim_states.pt; ZeRO-3 partitions the weights too, so every rank writes
# zero_pp_rank_<r>_mp_rank_00_model_states.pt. The Trainer adds its own files beside them.
DEEPSPEED_FILES = {
    2: ["mp_rank_00_model_states.pt", "bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt",
        "bf16_zero_pp_rank_1_mp_rank_00_optim_states.pt"],
    3: ["zero_pp_rank_0_mp_rank_00_model_states.pt", "zero_pp_rank_1_mp_rank_00_model_states.pt",
        "bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt", "bf16_zero_pp_rank_1_mp_rank_00_optim_states.pt"],
}


def _deepspeed_checkpoint(folder: Path, step: int, stage: int) -> Path:
    path = _common(folder / f"checkpoint-{step}", step, world=2)
    tag = f"global_step{step}"
    (path / tag).mkdir()
    for name in DEEPSPEED_FILES[stage]:
        torch.save({"module": {"w": torch.ones(2)}}, path / tag / name)
    (path / "latest").write_text(tag)
    (path / "zero_to_fp32.py").write_text("# DeepSpeed's recovery script\n")
    return path


def test_fsdp_sharded_checkpoint_is_complete_and_each_part_is_checked(tmp_path, capsys):
    good = _fsdp_checkpoint(tmp_path, 4, "SHARDED_STATE_DICT")
    assert sorted(p.name for p in good.iterdir() if p.is_dir()) == ["optimizer_0", "pytorch_model_fsdp_0"]
    assert not (good / "adapter_model.safetensors").exists()  # the Trainer saves no adapter under SHARDED_STATE_DICT
    assert checkpoints.last_checkpoint(tmp_path) == str(good)

    damages = [
        (lambda p: (p / "optimizer_0" / ".metadata").unlink(), "optimizer_0/.metadata is missing"),
        (lambda p: (p / "pytorch_model_fsdp_0" / ".metadata").write_bytes(b"\x80\x04trunc"),
         "pytorch_model_fsdp_0/.metadata is unreadable"),
        (lambda p: _truncate(p / "pytorch_model_fsdp_0" / "__0_0.distcp"),
         "pytorch_model_fsdp_0/__0_0.distcp is truncated"),
        (lambda p: (p / "optimizer_0" / "__0_0.distcp").unlink(), "optimizer_0/__0_0.distcp is missing"),
        (lambda p: shutil.rmtree(p / "optimizer_0"), "optimizer_0/ is missing"),
        (lambda p: (p / "scheduler.pt").unlink(), "scheduler.pt is missing"),
    ]
    for i, (damage, reason) in enumerate(damages):
        bad = _fsdp_checkpoint(tmp_path, 8 + i, "SHARDED_STATE_DICT")
        damage(bad)
        assert checkpoints.last_checkpoint(tmp_path) == str(good), reason
        assert f"skipping checkpoint {bad}: {reason}; trying the previous one" in capsys.readouterr().out
        shutil.rmtree(bad)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_fsdp_full_state_dict_checkpoint_is_complete(tmp_path, capsys):
    good = _fsdp_checkpoint(tmp_path, 4, "FULL_STATE_DICT")
    assert {"pytorch_model_fsdp.bin", "optimizer.bin"} <= {p.name for p in good.iterdir()}
    assert checkpoints.last_checkpoint(tmp_path) == str(good)
    bad = _fsdp_checkpoint(tmp_path, 8, "FULL_STATE_DICT")
    _truncate(bad / "optimizer.bin")
    assert checkpoints.last_checkpoint(tmp_path) == str(good)
    assert "optimizer.bin is truncated or unreadable" in capsys.readouterr().out


@pytest.mark.parametrize("stage", [2, 3])
def test_deepspeed_checkpoint_is_complete_and_each_part_is_checked(tmp_path, capsys, stage):
    good = _deepspeed_checkpoint(tmp_path, 4, stage)
    assert checkpoints.last_checkpoint(tmp_path) == str(good)
    shard = DEEPSPEED_FILES[stage][-1]
    damages = [
        (lambda p: (p / "latest").unlink(), "latest is missing"),
        (lambda p: (p / "latest").write_text("global_step999"),
         "latest names 'global_step999', which is not a folder here"),
        (lambda p: (p / f"global_step{p.name.split('-')[1]}" / shard).unlink(),
         "holds the optim states of ranks [0], for 2 processes"),
        (lambda p: _truncate(p / f"global_step{p.name.split('-')[1]}" / shard), f"{shard} is truncated or unreadable"),
        (lambda p: (p / "rng_state_1.pth").unlink(), "for 1 processes"),
    ]
    for i, (damage, reason) in enumerate(damages):
        bad = _deepspeed_checkpoint(tmp_path, 8 + i, stage)
        damage(bad)
        assert checkpoints.last_checkpoint(tmp_path) == str(good), reason
        out = capsys.readouterr().out
        assert f"skipping checkpoint {bad}: " in out and reason in out, out
        shutil.rmtree(bad)


@pytest.mark.parametrize("build", [lambda f: _fsdp_checkpoint(f, 4, "SHARDED_STATE_DICT"),
                                   lambda f: _deepspeed_checkpoint(f, 4, 3)], ids=["fsdp", "deepspeed"])
def test_a_staged_engine_checkpoint_is_committed(tmp_path, build):
    """Rank 0 commits what every rank staged; before issue 17 it raised here, and the other ranks hung."""
    staging = tmp_path / checkpoints.STAGING
    staged = build(staging)
    trainer = SimpleNamespace(args=SimpleNamespace(save_total_limit=None),
                              state=SimpleNamespace(best_model_checkpoint=None))
    checkpoints.commit(trainer, staging, 4)
    assert not staged.exists() and checkpoints.last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-4")
