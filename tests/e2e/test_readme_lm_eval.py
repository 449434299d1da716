"""The README's lm-eval lines run as written: `pretrained=` the base the adapter was trained on, `peft=` the adapter."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def readme_lm_eval_lines() -> list[str]:
    readme = (REPO / "README.md").read_text()
    block = next(b for b in re.findall(r"```bash\n(.*?)```", readme, re.S) if "lm_eval " in b)
    return block.strip().splitlines()


def test_readme_lm_eval_lines_score_a_run(tmp_path, tiny_model_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    run = tmp_path / "runs" / "query_rewrite-smollm2-135m-lora"
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                           LoraConfig(r=2, target_modules="all-linear", task_type="CAUSAL_LM"))
    model.save_pretrained(run / "adapter")
    lines = readme_lm_eval_lines()
    assert lines[0] == "RUN=runs/query_rewrite-smollm2-135m-lora" and "peft=$RUN/adapter" in lines[-1]
    assert "pretrained=$BASE" in lines[-1]
    script = "\n".join([f"RUN={run}", *lines[1:-1], lines[-1] + f" --limit 2 --output_path {tmp_path / 'out'}"])
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "searchtune_qr_sample" in r.stdout and str(tiny_model_dir) in r.stdout + r.stderr
