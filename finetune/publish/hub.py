"""`searchtune push`: upload a run's adapter (or merged model) and its model card to the Hugging Face Hub.

One push is one commit (`HfApi.create_commit`), made after the repo (and branch) exist. Transient failures (HTTP 5xx,
408, 429, connection errors, timeouts) are retried with exponential backoff; 401/403/404 become one-line
explanations. Every failure raises `PushError` whose message is one line ending with the exact command to retry,
so a failed push at the end of training never costs the trained run. What goes into the commit (and the secret
check) is finetune.publish.staging.

The token comes from the `token` argument, else `HF_TOKEN`, else the `hf auth login` token file; the endpoint from
the `endpoint` argument, else `HF_ENDPOINT` (read when pushing). The token is never written anywhere.
"""

from __future__ import annotations

import logging
import os
import shlex
import time
from pathlib import Path
from typing import Callable, TypeVar

from finetune.core import secrets
from finetune.core.errors import UserError
from finetune.core.run import RunFolder
from finetune.publish.staging import stage_files, write_preview

logger = logging.getLogger("searchtune.hub")
T = TypeVar("T")

# Tries in all (not retries) and the first backoff delay; the delay doubles after each failure, capped at 30 s.
# Environment overrides (read at each push): SEARCHTUNE_PUSH_TRIES, SEARCHTUNE_PUSH_BACKOFF_S.
DEFAULT_TRIES = 4
DEFAULT_BACKOFF_S = 2.0
TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}
MISSING_TOKEN = "invalid or missing token: set HF_TOKEN or run `hf auth login`"


class PushError(UserError):
    """A failed push: a one-line reason plus the command that retries it (also in `.retry_command`)."""

    def __init__(self, reason: str, retry_command: str, code: int = 2):
        reason = " ".join(str(reason).split())
        super().__init__(f"push failed: {reason}; retry with: {retry_command}", code=code)
        self.reason = reason
        self.retry_command = retry_command


def retry_command(run_dir: str | Path, repo_id: str, merged: bool = False, private: bool = True,
                  revision: str | None = None, commit_message: str | None = None) -> str:
    parts = ["searchtune", "push", str(run_dir), "--repo-id", repo_id]
    parts += ["--merged"] if merged else []
    parts += ["--private"] if private else ["--public"]
    parts += ["--revision", revision] if revision else []
    parts += ["--commit-message", commit_message] if commit_message else []
    return " ".join(shlex.quote(p) for p in parts)


def _transient(exc: BaseException) -> bool:
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(exc, OfflineModeIsEnabled):
        return False
    if isinstance(exc, HfHubHTTPError):
        status = getattr(exc.response, "status_code", None)
        return status in TRANSIENT_STATUS or (isinstance(status, int) and status >= 500)
    transport: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)
    for module in ("httpx2", "httpx"):
        try:
            transport += (__import__(module).TransportError,)
        except (ImportError, AttributeError):
            pass
    return isinstance(exc, transport)


