"""Training under accelerate's multi-process engines (issue 17), on the engines' own arguments and hooks: what DDP, FSDP
and DeepSpeed ZeRO-3 read from the Trainer, checked on CPU in one process. DeepSpeed is not installable here, so
its plugin is a stand-in carrying only what the libraries read (`zero_stage`, the ZeRO-3 config weakref). The
2-process gloo runs (train, kill, resume, save, eval) live in tests/e2e/test_distributed.py; the checkpoint layouts
in tests/training/test_checkpoints.py."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

from finetune.core import models
from finetune.core.recipe import load_recipe
from finetune.training import data
from finetune.training import trainer as training


@pytest.fixture(scope="module")
def recipe_file(tmp_path_factory, tiny_model_dir):
    root = tmp_path_factory.mktemp("distributed")
    (root / "recipe.yaml").write_text(
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8, dropout: 0.0}\n"
        "data: {task: query_rewrite, train: {path: 'sample:query_rewrite_train.jsonl'}, limit: 16, max_length: 256}\n"
        "train: {batch_size: 4, max_steps: 1, logging_steps: 1}\n"
        "eval: {tasks: [searchtune_qr_sample], limit: 2, baseline: false}\n"
        "logging: {mode: disabled}\n"
        f"output_dir: {root / 'run'}\n"
    )
    return root / "recipe.yaml"


class Stop(Exception):
    """Raised by a patched library call once the test has seen what it came for."""


def _parts(recipe_file, tmp_path, monkeypatch, *overrides):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    recipe = load_recipe(recipe_file, list(overrides))
    model, tokenizer, _ = models.load(recipe.model)
    train_ds, _, _ = data.build_datasets(recipe, tokenizer)
    return recipe, model, tokenizer, train_ds


@pytest.fixture()
def built(recipe_file, tmp_path, monkeypatch):
    recipe, model, tokenizer, train_ds = _parts(recipe_file, tmp_path, monkeypatch)
    return training.build_trainer(recipe, model, tokenizer, train_ds, None, tmp_path / "run")


# -- DDP -----------------------------------------------------------------------------------------------------------


def test_ddp_does_not_search_for_unused_parameters(built):
    """transformers makes DDP look for unused parameters on every step for any model that is not a PreTrainedModel,
    and a PeftModel is not one; every LoRA weight gets a gradient, so the search is pure cost."""
    from peft import PeftModel
    from transformers import PreTrainedModel

    assert isinstance(built.model, PeftModel) and not isinstance(built.model, PreTrainedModel)
    assert built.accelerator.ddp_handler.find_unused_parameters is False


def test_the_process_group_is_created_with_the_long_timeout(recipe_file, tmp_path, monkeypatch):
    """finetune.workflow's PartialState creates the process group, before the Trainer could apply its `ddp_timeout`:
    the timeout must go there (rank 0 tokenizes, then evaluates, while the others wait in a collective)."""
    import accelerate

    from finetune import workflow

    seen = {}

    def partial_state(cpu=False, **kwargs):
        seen.update(kwargs)
        raise Stop

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(accelerate, "PartialState", partial_state)
    with pytest.raises(Stop):
        workflow.run(workflow.parse_args([str(recipe_file), f"output_dir={tmp_path / 'run'}"]))
    assert seen["timeout"] == training.PROCESS_GROUP_TIMEOUT >= timedelta(hours=1)
    args = training.training_args(load_recipe(recipe_file), tmp_path / "run")
    assert args.ddp_timeout == training.PROCESS_GROUP_TIMEOUT.total_seconds()  # the Trainer's own, when it makes one


# -- DeepSpeed ZeRO-3 ------------------------------------------------------------------------------------------------


class Zero3Config:
    """What transformers' `is_deepspeed_zero3_enabled()` reaches through its weakref (an `HfDeepSpeedConfig`)."""

    config = {"zero_optimization": {"stage": 3}}

    def is_zero3(self):
        return True


