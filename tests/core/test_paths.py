"""finetune/core/paths.py: shipped files found through the import system, the user's cache and data root from the
environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune.core import paths


def test_package_dirs_are_found_through_the_import_system():
    import evals
    import finetune

    assert paths.PACKAGE == Path(finetune.__file__).resolve().parent
    assert paths.package_dir("evals") == Path(evals.__file__).resolve().parent
    assert (paths.accelerate_configs() / "cpu.yaml").is_file()  # pyproject maps it to the top-level folder
    assert paths.eval_tasks() == paths.package_dir("evals.tasks") and any(paths.eval_tasks().rglob("*.yaml"))
    assert (paths.SAMPLE_DATA / "query_rewrite_train.jsonl").is_file()
    assert paths.MODEL_CARD_TEMPLATES.is_dir()


@pytest.mark.parametrize("name", ["no_such_package", "finetune.core.paths"])  # absent, and a module, not a folder
def test_package_dir_refuses_what_is_not_an_installed_package_folder(name):
    with pytest.raises(ModuleNotFoundError, match="reinstall searchtune"):
        paths.package_dir(name)


def test_data_root_from_the_environment_else_beside_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCHTUNE_DATA_ROOT", "~/datasets")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.data_root() == (tmp_path / "datasets").resolve()
    monkeypatch.setenv("SEARCHTUNE_DATA_ROOT", "")  # set but empty counts as unset
    monkeypatch.chdir(tmp_path)
    assert paths.data_root() == (tmp_path.parent / "shared" / "data").resolve()
    monkeypatch.delenv("SEARCHTUNE_DATA_ROOT")
    assert paths.data_root().is_absolute() and paths.data_root() == (tmp_path / ".." / "shared" / "data").resolve()


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("SEARCHTUNE_CACHE")
    assert paths.cache_dir() == tmp_path / "xdg" / "searchtune"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.cache_dir() == tmp_path / ".cache" / "searchtune"
