"""scripts/reference_points.py scores the no-model baselines with the eval module's scorers."""
import json
from pathlib import Path


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def write_cast(tmp_path: Path) -> list[str]:
    """Two CAsT topics of two turns with their shipped automatic rewrites, and a four-passage judged collection.

    Not test_eval_tasks.write_cast: there the raw turn already finds its passage, so raw and human rewrite tie and
    no share of the gap can be computed; here "Why did it break?" ranks the bridge passage first.
    """
    turns = [
        {"qid": "1_1", "raw_utterance": "How do garage door openers work?", "history_utterances": [],
         "manual_rewrite": "How do garage door openers work?", "automatic_rewrite": "How do garage door openers work?"},
        {"qid": "1_2", "raw_utterance": "Why did it break?", "history_utterances": ["How do garage door openers work?"],
         "manual_rewrite": "Why did my garage door opener break?", "automatic_rewrite": "Why did garage door opener break?"},
    ]
    # Topic 2 repeats topic 1, but its automatic rewrite of the second turn keeps the pronoun: the even-topics row
    # is scored on topic 2 alone, so it differs from the all-topics row.
    even = [t | {"qid": "2" + t["qid"][1:]} for t in turns]
    even[1]["automatic_rewrite"] = "Why did it break?"
    cast = write_jsonl(tmp_path / "cast.jsonl", turns + even)
    folder = tmp_path / "collection"
    folder.mkdir()
    write_jsonl(folder / "passages.jsonl", [
        {"passage_id": "p1", "text": "A garage door opener uses a motor to lift the door."},
        {"passage_id": "p2", "text": "A garage door opener breaks when its gear wears out."},
        {"passage_id": "p3", "text": "Why did the bridge break? The cables rusted."},
        {"passage_id": "p4", "text": "Bread rises because yeast produces gas."}])
    write_jsonl(folder / "judged_pairs.jsonl", [{"qid": f"{topic}_1", "passage_id": "p1", "relevance": 4}
                                                for topic in (1, 2)] + [{"qid": f"{topic}_2", "passage_id": "p2",
                                                                         "relevance": 3} for topic in (1, 2)])
    write_jsonl(folder / "queries.jsonl", [{"qid": "1_1", "query_shown_to_annotators": "How do garage door openers work?"},
                                           {"qid": "1_2", "query_shown_to_annotators": "Why did my garage door opener break?"}])
    return ["--data", f"cast2020={cast}", "--data", f"cast2020_corpus={folder / 'passages.jsonl'}",
            "--data", f"cast2020_qrels={folder / 'judged_pairs.jsonl'}", "--data", f"cast2020_even={cast}"]


def test_reference_points(tmp_path, run_script, capsys, monkeypatch):
    canard = write_jsonl(tmp_path / "canard.jsonl", [
        {"history": ["Ada Lovelace"], "question": "when was she born", "rewrite": "when was Ada Lovelace born"},
        {"history": ["Ada Lovelace"], "question": "what did Ada Lovelace write", "rewrite": "what did Ada Lovelace write"},
    ])
    dialogsum = write_jsonl(tmp_path / "dialogsum.jsonl", [
        {"dialogue": "#Person1#: the build is red\n#Person2#: I will fix it\n#Person1#: thanks", "summary": "#Person1#: the build is red #Person2#: I will fix it"},
    ])
    # Sources given no --data resolve under an empty data root, so they are skipped.
    monkeypatch.setenv("SEARCHTUNE_DATA_ROOT", str(tmp_path))
    code = run_script("reference_points.py", "--data", f"canard={canard}", "--data", f"dialogsum={dialogsum}",
                      "--data", f"aeslc={tmp_path / 'missing.jsonl'}", *write_cast(tmp_path))
    out = capsys.readouterr()
    assert code == 0, out.err
    lines = {line.split(" ")[0].rstrip(":"): line for line in out.out.splitlines()}
    assert "n=2), question copied unchanged" in lines["canard"]
    assert "exact match 0.5 [" in lines["canard"] and "BLEU 100" not in lines["canard"]
    assert "first two turns: rouge1 100 [100, 100]" in lines["dialogsum"]
    assert lines["aeslc"].startswith("aeslc: skipped") and lines["scitldr"].startswith("scitldr: skipped")
    assert "automatic rewrite shipped with the topics: BLEU" in lines["cast2020"]
    assert "bm25_ndcg@3 " in lines["cast2020"] and "of the gap" in lines["cast2020"]
    assert "n=4)" in lines["cast2020"] and "n=2), the same, even topics only" in lines["cast2020_even"]
    # Dense retrieval is where the pronoun costs rank here. Topic 2's automatic rewrite of its second turn is the raw
    # utterance, so on the even topics it closes none of the gap; over both topics, topic 1's closes some.
    dense = {key: lines[key].split("dense_ndcg@3 ")[1].split(";")[0] for key in ("cast2020", "cast2020_even")}
    assert dense["cast2020_even"].endswith(": 0% of the gap)"), dense
    assert "of the gap)" in dense["cast2020"] and not dense["cast2020"].endswith(": 0% of the gap)"), dense
