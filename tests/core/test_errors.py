"""finetune/core/errors.py: the one handler turns a UserError into one prefixed line and its exit code; a traceback
only under --debug; anything else is a bug and propagates."""

from __future__ import annotations

import pytest

from finetune.core.errors import PREFIX, ExitCode, UserError, handle


def fail(message, code=ExitCode.USAGE):
    def fn():
        raise UserError(message, code)
    return fn


def test_a_user_error_is_one_line_and_its_exit_code(capsys):
    assert handle(fail("r.yaml:3: `lora.r`: must be >= 1; set lora.r=8"), debug=False) == 2
    out = capsys.readouterr()
    assert out.err == "searchtune: error: r.yaml:3: `lora.r`: must be >= 1; set lora.r=8\n" and out.out == ""
    assert PREFIX == "searchtune: error: "


def test_the_exit_code_travels_with_the_error(capsys):
    assert handle(fail("the Hub is down; retry with: searchtune push run", ExitCode.RETRY), debug=False) == 1
    assert handle(fail("push failed", ExitCode.PUSH_FAILED), debug=False) == 3
    assert UserError("x").code == ExitCode.USAGE == 2 and isinstance(UserError("x", ExitCode.DIVERGED).code, int)
    assert "Traceback" not in capsys.readouterr().err


def test_debug_raises_the_error_itself_with_its_traceback(capsys):
    with pytest.raises(UserError, match="bad recipe") as info:
        handle(fail("bad recipe"), debug=True)
    assert info.traceback[-1].name == "fn"  # raised where it happened, not re-raised by the handler
    assert capsys.readouterr().err == ""


def test_success_returns_the_entry_points_code_and_other_exceptions_propagate():
    assert handle(lambda: 0, debug=False) == 0
    assert handle(lambda: ExitCode.SIGTERM, debug=False) == 143

    def bug():
        raise KeyError("not a user error")

    with pytest.raises(KeyError):
        handle(bug, debug=False)
