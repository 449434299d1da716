"""The divergence watchdog (finetune/training/callbacks.py): it trips on a sustained spike or a NaN/Inf loss only,
and vetoes saves while the loss spikes. A real diverging run: tests/e2e/test_reliability.py."""

from __future__ import annotations

import math

import pytest
from transformers import TrainerControl, TrainerState

from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe
from finetune.training.callbacks import Watchdog


def feed(dog, losses):
    state, control = TrainerState(), TrainerControl()
    saves = []
    for step, loss in enumerate(losses, 1):
        state.global_step, control.should_save = step, True
        dog.on_log(None, state, control, logs={"loss": loss})
        saves.append(control.should_save)
        if control.should_training_stop:
            break
    return control, saves


def test_watchdog_trips_on_a_sustained_spike_only():
    dog = Watchdog(spike_factor=2.0, patience=3)
    control, saves = feed(dog, [6.0, 4.0, 9.0, 9.5, 3.5, 9.0, 8.5, 8.2, 3.0])
    assert control.should_training_stop and dog.tripped.startswith("the training loss rose to 8.2 at step 8")
    assert saves == [True, True, False, False, True, False, False, False], "no checkpoint while the loss spikes"
    quiet = Watchdog(spike_factor=2.0, patience=3)
    control, _ = feed(quiet, [6.0, 4.0, 9.0, 9.5, 3.5, 5.0, 6.9])  # two in a row, then recovery: no stop
    assert not control.should_training_stop and quiet.tripped is None
    inf = Watchdog()
    control, _ = feed(inf, [6.0, math.inf])
    assert control.should_training_stop and not control.should_save and "inf at step 2" in inf.tripped


def test_watchdog_settings_are_validated(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("data: {task: query_rewrite, train: {path: 'sample:query_rewrite_train.jsonl'}}\noutput_dir: run\n")
    recipe = load_recipe(path, ["train.watchdog.spike_factor=5", "train.watchdog.patience=2"])
    assert recipe.train.watchdog.spike_factor == 5 and recipe.train.watchdog.enabled
    with pytest.raises(UserError, match=r"`train.watchdog.spike_factor`: Input should be greater than 1"):
        load_recipe(path, ["train.watchdog.spike_factor=0.5"])
