"""`searchtune sweep SWEEP.yaml [--storage URL] [--trials N] [--retry-failed]`: run (or continue) a sweep's trials as
training runs."""

from __future__ import annotations

from pathlib import Path

HELP = "run or continue a sweep: trials of a base recipe as training runs, in an Optuna study"


def add_arguments(parser) -> None:
    parser.add_argument("sweep", metavar="SWEEP.yaml", help="sweep file (base recipe, space, strategy, objective)")
    parser.add_argument("--storage", metavar="URL",
                        help="Optuna storage URL shared by several workers, e.g. postgresql://USER@HOST/DB "
                             "(default: sqlite study.db in the sweep's output_dir)")
    parser.add_argument("--trials", type=int, metavar="N", help="run at most N trials in this worker, then stop")
    parser.add_argument("--retry-failed", action="store_true",
                        help="first queue again the trials of a grid or an ablation that failed (a rerun without it "
                             "keeps them failed); once per failure, however many workers are given it")


def run(args) -> int:
    from finetune.core.errors import UserError
    from finetune.sweep.schema import load_sweep
    from finetune.sweep.study import run_sweep

    if args.trials is not None and args.trials < 1:
        raise UserError(f"--trials {args.trials}: use a positive number")
    sweep = load_sweep(args.sweep)
    summary = run_sweep(sweep, Path(args.sweep), args.storage, args.trials, args.retry_failed)
    for t in summary["trials"]:
        value = "" if t["value"] is None else f" {sweep.objective.metric}={t['value']:.4g}"
        reason = f" - {t['fail_reason']}" if t["state"] == "FAIL" and t["fail_reason"] else ""
        print(f"[searchtune] {t['name']}: {t['state'].lower()}{value}{reason}")
    print(f"[searchtune] leaderboard: searchtune leaderboard {sweep.output_dir}")
    # Non-zero when a trial failed (the others still ran): scripts see that the sweep is incomplete.
    return 0 if all(t["state"] == "COMPLETE" for t in summary["trials"]) else 1
