"""scripts/bench_serve.py: its inputs are checked before any server starts, and a short real run (tiny model, a
real `searchtune serve` subprocess) writes every figure the README table needs."""

from __future__ import annotations

import json

import pytest

from tests.fakes.run_folder import make_run

CANARD_ROWS = [
    {"id": f"C_{i}", "history": ["Pinhead (Hellraiser)", "Powers"][: i % 3], "question": f"what was his power {i}",
     "rewrite": f"what was Pinhead's power {i}"}
    for i in range(5)
]


@pytest.fixture()
def canard(tmp_path):
    path = tmp_path / "dev.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in CANARD_ROWS))
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_model_dir):
    return make_run(tmp_path_factory.mktemp("bench"), tiny_model_dir, with_eval=False)


def test_dry_run_prints_the_plan_with_transformers_first(run_script, run_dir, canard, capsys):
    code = run_script("bench_serve.py", "--run", run_dir, "--data", canard, "--engines", "llama.cpp",
                      "--limit", "3", "--dry-run")
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("3 conversations, clients [1, 4, 16]")
    servers = [line for line in out.splitlines() if line.startswith("server:")]
    assert len(servers) == 2
    assert "--engine transformers" in servers[0] and "--engine llama.cpp" in servers[1]
    assert all("--cache-entries 0" in s and "--port 0" in s for s in servers)  # no cache hit is timed
    assert [line.split(" -m ")[1] for line in out.splitlines() if line.startswith("export")] == [
        f"finetune.cli export {run_dir} --format gguf --quant q8_0"]  # llama.cpp's export, made before the timing


def test_dry_run_plans_each_engines_export(run_script, run_dir, canard, capsys):
    code = run_script("bench_serve.py", "--run", run_dir, "--data", canard, "--engines", "llama.cpp,ctranslate2",
                      "--limit", "3", "--dry-run")
    out = capsys.readouterr().out
    assert code == 0
    assert [line.split(" -m ")[1] for line in out.splitlines() if line.startswith("export")] == [
        f"finetune.cli export {run_dir} --format gguf --quant q8_0",
        f"finetune.cli export {run_dir} --format ct2 --quant int8"]
    assert "--engine ctranslate2" in [line for line in out.splitlines() if line.startswith("server:")][-1]


@pytest.mark.parametrize("args, message", [
    (("--clients", "1,x"), "--clients 1,x: expected comma-separated integers"),
    (("--clients", "0"), "--clients 0: each count must be at least 1"),
    (("--data", "/nowhere/dev.jsonl"), "--data /nowhere/dev.jsonl: not found"),
])
def test_bad_input_is_one_line_before_any_server(run_script, run_dir, canard, capsys, args, message):
    code = run_script("bench_serve.py", "--run", run_dir, "--data", canard, *args, "--dry-run")
    err = capsys.readouterr().err
    assert code != 0
    assert message in err and "Traceback" not in err


def test_missing_run_is_refused(run_script, tmp_path, canard, capsys):
    assert run_script("bench_serve.py", "--run", tmp_path / "none", "--data", canard, "--dry-run") != 0
    assert "run folder not found" in capsys.readouterr().err


@pytest.mark.e2e
def test_limit_run_through_a_real_server_writes_every_figure(run_script, tiny_model_dir, canard, tmp_path, capsys):
    pytest.importorskip("llama_cpp")
    from finetune.core.run import RunFolder
    from finetune.publish.export import export_run

    run_dir = make_run(tmp_path, tiny_model_dir, with_eval=False)
    # An f32 export where the engine looks for q8_0: llama.cpp must then agree with transformers exactly.
    export_run(run_dir, "gguf", "f32", RunFolder(run_dir).export_dir(), pre_tokenizer="gpt-2")
    out = tmp_path / "bench.json"
    code = run_script("bench_serve.py", "--run", run_dir, "--data", canard, "--engines", "llama.cpp",
                      "--limit", "4", "--clients", "1,2", "--threads", "1", "--output", out)
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    f = report["engines"]["transformers"]
    assert report["n"] == 4 and len(f["outputs"]) == 4
    assert 0 < f["latency_ms"]["p50"] <= f["latency_ms"]["p95"] <= f["latency_ms"]["p99"]
    assert set(f["throughput_rps"]) == {"1", "2"} and all(v > 0 for v in f["throughput_rps"].values())
    assert f["peak_rss_mb"] > 50  # a python process with torch loaded, read from the server's /proc
    assert f["bleu_vs_fp32"] == pytest.approx(100.0) or not any(f["outputs"])  # the baseline against itself
    assert f["agreement_vs_fp32"] == 1.0 and f["speedup_p50"] == 1.0
    llama = report["engines"]["llama.cpp"]
    assert llama["outputs"] == f["outputs"] and llama["agreement_vs_fp32"] == 1.0
    assert set(llama["throughput_ratio"]) == {"1", "2"} and llama["peak_rss_mb"] > 0
    assert "| transformers |" in capsys.readouterr().out
