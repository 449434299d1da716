"""evals.report: per-metric n, lower-is-better markers, interval captions and plain-number axis ticks."""

from __future__ import annotations

import re

from finetune.core.run import Score
from evals import report

DATASET = {"name": "qr_sample", "path": "/data/qr.jsonl", "sha256": "ab" * 32, "n": 72}
DECODING = {"do_sample": False, "max_new_tokens": 64, "apply_chat_template": True, "batch_size": 8, "until": []}


def _results(with_n: bool = True) -> dict:
    def entry(value, low, high, n, interval, **extra):
        return {"value": value, "ci_low": low, "ci_high": high, **({"n": n, "interval": interval} if with_n else {}),
                **extra}

    def delta(value, low, high, n, interval):
        return {"delta": value, "ci_low": low, "ci_high": high, **({"n": n, "interval": interval} if with_n else {})}

    return {
        "model": {"base": "tiny", "adapter": "runs/x/adapter"},
        "created_at": "2025-01-01T00:00:00+00:00",
        "tasks": {"qr": {
            "dataset": DATASET,
            "decoding": DECODING,
            "metrics": {"bleu": entry(56.18, 48.4, 63.9, 72, "bootstrap"),
                        "unnecessary_change_rate": entry(0.0, 0.0, 0.2153, 14, "wilson", higher_is_better=False)},
            "baseline": {"metrics": {"bleu": entry(2.9, 2.0, 3.9, 72, "bootstrap"),
                                     "unnecessary_change_rate": entry(1.0, 0.7847, 1.0, 14, "wilson",
                                                                      higher_is_better=False)}},
            "comparison": {"bleu": delta(53.3, 45.6, 61.1, 72, "bootstrap"),
                           "unnecessary_change_rate": delta(-1.0, -1.0, -0.6955, 14, "wilson")},
        }},
        "timing": {"tuned": {"seconds": 10.0, "examples": 72, "examples_per_second": 7.2}},
    }


def test_each_metric_shows_its_own_n_and_lower_is_better_is_marked(tmp_path):
    report.write_reports(tmp_path, _results(), [])
    md = (tmp_path / "report.md").read_text()
    assert "| unnecessary_change_rate ↓ | 14 | 0 [0, 0.215] | 1 [0.785, 1] | -1 [-1, -0.696] |" in md
    assert "| bleu | 72 | 56.2 [48.4, 63.9] |" in md
    assert "Wilson score intervals for proportions" in md and "↓ lower is better" in md
    page = (tmp_path / "report.html").read_text()
    assert "<td>unnecessary_change_rate ↓</td><td>14</td>" in page
    assert "Wilson score intervals" in page

    summary = report.summary_text(_results())
    line = next(x for x in summary.splitlines() if "unnecessary_change_rate" in x)
    assert "↓" in line and "n=14" in line and "Δ vs base -1 [-1, -0.6955]" in line
    assert "n=72" in next(x for x in summary.splitlines() if x.strip().startswith("bleu"))


def test_results_without_per_metric_n_still_render(tmp_path):
    old = _results(with_n=False)
    report.write_reports(tmp_path, old, [])
    md = (tmp_path / "report.md").read_text()
    assert "| bleu | 72 |" in md  # the task's n, as results.json recorded it then
    assert "bootstrap" in md and "Wilson" not in md
    assert "n=72" in report.summary_text(old)


def _tick_labels(svg: str) -> list[str]:
    return re.findall(r'font-size="10">([^<]*)</text>', svg)


def test_axis_ticks_are_plain_numbers():
    panel = report.bar_panel("rougeL", [("tuned", Score(95.0, 90.0, 99.0))])
    assert "100" in _tick_labels(panel) and not any("e+" in t for t in _tick_labels(panel))
    scatter = report.scatter([(0.0, 100.0, "doc 0"), (40.0, 60.0, "doc 1")], "base", "tuned", "t")
    assert "100" in _tick_labels(scatter) and not any("e+" in t for t in _tick_labels(scatter))
    chart = report.line_chart({"loss": [(10.0, 2.5), (1500.0, 0.8)]}, "Training loss", "step")
    assert {"1500", "10"} <= set(_tick_labels(chart)) and not any("e+" in t for t in _tick_labels(chart))
    assert report._fmt(0.000123) == "0.000123" and report._fmt(56.18, 4) == "56.18" and report._fmt(None) == "n/a"


