"""The run folder's lock and the output_dir rules (issue 7): one run per folder, no writes into folders that
are not run folders, no path tricks in output_dir. A dead holder's lock taken over: tests/e2e/test_core_process.py."""

from __future__ import annotations

import os

import pytest

from finetune.core import run as run_folder
from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe


@pytest.fixture()
def recipe(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("data: {task: query_rewrite, train: {path: 'sample:query_rewrite_train.jsonl'}}\noutput_dir: run\n")
    return path


def test_existing_folder_that_is_not_a_run_folder_is_refused(tmp_path):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="exists and is not a searchtune run folder"):
        with run_folder.lock(tmp_path / "project"):
            pass
    assert not (tmp_path / "project" / ".lock").exists()
    (tmp_path / "project" / "notes.txt").unlink()
    with run_folder.lock(tmp_path / "project"):  # empty: fine
        pass
    (tmp_path / "project" / "recipe.yaml").write_text("earlier run\n")
    (tmp_path / "project" / "notes.txt").write_text("mine")
    with run_folder.lock(tmp_path / "project"):  # a run folder: fine
        pass


@pytest.mark.parametrize("value, message", [
    ("runs/../../etc/x", "`output_dir`: `..` is not allowed"),
    ('"runs/\\x1b[2Jx"', "`output_dir`: use a non-empty path without control characters"),  # an ANSI escape
    ("' '", "`output_dir`: use a non-empty path without control characters"),
])
def test_output_dir_rule(recipe, value, message):
    with pytest.raises(UserError, match=message):
        load_recipe(recipe, [f"output_dir={value}"])


def test_output_dir_tilde_expands_and_display_names_are_plain(recipe):
    assert load_recipe(recipe, ["output_dir=~/runs/x"]).output_dir == os.path.expanduser("~/runs/x")
    with pytest.raises(UserError, match="`logging.run_name`: use at most 128 printable characters"):
        load_recipe(recipe, ["logging.run_name=a\tb"])
