"""`searchtune chat`: try a run in the terminal, its predictions (and the base model's beside them) as you type.

query_rewrite: one line per conversation turn; each turn is rewritten given the turns before it, as training saw
conversations, then joins the history. summarize: a document of one or more lines ended by an empty line, then an
optional focus query (an empty line: none). Commands: /reset starts over, /quit (or end of input) leaves, /help.

It reads lines from any stream, so piped input works as typed input does; the prompts (`you>`) appear only on a
terminal, so piped output holds the predictions alone. A turn that cannot be predicted (e.g. too long for the run's
prompt budget) gets its one-line error on stderr and is left out of the conversation; the session goes on.
"""

from __future__ import annotations

import sys
from typing import Callable, TextIO

from finetune.core.errors import UserError, report

HELP_TEXT = {
    "query_rewrite": "Type the conversation one turn per line; each turn is rewritten given the earlier ones. "
                     "/reset starts a new conversation, /quit leaves.",
    "summarize": "Paste a document and end it with an empty line, then type a focus query or press Enter for none. "
                 "/reset drops the document being pasted, /quit leaves.",
}


class Session:
    """One chat: reads lines from `read` (None at end of input), writes to `out`."""

    def __init__(self, engines: dict, task: str, decoding, read: Callable[[str], str | None], out: TextIO):
        self.engines, self.task, self.decoding, self.read, self.out = engines, task, decoding, read, out
        self.width = max(map(len, engines))

    def run(self) -> int:
        self.say(HELP_TEXT[self.task])
        loop = self._rewrite_loop if self.task == "query_rewrite" else self._summarize_loop
        loop()
        return 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, record: dict) -> bool:
        """Each engine's prediction of a record, labelled (`tuned`, `base`); False, after the one-line error, when the
        record cannot be predicted."""
        try:
            for label, engine in self.engines.items():
                text = engine.generate([engine.prompt(record)], self.decoding)[0].strip()
                self.say(f"{label.rjust(self.width)}: {text}")
        except UserError as e:
            report(e)
            return False
        return True

    def _command(self, line: str) -> str | None:
        """The command a line is (`reset`, `quit`), after `/help` or an unknown command is answered; None for text."""
        word = line.strip()
        if not word.startswith("/") or " " in word:  # `/usr/bin is ...` in a document is text
            return None
        if word in ("/reset", "/quit", "/exit"):
            return "quit" if word == "/exit" else word[1:]
        self.say(HELP_TEXT[self.task] if word == "/help" else f"unknown command {word}; /help lists them")
        return "help"

    def _rewrite_loop(self) -> None:
        history: list[str] = []
        while (line := self.read(f"you[{len(history) + 1}]> ")) is not None:
            command = self._command(line)
            if command == "quit":
                return
            if command == "reset":
                history = []
                self.say("(new conversation)")
            if command or not line.strip():
                continue
            if self.show({"history": list(history), "query": line.strip()}):
                history.append(line.strip())

    def _summarize_loop(self) -> None:
        lines: list[str] = []
        while True:
            line = self.read("doc> " if not lines else "...> ")
            command = None if line is None else self._command(line)
            if command == "quit":
                return
            if command == "reset":
                lines = []
                self.say("(document dropped)")
            if command:
                continue
            if line is not None and line.strip():
                lines.append(line)
                continue
            if lines:  # an empty line, or the end of input, closes the document
                focus = None if line is None else self.read("focus (Enter for none)> ")
                command = None if focus is None else self._command(focus)
                if command == "quit":
                    return
                if command != "reset":
                    focus = None if command else (focus or "").strip() or None
                    self.show({"document": "\n".join(lines), "query": focus})
                lines = []
            if line is None:
                return


def line_reader(stream: TextIO, out: TextIO) -> Callable[[str], str | None]:
    """`read(prompt)`: input() with line editing on a terminal, a plain line of `stream` otherwise; None at the end."""
    if stream.isatty():
        import readline  # noqa: F401  (input() gets line editing and history once it is imported)

        def interactive(prompt: str) -> str | None:
            try:
                return input(prompt)
            except EOFError:
                print(file=out)
                return None
        return interactive

    def piped(_prompt: str) -> str | None:
        line = stream.readline()
        return line.rstrip("\r\n") if line else None
    return piped


def chat(engines: dict, task: str, decoding, stream: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    try:
        return Session(engines, task, decoding, line_reader(stream, out), out).run()
    except KeyboardInterrupt:  # Ctrl-C at the prompt leaves as /quit does
        print(file=out)
        return 0
