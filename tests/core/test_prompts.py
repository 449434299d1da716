"""The query-rewrite prompt with and without earlier system responses: today's layout kept byte for byte, responses
as System turns, each cut to its word budget, and the oldest turns (with their responses) cut first to fit."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from transformers import AutoTokenizer

from finetune.core import prompts

INSTRUCTION = prompts.DEFAULT_INSTRUCTIONS["query_rewrite"]
QR = {"history": ["who runs project atlas?", "Priya Raman runs it."], "query": "when does it ship?"}
# The prompt as it was before responses existed; adapters trained on it depend on every byte.
BEFORE = (INSTRUCTION + "\n\nConversation so far:\n- who runs project atlas?\n- Priya Raman runs it.\n\n"
          "Last question: when does it ship?")
# A CAsT 2021-style turn: one canonical response passage per earlier utterance.
CAST_2021 = {
    "history": ["What is throat cancer?", "Is it treatable?"],
    "responses": ["Throat cancer is cancer that develops in the throat (pharynx) or voice box (larynx).",
                  "Treatment depends on the stage:\nsurgery,   radiation\n\nor chemotherapy."],
    "query": "What are its early signs?",
}


@pytest.fixture(scope="module")
def tok(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.mark.parametrize("words", [None, 3])
def test_records_without_responses_render_as_before_whatever_the_setting(words):
    assert prompts.user_message("query_rewrite", prompts.with_responses(QR, words)) == BEFORE
    assert prompts.user_message("query_rewrite", prompts.with_responses(dict(QR, responses=[]), words)) == BEFORE
    assert prompts.user_message("query_rewrite", prompts.with_responses(dict(QR, responses=["", ""]), words)) == BEFORE
    empty = prompts.user_message("query_rewrite", prompts.with_responses({"history": [], "query": "q?"}, words), "Go.")
    assert empty == "Go.\n\nConversation so far:\n(no earlier turns)\n\nLast question: q?"


def test_responses_stay_out_when_the_setting_is_off():
    record = dict(QR, responses=["The project lead.", "Next spring."])
    off = prompts.with_responses(record, None)
    assert "responses" not in off and prompts.user_message("query_rewrite", off) == BEFORE
    assert record["responses"] == ["The project lead.", "Next spring."]  # the caller's record is left as it was


def test_responses_render_as_system_turns_after_their_user_turns():
    text = prompts.user_message("query_rewrite", prompts.with_responses(CAST_2021, 64))
    assert text == (
        INSTRUCTION + "\n\nConversation so far:\n"
        "User: What is throat cancer?\n"
        "System: Throat cancer is cancer that develops in the throat (pharynx) or voice box (larynx).\n"
        "User: Is it treatable?\n"
        "System: Treatment depends on the stage: surgery, radiation or chemotherapy.\n\n"
        "Last question: What are its early signs?"
    )


def test_responses_align_with_the_newest_turns_and_skip_unanswered_ones():
    # CANARD-like: the title and section open the history and have no response; the second question went unanswered.
    record = {"history": ["Frank Zappa", "Disbandment", "What group disbanded?", "When?"],
              "responses": ["Zappa and the Mothers of Invention", ""], "query": "Why?"}
    text = prompts.user_message("query_rewrite", prompts.with_responses(record, 64))
    assert "\nUser: Frank Zappa\nUser: Disbandment\nUser: What group disbanded?\n" \
           "System: Zappa and the Mothers of Invention\nUser: When?\n\nLast question: Why?" in text


def test_each_response_is_cut_to_its_word_budget_once():
    cut = prompts.with_responses(CAST_2021, 4)
    assert cut["responses"] == ["Throat cancer is cancer ...", "Treatment depends on the ..."]
    assert prompts.with_responses(cut, 4) == cut
    assert prompts.with_responses({"history": ["a"], "responses": ["one two"], "query": "q"}, 2)["responses"] == ["one two"]


def test_the_budget_comes_from_the_recipe_setting():
    assert prompts.response_budget(SimpleNamespace(responses="include", response_words=20)) == 20
    assert prompts.response_budget(SimpleNamespace(responses="none", response_words=20)) is None


def test_fit_prompt_drops_the_oldest_turns_with_their_responses(tok):
    record = {"history": [f"question {i} " + "words " * 8 for i in range(8)],
              "responses": [f"answer {i} " + "facts " * 30 for i in range(8)], "query": "and then?"}
    record = prompts.with_responses(record, 12)
    full = prompts.fit_prompt(tok, "query_rewrite", record, None)
    assert full.text.count("System: answer") == 8 and not full.truncated
    fitted = prompts.fit_prompt(tok, "query_rewrite", record, len(full.input_ids) - 60)
    assert fitted.truncated and len(fitted.input_ids) <= len(full.input_ids) - 60
    assert "question 0 " not in fitted.text and "answer 0 " not in fitted.text
    assert "User: question 7 " in fitted.text and "System: answer 7 facts" in fitted.text
    # What survives is a newest run of whole exchanges: each kept turn still has its own response after it.
    kept = [i for i in range(8) if f"question {i} " in fitted.text]
    assert kept == list(range(kept[0], 8)) and all(f"answer {i} " in fitted.text for i in kept)
    # The same turns as the plain prompt of the kept history: fit_prompt renders nothing of its own.
    assert fitted.text == prompts.render_prompt(
        tok, prompts.user_message("query_rewrite", dict(record, history=record["history"][kept[0]:])))


def test_length_target_is_bucketed_and_a_record_without_it_renders_as_before():
    from finetune.core import prompts

    record = {"document": "Notes.", "query": None, "summary": " ".join(["w"] * 23)}
    before = prompts.user_message("summarize", record)
    assert before == f"{prompts.DEFAULT_INSTRUCTIONS['summarize']}\n\nText:\nNotes."
    assert prompts.with_length(record, None) is record
    assert prompts.with_length(record, 5)["length_words"] == 25 and prompts.with_length(record, 10)["length_words"] == 20
    assert prompts.with_length(record, 10, words=3)["length_words"] == 10  # never below one bucket
    assert prompts.user_message("summarize", dict(record, query="budget", length_words=25)) == (
        f"{prompts.DEFAULT_INSTRUCTIONS['summarize']}\n\nFocus on: budget\n\nLength: in about 25 words\n\nText:\nNotes.")


def test_prompt_spec_serves_the_evals_length_target_and_refuses_located_runs(tok, tmp_path):
    from finetune.core.errors import UserError
    from finetune.core.recipe import load_recipe

    summ = tmp_path / "s.jsonl"
    summ.write_text('{"document": "d", "summary": "s"}\n')
    text = f"data:\n  task: summarize\n  length_bucket: 5\n  train:\n    path: {summ}\noutput_dir: out\n"
    (tmp_path / "r.yaml").write_text(text + "eval:\n  tasks: [searchtune_sum_sample]\n  length_words: 22\n")
    spec = prompts.PromptSpec.of(load_recipe(tmp_path / "r.yaml", check_files=False))
    record = {"document": "Ana met Bo on Monday.", "query": None}
    # What the eval prompts with: the record carrying the rounded target (evals/tasks/utils.py load_dataset).
    expected = prompts.render_prompt(tok, prompts.user_message("summarize", {**record, prompts.LENGTH_FIELD: 20}))
    assert spec.render(tok, record) == expected
    assert spec.render(tok, {**record, prompts.LENGTH_FIELD: 40}) != expected  # a request may choose its own
    meetings = tmp_path / "m.jsonl"
    meetings.write_text("{}\n")
    (tmp_path / "l.yaml").write_text(text.replace("length_bucket: 5", "locate: {}").replace(str(summ), str(meetings)))
    with pytest.raises(UserError, match="data.locate: a locate-then-summarize run cannot be served"):
        prompts.PromptSpec.of(load_recipe(tmp_path / "l.yaml", check_files=False))


def test_a_located_run_has_a_spec_for_map_reduce_only(tmp_path):
    """Map-reduce builds every chunk's record itself, so it gets the located run's own instruction and budget."""
    from finetune.core.errors import UserError
    from finetune.core.recipe import load_recipe

    meetings = tmp_path / "m.jsonl"
    meetings.write_text("{}\n")
    (tmp_path / "l.yaml").write_text(
        f"data:\n  task: summarize\n  locate: {{}}\n  max_length: 300\n  max_target_length: 100\n  train:\n"
        f"    - path: {meetings}\n      instruction: Answer from the excerpts.\noutput_dir: out\n")
    recipe = load_recipe(tmp_path / "l.yaml", check_files=False)
    spec = prompts.PromptSpec.of(recipe, map_reduce=True)
    assert (spec.task, spec.instruction, spec.budget, spec.length_words) == ("summarize", "Answer from the excerpts.",
                                                                            200, None)
    with pytest.raises(UserError, match="data.locate"):
        prompts.PromptSpec.of(recipe)  # serve, predict, export