def test_summaries_name_their_rouge_protocol_and_list_unsupported_spans(tmp_path):
    results = _results()
    entry = results["tasks"].pop("qr")
    score = {"value": 40.0, "ci_low": 30.0, "ci_high": 50.0, "n": 2, "interval": "bootstrap"}
    entry.update(metrics={"rouge1": score, "rouge1_first": score, "faithfulness": score}, baseline={"metrics": {}},
                 comparison={})
    results["tasks"]["sum"] = entry
    rows = [{"task": "sum", "doc_id": 0, "input": {"document": "Bob met Ann on Monday.", "query": None},
             "reference": "Bob met Ann.", "prediction": "Bob met Carl on Monday.", "baseline_prediction": "Bob met 3.",
             "scores": {"rouge1": 50.0}, "baseline_scores": {"rouge1": 40.0}},
            {"task": "sum", "doc_id": 1, "input": {"document": "Bob met Ann.", "query": None},
             "reference": "Bob met Ann.", "prediction": "Bob met Ann.", "baseline_prediction": "Ann met Bob.",
             "scores": {"rouge1": 100.0}, "baseline_scores": {"rouge1": 40.0}}]
    md = report.markdown(results, rows, ("tuned", "base"))
    assert ("ROUGE protocol: `rouge*` best over references (max F1 per key); `rouge*_first` first reference alone"
            in md)
    assert "| 0 | Bob met Carl on Monday. | Carl | 3 |" in md
    assert "| 1 |" not in md.split("Unsupported spans")[1]  # every span of doc 1 is in its source
    assert "ROUGE protocol" not in report.markdown(_results(), [], ("tuned", "base"))


def test_located_summaries_show_query_passages_with_gold_spans_and_time_per_query():
    results = _results()
    entry = results["tasks"].pop("qr")
    score = {"value": 30.0, "ci_low": 20.0, "ci_high": 40.0, "n": 2, "interval": "bootstrap"}
    entry.update(metrics={"rouge1": score, "span_recall": score}, baseline={"metrics": {}}, comparison={},
                 seconds={"tuned": 9.0, "base": 12.0}, dataset=dict(DATASET, n=3))
    results["tasks"]["qmsum"] = entry
    rows = [{"task": "qmsum", "doc_id": 0, "reference": "Keep the schema.", "prediction": "They keep the schema.",
             "baseline_prediction": None, "scores": {"rouge1": 60.0, "span_recall": 0.5}, "baseline_scores": None,
             "input": {"document": "Bob: schema", "query": "What about XML?", "passages": [[0, 4], [10, 14]],
                       "spans": [[12, 20]]}}]
    md = report.markdown(results, rows, ("tuned", "base"))
    assert "| 0 | What about XML? | 0-4, 10-14 ★ | 0.5 | They keep the schema. | Keep the schema. |" in md
    assert "- Time per query: tuned 3.00 s, base 4.00 s" in md
    assert "Located passages" not in report.markdown(_results(), [], ("tuned", "base"))


def test_a_comparison_shows_the_paired_retrieval_delta_beside_floor_ceiling_and_gap(tmp_path):
    results = _results()
    task = results["tasks"]["qr"]
    for key, (value, low, high) in {"bm25_ndcg@3": (0.424, 0.358, 0.495), "bm25_ndcg@3_raw": (0.359, 0.291, 0.428),
                                    "bm25_ndcg@3_manual": (0.535, 0.477, 0.591),
                                    "bm25_ndcg@3_gap_closed": (0.37, 0.07, 0.66)}.items():
        task["metrics"][key] = {"value": value, "ci_low": low, "ci_high": high, "n": 98, "interval": "bootstrap"}
    task["baseline"]["metrics"]["bm25_ndcg@3"] = {"value": 0.4, "ci_low": 0.333, "ci_high": 0.471, "n": 98,
                                                  "interval": "bootstrap"}
    task["comparison"]["bm25_ndcg@3"] = {"delta": 0.024, "ci_low": -0.01, "ci_high": 0.06, "n": 98,
                                         "interval": "bootstrap"}
    report.write_reports(tmp_path, results, [], labels=("dpo", "sft"))
    md = (tmp_path / "report.md").read_text()
    assert "| ceiling (manual rewrite) | gap closed by dpo | dpo − sft (paired) |" in md
    assert ("| bm25_ndcg@3 | 98 | 0.359 [0.291, 0.428] | 0.424 [0.358, 0.495] | 0.4 [0.333, 0.471] "
            "| 0.535 [0.477, 0.591] | 0.37 [0.07, 0.66] | +0.024 [-0.01, 0.06] |") in md
