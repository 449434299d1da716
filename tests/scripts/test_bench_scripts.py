"""The benchmark scripts that need a GPU at least parse here."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_gpu_script_parses():
    subprocess.run(["bash", "-n", str(REPO / "scripts" / "bench_gpu.sh")], check=True)


def bench_gpu(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os
    import sys

    return subprocess.run(["bash", str(REPO / "scripts" / "bench_gpu.sh"), *args], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, "PYTHON": sys.executable, **(env or {})}, timeout=120)


def test_bench_gpu_runs_without_liger_and_measures_the_shipped_1_5b_recipe():
    """liger-kernel is not installed here: the benchmark leaves its variant out instead of aborting, and the 1.5B
    LoRA configuration includes the shipped recipe exactly as it is (packing, gradient checkpointing)."""
    done = bench_gpu("--dry-run")
    assert done.returncode == 0, done.stderr
    assert "liger_kernel is not installed: the c_liger variant is left out" in done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if line.startswith("qwen"))
    assert set(lines) == {"qwen2.5-1.5b-lora", "qwen2.5-1.5b-qlora", "qwen2.5-0.5b-lora", "qwen2.5-0.5b-qlora"}
    assert "--recipe recipes/summarize/qwen2.5-1.5b-lora.yaml" in lines["qwen2.5-1.5b-lora"]
    assert "--extra shipped=" in lines["qwen2.5-1.5b-lora"] and "c_liger" not in done.stdout
    assert "of 400;" in done.stdout  # the budget


def test_bench_gpu_refuses_a_transformers_that_is_not_the_pinned_one(tmp_path):
    fake = tmp_path / "site"
    (fake / "transformers").mkdir(parents=True)
    (fake / "transformers" / "__init__.py").write_text("")
    (fake / "transformers-5.17.0.dist-info").mkdir()
    (fake / "transformers-5.17.0.dist-info" / "METADATA").write_text("Name: transformers\nVersion: 5.17.0\n")
    done = bench_gpu("--dry-run", env={"PYTHONPATH": str(fake)})
    assert done.returncode != 0
    assert "transformers 5.17.0 is not the pinned 5.24.0" in done.stderr
