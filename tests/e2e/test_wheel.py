"""A non-editable install works: build the wheel, install it into a fresh virtualenv outside the checkout, and from
a folder outside the checkout train one step and evaluate two examples with the installed `searchtune`.

The new environment reuses this one's libraries (torch & co.) through a .pth file, instead of installing them
again: a folder named in a .pth file is not itself scanned for .pth files, so this environment's editable finder
for searchtune stays off and `finetune`/`evals` can only come from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What the wheel is built from (pyproject's `readme` included); a copy, so the build leaves nothing in the checkout.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "finetune", "evals", "accelerate_configs")


def sh(*cmd, cwd, env=None, timeout=600) -> str:
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return r.stdout + r.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, src / name)
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", root / "dist", src,
       cwd=root)
    (wheel,) = (root / "dist").glob("searchtune-*.whl")
    venv = root / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    sh(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=root)
    # After the install, so that pip never sees this environment's (editable) searchtune.
    site = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root).strip())
    (site / "_reuse_outer_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", SEARCHTUNE_CACHE=str(root / "cache"),
               WANDB_MODE="disabled")
    return root, env


def test_the_packages_come_from_the_wheel(installed):
    root, env = installed
    out = sh("python", "-c", "import finetune, evals, finetune.accelerate_configs as c; "
             "print(finetune.__file__, evals.__file__, c.__file__)", cwd=root, env=env)
    venv = (root / "venv").resolve()
    for path in out.split():
        assert Path(path).resolve().is_relative_to(venv), out
        assert not Path(path).resolve().is_relative_to(REPO), out


def test_train_one_step_and_eval_from_outside_the_checkout(installed, tiny_model_dir):
    root, env = installed
    work = root / "work"
    work.mkdir()
    (work / "recipe.yaml").write_text(
        "# searchtune train recipe.yaml\n"
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8, dropout: 0.0}\n"
        "data: {task: query_rewrite, train: {path: 'sample:query_rewrite_train.jsonl', limit: 8}, max_length: 1024}\n"
        "train: {max_steps: 2, batch_size: 2, logging_steps: 1}\n"
        "eval: {tasks: []}\n"
        "logging: {mode: disabled}\n"
        "output_dir: run\n"
    )
    out = sh("searchtune", "train", "recipe.yaml", "train.max_steps=1", cwd=work, env=env)
    assert "were not passed to `accelerate launch`" not in out
    assert (work / "run" / "adapter" / "adapter_model.safetensors").is_file(), out[-3000:]
    assert json.loads((work / "run" / "manifest.json").read_text())["global_steps"] == 1

    sh("searchtune", "eval", "--run", "run", "--task", "searchtune_qr_sample", "--limit", "2", "--batch-size", "2",
       "--wandb-mode", "disabled", cwd=work, env=env)
    results = json.loads((work / "run" / "eval" / "results.json").read_text())
    assert results["tasks"]["searchtune_qr_sample"]["dataset"]["n"] == 2
