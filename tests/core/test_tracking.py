"""finetune.core.tracking: one mode resolution and one bounded, falling-back wandb.init for training and the eval."""

from __future__ import annotations

import json

import pytest

from finetune.core import tracking


@pytest.fixture
def no_wandb_env(monkeypatch):
    for key in ("WANDB_MODE", "WANDB_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_resolve_mode(no_wandb_env):
    assert tracking.resolve_mode("disabled") == "disabled"
    assert tracking.resolve_mode("auto") == tracking.resolve_mode(None) == "offline"
    no_wandb_env.setenv("WANDB_API_KEY", "k")
    assert tracking.resolve_mode("auto") == "online"
    no_wandb_env.setenv("WANDB_MODE", "disabled")
    assert tracking.resolve_mode("auto") == "disabled"
    assert tracking.resolve_mode("offline") == "offline"


def test_an_unreachable_server_means_offline(monkeypatch, capsys):
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(tracking, "PROBE_TIMEOUT_S", 1)
    assert tracking.reachable_mode("offline") == "offline" and capsys.readouterr().err == ""
    assert tracking.reachable_mode("online") == "offline"
    assert "W&B server http://127.0.0.1:9 is unreachable; logging offline instead" in capsys.readouterr().err


class FakeRun:
    id, summary, offline = "x", {}, True

    def __init__(self, calls):
        self.calls = calls

    def log(self, data):
        pass

    def log_artifact(self, artifact):
        pass

    def finish(self):
        self.calls.append("finished")


@pytest.fixture
def failing_online_init(monkeypatch):
    import wandb

    calls = []

    def fake_init(mode, **kwargs):
        calls.append(mode)
        assert kwargs["settings"].init_timeout == tracking.INIT_TIMEOUT_S
        if mode == "online":
            raise wandb.errors.CommError("timed out waiting for the W&B server")
        return FakeRun(calls)

    monkeypatch.setattr(wandb, "init", fake_init)
    monkeypatch.setattr(wandb, "run", None)
    monkeypatch.setenv("WANDB_MODE", "online")
    return calls


def test_init_falls_back_to_offline_with_one_warning(tmp_path, failing_online_init, capsys):
    import os

    run = tracking.init("online", project="p", name="n", directory=tmp_path / "run")
    assert isinstance(run, FakeRun) and failing_online_init == ["online", "offline"]
    assert os.environ["WANDB_MODE"] == "offline"  # transformers' WandbCallback reads it
    assert capsys.readouterr().err.strip() == (
        "[searchtune] warning: wandb.init (online) failed (timed out waiting for the W&B server); logging offline "
        "instead (upload later with `wandb sync`)")
    assert (tmp_path / "run").is_dir()


def test_the_eval_starts_its_own_run_through_core(tmp_path, failing_online_init, monkeypatch, capsys):
    from evals import tracking as eval_tracking

    monkeypatch.setattr(tracking, "_reachable", lambda url: True)
    out = tmp_path / "eval"
    out.mkdir()
    (out / "predictions.jsonl").write_text(json.dumps({"task": "t", "doc_id": 0, "prediction": "z"}) + "\n")
    results = {"model": {"base": "b", "adapter": None}, "tasks": {"t": {"metrics": {"bleu": {"value": 1.0}}}}}
    run = eval_tracking.log_eval(results, out, mode="online")
    assert failing_online_init == ["online", "offline", "finished"] and run.summary["eval/t/bleu"] == 1.0
    assert capsys.readouterr().err.count("logging offline instead") == 1
    assert eval_tracking.log_eval(results, out, mode="disabled") is None


def test_one_home_for_mode_and_init():
    from evals import tracking as eval_tracking

    for name in ("resolve_mode", "init", "_init", "INIT_TIMEOUT_S"):
        assert not hasattr(eval_tracking, name), f"evals.tracking.{name}: W&B set-up lives in finetune.core.tracking"
