"""User-facing errors and the one handler that turns them into one line and an exit code."""

from __future__ import annotations

import enum
import sys
from typing import Callable


class ExitCode(enum.IntEnum):
    OK = 0
    RETRY = 1  # nothing wrong on the user's side: try again later (e.g. the Hub is down)
    USAGE = 2  # bad input: the message names the file, key or flag and the fix
    PUSH_FAILED = 3  # the run is complete, only its push failed
    DIVERGED = 4  # the watchdog stopped a NaN or diverging run
    SIGINT = 130
    SIGTERM = 143


class UserError(Exception):
    """A problem with the user's input (recipe, data, paths, CLI). Printed as one line; exits with `code`."""

    def __init__(self, message: str, code: int = ExitCode.USAGE):
        super().__init__(message)
        self.code = int(code)


PREFIX = "searchtune: error: "


def report(e: UserError) -> int:
    print(f"{PREFIX}{e}", file=sys.stderr)
    return e.code


def handle(fn: Callable[[], int], debug: bool) -> int:
    """Run an entry point: a UserError becomes one line on stderr and its exit code, with a traceback only under
    --debug."""
    try:
        return fn()
    except UserError as e:
        if debug:
            raise
        return report(e)