def zero3_plugin(register_weakref: bool):
    """accelerate's DeepSpeedPlugin as TrainingArguments builds it from `accelerate launch`'s environment."""

    class Zero3Plugin:
        zero_stage = 3

        def set_mixed_precision(self, mixed_precision):
            pass

        def set_deepspeed_weakref(self):
            if register_weakref:  # accelerate: unset_hf_deepspeed_config(); self.dschf = HfDeepSpeedConfig(...)
                from transformers.integrations.deepspeed import set_hf_deepspeed_config

                self.dschf = Zero3Config()
                set_hf_deepspeed_config(self.dschf)

    return Zero3Plugin


@pytest.fixture()
def zero3(monkeypatch):
    import accelerate.utils
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    def use(register_weakref: bool):
        monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "true")
        monkeypatch.setattr(accelerate.utils, "DeepSpeedPlugin", zero3_plugin(register_weakref))

    yield use
    unset_hf_deepspeed_config()


def test_zero3_partitions_the_weights_as_they_load(recipe_file, tmp_path, monkeypatch, zero3):
    """from_pretrained partitions under ZeRO-3 (zero3_init_flag) only if the run's arguments, which register the
    DeepSpeed config, exist when the model loads."""
    from transformers.integrations.deepspeed import is_deepspeed_zero3_enabled

    zero3(register_weakref=True)
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    seen = []

    def load(model_section):
        seen.append(is_deepspeed_zero3_enabled())
        raise Stop

    monkeypatch.setattr(models, "load", load)
    with pytest.raises(Stop):
        training.train(load_recipe(recipe_file), tmp_path / "run", report_to="none")
    assert seen == [True]


@pytest.mark.parametrize("under_zero3", [True, False])
def test_zero3_peft_checkpointing_is_reentrant_where_the_trainer_reads_it(recipe_file, tmp_path, monkeypatch, zero3,
                                                                          under_zero3):
    """TRL forces `use_reentrant=True` for PEFT under ZeRO-3 through `gradient_checkpointing_kwargs`; transformers
    5.24 enables checkpointing from `activation_checkpointing_kwargs` (the old name is an alias), whose own default
    is non-reentrant. What the Trainer receives must say reentrant under ZeRO-3, and leave that default elsewhere."""
    import transformers

    recipe, model, tokenizer, train_ds = _parts(recipe_file, tmp_path, monkeypatch, "train.gradient_checkpointing=true")
    if under_zero3:
        zero3(register_weakref=False)
    args = training.training_args(recipe, tmp_path / "run")
    received = {}

    def trainer_init(self, model=None, args=None, **kwargs):  # transformers.Trainer, reached through TRL's init
        received.update(args=args, kwargs=args.activation_checkpointing_kwargs)
        raise Stop

    monkeypatch.setattr(transformers.Trainer, "__init__", trainer_init)
    with pytest.raises(Stop):
        training.build_trainer(recipe, model, tokenizer, train_ds, None, tmp_path / "run", args=args)
    assert received["args"].activation_checkpointing is True
    assert (received["kwargs"] or {}).get("use_reentrant") is (True if under_zero3 else None)


# -- the final adapter: saved through the Trainer on every rank -----------------------------------------------------


def _lora(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k}


class FsdpPlugin:
    state_dict_type = "StateDictType.SHARDED_STATE_DICT"  # fsdp.yaml's

    def set_state_dict_type(self, name):
        self.state_dict_type = f"StateDictType.{name}"


