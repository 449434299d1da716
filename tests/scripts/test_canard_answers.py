"""scripts/canard_answers.py: CANARD as a retrieval benchmark (each turn's answer is its relevant passage), written
in the files the retrieval task and the reward read; bad input gets one line and leaves no output."""

from __future__ import annotations

import json
from pathlib import Path

# A CANARD-shaped file written for this project: a turn's answer is only in the next turn's history.
TITLE = ["Frank Zappa", "Disbandment"]
Q1, A1 = "What group disbanded?", "The Mothers of Invention"
Q2, A2 = "When did they disband?", "In late 1969 Zappa broke up the Mothers of Invention."
Q3 = "What did he do next?"
MQ1, MA1 = "When did he disband his quintet?", "Davis disbanded his second great quintet in 1968."
ROWS = [
    {"id": "z_q#0", "quac_dialog_id": "z", "question_no": 1, "history": TITLE, "question": Q1, "rewrite": Q1},
    {"id": "z_q#1", "quac_dialog_id": "z", "question_no": 2, "history": [*TITLE, Q1, A1], "question": Q2,
     "rewrite": "When did Zappa and the Mothers of Invention disband?"},
    {"id": "z_q#2", "quac_dialog_id": "z", "question_no": 3, "history": [*TITLE, Q1, A1, Q2, A2], "question": Q3,
     "rewrite": "What did Frank Zappa do after the Mothers of Invention?"},
    {"id": "m_q#0", "quac_dialog_id": "m", "question_no": 1, "history": ["Miles Davis", "1960s"], "question": MQ1,
     "rewrite": "When did Miles Davis disband his quintet?"},
    {"id": "m_q#1", "quac_dialog_id": "m", "question_no": 2, "history": ["Miles Davis", "1960s", MQ1, MA1],
     "question": "Why?", "rewrite": "Why did Miles Davis disband his quintet?"},
]


def canard(path: Path, rows=ROWS) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_each_answered_turn_judges_its_own_answer_and_the_rewrite_finds_it(tmp_path, run_script, capsys):
    from finetune.core import retrieval

    source, out = canard(tmp_path / "train.jsonl"), tmp_path / "answers"
    assert run_script("canard_answers.py", "--data", f"canard={source}", "--output", out) == 0
    assert capsys.readouterr().out.strip() == f"wrote 3 judged turns of 5 from {source} to {out}"

    # The task's own loaders read the three files, and every conversation has its judgement.
    corpus = retrieval.load_corpus(out / "corpus.jsonl")
    assert dict(zip(corpus.ids, corpus.texts)) == {"z_q#0": A1, "z_q#1": A2, "m_q#0": MA1}
    conversations = retrieval.load_conversations(out / "conversations.jsonl")
    assert [(c["qid"], c["conversation"], c["query"]) for c in conversations] == [
        ("z_q#0", "z", Q1), ("z_q#1", "z", Q2), ("m_q#0", "m", MQ1)]
    assert conversations[1]["history"] == [*TITLE, Q1]  # the earlier questions, as a CAsT 2020 topic has them
    qrels = retrieval.load_qrels(out / "qrels.txt", corpus=corpus)
    assert qrels == {"z_q#0": {"z_q#0": 2}, "z_q#1": {"z_q#1": 2}, "m_q#0": {"m_q#0": 2}}
    retrieval.check_judged(conversations, qrels, out / "conversations.jsonl")

    assert run_script("canard_answers.py", "--data", f"canard={source}", "--output", out, "--overwrite",
                      "--history", "answers") == 0
    full = retrieval.load_conversations(out / "conversations.jsonl")
    assert full[1]["history"] == [*TITLE, Q1, A1]  # not its own answer, A2
    assert [c["history"][:2] for c in full] == [TITLE, TITLE, ["Miles Davis", "1960s"]]

    # The signal the dpo recipe trains on: the raw follow-up ranks the other dialogue's answer first, the human
    # rewrite its own.
    bm25 = retrieval.searcher("bm25", corpus)
    raw, rewrite = bm25.search([Q2, ROWS[1]["rewrite"]], k=3)
    assert raw[0] == "m_q#0" and rewrite[0] == "z_q#1"


def test_bad_input_gets_one_line_and_leaves_no_output(tmp_path, run_script, capsys):
    out = tmp_path / "answers"

    def fails(*args, message: str):
        assert run_script("canard_answers.py", *args, "--output", out) == 2
        assert capsys.readouterr().err.strip() == f"searchtune: error: {message}"

    fails("--data", "cast2020=x", message="--data cast2020=...: unknown key; the only key is canard")
    fails("--data", f"canard={tmp_path / 'nowhere.jsonl'}",
          message=f"{tmp_path / 'nowhere.jsonl'}: no such file; pass --data canard=PATH or set SEARCHTUNE_DATA_ROOT")
    flat = canard(tmp_path / "flat.jsonl", [ROWS[0], {**ROWS[1], "history": [Q1, A1]}])
    fails("--data", f"canard={flat}", message=f"{flat}:2: `history` must hold the title, the section, then a question "
          "and an answer per earlier turn (4 items for question_no 2); point --data canard at a CANARD file with "
          "full history")
    no_id = canard(tmp_path / "no_id.jsonl", [{k: v for k, v in ROWS[0].items() if k != "id"}])
    fails("--data", f"canard={no_id}", message=f"{no_id}:1: no `id`; a CANARD file (canard/train.jsonl or dev.jsonl) "
          "has id, quac_dialog_id, question_no, history, question, rewrite")
    numberless = canard(tmp_path / "numberless.jsonl", [{**ROWS[0], "question_no": "1"}])
    fails("--data", f"canard={numberless}", message=f"{numberless}:1: `question_no` is '1'; it must be the turn's "
          "number in its dialogue, counted from 1")
    single = canard(tmp_path / "single.jsonl", [ROWS[0]])
    fails("--data", f"canard={single}", message=f"{single}: no turn has an answer (no dialogue has two turns); "
          "nothing to judge")
    assert not out.exists() and not list(tmp_path.glob(".answers.*"))

    # An existing folder is replaced only with --overwrite.
    out.mkdir()
    (out / "corpus.jsonl").write_text("earlier\n")
    good = canard(tmp_path / "good.jsonl")
    fails("--data", f"canard={good}", message=f"--output {out} exists; pass --overwrite to replace it")
    assert (out / "corpus.jsonl").read_text() == "earlier\n"
    assert run_script("canard_answers.py", "--data", f"canard={good}", "--output", out, "--overwrite") == 0
    assert len((out / "corpus.jsonl").read_text().splitlines()) == 3
