"""`searchtune push RUN_DIR`."""

from __future__ import annotations

from pathlib import Path

from finetune.cli import run_dir_argument
from finetune.core.errors import UserError

HELP = "push a run's adapter (or merged model) and its model card to the Hugging Face Hub"


def add_arguments(parser) -> None:
    run_dir_argument(parser)
    parser.add_argument("--repo-id", metavar="OWNER/NAME", help="target repo (default: the recipe's hub.repo_id)")
    parser.add_argument("--merged", action="store_true", help="upload the merged model (merging first if "
                        "RUN_DIR/merged is missing) instead of the adapter")
    visibility = parser.add_mutually_exclusive_group()
    visibility.add_argument("--private", dest="private", action="store_true", default=None,
                            help="create the repo private (default: the recipe's hub.private, which defaults to true)")
    visibility.add_argument("--public", dest="private", action="store_false", help="create the repo public")
    parser.add_argument("--revision", metavar="BRANCH", help="branch to commit to (created if missing)")
    parser.add_argument("--commit-message", metavar="MESSAGE")
    parser.add_argument("--dry-run", action="store_true",
                        help="write exactly what would be uploaded to a preview folder in RUN_DIR and list it; "
                        "upload nothing (with --merged, the merge itself still runs if RUN_DIR/merged is missing)")


def run(args) -> int:
    from finetune.core.run import RunFolder
    from finetune.publish.hub import push_run
    from finetune.publish.staging import list_folder

    recipe = RunFolder.finished(args.run_dir).recipe()
    repo_id = args.repo_id or (recipe.hub.repo_id if recipe else None)
    if not repo_id:
        raise UserError("--repo-id: required (the recipe has no hub.repo_id); pass --repo-id OWNER/NAME")
    private = args.private if args.private is not None else (recipe.hub.private if recipe else True)
    result = push_run(args.run_dir, repo_id, merged=args.merged, private=private, revision=args.revision,
                      commit_message=args.commit_message, dry_run=args.dry_run)
    if args.dry_run:
        files = list_folder(Path(result))
        print(f"dry run: nothing uploaded. {len(files)} files would go to {repo_id} "
              f"({'private' if private else 'public'}), written to {result}:")
        for path, size in files:
            print(f"  {size:>12,}  {path}")
    else:
        print(result)
    return 0
