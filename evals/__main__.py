"""`python -m evals ARGS`: the same as `searchtune eval ARGS` (a leading word `eval` is accepted too)."""

import sys

from evals.cli import main

argv = sys.argv[1:]
sys.exit(main(argv[1:] if argv[:1] == ["eval"] else argv))
