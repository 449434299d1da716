"""User-facing errors: one line, a non-zero exit code, no traceback unless --debug."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input (recipe, data, paths, CLI). Printed as one line; exits with `code`."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
