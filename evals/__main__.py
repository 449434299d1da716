"""`python -m evals eval ARGS`: the same as `searchtune eval ARGS`."""

import sys

from evals.cli import main

if __name__ == "__main__":
    if sys.argv[1:2] != ["eval"]:
        print("usage: python -m evals eval [--help] ...", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[2:]))