def with_retries(fn: Callable[[], T], what: str, tries: int, backoff_s: float) -> T:
    """Call fn, retrying transient failures with exponential backoff (backoff_s, 2*backoff_s, ... capped at 30 s)."""
    for attempt in range(1, max(1, tries) + 1):
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - classified below
            if attempt >= tries or not _transient(e):
                raise
            delay = min(30.0, backoff_s * 2 ** (attempt - 1))
            logger.warning("%s failed (%s), try %d of %d; retrying in %.1fs", what, _short(e), attempt, tries, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def _short(exc: BaseException) -> str:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"HTTP {status}" if status else f"{type(exc).__name__}: {first}"


def explain(exc: BaseException, repo_id: str, revision: str | None, endpoint: str, tries: int) -> tuple[str, int]:
    """A one-line reason for a failed push, and the exit code (2: fix something on your side, 1: try later)."""
    from huggingface_hub.errors import (
        BadRequestError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE is set, so nothing can be uploaded: unset it (or use --dry-run)", 2
    if isinstance(exc, HfHubHTTPError):
        status = getattr(exc.response, "status_code", None)
        server = " ".join(str(exc.server_message or "").split())
        if status == 401:
            return MISSING_TOKEN, 2
        if status == 403:
            return (f"token lacks write access to {repo_id}: use a token with write permission for "
                    f"{repo_id.split('/')[0]} (https://huggingface.co/settings/tokens)"), 2
        if isinstance(exc, RevisionNotFoundError):
            return f"branch {revision} not found in {repo_id} and could not be created", 2
        if isinstance(exc, RepositoryNotFoundError) or status == 404:
            return (f"repo {repo_id} not found and could not be created: check the owner is your user or an "
                    "organization your token can write to"), 2
        if isinstance(exc, BadRequestError) or status == 400:
            return f"the Hub rejected the upload ({server or 'bad request'})", 2
        if _transient(exc):
            return f"the Hub kept failing (HTTP {status}) after {tries} tries; try again later", 1
        return f"HTTP {status} from the Hub ({server or _short(exc)})", 1
    if isinstance(exc, ValueError) and "Invalid metadata in README.md" in str(exc):
        return f"the Hub rejected the model card metadata ({' '.join(str(exc).split())})", 1
    if _transient(exc):
        return (f"cannot reach {endpoint} ({_short(exc)}) after {tries} tries: check the network, "
                "or HF_ENDPOINT if you set it"), 1
    return f"{type(exc).__name__}: {_short(exc)}", 1


def push_run(run_dir: str | Path, repo_id: str, merged: bool = False, private: bool = True,
             revision: str | None = None, commit_message: str | None = None, dry_run: bool = False, *,
             token: str | None = None, endpoint: str | None = None, tries: int | None = None,
             backoff_s: float | None = None) -> str:
    """Push a run's adapter (or, with merged=True, its merged model) plus a model card, in one commit.

    Returns the commit URL, or with dry_run=True the preview folder (RUN_DIR/push-preview) holding exactly the files
    that would be uploaded. Raises PushError (a UserError) with a one-line reason and the retry command.
    """
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    retry = retry_command(run_dir, repo_id, merged, private, revision, commit_message)
    try:
        validate_repo_id(repo_id)
        if repo_id.count("/") != 1:
            raise HFValidationError("missing owner")
    except HFValidationError:
        raise UserError(f"--repo-id {repo_id!r}: expected OWNER/NAME (your user or organization, then the repo name)") from None
    tries = int(os.environ.get("SEARCHTUNE_PUSH_TRIES", DEFAULT_TRIES)) if tries is None else tries
    backoff_s = float(os.environ.get("SEARCHTUNE_PUSH_BACKOFF_S", DEFAULT_BACKOFF_S)) if backoff_s is None else backoff_s
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")

    from huggingface_hub import CommitOperationAdd, HfApi, constants, get_token

    try:
        run = RunFolder.finished(run_dir)
        if not dry_run:  # fail fast, before a possibly long merge
            token = token or get_token()
            if not token:
                raise UserError(MISSING_TOKEN)
            if constants.is_offline_mode():
                raise UserError("HF_HUB_OFFLINE is set, so nothing can be uploaded: unset it (or use --dry-run)")
        staged = stage_files(run, repo_id, merged, token)
    except UserError as e:
        raise PushError(str(e), retry, e.code) from None
    except Exception as e:  # noqa: BLE001 - e.g. a merge that ran out of memory: still one line + retry command
        raise PushError(f"preparing the upload failed ({type(e).__name__}: {_short(e)})", retry, 1) from e

    if dry_run:
        try:
            preview = write_preview(run, staged)
        except OSError as e:
            raise PushError(f"cannot write the preview folder ({e})", retry, 1) from None
        logger.info("dry run: %d files for %s written to %s; nothing uploaded", len(staged), repo_id, preview)
        return str(preview)
    api = HfApi(endpoint=endpoint, token=token, library_name="searchtune")
    message = commit_message or f"Upload {'merged model' if merged else 'LoRA adapter'} from searchtune run {run.name}"

    def operations() -> list:  # fresh objects per try: create_commit mutates them
        return [CommitOperationAdd(path_in_repo=p, path_or_fileobj=s if isinstance(s, bytes) else str(s))
                for p, s in staged.items()]

    try:
        with_retries(lambda: api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model"),
                     "create repo", tries, backoff_s)
        if revision and revision != "main":
            with_retries(lambda: api.create_branch(repo_id, branch=revision, exist_ok=True), "create branch",
                         tries, backoff_s)
        info = with_retries(lambda: api.create_commit(repo_id, operations=operations(), commit_message=message,
                                                      revision=revision, repo_type="model"),
                            "commit", tries, backoff_s)
    except Exception as e:  # noqa: BLE001 - every failure becomes one line with the retry command
        reason, code = explain(e, repo_id, revision, endpoint, tries)
        raise PushError(secrets.redact(reason, extra=[token]), retry, code) from None
    logger.info("pushed %d files to %s: %s", len(staged), repo_id, info.commit_url)
    return info.commit_url
