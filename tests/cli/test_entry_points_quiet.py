"""The entry points (searchtune, finetune.workflow) drop bitsandbytes' CPU-kernel notice before any command imports
peft; importing the library modules alone installs nothing."""

from __future__ import annotations

import logging

import pytest

from finetune.core import compat


@pytest.fixture()
def bnb_logger(monkeypatch):
    logger = logging.getLogger(compat.BNB_CPU_KERNEL_LOGGER)
    monkeypatch.setattr(logger, "filters", [])
    return logger


def test_searchtune_main_installs_the_filter(bnb_logger, tmp_path):
    from finetune.cli import main

    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert bnb_logger.filters


def test_workflow_main_installs_the_filter(bnb_logger, tmp_path):
    from finetune import workflow
    from finetune.training import signals  # noqa: F401 - importing it no longer installs anything

    assert not bnb_logger.filters
    assert workflow.main([str(tmp_path / "missing.yaml")]) == 2
    assert bnb_logger.filters
