"""Everything under tests/e2e/ trains a model or runs the CLI in a subprocess: marked `e2e`, which `make test-fast`
(`pytest -m "not e2e"`) leaves out."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
