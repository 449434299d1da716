"""The `searchtune` command registry: every command's interface, --debug anywhere, --version, the eval pass-through,
`python -m evals` with or without `eval`, and the accelerate launch line (TRL config names, --num-processes). That
--help, validate, show and schema never import torch: tests/e2e/test_cli_process.py."""

from __future__ import annotations

import importlib
import runpy
import sys
from importlib.metadata import version

import pytest

from finetune import cli
from finetune.cli import train
from finetune.core import paths
from finetune.core.errors import UserError

RECIPE = "recipes/query_rewrite/smollm2-135m-lora.yaml"
# Each command with the smallest valid arguments (parsing only: nothing runs).
ARGS = {"validate": [RECIPE], "show": [RECIPE], "schema": [], "preview": [RECIPE], "train": [RECIPE],
        "eval": ["--model", "m"], "merge": ["runs/x"], "export": ["runs/x"], "push": ["runs/x"],
        "predict": ["runs/x", "--input", "in.jsonl", "--output", "out.jsonl"], "chat": ["runs/x"],
        "serve": ["runs/x"], "sweep": ["sweep.yaml"], "leaderboard": ["runs/x", "runs/y"]}


def test_every_command_module_has_the_interface():
    assert set(cli.COMMANDS) == set(ARGS)
    for name in cli.COMMANDS:
        module = importlib.import_module(f"finetune.cli.{name}")
        assert isinstance(module.HELP, str) and module.HELP, name
        assert callable(module.add_arguments) and callable(module.run), name


@pytest.mark.parametrize("name", sorted(ARGS))
@pytest.mark.parametrize("where", ["before", "after", "absent"])
def test_every_command_accepts_debug_before_or_after_it(name, where):
    argv = {"before": ["--debug", name, *ARGS[name]], "after": [name, *ARGS[name], "--debug"],
            "absent": [name, *ARGS[name]]}[where]
    args = cli.parse(argv)
    assert args.command == name and args.debug is (where != "absent")
    assert args.run is importlib.import_module(f"finetune.cli.{name}").run


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"searchtune {version('searchtune')}"


def test_overrides_may_follow_options_and_anything_else_is_refused(capsys):
    args = cli.parse(["train", RECIPE, "--accelerate-config", "multi_cpu", "train.max_steps=1"])
    assert args.overrides == ["train.max_steps=1"] and args.accelerate_config == "multi_cpu"
    with pytest.raises(SystemExit) as e:
        cli.parse(["merge", "runs/x", "--bogus"])
    assert e.value.code == 2 and "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_eval_passes_its_arguments_through_untouched(monkeypatch):
    seen = []
    monkeypatch.setattr("evals.cli.main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["eval", "--model", "m", "--task", "t", "--help"]) == 0
    assert cli.main(["--debug", "eval", "--limit", "2"]) == 0
    assert seen == [["--model", "m", "--task", "t", "--help"], ["--limit", "2", "--debug"]]


@pytest.mark.parametrize("argv", [["eval", "--task", "t"], ["--task", "t"]])
def test_python_m_evals_with_or_without_the_word_eval(monkeypatch, argv):
    seen = []
    monkeypatch.setattr("evals.cli.main", lambda a: seen.append(a) or 0)
    monkeypatch.setattr(sys, "argv", ["python -m evals", *argv])
    with pytest.raises(SystemExit) as e:
        runpy.run_module("evals", run_name="__main__")
    assert e.value.code == 0 and seen == [["--task", "t"]]


def test_one_error_line_with_the_one_prefix(capsys):
    assert cli.main(["train", RECIPE, "--accelerate_config", "zero5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("searchtune: error: --accelerate-config: no config named `zero5`; did you mean")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name, shipped", [("zero2", "deepspeed_zero2"), ("zero3", "deepspeed_zero3"),
                                           ("fsdp2", "fsdp"), ("multi_gpu", "multi_gpu"), ("single_gpu", "single_gpu"),
                                           ("cpu", "cpu")])
def test_trl_and_our_config_names(name, shipped):
    assert train.accelerate_config(name) == paths.accelerate_configs() / f"{shipped}.yaml"


def test_every_trl_alias_names_a_shipped_config():
    assert set(train.TRL_NAMES.values()) <= set(train.config_names())


def test_unknown_config_suggests_the_nearest_name():
    with pytest.raises(UserError, match=r"no config named `multi-gpu`; did you mean `multi_gpu`\? choose one of cpu, "):
        train.accelerate_config("multi-gpu")
    with pytest.raises(UserError, match="does not exist"):
        train.accelerate_config("missing.yaml")


@pytest.fixture()
def launched(monkeypatch):
    """What `searchtune train` hands to accelerate launch (recipe validation and the launch itself stubbed)."""
    seen = []
    monkeypatch.setattr("finetune.core.recipe.load_recipe", lambda *a, **k: None)
    monkeypatch.setattr("finetune.preflight.preflight", lambda recipe: None)
    monkeypatch.setattr(train, "accelerate_launch", lambda argv: seen.append(argv) or 0)
    monkeypatch.setattr(train, "visible_gpus", lambda: 8)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return seen


def test_num_processes_in_either_spelling_reaches_accelerate(launched):
    for flag in ("--num_processes", "--num-processes"):
        assert cli.main(["train", RECIPE, "--accelerate_config", "zero2", flag, "2", "a.b=1"]) == 0
    for argv in launched:
        assert argv[:4] == ["--config_file", str(paths.accelerate_configs() / "deepspeed_zero2.yaml"),
                            "--num_processes", "2"]
        assert argv[4:] == ["-m", "finetune.workflow", RECIPE, "a.b=1"]


def test_debug_reaches_the_workflow(launched):
    assert cli.main(["--debug", "train", RECIPE]) == 0
    assert launched[0][-1] == "--debug"


def test_the_launch_passes_every_value_accelerate_would_warn_about(launched, monkeypatch, caplog):
    """Without OMP_NUM_THREADS, accelerate picks CPU threads itself and logs "The following values were not passed
    to `accelerate launch`": the launch line passes them, for every shipped config."""
    from accelerate.commands import launch

    monkeypatch.delenv("OMP_NUM_THREADS")
    for name in train.config_names():
        assert cli.main(["train", RECIPE, "--accelerate-config", name]) == 0
        caplog.clear()
        launch._validate_launch_command(launch.launch_command_parser().parse_args(launched[-1]))
        assert "were not passed" not in caplog.text, (name, caplog.text)
