"""The retrieval-grounded rewrite tasks (evals.benchmark): the example set through `searchtune eval` (run files equal
to trec_eval's reading of them, gap closed, report plots), CAsT 2021/2022-style responses, presets, refusals before
scoring, several rewrites fused by reciprocal rank, and a generated expansion searched after the rewrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import benchmark, registry
from evals.tasks import utils
from evals.tasks_manager import load_tasks
from finetune.core import retrieval
from finetune.core.errors import UserError
from finetune.core.prompts import user_message, with_responses

EXAMPLE = registry.EXAMPLE
SYSTEMS = ("tuned", "raw", "reference")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_example_set_eval_writes_run_files_gap_closed_and_plots(tmp_path, monkeypatch, tiny_model_dir):
    import pytrec_eval

    from evals.cli import main

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "eval"
    assert main(["--model", str(tiny_model_dir), "--task", "searchtune_qr_retrieval", "--output", str(out),
                 "--wandb-mode", "disabled", "--batch-size", "8"]) == 0
    entry = json.loads((out / "results.json").read_text())["tasks"]["searchtune_qr_retrieval"]
    metrics = entry["metrics"]
    assert entry["dataset"]["qrels"]["path"] == str((EXAMPLE / "qrels.txt").resolve())
    qrels = retrieval.load_qrels(EXAMPLE / "qrels.txt")
    for name in retrieval.RETRIEVERS:
        for system in SYSTEMS:
            assert (out / "runs" / f"searchtune_qr_retrieval.{system}.{name}.trec").is_file()
        # trec_eval reading our run file of the raw utterances gives the floor the eval reports.
        run: dict[str, dict[str, float]] = {}
        for line in (out / "runs" / f"searchtune_qr_retrieval.raw.{name}.trec").read_text().splitlines():
            qid, _, pid, rank, score, _ = line.split()
            run.setdefault(qid, {})[pid] = float(score)
        assert len(run) >= 30 and all(len(docs) <= 100 for docs in run.values())
        evaluated = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.3", "recall.10"}, relevance_level=2).evaluate(run)
        for measure, key in (("ndcg@3", "ndcg_cut_3"), ("recall@10", "recall_10")):
            # Over all 33 judged turns, a turn BM25 finds nothing for counting 0, as `trec_eval -c` averages.
            expected = sum(v[key] for v in evaluated.values()) / 33
            assert metrics[f"{name}_{measure}_raw"]["value"] == pytest.approx(expected, abs=1e-9)
    # Gap closed from the per-turn scores: (system - floor) / (ceiling - floor) of the means, with its interval.
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    means = [sum(r["scores"][f"bm25_ndcg@3{s}"] for r in rows) / len(rows) for s in ("", "_raw", "_manual")]
    gap = metrics["bm25_ndcg@3_gap_closed"]
    assert gap["value"] == pytest.approx((means[0] - means[1]) / (means[2] - means[1]))
    assert gap["ci_low"] <= gap["value"] <= gap["ci_high"] and gap["n"] == 33
    assert entry["seconds"]["tuned"] > 0
    page = (out / "report.html").read_text()
    assert "Share of the raw-to-reference gap closed (ndcg@3)" in page and "Per-turn gain of tuned" in page
    assert "gap closed by tuned" in (out / "report.md").read_text()


CAST_ROWS = [
    {"qid": "1_1", "raw_utterance": "What is a heat pump?", "history_utterances": [], "history_responses": [],
     "manual_rewrite": "What is a heat pump?"},
    {"qid": "1_2", "raw_utterance": "How efficient is it?", "history_utterances": ["What is a heat pump?"],
     "history_responses": ["A heat pump moves heat from the outside air into the house using a refrigerant cycle."],
     "manual_rewrite": "How efficient is a heat pump?"},
    {"qid": "2_1", "raw_utterance": "Why do cats purr?", "history_utterances": [], "history_responses": [],
     "manual_rewrite": "Why do cats purr?"},
    {"qid": "2_2", "raw_utterance": "Do big ones do it too?", "history_utterances": ["Why do cats purr?"],
     "history_responses": ["Cats purr when content and also to soothe themselves when hurt."],
     "manual_rewrite": "Do big cats purr too?"},
]
PASSAGES = [("hp1", "A heat pump moves heat using a refrigerant cycle."),
            ("hp2", "A heat pump is three to four times as efficient as electric resistance heating."),
            ("cat1", "Cats purr by vibrating the muscles of the larynx."),
            ("cat2", "Lions and tigers cannot purr; cheetahs and cougars, small wild cats, can."),
            ("x", "Bread rises because yeast produces gas.")]
JUDGED = [{"qid": "1_1", "passage_id": "hp1", "relevance": 3}, {"qid": "1_2", "passage_id": "hp2", "relevance": 3},
          {"qid": "2_1", "passage_id": "cat1", "relevance": 2}, {"qid": "2_2", "passage_id": "cat2", "relevance": 4}]


def cast_files(tmp_path: Path, rows=CAST_ROWS, judged=JUDGED, passages=PASSAGES) -> dict[str, str]:
    """A CAsT 2021/2022-style file (earlier system responses with the history) and its judged collection."""
    return {"cast2020": str(write_jsonl(tmp_path / "cast2021.jsonl", rows)),
            "cast2020_corpus": str(write_jsonl(tmp_path / "passages.jsonl",
                                               [{"passage_id": p, "text": t} for p, t in passages])),
            "cast2020_qrels": str(write_jsonl(tmp_path / "judged.jsonl", judged))}


def test_cast2021_style_responses_reach_the_prompt_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    data = cast_files(tmp_path)
    plain = utils.load_dataset("cast2020", data)["test"]
    assert "heat pump moves" not in utils.doc_to_text(plain[1])
    docs = utils.load_dataset("cast2020", data, searchtune_response_words=5)["test"]
    record = {"history": CAST_ROWS[1]["history_utterances"], "query": CAST_ROWS[1]["raw_utterance"],
              "responses": CAST_ROWS[1]["history_responses"]}
    assert utils.doc_to_text(docs[1]) == user_message("query_rewrite", with_responses(record, 5))
    assert "A heat pump moves heat" in utils.doc_to_text(docs[1])
    scores = utils.process_query_rewrite(docs[1], ["How efficient is a heat pump?"])
    assert scores["bm25_ndcg@3"] == scores["bm25_ndcg@3_manual"] == 1.0
    # The even preset keeps topic 2 and still accepts the judgements of topic 1 (they name known turns).
    even = utils.load_dataset("cast2020_even", dict(data, cast2020_even=data["cast2020"]))["test"]
    assert [d["qid"] for d in even] == ["2_1", "2_2"]


def test_bad_collections_are_refused_before_anything_is_scored(tmp_path):
    cases = [
        (dict(judged=JUDGED + [{"qid": "9_1", "passage_id": "x", "relevance": 1}]),
         r"judged.jsonl:5: judges query `9_1`, which no conversation turn has"),
        (dict(judged=JUDGED + [{"qid": "1_1", "passage_id": "nope", "relevance": 1}]),
         r"judged.jsonl:5: judges passage `nope`, which is not in the corpus"),
        (dict(judged=JUDGED[:2]), r"cast2021.jsonl:3: conversation `2` has no judged turn"),
        (dict(rows=CAST_ROWS + CAST_ROWS[:1]), r"cast2021.jsonl:5: duplicate query id `1_1`"),
        (dict(passages=PASSAGES + PASSAGES[:1]), r"passages.jsonl:6: duplicate passage id `hp1`"),
    ]
    for i, (files, message) in enumerate(cases):
        folder = tmp_path / str(i)
        folder.mkdir()
        with pytest.raises(UserError, match=message):
            load_tasks(["searchtune_qr_cast2020"], cast_files(folder, **files))
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(UserError, match=r"empty.jsonl: the corpus is empty"):
        load_tasks(["searchtune_qr_cast2020"], dict(cast_files(tmp_path), cast2020_corpus=str(tmp_path / "empty.jsonl")))


def test_user_files_with_column_mappings_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    rows = [{"turn_id": r["qid"], "question": r["raw_utterance"], "context": r["history_utterances"]} for r in CAST_ROWS]
    data = {"retrieval": str(write_jsonl(tmp_path / "conv.jsonl", rows)),
            "retrieval_columns": "qid:turn_id,query:question,history:context",
            "retrieval_corpus": str(write_jsonl(tmp_path / "c.jsonl", [{"doc": p, "body": t} for p, t in PASSAGES])),
            "retrieval_corpus_columns": "id:doc,text:body",
            "retrieval_qrels": str(tmp_path / "q.txt")}
    (tmp_path / "q.txt").write_text("".join(f"{j['qid']} 0 {j['passage_id']} {j['relevance']}\n" for j in JUDGED))
    docs = utils.load_dataset("retrieval", data, retrieval={"retrievers": ["bm25"], "rel": 3})["test"]
    assert docs[3]["references"] == [] and docs[3]["history"] == ["Why do cats purr?"]
    scores = utils.process_query_rewrite(docs[2], ["Why do cats purr?"])
    assert scores["bleu"] is None and "bm25_ndcg@3_manual" not in scores and "dense_ndcg@3" not in scores
    assert scores["bm25_ndcg@3"] == 1.0 and scores["bm25_mrr@10"] is None  # cat1 is grade 2, below rel=3
    with pytest.raises(UserError, match=r"dataset_kwargs.retrieval.k1: unknown setting"):
        utils.load_dataset("retrieval", data, retrieval={"k1": 1.2})
    with pytest.raises(UserError, match=r"--data retrieval_columns=qid:: use FIELD:COLUMN pairs"):
        utils.load_dataset("retrieval", dict(data, retrieval_columns="qid:"))


def test_several_rewrites_are_fused_by_reciprocal_rank(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    doc = utils.load_dataset("cast2020", cast_files(tmp_path))["test"][3]
    rewrites = ["Do lions purr?", "Can cheetahs purr?"]
    scores = utils.process_query_rewrite(doc, [rewrites])
    key = doc["retrieval"]
    one = [[pid for pid, _ in benchmark.ranking(key, "bm25", [r])] for r in rewrites]
    fused = [pid for pid, _ in retrieval.fuse([[r] for r in one], k=60, depth=100)[0]]
    assert benchmark.ranking(key, "bm25", rewrites) == retrieval.fuse([[r] for r in one], k=60, depth=100)[0]
    expected = retrieval.evaluate({"q": fused}, {"q": {"cat2": 4}})["q"]["ndcg@3"]
    assert scores["bm25_ndcg@3"] == pytest.approx(expected)
    # The multi-rewrite task asks lm-eval for 4 samples per turn, each with its own generation cache key.
    task = load_tasks(["searchtune_qr_retrieval_multi"])["tasks"]["searchtune_qr_retrieval_multi"]
    assert task.config.repeats == 4 and task.config.generation_kwargs["do_sample"] is True


def test_sampled_repeats_get_their_own_cache_keys():
    from types import SimpleNamespace

    from evals.lm import request_key, request_keys

    sampled, greedy = {"do_sample": True, "temperature": 0.7}, {"do_sample": False}
    req, other = SimpleNamespace(args=("p", sampled)), SimpleNamespace(args=("p", greedy))
    keys = request_keys([req, req, req, other, other])
    assert len(set(keys[:3])) == 3 and keys[0] == request_key("p", sampled)
    assert keys[3] == keys[4] == request_key("p", greedy)


# ------------------------------------------------------------------------------------------- generated expansion

# The tiny model's chat template (tests/conftest.py CHATML) around one user turn, with the generation prompt.
CHATML_TURN = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"
EXPANSIONS = {"Why do cats purr?": "Cats purr by vibrating the muscles of the larynx.",
              "Do big ones do it too?": "Lions and tigers cannot purr; cheetahs and cougars, small wild cats, can."}


def test_expand_task_searches_rewrite_and_expansion_and_scores_the_rewrite_alone(tmp_path, monkeypatch, tiny_model_dir):
    """Through `searchtune eval`, beside the plain task: the model copies the question as its rewrite and answers the
    expansion prompt with a fixed passage, so what each task searched and scored is known exactly."""
    import time

    from evals.cli import main
    from evals.lm import SearchtuneLM

    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    expansion_calls = []

    def generate(self, batch):
        out = []
        for _, ids, gen_kwargs in batch:
            prompt = self.tokenizer.decode(ids)
            if benchmark.EXPANSION_INSTRUCTION in prompt:
                expansion_calls.append((prompt, gen_kwargs))
                out.append(EXPANSIONS[prompt.split("Question: ")[1].split("<|im_end|>")[0]])
            else:
                out.append(prompt.split("Last question: ")[1].split("<|im_end|>")[0])
        if any(benchmark.EXPANSION_INSTRUCTION in self.tokenizer.decode(ids) for _, ids, _ in batch):
            time.sleep(1.0)  # a slow expansion: the expand task's time must carry it
        return out

    monkeypatch.setattr(SearchtuneLM, "_generate", generate)
    data = cast_files(tmp_path)
    data["cast2020_even"] = data.pop("cast2020")
    out = tmp_path / "eval"
    plain, expand = "searchtune_qr_cast2020_even", "searchtune_qr_cast2020_even_expand"
    # The plain task first: it pays for building the indexes, so the expand task's time is mostly its expansions.
    assert main(["--model", str(tiny_model_dir), "--task", f"{plain},{expand}", "--output", str(out),
                 "--wandb-mode", "disabled", "--batch-size", "8", *(f"--data={k}={v}" for k, v in data.items())]) == 0

    # One expansion per rewrite, the fixed instruction and the rewrite in one chat turn, greedy, the YAML's budget.
    assert len(expansion_calls) == 2
    for prompt, gen_kwargs in expansion_calls:
        rewrite = prompt.split("Question: ")[1].split("<|im_end|>")[0]
        assert prompt == CHATML_TURN.format(benchmark.expansion_message(rewrite))
        assert gen_kwargs["max_gen_toks"] == 64 and gen_kwargs["do_sample"] is False and "\n\n" in gen_kwargs["until"]

    lines = (out / "predictions.jsonl").read_text().splitlines()
    rows = {(r["task"], r["input"]["qid"]): r for r in map(json.loads, lines)}
    docs = {d["qid"]: d for d in utils.load_dataset("cast2020_even", data)["test"]}
    for qid, doc in docs.items():
        rewrite = doc["query"]
        expanded, alone = rows[(expand, qid)], rows[(plain, qid)]
        assert expanded["prediction"] == f"{rewrite}{benchmark.EXPANSION_MARK}{EXPANSIONS[rewrite]}"
        assert alone["prediction"] == rewrite  # the plain task: no expansion, no mark
        # Text metrics see the rewrite alone: the same as the plain task's for the same rewrite.
        for metric in ("exact_match", "bleu", "rouge1_recall", "unnecessary_change_rate"):
            assert expanded["scores"][metric] == alone["scores"][metric]
        # Retrieval searched the rewrite followed by the expansion; the plain task, the rewrite.
        for text, row in ((f"{rewrite} {EXPANSIONS[rewrite]}", expanded), (rewrite, alone)):
            ranked = [pid for pid, _ in benchmark.ranking(doc["retrieval"], "bm25", [text])]
            expected = retrieval.evaluate({"q": ranked}, {"q": benchmark.collection(doc["retrieval"]).qrels[qid]})
            assert row["scores"]["bm25_ndcg@3"] == pytest.approx(expected["q"]["ndcg@3"])
    assert rows[(expand, "2_2")]["scores"]["bm25_ndcg@3"] > rows[(plain, "2_2")]["scores"]["bm25_ndcg@3"]
    # The run file of the expand task ranks what it searched.
    first = (out / "runs" / f"{expand}.tuned.bm25.trec").read_text().splitlines()
    best = {line.split()[0]: line.split()[2] for line in first if line.split()[3] == "1"}
    assert best["2_2"] == "cat2"

    results = json.loads((out / "results.json").read_text())["tasks"]
    assert results[expand]["seconds"]["tuned"] >= 1.0
    assert results[expand]["metrics"]["bleu"]["value"] == results[plain]["metrics"]["bleu"]["value"]
    report = (out / "report.md").read_text()
    assert report.count("Time per query") == 2


def test_the_model_writes_the_expansion_after_its_rewrite(tiny_model_dir):
    import torch
    from lm_eval.api.instance import Instance
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evals.lm import SearchtuneLM, request_keys

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    # At its init scale the random model only ever emits newlines; larger weights give text to expand.
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.3)
    lm = SearchtuneLM(model, tokenizer, batch_size=4)
    kwargs = {"until": [], "max_gen_toks": 8, "do_sample": False}
    prompts = [lm.apply_chat_template([{"role": "user", "content": t}]) for t in ("where was she born", "hello")]

    def requests(doc):
        return [Instance("generate_until", doc, (p, dict(kwargs)), i) for i, p in enumerate(prompts)]

    plain = lm.generate_until(requests({}), disable_tqdm=True)
    assert all(plain) and not any(benchmark.EXPANSION_MARK in p for p in plain)
    asked = requests({benchmark.EXPANSION_FIELD: 5})
    assert request_keys(asked) != request_keys(requests({}))  # the expand task's rewrites are its own cost
    out = lm.generate_until(asked, disable_tqdm=True)
    # The expansions on their own, from a fresh model (no shared cache): the fixed prompt rendered by the chat
    # template, greedy, the doc's budget of tokens, the rewrite's stop strings.
    rewrites = [r.strip() for r in plain if r.strip()]
    passages = SearchtuneLM(model, tokenizer, batch_size=4).generate_until(
        [Instance("generate_until", {}, (CHATML_TURN.format(benchmark.expansion_message(r)),
                                         {"until": [], "do_sample": False, "temperature": 0.0, "max_gen_toks": 5}), i)
         for i, r in enumerate(rewrites)], disable_tqdm=True)
    assert any(passages)
    expansion = dict(zip(rewrites, passages))
    assert out == [benchmark.with_expansion(r, expansion.get(r.strip(), "")) for r in plain]
    assert benchmark.rewrites_of(out) == [r.strip() for r in plain]


def test_expansion_settings_and_refusals():
    task = "searchtune_qr_retrieval_expand"
    docs = load_tasks([task])["tasks"][task].eval_docs
    assert {d[benchmark.EXPANSION_FIELD] for d in docs} == {64}  # the YAML's metadata.expansion.max_gen_toks
    assert benchmark.EXPANSION_FIELD not in load_tasks(["searchtune_qr_retrieval"])["tasks"][
        "searchtune_qr_retrieval"].eval_docs[0]
    with pytest.raises(UserError, match=r"metadata.expansion.max_tokens: unknown setting; settings are max_gen_toks"):
        utils.load_dataset("retrieval", expansion={"max_tokens": 32})
    with pytest.raises(UserError, match=r"metadata.expansion.max_gen_toks 0: use a positive integer"):
        utils.load_dataset("retrieval", expansion={"max_gen_toks": 0})
    with pytest.raises(UserError, match=r"metadata.expansion set, but source qr_sample has no judged collection"):
        utils.load_dataset("qr_sample", expansion={})
    # A model that skipped the expansion (lm-eval's own `hf`) is refused rather than scored on the rewrite alone.
    with pytest.raises(UserError, match=r"only searchtune's model writes; score the task with `searchtune eval`"):
        utils.process_query_rewrite(docs[0], ["How do honeybees find food?"])
    # Several sampled rewrites, each with its expansion: each searched with its own.
    doc = dict(docs[0])
    response = [benchmark.with_expansion("a", "b c"), benchmark.with_expansion("d", "")]
    assert benchmark.queries_of(doc, response) == ["a b c", "d"] and benchmark.rewrites_of(response) == ["a", "d"]
