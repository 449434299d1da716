"""The benchmark scripts that need a GPU at least parse here."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_gpu_script_parses():
    subprocess.run(["bash", "-n", str(REPO / "scripts" / "bench_gpu.sh")], check=True)
