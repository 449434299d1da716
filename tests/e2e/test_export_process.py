"""`searchtune export` as a process: the export folder on stdout, and bad flags as one line with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.fakes.run_folder import make_run


def searchtune(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "finetune.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=240)


def test_export_prints_the_folder_it_wrote(tmp_path, tiny_model_dir):
    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    done = searchtune("export", run, "--format", "gguf", "--quant", "f16", "--pre-tokenizer", "gpt-2")
    assert done.returncode == 0, done.stderr
    folder = run / "export" / "gguf-f16"
    assert done.stdout.strip().splitlines()[-1] == str(folder)
    settings = json.loads((folder / "searchtune-export.json").read_text())
    assert settings["quant"] == "f16" and (folder / settings["file"]).stat().st_size > 0


def test_bad_quant_is_one_line(tmp_path, tiny_model_dir):
    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    done = searchtune("export", run, "--quant", "q3")
    assert done.returncode != 0
    assert done.stderr.strip() == "searchtune: error: --quant q3: not one of q8_0, q4_k_m, f16, f32 for --format gguf"
