"""The HTTP server in-process (ASGI, its lifespan run): the OpenAI and task endpoints, the cache, the queue limit,
micro-batching, disconnects, the API key and every bad request a client can send, over a scripted engine; then once
over the tiny model's real transformers engine."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from finetune.core.recipe import Recipe
from finetune.serving import server
from finetune.serving.engines import Decoding, decoding_for

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "evals" / "tasks" / "query_rewrite" / "example"
KEY = "k3y-0123456789abcdef"


def run_decoding(task: str, **eval_decoding) -> Decoding:
    """The decoding of a run of `task` whose recipe has this eval.decoding, as its engine carries it."""
    sample = "query_rewrite_train.jsonl" if task == "query_rewrite" else "summarize_train.jsonl"
    return decoding_for(Recipe.model_validate({
        "model": {"name": "tiny"}, "output_dir": "run", "eval": {"decoding": eval_decoding},
        "data": {"task": task, "train": [{"path": f"sample:{sample}"}]}}))


class ScriptedEngine:
    """The Engine interface: the prompt is the record as JSON, the completion names the query (or document)."""

    name = "scripted"

    def __init__(self, model="tuned-run", task="query_rewrite", gate: threading.Event | None = None,
                 decoding: Decoding | None = None):
        self.model, self.task, self.gate = model, task, gate
        self.decoding = decoding or run_decoding(task)
        self.calls: list[tuple[list[str], Decoding]] = []
        self.closed = False

    def prompt(self, record: dict) -> str:
        if record.get("query") == "too long":
            raise ValueError("the prompt does not fit in max_length even without its history")
        return json.dumps(record, sort_keys=True)

    def generate(self, prompts: list[str], decoding: Decoding) -> list[str]:
        self.calls.append((list(prompts), decoding))
        if self.gate is not None:
            assert self.gate.wait(10)
        return [f"{self.model}: {json.loads(p).get('query') or json.loads(p)['document'][:20]}" for p in prompts]

    def close(self) -> None:
        self.closed = True


@asynccontextmanager
async def client(app):
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve.test") as c:
            yield c


def call(app, fn):
    async def main():
        async with client(app) as c:
            return await fn(c)
    return asyncio.run(main())


def metric(text: str, name: str) -> float:
    return float(re.search(rf"^{re.escape(name)} (\S+)$", text, re.M).group(1))


def test_rewrite_is_cached_and_counted_in_metrics():
    engine = ScriptedEngine()
    app = server.create_app(engine)

    async def fn(c):
        body = {"history": ["who founded corvel"], "query": "where was she born"}
        first, second = (await c.post("/v1/rewrite", json=body)).json(), (await c.post("/v1/rewrite", json=body)).json()
        other = (await c.post("/v1/rewrite", json={**body, "history": []})).json()
        return first, second, other, (await c.get("/metrics")).text

    first, second, other, metrics = call(app, fn)
    assert first == {"rewrite": "tuned-run: where was she born", "model": "tuned-run", "cached": False}
    assert second == dict(first, cached=True) and other["cached"] is False
    assert len(engine.calls) == 2  # the repeat never reached the engine
    assert json.loads(engine.calls[0][0][0]) == {"history": ["who founded corvel"], "query": "where was she born"}
    decoding = engine.calls[0][1]
    assert decoding.max_new_tokens == 64 and decoding.temperature == 0.0 and "\n\n" in decoding.stop
    assert metric(metrics, "searchtune_cache_hits_total") == 1 and metric(metrics, "searchtune_cache_misses_total") == 2
    assert 'searchtune_requests_total{status="200"} 3' in metrics
    assert engine.closed  # the lifespan's shutdown closes engines


def test_sampled_chat_completions_are_never_cached():
    engine = ScriptedEngine()
    app = server.create_app(engine)

    async def fn(c):
        body = {"model": "tuned-run", "messages": [{"role": "user", "content": "q"}], "temperature": 0.7}
        return [await c.post("/v1/chat/completions", json=body) for _ in range(2)]

    assert [r.status_code for r in call(app, fn)] == [200, 200]
    assert len(engine.calls) == 2 and engine.calls[0][1].temperature == 0.7
    assert len(app.state.service.lru) == 0


def test_cache_is_bounded_lru():
    lru = server.cache.LRU(2)
    lru.put("a", "1"), lru.put("b", "2"), lru.get("a"), lru.put("c", "3")
    assert lru.get("b") is None and lru.get("a") == "1" and lru.get("c") == "3"
    assert len(lru) == 2 and lru.evictions == 1


def test_chat_completions_speak_openai_and_map_the_conversation():
    engine = ScriptedEngine()
    app = server.create_app(engine, ScriptedEngine(model="base-model"))

    async def fn(c):
        messages = [{"role": "system", "content": "ignored"}, {"role": "user", "content": "who founded corvel"},
                    {"role": "assistant", "content": "Ana Reyes."},
                    {"role": "user", "content": [{"type": "text", "text": "where was she born"}]}]
        chat = await c.post("/v1/chat/completions", json={"model": "tuned-run", "messages": messages,
                                                          "max_tokens": 12, "user": "someone"})
        base = await c.post("/v1/chat/completions", json={"model": "base-model", "messages": messages[-1:]})
        return chat, base, await c.get("/v1/models")

    chat, base, models = call(app, fn)
    assert chat.status_code == 200, chat.text
    body = chat.json()
    assert body["object"] == "chat.completion" and body["model"] == "tuned-run" and body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "tuned-run: where was she born"}
    record = json.loads(engine.calls[0][0][0])
    assert record == {"history": ["who founded corvel"], "query": "where was she born", "responses": ["Ana Reyes."]}
    assert engine.calls[0][1].max_new_tokens == 12
    assert base.json()["choices"][0]["message"]["content"] == "base-model: where was she born"
    assert [m["id"] for m in models.json()["data"]] == ["tuned-run", "base-model"]


def test_a_request_without_max_tokens_decodes_as_the_run_evaluates_and_one_with_it_wins():
    engine = ScriptedEngine(decoding=run_decoding("query_rewrite", max_new_tokens=20))
    app = server.create_app(engine)

    async def fn(c):
        def chat(**extra):
            return {"model": "tuned-run", "messages": [{"role": "user", "content": "q"}], **extra}
        sent = [await c.post("/v1/rewrite", json={"query": "a"}),
                await c.post("/v1/rewrite", json={"query": "b", "max_tokens": 5}),
                await c.post("/v1/chat/completions", json=chat()),
                await c.post("/v1/chat/completions", json=chat(max_completion_tokens=9, temperature=0.5))]
        over = await c.post("/v1/rewrite", json={"query": "c", "max_tokens": server.MAX_TOKENS_LIMIT + 1})
        return sent, over

    sent, over = call(app, fn)
    assert [r.status_code for r in sent] == [200] * 4 and over.status_code == 400
    assert [d.max_new_tokens for _, d in engine.calls] == [20, 5, 20, 9]  # the run's eval.decoding, unless asked
    assert {d.stop for _, d in engine.calls} == {("\n\n",)} and engine.calls[3][1].temperature == 0.5
    summarize = ScriptedEngine(model="sum-run", task="summarize")
    assert server.task_decoding(summarize) == Decoding(max_new_tokens=128, stop=("\n\n",))


def test_summarize_and_the_wrong_task():
    app = server.create_app(ScriptedEngine(model="sum-run", task="summarize"))

    async def fn(c):
        ok = await c.post("/v1/summarize", json={"document": "The atlas team moved billing.", "query": "billing"})
        wrong = await c.post("/v1/rewrite", json={"query": "where"})
        return ok, wrong

    ok, wrong = call(app, fn)
    assert ok.json() == {"summary": "sum-run: billing", "model": "sum-run", "cached": False}
    assert wrong.status_code == 400 and "/v1/summarize" in wrong.json()["error"]["message"]


@pytest.mark.parametrize("content, status, code, param", [
    (b'{"query": "where", ', 400, "invalid_json", None),
    (b'{"history": []}', 400, "missing_field", "query"),
    (b'{"query": 5}', 400, "invalid_value", "query"),
    (b'{"query": "x", "history": ["a", 7]}', 400, "invalid_value", "history.1"),
    (b'{"query": "x", "top_k": "many"}', 400, "invalid_value", "top_k"),
    (b'{"query": "x", "colour": "red"}', 400, "unknown_field", "colour"),
    (b'[1, 2]', 400, "invalid_value", None),
    (b'{"query": "x", "model": "nope"}', 404, "model_not_found", "model"),
    (b'{"query": "too long"}', 400, "invalid_input", None),
    (b'{"query": "x", "top_k": 3}', 404, "no_collection", "top_k"),
])
def test_bad_requests_get_one_clear_json_error(content, status, code, param):
    app = server.create_app(ScriptedEngine())

    async def fn(c):
        bad = await c.post("/v1/rewrite", content=content, headers={"content-type": "application/json"})
        good = await c.post("/v1/rewrite", json={"query": "still fine"})
        return bad, good

    bad, good = call(app, fn)
    assert bad.status_code == status, bad.text
    error = bad.json()["error"]
    assert error["code"] == code and error["param"] == param and error["message"]
    assert good.status_code == 200  # nothing broke for the next client


def test_a_json_body_sent_as_a_form_is_named_as_such():
    app = server.create_app(ScriptedEngine())

    async def fn(c):
        return await c.post("/v1/rewrite", content=b'{"query": "x"}',
                            headers={"content-type": "application/x-www-form-urlencoded"})  # curl -d without -H

    error = call(app, fn).json()["error"]
    assert error["code"] == "invalid_json" and "Content-Type: application/json" in error["message"]


def test_unknown_model_and_stream_in_chat():
    app = server.create_app(ScriptedEngine())

    async def fn(c):
        msgs = [{"role": "user", "content": "q"}]
        return [await c.post("/v1/chat/completions", json={"model": "gpt-9", "messages": msgs}),
                await c.post("/v1/chat/completions", json={"model": "tuned-run", "messages": msgs, "stream": True}),
                await c.post("/v1/chat/completions", json={"model": "tuned-run", "messages": []}),
                await c.post("/v1/chat/completions", json={"model": "tuned-run",
                                                           "messages": [{"role": "assistant", "content": "hi"}]})]

    unknown, stream, empty, no_user = call(app, fn)
    assert unknown.status_code == 404 and "tuned-run" in unknown.json()["error"]["message"]
    assert stream.status_code == 400 and stream.json()["error"]["param"] == "stream"
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "messages"
    assert no_user.status_code == 400 and no_user.json()["error"]["code"] == "invalid_messages"


def test_oversized_body_gets_413_by_length_and_while_streaming():
    app = server.create_app(ScriptedEngine(), limits=server.Limits(max_body_bytes=100))

    async def chunks():
        for _ in range(10):
            yield b'{"query": "' + b"x" * 30

    async def fn(c):
        declared = await c.post("/v1/rewrite", json={"query": "x" * 200})
        streamed = await c.post("/v1/rewrite", content=chunks(), headers={"content-type": "application/json"})
        return declared, streamed, await c.post("/v1/rewrite", json={"query": "fits"})

    declared, streamed, fits = call(app, fn)
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "body_too_large"
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "body_too_large"
    assert fits.status_code == 200


def test_api_key_guards_the_api_but_not_health_or_the_page():
    app = server.create_app(ScriptedEngine(), api_key=KEY)

    async def fn(c):
        body = {"query": "where"}
        return [await c.post("/v1/rewrite", json=body),
                await c.post("/v1/rewrite", json=body, headers={"Authorization": "Bearer wrong-key-0123456789"}),
                await c.get("/v1/models"),
                await c.post("/v1/rewrite", json=body, headers={"Authorization": f"Bearer {KEY}"}),
                await c.get("/health"), await c.get("/")]

    none, wrong, models, right, health, page = call(app, fn)
    for denied in (none, wrong, models):
        assert denied.status_code == 401 and denied.json()["error"]["code"] == "invalid_api_key"
        assert denied.headers["www-authenticate"] == "Bearer"
    assert right.status_code == 200 and health.status_code == 200 and page.status_code == 200
    assert KEY not in page.text and '"auth": true' in page.text


def test_queue_limit_refuses_with_503_and_retry_after_then_recovers():
    gate = threading.Event()
    engine = ScriptedEngine(gate=gate)
    app = server.create_app(engine, limits=server.Limits(max_pending=2, max_batch=1))

    async def fn(c):
        held = [asyncio.create_task(c.post("/v1/rewrite", json={"query": f"q{i}"})) for i in range(2)]
        while app.state.service.worker.pending() < 2:
            await asyncio.sleep(0.01)
        refused = await c.post("/v1/rewrite", json={"query": "one too many"})
        same = asyncio.create_task(c.post("/v1/rewrite", json={"query": "q1"}))  # joins the pending q1
        await asyncio.sleep(0.05)
        gate.set()
        answered = await asyncio.gather(*held, same)
        return refused, answered, await c.post("/v1/rewrite", json={"query": "later"}), (await c.get("/metrics")).text

    refused, answered, later, metrics = call(app, fn)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "overloaded"
    assert [r.status_code for r in answered] == [200, 200, 200]
    assert answered[2].json()["rewrite"] == answered[1].json()["rewrite"]
    assert later.status_code == 200
    assert metric(metrics, "searchtune_rejected_total") == 1
    assert sum(len(p) for p, _ in engine.calls) == 3  # q0, q1 (once for two clients), later


def test_queued_requests_are_micro_batched_into_one_engine_call():
    gate = threading.Event()
    engine = ScriptedEngine(gate=gate)
    app = server.create_app(engine, limits=server.Limits(max_batch=8))

    async def fn(c):
        first = asyncio.create_task(c.post("/v1/rewrite", json={"query": "first"}))
        while not engine.calls:
            await asyncio.sleep(0.01)
        rest = [asyncio.create_task(c.post("/v1/rewrite", json={"query": f"q{i}"})) for i in range(5)]
        while app.state.service.worker.pending() < 6:
            await asyncio.sleep(0.01)
        gate.set()
        return await asyncio.gather(first, *rest)

    responses = call(app, fn)
    assert [r.json()["rewrite"] for r in responses] == ["tuned-run: first"] + [f"tuned-run: q{i}" for i in range(5)]
    assert [len(p) for p, _ in engine.calls] == [1, 5]


def test_client_that_disconnects_while_queued_is_dropped_and_the_server_goes_on():
    gate = threading.Event()
    engine = ScriptedEngine(gate=gate)
    app = server.create_app(engine)

    async def fn(c):
        service = app.state.service
        blocker = asyncio.create_task(c.post("/v1/rewrite", json={"query": "blocker"}))
        while not engine.calls:
            await asyncio.sleep(0.01)
        gone, sent = asyncio.Event(), []
        body = json.dumps({"query": "abandoned"}).encode()
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            if messages:
                return messages.pop()
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/v1/rewrite", "raw_path": b"/v1/rewrite", "query_string": b"",
                 "root_path": "", "headers": [(b"content-type", b"application/json"),
                                              (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 5000), "server": ("serve.test", 80)}
        abandoned = asyncio.create_task(app(scope, receive, send))
        while service.worker.pending() < 2:
            await asyncio.sleep(0.01)
        gone.set()
        await asyncio.wait_for(abandoned, 5)
        gate.set()
        return await blocker, await c.post("/v1/rewrite", json={"query": "next"}), (await c.get("/metrics")).text

    blocker, after, metrics = call(app, fn)
    assert blocker.status_code == 200 and after.status_code == 200
    generated = [json.loads(p)["query"] for prompts, _ in engine.calls for p in prompts]
    assert generated == ["blocker", "next"]  # the abandoned request never cost a generation
    assert metric(metrics, "searchtune_disconnected_total") == 1
    assert metric(metrics, "searchtune_pending_requests") == 0


def test_engine_failure_is_a_500_json_error_and_not_a_dead_worker():
    engine = ScriptedEngine()
    real = engine.generate
    failures = iter([RuntimeError("boom")])

    def flaky(prompts, decoding):
        for e in failures:
            raise e
        return real(prompts, decoding)

    engine.generate = flaky
    app = server.create_app(engine)

    async def fn(c):
        return await c.post("/v1/rewrite", json={"query": "a"}), await c.post("/v1/rewrite", json={"query": "a"})

    failed, retried = call(app, fn)
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "engine_error"
    assert retried.status_code == 200 and retried.json()["cached"] is False  # a failure is never cached


def test_playground_page_is_self_contained_and_searches_the_collection():
    collection = server.load_collection(EXAMPLE)
    app = server.create_app(ScriptedEngine(), ScriptedEngine(model="base-model"), collection=collection)

    async def fn(c):
        page = await c.get("/")
        rewrite = await c.post("/v1/rewrite", json={"history": ["Why are honeybee colonies collapsing?"],
                                                    "query": "How do honeybees find flowers", "top_k": 3})
        return page, rewrite, await c.post("/v1/search", json={"query": "waggle dance", "top_k": 2})

    page, rewrite, search = call(app, fn)
    assert page.headers["content-type"].startswith("text/html")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page.text)  # no CDN, no external asset
    assert "/*CONFIG*/null" not in page.text and '"base": "base-model"' in page.text
    passages = rewrite.json()["passages"]
    assert len(passages) == 3 and {"id", "score", "text"} == set(passages[0]) and passages[0]["id"].startswith("bee-")
    assert search.json()["passages"][0]["id"] == "bee-02"


def test_collection_path_errors_are_user_errors(tmp_path):
    from finetune.core.errors import UserError

    with pytest.raises(UserError, match="corpus.jsonl"):
        server.load_collection(tmp_path)


def test_redacting_log_filter_masks_the_api_key(monkeypatch):
    import logging

    monkeypatch.setenv("SEARCHTUNE_API_KEY", KEY)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '"%s" 200', (f"GET /?key={KEY}",), None)
    server.Redact().filter(record)
    assert KEY not in record.getMessage() and "<redacted>" in record.getMessage()


def test_tiny_model_served_through_the_transformers_engine(tmp_path, tiny_model_dir):
    from finetune.serving.engines import open_engine
    from tests.fakes.run_folder import make_run

    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    engine = open_engine(run, "transformers", threads=1)
    record = {"history": ["who founded corvel"], "query": "where was she born"}
    expected = engine.generate([engine.prompt(record)], server.task_decoding(engine))[0]
    app = server.create_app(engine)

    async def fn(c):
        rewrite = await c.post("/v1/rewrite", json=dict(record, max_tokens=None))
        chat = await c.post("/v1/chat/completions", json={"model": engine.model, "messages": [
            {"role": "user", "content": "who founded corvel"}, {"role": "user", "content": "where was she born"}]})
        return rewrite, chat, await c.get("/ready")

    rewrite, chat, ready = call(app, fn)
    assert rewrite.status_code == 200, rewrite.text
    assert rewrite.json()["rewrite"] == expected
    assert chat.json()["choices"][0]["message"]["content"] == expected
    assert ready.json() == {"status": "ready", "models": [engine.model]}


@pytest.fixture()
def no_model_loads(monkeypatch):
    """An engines module whose open_engine fails the test: every check must come before a model loads."""
    import sys
    import types

    from finetune.serving import engines

    fake = types.ModuleType("finetune.serving.engines")
    fake.ENGINES, fake.ENGINE_EXPORTS = engines.ENGINES, engines.ENGINE_EXPORTS  # what --engine's help lists
    fake.open_engine = lambda *a, **k: pytest.fail("a model was loaded before the arguments were checked")
    monkeypatch.setitem(sys.modules, "finetune.serving.engines", fake)


def test_serve_refuses_bad_arguments_before_loading_a_model(tmp_path, tiny_model_dir, monkeypatch, capsys,
                                                            no_model_loads):
    import socket

    from finetune import cli
    from tests.fakes.run_folder import make_run

    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    capsys.readouterr()
    busy = socket.create_server(("127.0.0.1", 0))
    cases = [
        ([str(tmp_path / "nope")], {}, "run folder not found"),
        ([str(run), "--max-pending", "0"], {}, "--max-pending: must be at least 1"),
        ([str(run)], {"SEARCHTUNE_API_KEY": "short"}, "SEARCHTUNE_API_KEY: 5 characters"),
        ([str(run), "--collection", str(tmp_path / "none.jsonl")], {}, "none.jsonl: no such file"),
        ([str(run), "--port", str(busy.getsockname()[1])], {}, "cannot listen"),
        ([str(run), "--port", "70000"], {}, "--port 70000: use 0-65535"),
    ]
    with busy:
        for argv, env, message in cases:
            monkeypatch.delenv("SEARCHTUNE_API_KEY", raising=False)
            for k, v in env.items():
                monkeypatch.setenv(k, v)
            assert cli.main(["serve", *argv]) == 2, argv
            err = capsys.readouterr().err
            assert err.startswith("searchtune: error: ") and message in err and len(err.splitlines()) == 1, err
            assert "short" not in err
