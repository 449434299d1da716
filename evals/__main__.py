"""`python -m evals ARGS`: the same as `searchtune eval ARGS` (a leading word `eval` is accepted too)."""

import sys

from evals.cli import main
from finetune.core import compat

compat.quiet_bitsandbytes_cpu_notice()  # before the eval imports peft, which imports bitsandbytes
argv = sys.argv[1:]
sys.exit(main(argv[1:] if argv[:1] == ["eval"] else argv))
