"""A bounded load test of `searchtune serve` on loopback: 2,000 requests from 16 clients against the tiny run (mostly
cache misses, some repeats) all answered or refused with 503, no error in the log, the server's memory flat from the
first thousand to the last; then SIGTERM with requests in flight: each is answered and the server exits 0."""

from __future__ import annotations

import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.fakes.run_folder import make_run
from tests.fakes.serve_process import ServeProcess

CLIENTS, REQUESTS = 16, 2000
# Short answers keep the test's CPU small; the queue, the batching, the cache and the sockets are what is tested.
MAX_TOKENS = 4


def bodies(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        j = rng.randrange(20) if rng.random() < 0.15 else 1000 + i  # ~15% repeats of 20 head queries: cache hits
        out.append({"history": [f"who maintains project p{j}?"], "query": "when is it due?", "max_tokens": MAX_TOKENS})
    return out


def send_all(url: str, work: list[dict]) -> list[int]:
    statuses, lock, local = [], threading.Lock(), threading.local()

    def one(body: dict) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=60)
        response = local.client.post("/v1/rewrite", json=body)
        if response.status_code == 503:
            assert response.headers.get("retry-after")
        with lock:
            statuses.append(response.status_code)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, work))
    return statuses


def pending(url: str) -> int:
    metrics = httpx.get(f"{url}/metrics", timeout=30).text
    return int(metrics.split("searchtune_pending_requests ")[1].split()[0])


def test_load_then_graceful_shutdown(tmp_path, tiny_model_dir):
    run = make_run(tmp_path / "r", tiny_model_dir, with_eval=False)
    server = ServeProcess(run, tmp_path / "serve.log", "--max-pending", "32")
    try:
        work = bodies(REQUESTS)
        first = send_all(server.url, work[: REQUESTS // 2])
        rss_first = server.rss_kib()
        last = send_all(server.url, work[REQUESTS // 2:])
        rss_last = server.rss_kib()
        metrics = httpx.get(f"{server.url}/metrics", timeout=30).text
    except BaseException:
        server.stop(signal.SIGKILL)
        raise
    statuses = first + last
    assert len(statuses) == REQUESTS and set(statuses) <= {200, 429, 503}, sorted(set(statuses))
    assert statuses.count(200) >= REQUESTS * 0.9
    assert rss_last <= 1.2 * rss_first, (rss_first, rss_last)
    hits = float(metrics.split("searchtune_cache_hits_total ")[1].split()[0])
    assert hits > 100

    # SIGTERM while requests are in flight: each of them gets its answer (later ones find the port closed), then the
    # process exits 0.
    outcomes: list = []

    def send(body: dict) -> None:
        try:
            outcomes.append(httpx.post(f"{server.url}/v1/rewrite", json=body, timeout=120).status_code)
        except httpx.ConnectError:
            outcomes.append("refused")

    senders = [threading.Thread(target=send, args=({"history": [f"in flight {i}"], "query": "and then?",
                                                    "max_tokens": 48},)) for i in range(6)]
    for t in senders:
        t.start()
    deadline = time.monotonic() + 30
    while not (in_flight := pending(server.url)):
        assert time.monotonic() < deadline
    assert server.stop(signal.SIGTERM) == 0
    for t in senders:
        t.join(60)
    assert set(outcomes) <= {200, "refused"} and outcomes.count(200) >= in_flight, (outcomes, in_flight)
    log = server.text()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    assert "Finished server process" in log
    assert not Path(f"/proc/{server.proc.pid}").exists()
