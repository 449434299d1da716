"""`python -m finetune.cli ARGS`: the same as `searchtune ARGS`."""

import sys

from finetune.cli import main

sys.exit(main())
