"""The `searchtune` CLI in a fresh interpreter: what only a process whose sys.modules starts clean can show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from finetune import cli

REPO = Path(__file__).resolve().parents[2]
RECIPE = "recipes/query_rewrite/smollm2-135m-lora.yaml"


def test_help_validate_show_and_schema_never_import_torch():
    """One fresh interpreter runs each of them in turn; validate runs the preflight (eval task names, the sample's
    columns) too."""
    runs = [["--help"], *[[name, "--help"] for name in cli.COMMANDS], ["validate", RECIPE], ["show", RECIPE], ["schema"]]
    code = ("import sys\nfrom finetune.cli import main\n"
            f"for argv in {runs!r}:\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'transformers', 'lm_eval', 'accelerate'})\n"
            "assert not heavy, heavy\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
