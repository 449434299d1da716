"""scripts/cast2020_responses.py: CAsT 2020 conversations with the earlier canonical responses as text, read by the
retrieval task as a CAsT 2021-style file; bad input gets one line and leaves no output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

IDS = "history_manual_canonical_result_ids"
# A CAsT 2020-shaped topics file written for this project: responses only as passage ids, one per earlier turn.
TOPICS = [
    {"year": 2020, "qid": "1_1", "topic": "1", "turn": 1, "raw_utterance": "What is a heat pump?",
     "manual_rewrite": "What is a heat pump?", "history_utterances": [], "history_responses": None, IDS: []},
    {"year": 2020, "qid": "1_2", "topic": "1", "turn": 2, "raw_utterance": "How efficient is it?",
     "manual_rewrite": "How efficient is a heat pump?", "history_utterances": ["What is a heat pump?"],
     "history_responses": None, IDS: ["hp1"]},
    {"year": 2020, "qid": "1_3", "topic": "1", "turn": 3, "raw_utterance": "What does fitting one cost?",
     "manual_rewrite": "What does fitting a heat pump cost?",
     "history_utterances": ["What is a heat pump?", "How efficient is it?"], "history_responses": None,
     IDS: ["hp1", "MARCO_not_in_the_mini_collection"]},
    {"year": 2020, "qid": "2_1", "topic": "2", "turn": 1, "raw_utterance": "Why do cats purr?",
     "manual_rewrite": "Why do cats purr?", "history_utterances": [], "history_responses": None, IDS: []},
    {"year": 2020, "qid": "2_2", "topic": "2", "turn": 2, "raw_utterance": "Do big ones do it too?",
     "manual_rewrite": "Do big cats purr too?", "history_utterances": ["Why do cats purr?"],
     "history_responses": None, IDS: ["cat1"]},
]
PASSAGES = [("hp1", "A heat pump moves heat from the outside air into the house using a refrigerant cycle."),
            ("hp2", "A heat pump is three to four times as efficient as electric resistance heating."),
            ("cat1", "Cats purr by vibrating the muscles of the larynx."),
            ("cat2", "Lions and tigers cannot purr; cheetahs and cougars, small wild cats, can.")]
JUDGED = [{"qid": "1_2", "passage_id": "hp2", "relevance": 3}, {"qid": "2_2", "passage_id": "cat2", "relevance": 4}]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def files(tmp_path: Path, topics=TOPICS) -> dict[str, Path]:
    return {"cast2020": write_jsonl(tmp_path / "topics.jsonl", topics),
            "cast2020_corpus": write_jsonl(tmp_path / "passages.jsonl",
                                           [{"passage_id": p, "text": t} for p, t in PASSAGES])}


def data_flags(data: dict[str, Path]) -> list[str]:
    return [flag for key, path in data.items() for flag in ("--data", f"{key}={path}")]


def test_responses_are_filled_from_the_mini_collection_and_reach_the_prompt(tmp_path, run_script, capsys, monkeypatch):
    from evals.tasks import utils

    data = files(tmp_path)
    out = tmp_path / "out" / "cast2020_responses.jsonl"
    assert run_script("cast2020_responses.py", "--output", out, *data_flags(data)) == 0
    written = [json.loads(line) for line in out.read_text().splitlines()]
    text = dict(PASSAGES)
    expected = [[], [text["hp1"]], [text["hp1"], ""], [], [text["cat1"]]]
    assert written == [{**row, "history_responses": responses} for row, responses in zip(TOPICS, expected)]
    assert capsys.readouterr().out.strip() == (
        f"wrote 5 turns to {out}: 3 of 4 earlier responses found in {data['cast2020_corpus']} (1 left empty)")

    # The copy is a CAsT 2021-style file: the even topics scored with and without the earlier responses.
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    overrides = {"cast2020_even": str(out), "cast2020_corpus": str(data["cast2020_corpus"]),
                 "cast2020_qrels": str(write_jsonl(tmp_path / "judged.jsonl", JUDGED))}
    with_responses = utils.load_dataset("cast2020_even", overrides, searchtune_response_words=20)["test"]
    without = utils.load_dataset("cast2020_even", overrides)["test"]
    assert [d["qid"] for d in with_responses] == ["2_1", "2_2"]
    assert f"System: {text['cat1']}" in utils.doc_to_text(with_responses[1])
    assert "System:" not in utils.doc_to_text(without[1])


def test_bad_input_gets_one_line_and_leaves_no_output(tmp_path, run_script, capsys):
    data = files(tmp_path)
    out = tmp_path / "responses.jsonl"

    def fails(*args, message: str):
        assert run_script("cast2020_responses.py", *args) == 2
        assert capsys.readouterr().err.strip() == f"searchtune: error: {message}"

    fails(*data_flags(data), message="--output FILE.jsonl is required (write it outside the repository)")
    fails("--output", out, "--data", "cast2020_qrels=x", message="--data cast2020_qrels=...: unknown key; keys: "
          "cast2020, cast2020_corpus")
    fails("--output", data["cast2020"], *data_flags(data),
          message=f"--output {data['cast2020']}: that is an input file; write the copy elsewhere")
    bad = tmp_path / "bad"
    bad.mkdir()
    broken = files(bad)
    broken["cast2020"].write_text(json.dumps(TOPICS[0]) + "\n{not json\n")
    fails("--output", out, *data_flags(broken),
          message=f"{broken['cast2020']}:2: not valid JSON (Expecting property name enclosed in double quotes); "
                  "fix the line")
    short = files(bad, topics=[TOPICS[0], {**TOPICS[1], IDS: []}])
    fails("--output", out, *data_flags(short),
          message=f"{short['cast2020']}:2: 0 `{IDS}` for 1 `history_utterances`; each earlier turn needs its "
                  "canonical response id")
    missing = dict(data, cast2020_corpus=tmp_path / "nowhere.jsonl")
    fails("--output", out, *data_flags(missing),
          message=f"{missing['cast2020_corpus']}: no such file; pass --data cast2020_corpus=PATH or set "
                  "SEARCHTUNE_DATA_ROOT")
    assert not out.exists() and not list(tmp_path.glob(".responses.jsonl.*"))

    # An existing output is replaced only with --overwrite, and a failed run leaves it as it was.
    out.write_text("earlier\n")
    fails("--output", out, *data_flags(data), message=f"--output {out} exists; pass --overwrite to replace it")
    fails("--output", out, "--overwrite", *data_flags(short),
          message=f"{short['cast2020']}:2: 0 `{IDS}` for 1 `history_utterances`; each earlier turn needs its "
                  "canonical response id")
    assert out.read_text() == "earlier\n"
    assert run_script("cast2020_responses.py", "--output", out, "--overwrite", *data_flags(data)) == 0
    assert len(out.read_text().splitlines()) == len(TOPICS)


@pytest.mark.parametrize("row, message", [
    ({**TOPICS[1], IDS: None}, f"`{IDS}` must be a list of passage ids"),
    ({**TOPICS[1], IDS: [3]}, f"`{IDS}` must be a list of passage ids"),
])
def test_topics_without_canonical_ids_are_refused(tmp_path, run_script, capsys, row, message):
    data = files(tmp_path, topics=[row])
    assert run_script("cast2020_responses.py", "--output", tmp_path / "o.jsonl", *data_flags(data)) == 2
    assert f"{data['cast2020']}:1: {message}" in capsys.readouterr().err
