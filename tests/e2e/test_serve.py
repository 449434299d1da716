"""`searchtune serve` as a user runs it: one real server (tiny run, --base, the example collection, an API key) on
loopback; the OpenAI client against it, the served rewrite against `searchtune eval`'s prediction, bad requests and
half-sent ones over real sockets, the key kept out of the log, and the playground in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from finetune.core.run import read_predictions
from tests.fakes.run_folder import make_run
from tests.fakes.serve_process import BIN, ServeProcess

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "evals" / "tasks" / "query_rewrite" / "example"
KEY = "e2e-key-0123456789abcdef"
CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_model_dir) -> Path:
    return make_run(tmp_path_factory.mktemp("serve"), tiny_model_dir, with_eval=False)


@pytest.fixture(scope="module")
def served(run, tmp_path_factory):
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    server = ServeProcess(run, log, "--base", "--collection", str(EXAMPLE), "--max-body-bytes", "65536",
                          env={"SEARCHTUNE_API_KEY": KEY})
    yield server
    assert server.stop() == 0, server.text()[-3000:]
    assert KEY not in server.text()
    assert "Traceback" not in server.text() and " ERROR " not in server.text(), server.text()[-3000:]


def api(served) -> httpx.Client:
    return httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)


def test_openai_client_round_trip(served):
    from openai import OpenAI

    assert served.url.startswith("http://127.0.0.1:")  # loopback unless --host says otherwise
    client = OpenAI(base_url=f"{served.url}/v1", api_key=KEY, max_retries=0)
    models = [m.id for m in client.models.list()]
    assert len(models) == 2
    conversation = {"history": ["Why are honeybee colonies collapsing?"], "query": "How do they find food?"}
    completion = client.chat.completions.create(model=models[0], messages=[
        {"role": "user", "content": conversation["history"][0]}, {"role": "user", "content": conversation["query"]}])
    assert completion.object == "chat.completion" and completion.model == models[0]
    with api(served) as c:
        rewrite = c.post("/v1/rewrite", json=conversation).json()
    assert completion.choices[0].message.content == rewrite["rewrite"]

    from openai import AuthenticationError, NotFoundError

    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{served.url}/v1", api_key="not-the-key-000000", max_retries=0).models.list()
    with pytest.raises(NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-unknown", messages=[{"role": "user", "content": "hi"}])


def test_served_rewrite_equals_eval_prediction(served, run, tmp_path, qr_rows):
    data = tmp_path / "qr.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in qr_rows))
    out = tmp_path / "eval"
    proc = subprocess.run(
        [str(BIN / "searchtune"), "eval", "--run", str(run), "--task", "searchtune_qr_sample",
         "--data", f"qr_sample={data}", "--output", str(out), "--baseline", "none", "--wandb-mode", "disabled"],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    predictions = {p["doc_id"]: p["prediction"] for p in read_predictions(out / "predictions.jsonl")}
    assert sorted(predictions) == list(range(len(qr_rows)))
    with api(served) as c:
        served_rewrites = [c.post("/v1/rewrite", json={"history": r["history"], "query": r["query"]}).json()["rewrite"]
                           for r in qr_rows]
    assert served_rewrites == [predictions[i] for i in range(len(qr_rows))]
    assert any(served_rewrites)  # the comparison is not between empty strings


def raw_exchange(url: str, data: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: s.recv(65536), b""))


def test_bad_requests_over_the_wire_and_the_key(served):
    with api(served) as c:
        cases = {
            "malformed": c.post("/v1/rewrite", content=b'{"query": ', headers={"content-type": "application/json"}),
            "missing": c.post("/v1/rewrite", json={"history": []}),
            "wrong type": c.post("/v1/summarize", json={"document": ["not", "a", "string"]}),
            "oversized": c.post("/v1/rewrite", json={"query": "x" * 70_000}),
            "unknown model": c.post("/v1/chat/completions", json={"model": "nope", "messages": [
                {"role": "user", "content": "hi"}]}),
        }
    expected = {"malformed": (400, "invalid_json"), "missing": (400, "missing_field"),
                "wrong type": (400, "invalid_value"), "oversized": (413, "body_too_large"),
                "unknown model": (404, "model_not_found")}
    for name, response in cases.items():
        assert (response.status_code, response.json()["error"]["code"]) == expected[name], (name, response.text)
    no_key = httpx.post(f"{served.url}/v1/rewrite", json={"query": "where"}, timeout=30)
    assert no_key.status_code == 401 and no_key.json()["error"]["code"] == "invalid_api_key"
    # A key in the URL is not how it is sent (401), but it lands in the access log line, which must mask it.
    in_url = httpx.get(f"{served.url}/v1/models", params={"api_key": KEY}, timeout=30)
    assert in_url.status_code == 401
    assert "GET /v1/models?api_key=<redacted>" in served.text() and KEY not in served.text()
    assert httpx.get(f"{served.url}/health", timeout=30).json() == {"status": "ok"}


def test_clients_that_disconnect_mid_request_leave_the_server_serving(served):
    auth = f"Authorization: Bearer {KEY}\r\n".encode()
    body = json.dumps({"query": "a question nobody waits for"}).encode()
    # Half a body, then gone: the server is left waiting for bytes that never come.
    half = (b"POST /v1/rewrite HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + auth +
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
    reply = raw_exchange(served.url, half)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply[:200]
    # A whole request, then the socket closed before the answer.
    host, port = served.url.removeprefix("http://").split(":")
    for i in range(4):
        whole = json.dumps({"query": f"gone before the answer {i}"}).encode()
        with socket.create_connection((host, int(port)), timeout=30) as s:
            s.sendall(b"POST /v1/rewrite HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + auth +
                      f"Content-Length: {len(whole)}\r\n\r\n".encode() + whole)
    with api(served) as c:
        assert c.post("/v1/rewrite", json={"query": "still answering?"}).status_code == 200
        metrics = c.get("/metrics").text
    assert "searchtune_pending_requests 0" in metrics


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: run `make system-deps` (apt-get install "
                                              "chromium) for the browser test")
def test_playground_in_headless_chromium(served):
    from playwright.sync_api import sync_playwright

    history, query = "Why are honeybee colonies collapsing?", "How can beekeepers get rid of the mites?"
    with api(served) as c:
        expected = c.post("/v1/rewrite", json={"history": [history], "query": query, "top_k": 5}).json()
        raw = c.post("/v1/search", json={"query": query, "top_k": 5}).json()["passages"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            external = []
            page.on("request", lambda r: None if r.url.startswith(served.url) else external.append(r.url))
            page.goto(served.url)
            page.fill("#key", KEY)
            page.fill("#conversation", f"{history}\n{query}")
            page.click("#submit")
            page.wait_for_selector("#raw", timeout=60_000)
            assert page.inner_text("#tuned .text") == expected["rewrite"]
            assert page.inner_text("#raw .text") == query
            assert page.locator("#base .text").count() == 1
            # The collection's top passages for each query, as the API ranks them.
            def shown(card: str) -> list[str]:
                return [t.split()[0] for t in page.locator(f"{card} li .pid").all_inner_texts()]

            assert shown("#raw") == [p["id"] for p in raw] and raw
            assert shown("#tuned") == [p["id"] for p in expected["passages"]]
            assert page.inner_text("#error") == ""
            assert external == []
        finally:
            browser.close()
