"""`searchtune leaderboard RUN_OR_SWEEP... [--reference RUN] [--output DIR]`: N runs in one table and one page."""

from __future__ import annotations

from pathlib import Path

HELP = "rank runs and sweep trials: metrics with intervals, paired Δ against a reference, time and tokens/s"


def add_arguments(parser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN_OR_SWEEP", help="run folders and sweep folders (their trials)")
    parser.add_argument("--reference", metavar="RUN",
                        help="the run the paired Δ is taken against, by name or path (default: the first); where two "
                             "runs given share a name, the board names them SWEEP/NAME and so does --reference")
    parser.add_argument("--output", metavar="DIR", type=Path,
                        help="where leaderboard.md and leaderboard.html go (default: the first folder given)")
    parser.add_argument("--wandb-mode", choices=("auto", "online", "offline", "disabled"), default="auto",
                        help="log the table and both files as an artifact (a sweep's: in its W&B group); auto: "
                             "online with WANDB_API_KEY, else offline files under the output folder")


def run(args) -> int:
    from evals.leaderboard import write_leaderboard

    md, page = write_leaderboard(args.runs, args.output or Path(args.runs[0]), args.reference,
                                  args.wandb_mode)
    print(md.read_text(encoding="utf-8"), end="")
    print(f"[searchtune] wrote {md} and {page}")
    return 0