def _gathering(trainer, monkeypatch, engine: str) -> dict:
    """Make `trainer` look as it does under `engine` to its own save_model: the rank's local parameters are a shard
    (here: the real ones), and the engine's collective gather returns the whole weights (here: the real ones + 1).
    Returns the calls made to the gather."""
    gathered = {k: v + 1 for k, v in trainer.model.state_dict().items()}
    calls = []

    def gather(*args, **kwargs):
        calls.append(engine)
        return dict(gathered)

    if engine == "fsdp":
        monkeypatch.setattr(trainer, "is_fsdp_enabled", True)
        monkeypatch.setattr(trainer.accelerator.state, "fsdp_plugin", FsdpPlugin(), raising=False)
        monkeypatch.setattr(trainer.accelerator, "get_state_dict", gather)
    else:
        class Zero3Engine:
            config = {"zero_optimization": {"stage": 3}}
            _zero3_consolidated_16bit_state_dict = staticmethod(gather)

            def save_checkpoint(self, save_dir, exclude_frozen_parameters=False):
                raise AssertionError("the final save gathers the 16-bit weights, it writes no engine checkpoint")

        monkeypatch.setattr(trainer, "is_deepspeed_enabled", True)
        monkeypatch.setattr(trainer, "deepspeed", Zero3Engine(), raising=False)
        monkeypatch.setattr(trainer, "model_wrapped", trainer.deepspeed)
    return calls


@pytest.mark.parametrize("engine", ["fsdp", "zero3"])
def test_final_adapter_holds_the_gathered_weights_not_the_local_shard(built, tmp_path, monkeypatch, engine):
    local = _lora(built.model)
    calls = _gathering(built, monkeypatch, engine)
    folder = tmp_path / "adapter"
    training.save_adapter(built, folder)
    saved = load_file(folder / "adapter_model.safetensors")
    assert calls == [engine] and saved
    for key, value in saved.items():
        name = next(k for k in local if k.replace(".default", "") == key)
        torch.testing.assert_close(value, local[name] + 1)
    assert (folder / "tokenizer.json").is_file() and (folder / "adapter_config.json").is_file()
    assert not (folder / "training_args.bin").exists() and not list(tmp_path.glob(".adapter*"))
    if engine == "fsdp":  # PEFT's FSDP guide: the Trainer writes weights only under FULL_STATE_DICT
        assert built.accelerator.state.fsdp_plugin.state_dict_type == "StateDictType.FULL_STATE_DICT"


def test_a_rank_that_does_not_write_still_joins_the_gather(built, tmp_path, monkeypatch):
    """Rank 1..N: the gather is a collective, so they call save_model too, and write nothing."""
    calls = _gathering(built, monkeypatch, "fsdp")
    monkeypatch.setattr(type(built.args), "should_save", property(lambda self: False))
    training.save_adapter(built, tmp_path / "adapter")
    assert calls == ["fsdp"] and not (tmp_path / "adapter").exists()


# -- the post-training eval -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine, evaluated", [("MULTI_CPU", True), ("FSDP", False)])
def test_eval_runs_on_rank_0_under_ddp_and_is_refused_with_the_command_under_fsdp(
        recipe_file, tmp_path, monkeypatch, capsys, engine, evaluated):
    """Rank 0 generates alone: fine when it holds the whole model (DDP), a hang when the model is sharded (every
    forward needs every rank), so then the run says how to evaluate its saved adapter instead."""
    import accelerate.state
    import evals.pipeline
    import finetune.publish.model_card
    from accelerate.utils import DistributedType

    from finetune import workflow

    calls = []
    out = tmp_path / "run"
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(training, "train", lambda *a, **k: training.Trained(model="model", tokenizer="tokenizer"))
    monkeypatch.setattr(accelerate.state, "is_initialized", lambda: True)
    monkeypatch.setattr(accelerate.state, "AcceleratorState",
                        lambda: SimpleNamespace(distributed_type=DistributedType[engine], deepspeed_plugin=None))
    monkeypatch.setattr(evals.pipeline, "evaluate", lambda model, *a, **k: calls.append(model) or {})
    monkeypatch.setattr("evals.report.summary_text", lambda results: "")
    monkeypatch.setattr(finetune.publish.model_card, "write_model_card", lambda *a, **k: None)
    assert workflow.run(workflow.parse_args([str(recipe_file), f"output_dir={out}"])) == 0
    assert calls == (["model"] if evaluated else [])
    if not evaluated:
        assert (f"[searchtune] eval: not run in this launch: under FSDP every forward pass needs all 1 processes. "
                f"Evaluate the saved adapter with:\n  searchtune eval --run {out}") in capsys.readouterr().out
