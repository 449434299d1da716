"""Defect 11: a default `searchtune train` shows our progress and summary, and no library noise: no deprecation
warnings, no bitsandbytes kernels notice (on a CPU where bitsandbytes would log it), no accelerate "values not
passed" notice, no dataset-map progress bars."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AVX512_BF16 = REPO / "tests" / "fakes" / "avx512_bf16"
NOISE = (
    "Warning",  # FutureWarning, DeprecationWarning, UserWarning: e.g. `gradient_checkpointing` is deprecated
    "is deprecated",
    "Failed to load CPU gemm_4bit_forward",  # bitsandbytes
    "values were not passed",  # accelerate launch
    "examples/s",  # any datasets map or save bar
    "Building labels", "Packing train dataset", "Tokenizing", "Saving the dataset",
)


def test_a_tiny_default_run_prints_our_lines_and_no_library_noise(tiny_model_dir, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8}\n"
        "data: {task: query_rewrite, train: {path: 'sample:query_rewrite_train.jsonl'}, limit: 24, max_length: 256, "
        "max_target_length: 64, eval_fraction: 0.25}\n"
        "train: {max_steps: 2, batch_size: 4, logging_steps: 1, packing: true}\n"
        "logging: {mode: disabled}\n"
        f"output_dir: {tmp_path / 'run'}\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "OMP_NUM_THREADS")}
    env.update(SEARCHTUNE_CACHE=str(tmp_path / "cache"), PYTHONPATH=f"{AVX512_BF16}{os.pathsep}{REPO}")
    r = subprocess.run([sys.executable, "-m", "finetune.cli", "train", str(recipe)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "[searchtune] data: 24 train / " in r.stdout and "[searchtune] step 2/2 | loss" in r.stdout
    assert "[searchtune] adapter saved to" in r.stdout
    noise = [n for n in NOISE if n in r.stderr]
    assert not noise, r.stderr[-4000:]
