"""finetune/core/provenance.py: a UTC timestamp, package versions (None when absent), the git commit and whether the
tree differs from it (None outside git), and the hardware."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from importlib import metadata

from finetune.core import provenance


def test_now_is_utc_to_the_second():
    stamp = datetime.fromisoformat(provenance.now())
    assert stamp.utcoffset() == timedelta(0) and stamp.microsecond == 0


def test_package_versions_name_installed_ones_and_none_for_the_absent():
    versions = provenance.package_versions(("torch", "no-such-package-searchtune"))
    assert versions == {"torch": metadata.version("torch"), "no-such-package-searchtune": None}
    assert set(provenance.package_versions()) == set(provenance.PACKAGES)


def test_git_commit_and_dirty_match_git(monkeypatch):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=provenance.Path(provenance.__file__).parent,
                          capture_output=True, text=True)
    if head.returncode == 0:  # a checkout (a wheel install has no git)
        assert provenance.git_commit() == head.stdout.strip()
        assert isinstance(provenance.git_dirty(), bool)
    monkeypatch.setenv("PATH", "")  # no git at all: unknown, not an error
    assert provenance.git_commit() is None and provenance.git_dirty() is None


def test_hardware_on_this_machine():
    import torch

    info = provenance.hardware()
    assert info["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert info["gpu_count"] == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    assert info["torch_threads"] == torch.get_num_threads() and info["python"].count(".") == 2
