"""The shipped accelerate configs as `searchtune train` launches them: one process per visible GPU unless
--num-processes says otherwise, and DeepSpeed's mixed precision from the recipe's dtype. DeepSpeed itself is not
installable here: the DeepSpeed config is built by accelerate's own launcher and plugin code, then checked by
transformers' own `HfTrainerDeepSpeedConfig.trainer_config_process`, the step that aborts a mismatched run."""

from __future__ import annotations

import pytest
import yaml

from finetune import cli
from finetune.cli import train
from finetune.core import paths
from finetune.core.errors import UserError

RECIPE = "recipes/query_rewrite/smollm2-135m-lora.yaml"
GPU_CONFIGS = ["multi_gpu", "fsdp", "deepspeed_zero2", "deepspeed_zero3"]


@pytest.fixture()
def launched(monkeypatch):
    """accelerate launch's arguments from `searchtune train` (recipe checks and the launch stubbed), 4 GPUs visible."""
    seen = []
    monkeypatch.setattr("finetune.core.recipe.load_recipe", lambda *a, **k: None)
    monkeypatch.setattr("finetune.preflight.preflight", lambda recipe: None)
    monkeypatch.setattr(train, "accelerate_launch", lambda argv: seen.append(argv) or 0)
    monkeypatch.setattr(train, "visible_gpus", lambda: 4, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return seen


def accelerate_args(argv: list[str]):
    """What accelerate launch makes of `argv` (its own validation, config defaults filled in)."""
    from accelerate.commands import launch

    args, defaults, mixed_precision_from_config = launch._validate_launch_command(
        launch.launch_command_parser().parse_args(argv))
    return args, defaults, mixed_precision_from_config


@pytest.mark.parametrize("name", GPU_CONFIGS)
def test_gpu_configs_hard_code_no_process_count(name):
    settings = yaml.safe_load((paths.accelerate_configs() / f"{name}.yaml").read_text())
    assert "num_processes" not in settings, f"{name}.yaml fixes the process count: a machine with fewer GPUs fails"


@pytest.mark.parametrize("name", GPU_CONFIGS)
def test_gpu_configs_launch_one_process_per_visible_gpu(launched, name):
    assert cli.main(["train", RECIPE, "--accelerate-config", name]) == 0
    assert accelerate_args(launched[-1])[0].num_processes == 4
    for flag in ("--num-processes", "--num_processes"):  # ours and TRL's spelling
        assert cli.main(["train", RECIPE, "--accelerate-config", name, flag, "2"]) == 0
        assert accelerate_args(launched[-1])[0].num_processes == 2


@pytest.mark.parametrize("name, processes", [("cpu", 1), ("multi_cpu", 2), ("single_gpu", 1)])
def test_configs_with_their_own_count_keep_it(launched, name, processes):
    assert cli.main(["train", RECIPE, "--accelerate-config", name]) == 0
    assert "--num_processes" not in launched[-1]
    assert accelerate_args(launched[-1])[0].num_processes == processes


def test_more_processes_than_gpus_or_no_gpu_is_one_line(launched, monkeypatch, capsys):
    assert cli.main(["train", RECIPE, "--accelerate-config", "fsdp", "--num-processes", "8"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "searchtune: error: --num-processes 8: only 4 GPUs visible here; pass --num-processes 4 or fewer"
    monkeypatch.setattr(train, "visible_gpus", lambda: 0)
    with pytest.raises(UserError, match="no GPU is visible here .*use --accelerate-config cpu or multi_cpu"):
        train.run(cli.parse(["train", RECIPE, "--accelerate-config", "zero3"]))
    assert cli.main(["train", RECIPE, "--accelerate-config", "multi_cpu", "--num-processes", "2"]) == 0
    assert not any("multi_gpu" in a or "fsdp" in a for argv in launched for a in argv)


@pytest.mark.parametrize("config", ["deepspeed_zero2", "deepspeed_zero3"])
@pytest.mark.parametrize("dtype, bf16", [("float32", False), ("bfloat16", True)])
def test_deepspeed_precision_follows_the_recipe(config, dtype, bf16, monkeypatch, tmp_path):
    """The chain a DeepSpeed launch runs: accelerate's launcher env -> TrainingArguments' mixed precision ->
    accelerate's DeepSpeedPlugin -> transformers' check of the DeepSpeed config against the arguments."""
    from accelerate.utils import DeepSpeedPlugin
    from accelerate.utils.deepspeed import HfDeepSpeedConfig
    from accelerate.utils.launch import prepare_deepspeed_cmd_env
    from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig

    from finetune.core.recipe import load_recipe
    from finetune.training.trainer import training_args

    args, defaults, from_config = accelerate_args(
        ["--config_file", str(paths.accelerate_configs() / f"{config}.yaml"), "--num_processes", "2",
         "-m", "finetune.workflow", RECIPE])
    args.deepspeed_fields_from_accelerate_config = ",".join(
        [*defaults.deepspeed_config, *(["mixed_precision"] if from_config else [])])
    _, env = prepare_deepspeed_cmd_env(args)
    launch_env = {k: v for k, v in env.items() if k.startswith("ACCELERATE_")}
    assert launch_env["ACCELERATE_USE_DEEPSPEED"] == "true"
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", launch_env["ACCELERATE_MIXED_PRECISION"])
    arguments = training_args(load_recipe(RECIPE, [f"model.dtype={dtype}"]), tmp_path)
    assert arguments.bf16 is bf16
    for key, value in launch_env.items():
        monkeypatch.setenv(key, value)
    # What TrainingArguments does under ACCELERATE_USE_DEEPSPEED (it needs the deepspeed package to go further).
    plugin = DeepSpeedPlugin()
    plugin.set_mixed_precision(arguments.mixed_precision)
    assert plugin.zero_stage == int(config[-1])

    class TrainerCheck(HfDeepSpeedConfig):  # transformers' check, on accelerate's config class (no deepspeed import)
        fill_match, fill_only = HfTrainerDeepSpeedConfig.fill_match, HfTrainerDeepSpeedConfig.fill_only
        trainer_config_process = HfTrainerDeepSpeedConfig.trainer_config_process

    check = TrainerCheck(plugin.deepspeed_config)
    check.mismatches, check._dtype = [], None
    check.trainer_config_process(arguments)
    assert check.mismatches == []
    assert plugin.deepspeed_config["bf16"] == {"enabled": bf16}
    assert str(check._dtype) == f"torch.{dtype}"

