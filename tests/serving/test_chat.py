"""searchtune chat over piped input: each turn rewritten given the earlier ones (tuned, and base beside it), /reset,
/quit and end of input; a pasted document summarized with and without a focus query (fake engines that echo the
record they were asked about; the tiny model runs in tests/e2e/test_predict.py); a turn that cannot be predicted is
one line on stderr and leaves the conversation as it was."""

from __future__ import annotations

import io
import json

from finetune.core.errors import UserError
from finetune.serving.chat import chat


class EchoEngine:
    """The prediction is the record the prompt was built from, tagged with the engine's label; a query or document
    `too long` does not fit, as a real engine's prompt budget refuses one."""

    name, model = "fake", "fake-model"

    def __init__(self, label: str):
        self.label, self.calls = label, 0

    def prompt(self, record: dict) -> str:
        if "too long" in (record.get("query"), record.get("document")):
            raise UserError("a request does not fit the run's prompt budget of 8 tokens even without its context; "
                            "shorten the query")
        return json.dumps(record)

    def generate(self, prompts, decoding):
        self.calls += len(prompts)
        return [f" {self.label} {p}\n" for p in prompts]

    def close(self):
        pass


def talk(task: str, text: str, base: bool = False) -> list[str]:
    engines = {"tuned": EchoEngine("T")} | ({"base": EchoEngine("B")} if base else {})
    out = io.StringIO()
    assert chat(engines, task, decoding=None, stream=io.StringIO(text), out=out) == 0
    return out.getvalue().splitlines()[1:]  # after the help line


def test_each_turn_is_rewritten_given_the_earlier_turns_with_the_base_beside_it():
    lines = talk("query_rewrite", "who founded corvel\n\nwhere was she born\n/reset\nwhat is sso\n", base=True)
    assert lines == [
        'tuned: T {"history": [], "query": "who founded corvel"}',
        ' base: B {"history": [], "query": "who founded corvel"}',
        'tuned: T {"history": ["who founded corvel"], "query": "where was she born"}',
        ' base: B {"history": ["who founded corvel"], "query": "where was she born"}',
        "(new conversation)",
        'tuned: T {"history": [], "query": "what is sso"}',
        ' base: B {"history": [], "query": "what is sso"}',
    ]


def test_quit_leaves_at_once_and_unknown_commands_are_answered():
    lines = talk("query_rewrite", "hello\n/bogus\n/quit\nnever rewritten\n")
    assert lines == ['tuned: T {"history": [], "query": "hello"}', "unknown command /bogus; /help lists them"]


def test_a_pasted_document_ends_at_an_empty_line_then_takes_an_optional_focus():
    text = ("The atlas team moved billing.\nLatency fell by half.\n\nlatency\n"
            "/usr/bin moved too.\n\n\n"
            "dropped document\n/reset\n"
            "Closed by the end of input.\n")
    assert talk("summarize", text) == [
        'tuned: T {"document": "The atlas team moved billing.\\nLatency fell by half.", "query": "latency"}',
        'tuned: T {"document": "/usr/bin moved too.", "query": null}',
        "(document dropped)",
        'tuned: T {"document": "Closed by the end of input.", "query": null}',
    ]


def test_end_of_input_at_once_is_a_clean_exit():
    assert talk("query_rewrite", "") == []
    assert talk("summarize", "") == []


def test_a_turn_that_does_not_fit_is_one_line_on_stderr_and_the_conversation_goes_on(capsys):
    lines = talk("query_rewrite", "who founded corvel\ntoo long\nwhere was she born\n", base=True)
    assert lines == [
        'tuned: T {"history": [], "query": "who founded corvel"}',
        ' base: B {"history": [], "query": "who founded corvel"}',
        # the failed turn did not join the history
        'tuned: T {"history": ["who founded corvel"], "query": "where was she born"}',
        ' base: B {"history": ["who founded corvel"], "query": "where was she born"}',
    ]
    assert capsys.readouterr().err == ("searchtune: error: a request does not fit the run's prompt budget of 8 tokens "
                                       "even without its context; shorten the query\n")
    assert talk("summarize", "too long\n\n\nA short memo.\n\n\n") == [
        'tuned: T {"document": "A short memo.", "query": null}']
    assert capsys.readouterr().err.count("searchtune: error: ") == 1
