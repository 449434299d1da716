"""Data sources, bad rows, mixtures, prompts, truncation and the tokenization cache."""

from __future__ import annotations

import json

import pytest
from transformers import AutoTokenizer

from finetune.training import data
from finetune.core import prompts
from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe

QR = {"history": ["who runs project atlas?", "Priya Raman runs it."], "query": "when does it ship?",
      "rewrite": "when does project atlas ship?"}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tok(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


def recipe(tmp_path, sources, task="query_rewrite", **data_kw):
    lines = [f"data:\n  task: {task}\n  train:"]
    for src in sources:
        lines.append("    - " + json.dumps(src))
    for key, value in data_kw.items():
        lines.append(f"  {key}: {json.dumps(value)}")
    path = tmp_path / "r.yaml"
    path.write_text("\n".join(lines) + "\noutput_dir: out\n")
    return load_recipe(path)


def jsonl(tmp_path, rows, name="d.jsonl", raw=None):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_malformed_jsonl_names_file_and_line(tmp_path, tok):
    path = jsonl(tmp_path, None, raw=(json.dumps(QR) + "\n{not json\n").encode())
    with pytest.raises(UserError) as e:
        data.build_datasets(recipe(tmp_path, [{"path": str(path)}]), tok)
    assert str(e.value).startswith(f"{path}:2: malformed JSON") and "\n" not in str(e.value)


@pytest.mark.parametrize("row, reason", [
    ({"history": [], "query": "q"}, "missing field `rewrite`"),
    ({"history": [], "query": "q", "rewrite": "   "}, "empty target `rewrite`"),
    ({"history": [{"a": 1}], "query": "q", "rewrite": "r"}, "field `history` must be a list of strings"),
    ({"history": [], "query": {"nested": 1}, "rewrite": "r"}, "field `query` must be a string, got dict"),
    (["not", "an", "object"], "record is a list, not an object"),
])
def test_bad_rows_error_by_default_and_skip_on_request(tmp_path, tok, row, reason):
    path = jsonl(tmp_path, [QR, row, QR])
    with pytest.raises(UserError) as e:
        data.build_datasets(recipe(tmp_path, [{"path": str(path)}]), tok)
    assert str(e.value) == (f"{path}:2: {reason}; fix the row, map the column in data.train.0.columns, "
                            "or set data.on_bad_rows=skip")
    train, _, stats = data.build_datasets(recipe(tmp_path, [{"path": str(path)}], on_bad_rows="skip"), tok)
    assert stats.bad_rows_skipped == 1 and len(train) == 2


def test_bom_crlf_and_non_utf8(tmp_path, tok):
    path = jsonl(tmp_path, None, raw=b"\xef\xbb\xbf" + (json.dumps(QR) + "\r\n").encode() * 3)
    train, _, _ = data.build_datasets(recipe(tmp_path, [{"path": str(path)}]), tok)
    assert len(train) == 3
    bad = jsonl(tmp_path, None, name="latin.jsonl", raw=(json.dumps(QR) + "\n").encode() + b'{"query": "caf\xe9"}\n')
    with pytest.raises(UserError, match=rf"^{bad}:2: not UTF-8 \(bad byte at column 15\); re-encode the file as UTF-8$"):
        data.build_datasets(recipe(tmp_path, [{"path": str(bad)}]), tok)


def test_column_mapping_csv_parquet_json(tmp_path, tok):
    import pandas as pd

    rows = [{"ctx": "a long email about the q3 offsite budget", "subj": "offsite budget"}] * 4
    pd.DataFrame(rows).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame(rows).to_parquet(tmp_path / "d.parquet")
    (tmp_path / "d.json").write_text(json.dumps(rows))
    for name in ("d.csv", "d.parquet", "d.json"):
        r = recipe(tmp_path, [{"path": str(tmp_path / name), "columns": {"document": "ctx", "summary": "subj"}}], task="summarize")
        train, _, stats = data.build_datasets(r, tok)
        assert len(train) == 4, name
    with pytest.raises(UserError, match="missing field `text` \\(mapped from `document`\\)"):
        data.build_datasets(recipe(tmp_path, [{"path": str(tmp_path / "d.csv"), "columns": {"document": "text", "summary": "subj"}}], task="summarize"), tok)


def test_hub_source_fails_clearly_offline(tmp_path, tok):
    r = recipe(tmp_path, [{"path": "hub:nobody/nothing-here"}])
    with pytest.raises(UserError, match=r"^data source hub:nobody/nothing-here: cannot load from the Hub"):
        data.build_datasets(r, tok)


def test_mixture_weights_and_eval_fraction(tmp_path, tok):
    a = jsonl(tmp_path, [dict(QR, rewrite=f"a{i}") for i in range(30)], "a.jsonl")
    b = jsonl(tmp_path, [dict(QR, rewrite=f"b{i}") for i in range(30)], "b.jsonl")
    r = recipe(tmp_path, [{"path": str(a), "weight": 3}, {"path": str(b), "weight": 1}], eval_fraction=0.25)
    train, evals = data.load_records(r, data.DataStats())
    everything = train + evals
    assert len(everything) == 60 and len(evals) == 15
    assert sum(x["rewrite"].startswith("a") for x in everything) == 45
    again, _ = data.load_records(r, data.DataStats())
    assert [x["rewrite"] for x in again] == [x["rewrite"] for x in train]  # seeded


def test_completion_only_mask_and_eos(tok):
    enc = prompts.encode(tok, "query_rewrite", QR, 1024)
    n = sum(enc.completion_mask)
    completion = enc.input_ids[-n:]
    assert completion[-1] == tok.eos_token_id
    assert tok.decode(completion[:-1]) == QR["rewrite"]
    prompt = tok.decode(enc.input_ids[:-n])
    assert prompt == prompts.render_prompt(tok, prompts.user_message("query_rewrite", QR))
    assert prompt.endswith("<|im_start|>assistant\n") and "Priya Raman" in prompt


def test_plain_fallback_without_chat_template(tiny_plain_model_dir):
    plain = AutoTokenizer.from_pretrained(tiny_plain_model_dir)
    text = prompts.render_prompt(plain, prompts.user_message("query_rewrite", QR))
    assert text.startswith("### Instruction:\n") and text.endswith("### Response:\n")


def test_truncation_cuts_history_from_oldest_never_target(tok):
    long = dict(QR, history=[f"turn {i} " + "words " * 20 for i in range(12)])
    full = prompts.encode(tok, "query_rewrite", long, 100_000)
    enc = prompts.encode(tok, "query_rewrite", long, len(full.input_ids) - 30)
    assert enc.truncated and len(enc.input_ids) <= len(full.input_ids) - 30
    text = tok.decode(enc.input_ids)
    assert "turn 0 " not in text and "turn 11 " in text  # oldest turns went first
    assert text.endswith(QR["rewrite"] + "<|im_end|>")
    doc = {"document": "alpha " * 400 + "omega", "query": None, "summary": "a short summary"}
    enc = prompts.encode(tok, "summarize", doc, 200)
    assert enc.truncated and len(enc.input_ids) <= 200 and "omega" not in tok.decode(enc.input_ids)
    assert tok.decode(enc.input_ids).endswith("a short summary<|im_end|>")


def test_rows_that_cannot_fit_are_dropped_and_counted(tmp_path, tok):
    path = jsonl(tmp_path, [QR, dict(QR, rewrite="very long target " * 80)])
    train, _, stats = data.build_datasets(recipe(tmp_path, [{"path": str(path)}], max_length=256), tok)
    assert len(train) == 1 and stats.dropped_too_long == 1


def test_huge_field_is_cut_before_tokenizing(tmp_path, tok):
    doc = {"document": "x" * 10_000_000, "summary": "s"}
    path = jsonl(tmp_path, [doc], "big.jsonl")
    train, _, stats = data.build_datasets(recipe(tmp_path, [{"path": str(path)}], task="summarize", max_length=128), tok)
    assert len(train) == 1 and stats.truncated == 1 and len(train[0]["input_ids"]) <= 128


def test_second_build_hits_the_cache(tmp_path, tok):
    path = jsonl(tmp_path, [QR] * 5)
    r = recipe(tmp_path, [{"path": str(path)}])
    first = data.build_datasets(r, tok)
    second = data.build_datasets(r, tok)
    assert not first[2].cache_hit and second[2].cache_hit
    assert first[0]["input_ids"] == second[0]["input_ids"]
    path.write_text(path.read_text() + json.dumps(QR) + "\n")  # new content, new key
    third = data.build_datasets(r, tok)
    assert not third[2].cache_hit and len(third[0]) == 6


def test_check_columns_reads_only_the_first_rows_of_each_format(tmp_path):
    import pandas as pd

    rows = [{"ctx": "a document", "subj": "a summary"}] * (data.HEAD_ROWS + 2)
    pd.DataFrame(rows).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame(rows).to_parquet(tmp_path / "d.parquet")
    (tmp_path / "d.json").write_text(json.dumps(rows))
    # A malformed line after the first rows is the full read's to report, with its line number, not this check's.
    jsonl(tmp_path, None, raw=("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n").encode(), name="d.jsonl")
    for name in ("d.csv", "d.parquet", "d.json", "d.jsonl"):
        good = recipe(tmp_path, [{"path": str(tmp_path / name), "columns": {"document": "ctx", "summary": "subj"}}],
                      task="summarize")
        assert data.check_columns(good) == [], name
        bad = recipe(tmp_path, [{"path": str(tmp_path / name), "columns": {"document": "ctx"}}], task="summarize")
        [problem] = data.check_columns(bad)
        assert f"{tmp_path / name} has no column `summary` for task summarize in its first {data.HEAD_ROWS} rows " \
               "(columns: ctx, subj); map it with `columns: {summary: subj}`" in problem, name


# A CAsT 2021-style file (the unified trec-cast JSONL layout): each turn with the canonical responses before it.
CAST_2021 = [
    {"qid": "106_1", "raw_utterance": "What is throat cancer?", "manual_rewrite": "What is throat cancer?",
     "history_utterances": [], "history_responses": []},
    {"qid": "106_2", "raw_utterance": "Is it treatable?", "manual_rewrite": "Is throat cancer treatable?",
     "history_utterances": ["What is throat cancer?"],
     "history_responses": ["Throat cancer is cancer that develops in the throat (pharynx) or voice box (larynx)."]},
    {"qid": "107_3", "raw_utterance": "What are its early signs?",
     "manual_rewrite": "What are the early signs of throat cancer?",
     "history_utterances": ["What is throat cancer?", "Is it treatable?"],
     "history_responses": ["Throat cancer develops in the throat.", "Treatment depends on the stage:\nsurgery or radiation."]},
]
CAST_COLUMNS = {"history": "history_utterances", "query": "raw_utterance", "rewrite": "manual_rewrite",
                "responses": "history_responses"}


def _prompt_of(enc, tok) -> str:
    return tok.decode(enc.input_ids[: len(enc.input_ids) - sum(enc.completion_mask)])


def test_cast_2021_responses_reach_the_training_prompt_as_the_eval_renders_them(tmp_path, tok):
    path = jsonl(tmp_path, CAST_2021)
    r = recipe(tmp_path, [{"path": str(path), "columns": CAST_COLUMNS}], responses="include", response_words=4)
    records = data.training_records(r)
    third = next(rec for rec in records if rec["qid"] == "107_3")
    assert third["responses"] == ["Throat cancer develops in ...", "Treatment depends on the ..."]
    prompt = _prompt_of(data.encode_row(third, tok, r)[0], tok)
    assert "User: Is it treatable?\nSystem: Treatment depends on the ...\n\nLast question: What are its early signs?" \
        in prompt
    # The eval side normalises the same row to {history, query, responses} and renders it through the same setting.
    eval_doc = {"history": CAST_2021[2]["history_utterances"], "query": CAST_2021[2]["raw_utterance"],
                "responses": CAST_2021[2]["history_responses"]}
    words = prompts.response_budget(r.data)
    assert prompt == prompts.render_prompt(tok, prompts.user_message(
        "query_rewrite", prompts.with_responses(eval_doc, words)))


def test_responses_off_renders_cast_2021_rows_as_rows_without_responses(tmp_path, tok):
    path = jsonl(tmp_path, CAST_2021)
    without = jsonl(tmp_path, [{k: v for k, v in row.items() if k != "history_responses"} for row in CAST_2021], "w.jsonl")
    columns = {k: v for k, v in CAST_COLUMNS.items() if k != "responses"}
    on_file = recipe(tmp_path, [{"path": str(path), "columns": CAST_COLUMNS}])
    plain = recipe(tmp_path, [{"path": str(without), "columns": columns}])
    a, b = data.build_datasets(on_file, tok)[0], data.build_datasets(plain, tok)[0]
    assert a["input_ids"] == b["input_ids"] and all("System:" not in tok.decode(ids) for ids in a["input_ids"])


def test_include_without_any_responses_is_refused(tmp_path, tok):
    path = jsonl(tmp_path, [QR] * 3)
    r = recipe(tmp_path, [{"path": str(path)}], responses="include")
    with pytest.raises(UserError, match=r"data.responses=include but no training row has earlier responses; map a "
                                        r"source's column with `columns: \{responses: COLUMN\}`"):
        data.build_datasets(r, tok)


def test_more_responses_than_turns_is_a_bad_row(tmp_path, tok):
    path = jsonl(tmp_path, [CAST_2021[1], dict(CAST_2021[1], history_responses=["a", "b"])])
    with pytest.raises(UserError) as e:
        data.load_records(recipe(tmp_path, [{"path": str(path), "columns": CAST_COLUMNS}]), data.DataStats())
    assert str(e.value).startswith(f"{path}:2: `history_responses` has 2 responses for 1 turns of `history_utterances`")


@pytest.mark.parametrize("topics, kept", [("all", {"81_1", "82_1", "83_2", "132_1-3"}),
                                          ("odd", {"81_1", "83_2"}), ("even", {"82_1", "132_1-3"})])
def test_topic_filter_keeps_odd_or_even_topic_numbers(tmp_path, topics, kept):
    path = jsonl(tmp_path, [dict(QR, qid=q) for q in ("81_1", "82_1", "83_2", "132_1-3")])
    stats = data.DataStats()
    train, _ = data.load_records(recipe(tmp_path, [{"path": str(path), "topics": topics}]), stats)
    assert {rec["qid"] for rec in train} == kept
    if topics != "all":
        assert stats.sources[0]["other_topic_rows"] == 4 - len(kept) and stats.sources[0]["topics"] == topics


def test_topic_filter_needs_a_topic_number(tmp_path):
    path = jsonl(tmp_path, [dict(QR, qid="81_1"), dict(QR, qid="C_0227_q#0"), QR])
    with pytest.raises(UserError) as e:
        data.load_records(recipe(tmp_path, [{"path": str(path), "topics": "odd"}]), data.DataStats())
    assert str(e.value).startswith(f"{path}:2: `qid` is 'C_0227_q#0': data.train.0.topics=odd needs a topic number")
    [problem] = data.check_columns(recipe(tmp_path, [{"path": str(jsonl(tmp_path, [QR], "n.jsonl")), "topics": "even"}]))
    assert "has no column `qid` for task query_rewrite" in problem
    only_even = jsonl(tmp_path, [dict(QR, qid="82_1")], "e.jsonl")
    with pytest.raises(UserError, match=r"no usable rows \(0 bad, 0 too long, 1 of other topics than data.train.0.topics=odd\)"):
        data.load_records(recipe(tmp_path, [{"path": str(only_even), "topics": "odd"}]), data.DataStats())


def test_training_records_follow_mapping_topics_and_limits(tmp_path):
    path = jsonl(tmp_path, [dict(QR, turn=f"{t}_{i}") for t in (1, 2, 3) for i in range(4)])
    r = recipe(tmp_path, [{"path": str(path), "columns": {"qid": "turn"}, "topics": "odd", "limit": 5}])
    records = data.training_records(r)
    assert len(records) == 5 and all(prompts.topic_number(rec["qid"]) in (1, 3) for rec in records)
    assert records == data.load_records(r, data.DataStats())[0]


@pytest.mark.parametrize("packing", [True, False])
def test_encoded_rows_carry_their_qid_and_training_batches_leave_it_out(tmp_path, tok, tiny_model_dir, packing):
    from transformers import AutoModelForCausalLM

    from finetune.training import trainer

    path = jsonl(tmp_path, [dict(QR, qid="81_1"), QR, dict(QR, qid="82_3")])
    r = recipe(tmp_path, [{"path": str(path)}])
    r.train.packing = packing
    train, _, _ = data.build_datasets(r, tok)
    assert sorted(train["qid"], key=str) == ["81_1", "82_3", None]
    again, _, stats = data.build_datasets(r, tok)
    assert stats.cache_hit and again["qid"] == train["qid"]
    sft = trainer.build_trainer(r, AutoModelForCausalLM.from_pretrained(tiny_model_dir), tok, train, None, tmp_path / "run")
    batch = next(iter(sft.get_train_dataloader()))
    assert "qid" not in batch and "labels" in batch


def test_length_target_reaches_the_training_prompt_as_the_eval_renders_it(tmp_path, monkeypatch, tok):
    from evals.tasks import utils

    rows = [{"document": "Priya moved the atlas launch to Friday.", "summary": "The atlas launch moves to Friday."}]
    r = recipe(tmp_path, [{"path": str(jsonl(tmp_path, rows))}], task="summarize", length_bucket=5)
    (rec,) = data.training_records(r)
    assert rec["length_words"] == 5  # six words, rounded to the bucket of 5
    prompt = _prompt_of(data.encode_row(rec, tok, r)[0], tok)
    assert "Length: in about 5 words" in prompt
    # The eval path: the same row as an eval doc, the target chosen by eval.length_words through the task metadata.
    sum_file = jsonl(tmp_path, rows, name="eval.jsonl")
    (doc,) = utils.load_dataset("sum_sample", {"sum_sample": str(sum_file)}, searchtune_length_words=5)["test"]
    assert prompts.render_prompt(tok, utils.doc_to_text(doc)) == prompt
    # Without the setting both sides render as before length control existed.
    plain = recipe(tmp_path, [{"path": str(jsonl(tmp_path, rows))}], task="summarize")
    (rec,) = data.training_records(plain)
    assert "length_words" not in rec and "Length:" not in _prompt_of(data.encode_row(rec, tok, plain)[0], tok)
    (doc,) = utils.load_dataset("sum_sample", {"sum_sample": str(sum_file)})["test"]
    assert "Length:" not in utils.doc_to_text(doc)


def test_located_meetings_train_on_the_prompts_the_eval_builds(tmp_path, tok):
    """data.locate: one training record per query, its transcript located exactly as the qmsum eval task does."""
    from evals.tasks import utils
    from tests.fakes.meeting import MEETING

    path = jsonl(tmp_path, [MEETING], name="meetings.jsonl")
    r = recipe(tmp_path, [{"path": str(path), "instruction": "Answer the query."}], task="summarize",
               max_length=300, max_target_length=32, locate={"turns_per_passage": 2, "max_words": 1000})
    records = {rec["query"]: rec for rec in data.training_records(r)}  # shuffled
    assert sorted(records) == sorted([q["query"] for q in MEETING["specific_query_list"]] + [
        "Summarize the whole meeting."])
    xml = records[MEETING["specific_query_list"][0]["query"]]
    assert xml["document"].startswith("Bob: On the XML format") and xml["summary"].startswith("Bob said")
    docs = utils.load_dataset("qmsum", {"qmsum": str(path)}, {"qmsum": "Answer the query."},
                              locate={"strategy": "locate"}, searchtune_locate=r.data.locate.model_dump(),
                              searchtune_max_length=300, searchtune_max_target_length=32)["test"]
    assert all(d["document"] == records[d["query"]]["document"] for d in docs) and len(docs) == 3
    # The same user turn on both sides (fit_prompt then cuts both to the token budget as for any summary).
    (doc,) = [d for d in docs if d["query"] == xml["query"]]
    assert prompts.user_message("summarize", xml, xml["instruction"]) == utils.doc_to_text(doc)
    assert docs[0]["references"] == [xml["summary"]] and docs[0]["span_recall"] > 0

    bad = jsonl(tmp_path, [{"document": "d", "summary": "s"}], name="flat.jsonl")
    flat = recipe(tmp_path, [{"path": str(bad)}], task="summarize", locate={})
    with pytest.raises(UserError, match="data.locate reads meetings"):
        data.training_records(flat)
    assert data.check_columns(r) == [] and "no column `meeting_transcripts`" in data.check_columns(flat)[0]
