"""The HTTP server of `searchtune serve`: the OpenAI API, the task endpoints and the playground page, over engines.

Endpoints
  POST /v1/chat/completions  OpenAI chat completions. The conversation is the task's input: for query_rewrite the
                             user messages are the history and the last one the question (assistant messages are the
                             earlier system responses); for summarize the last user message is the document. The
                             model sees the exact training prompt (Engine.prompt), so an OpenAI client gets what
                             `searchtune eval` would predict.
  GET  /v1/models            the tuned model and, with --base, its base
  POST /v1/rewrite           {history, query, [responses, model, max_tokens, top_k]} -> {rewrite, [passages]}
  POST /v1/summarize         {document, [query, model, max_tokens]} -> {summary}
  POST /v1/search            {query, [top_k]} -> {passages} from the configured collection (the playground's raw row)
  GET  /health /ready /metrics and / (the playground)

Generation is CPU-bound and blocking: one worker thread runs every engine call, one at a time, off the event loop.
Requests wait in a bounded queue (beyond it: 503 with Retry-After); the worker takes up to `max_batch` queued
requests for the same model and decoding into one Engine.generate call. Identical requests share one generation
and then the LRU cache. Errors are OpenAI-shaped JSON: {"error": {"message", "type", "param", "code"}}.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
import logging
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from finetune.core import retrieval, secrets
from finetune.core.errors import UserError
from finetune.serving import cache
from finetune.serving.engines import MAX_ANSWER_TOKENS, Decoding, Engine

log = logging.getLogger("searchtune.serve")

MAX_TOKENS_LIMIT = MAX_ANSWER_TOKENS


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1 << 20
    max_pending: int = 64  # requests queued or generating; beyond it 503
    max_batch: int = 8
    cache_entries: int = 4096
    retry_after_s: int = 1
    top_k: int = 5  # passages shown per query when a request asks for them without a count


@dataclass
class Collection:
    """A retrieval collection: its searcher (finetune.core.retrieval) and the passage texts by id."""

    name: str
    searcher: Any
    texts: dict[str, str]


def load_collection(path: str | Path, retriever: str = "bm25") -> Collection:
    """A corpus file (JSONL: id, text), or a folder holding corpus.jsonl (as evals/tasks/query_rewrite/example/)."""
    path = Path(path).expanduser()
    corpus = retrieval.load_corpus(path / "corpus.jsonl" if path.is_dir() else path)
    return Collection(str(path), retrieval.searcher(retriever, corpus), dict(zip(corpus.ids, corpus.texts)))


class Redact(logging.Filter):
    """Masks secrets (SEARCHTUNE_API_KEY, the Hub and W&B tokens) in every log line, the access log's included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = secrets.redact(record.getMessage()), ()
        return True


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, param: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.headers = status, message, code, param, headers


def error_response(status: int, message: str, code: str, param: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}},
                        status_code=status, headers=headers)


# ----------------------------------------------------------------------------------------------- request bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)


class RewriteBody(_Body):
    history: list[str] = []
    query: str = Field(min_length=1)
    responses: list[str] | None = None
    top_k: int = Field(0, ge=0, le=100)


class SummarizeBody(_Body):
    document: str = Field(min_length=1)
    query: str | None = None


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1)
    top_k: int = Field(5, ge=1, le=100)


class TextPart(BaseModel):
    type: str
    text: str = ""


class Message(BaseModel):
    role: str
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class ChatBody(BaseModel):
    # OpenAI clients send fields this server does not use (user, seed, ...): ignored rather than refused.
    model_config = ConfigDict(extra="ignore")

    model: str
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    stop: str | list[str] | None = None
    n: int = Field(1, ge=1, le=1)
    stream: bool = False


# ----------------------------------------------------------------------------------------------- the worker


@dataclass
class Job:
    engine: Engine
    record: dict
    decoding: Decoding
    future: asyncio.Future
    waiters: int = 1
    generating: bool = False


@dataclass
class Counters:
    requests: dict[str, int] = field(default_factory=dict)  # by status code
    rejected: int = 0
    disconnected: int = 0
    batches: int = 0
    batched_requests: int = 0
    generate_seconds: float = 0.0


class Worker:
    """The bounded queue and the one thread that runs engine calls (micro-batched)."""

    def __init__(self, limits: Limits, counters: Counters):
        self.limits, self.counters = limits, counters
        self.queue: deque[Job] = deque()
        self.inflight: dict[str, Job] = {}  # cache key -> its pending job: identical requests share it
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        self.executor.shutdown(wait=True)

    def pending(self) -> int:
        return len(self.inflight)

    def submit(self, k: str, engine: Engine, record: dict, decoding: Decoding) -> Job:
        job = self.inflight.get(k)
        # A job whose future is done (an abandoned one, cancelled) leaves inflight only on the next loop turn.
        if job is not None and not job.future.done():
            job.waiters += 1
            return job
        if self.pending() >= self.limits.max_pending:
            self.counters.rejected += 1
            raise ApiError(503, f"server busy: {self.pending()} requests pending; retry after "
                                f"{self.limits.retry_after_s}s", "overloaded",
                           headers={"Retry-After": str(self.limits.retry_after_s)})
        job = Job(engine, record, decoding, asyncio.get_running_loop().create_future())
        job.future.add_done_callback(lambda _: self.inflight.pop(k) if self.inflight.get(k) is job else None)
        self.inflight[k] = job
        self.queue.append(job)
        self.wake.set()
        return job

    def abandon(self, job: Job) -> None:
        """A waiter went away (client disconnected): a queued job nobody waits for is dropped."""
        job.waiters -= 1
        if job.waiters <= 0 and not job.generating and not job.future.done():
            job.future.cancel()

    async def run_blocking(self, fn, *args):
        """Run fn on the engine thread (so tokenizers and engines are never used from two threads at once)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.queue:
                batch = self._take()
                if batch:
                    await self._generate(batch)

    def _take(self) -> list[Job]:
        first = self.queue.popleft()
        if first.future.done():
            return []
        batch, rest = [first], deque()
        while self.queue and len(batch) < self.limits.max_batch:
            job = self.queue.popleft()
            if job.future.done():
                continue
            if job.engine is first.engine and job.decoding == first.decoding:
                batch.append(job)
            else:
                rest.append(job)
        self.queue.extendleft(reversed(rest))
        return batch

    async def _generate(self, batch: list[Job]) -> None:
        for job in batch:
            job.generating = True
        engine, decoding = batch[0].engine, batch[0].decoding
        start = time.perf_counter()
        try:
            results = await self.run_blocking(_generate_batch, engine, [j.record for j in batch], decoding)
        except Exception as e:  # an engine failure fails these requests, never the server
            log.exception("generation failed")
            results = [ApiError(500, f"generation failed: {type(e).__name__}", "engine_error")] * len(batch)
        self.counters.batches += 1
        self.counters.batched_requests += len(batch)
        self.counters.generate_seconds += time.perf_counter() - start
        for job, result in zip(batch, results):
            if job.future.done():
                continue
            if isinstance(result, Exception):
                job.future.set_exception(result)
            else:
                job.future.set_result(result)


def _generate_batch(engine: Engine, records: list[dict], decoding: Decoding) -> list:
    """Completions for records, or an ApiError per record whose prompt cannot be built (e.g. too long)."""
    prompts: list[str | Exception] = []
    for record in records:
        try:
            prompts.append(engine.prompt(record))
        except (UserError, ValueError) as e:
            prompts.append(ApiError(400, str(e), "invalid_input"))
    ok = [p for p in prompts if isinstance(p, str)]
    outputs = iter(engine.generate(ok, decoding) if ok else [])
    return [p if isinstance(p, Exception) else next(outputs) for p in prompts]


async def _disconnected(request: Request) -> None:
    """Returns once the client has gone (the body is already read, so the next ASGI message is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


# ----------------------------------------------------------------------------------------------- the app


@dataclass
class Service:
    tuned: Engine
    base: Engine | None
    collection: Collection | None
    limits: Limits
    api_key: str | None
    worker: Worker | None = None
    lru: cache.LRU = field(init=False)
    counters: Counters = field(default_factory=Counters)
    ready: bool = False

    def __post_init__(self):
        self.lru = cache.LRU(self.limits.cache_entries)

    def engines(self) -> dict[str, Engine]:
        return {e.model: e for e in (self.tuned, self.base) if e is not None}

    def engine(self, model: str | None) -> Engine:
        if model is None:
            return self.tuned
        found = self.engines().get(model)
        if found is None:
            raise ApiError(404, f"model `{model}` does not exist; GET /v1/models lists "
                                f"{', '.join(self.engines())}", "model_not_found", "model")
        return found

    async def complete(self, request: Request, engine: Engine, record: dict, decoding: Decoding) -> tuple[str, bool]:
        """The completion for a record and whether it came from the cache; a disconnected client stops waiting."""
        if not self.ready:
            raise ApiError(503, "the model is not ready", "not_ready",
                           headers={"Retry-After": str(self.limits.retry_after_s)})
        greedy = decoding.temperature == 0
        # A sampled answer is one draw: never cached, never shared with an identical request.
        k = cache.key(engine.model, record, dataclasses.asdict(decoding)) if greedy else uuid.uuid4().hex
        hit = self.lru.get(k) if greedy else None
        if hit is not None:
            return hit, True
        job = self.worker.submit(k, engine, record, decoding)
        gone = asyncio.ensure_future(_disconnected(request))
        try:
            await asyncio.wait({job.future, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if not job.future.done():
            self.counters.disconnected += 1
            self.worker.abandon(job)
            raise ApiError(499, "client closed the request", "client_closed")
        if job.future.cancelled():
            raise ApiError(503, "the request was dropped", "dropped",
                           headers={"Retry-After": str(self.limits.retry_after_s)})
        text = job.future.result()  # an ApiError from the worker propagates
        if greedy:
            self.lru.put(k, text)
        return text, False

    def collection_or_404(self) -> Collection:
        if self.collection is None:
            raise ApiError(404, "no retrieval collection is configured; start the server with --collection PATH",
                           "no_collection", "top_k")
        return self.collection

    async def passages(self, queries: list[str], k: int) -> list[list[dict]]:
        collection = self.collection_or_404()
        ranked = await self.worker.run_blocking(collection.searcher.scored, queries, k)
        return [[{"id": pid, "score": round(float(score), 4), "text": collection.texts.get(pid, "")}
                 for pid, score in hits] for hits in ranked]

    def metrics(self) -> str:
        c = self.counters
        lines = [
            ("searchtune_cache_hits_total", self.lru.hits), ("searchtune_cache_misses_total", self.lru.misses),
            ("searchtune_cache_evictions_total", self.lru.evictions), ("searchtune_cache_entries", len(self.lru)),
            ("searchtune_cache_capacity", self.lru.entries),
            ("searchtune_pending_requests", self.worker.pending() if self.worker else 0),
            ("searchtune_rejected_total", c.rejected), ("searchtune_disconnected_total", c.disconnected),
            ("searchtune_generate_batches_total", c.batches),
            ("searchtune_generate_requests_total", c.batched_requests),
            ("searchtune_generate_seconds_total", round(c.generate_seconds, 6)),
        ]
        out = [f"{name} {value}" for name, value in lines]
        out += [f'searchtune_requests_total{{status="{s}"}} {n}' for s, n in sorted(c.requests.items())]
        return "\n".join(out) + "\n"


def task_decoding(engine: Engine, max_tokens: int | None = None, *, temperature: float | None = None,
                  top_p: float | None = None, stop: str | list[str] | None = None) -> Decoding:
    """The run's decoding (Engine.decoding, as `searchtune predict` decodes), with a request's own settings on top."""
    extra = tuple(s for s in ([stop] if isinstance(stop, str) else stop or []) if s)
    given = {k: v for k, v in (("max_new_tokens", max_tokens), ("temperature", temperature), ("top_p", top_p))
             if v is not None}
    return dataclasses.replace(engine.decoding, stop=engine.decoding.stop + extra, **given)


def _record_rewrite(body: RewriteBody) -> dict:
    record = {"history": list(body.history), "query": body.query}
    if body.responses is not None:
        record["responses"] = list(body.responses)
    return record


def _record_chat(task: str, messages: list[Message]) -> dict:
    """The task record a chat conversation stands for (see the module docstring)."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user" or not turns[-1].text().strip():
        raise ApiError(400, "messages: the last message must be a non-empty user message (the question or the "
                            "document)", "invalid_messages", "messages")
    if task == "summarize":
        return {"document": turns[-1].text()}
    history, responses = [], []
    for m in turns[:-1]:
        if m.role == "user":
            history.append(m.text())
            responses.append("")
        elif responses:
            responses[-1] = m.text()
    record = {"history": history, "query": turns[-1].text()}
    if any(responses):
        record["responses"] = responses
    return record


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None, str]:
    first = exc.errors()[0]
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    if first.get("type") == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "")
        return f"the request body is not valid JSON ({detail}); send one JSON object", None, "invalid_json"
    param = ".".join(loc) or None
    if param is None and isinstance(first.get("input"), bytes):  # a body FastAPI did not read as JSON
        return "the request body is not JSON; send one JSON object with Content-Type: application/json", None, \
            "invalid_json"
    if first.get("type") == "missing":
        return f"{param}: field required", param, "missing_field"
    if first.get("type") == "extra_forbidden":
        return f"{param}: unknown field", param, "unknown_field"
    where = f"{param}: " if param else "the request body: "
    return where + first.get("msg", "invalid value"), param, "invalid_value"


class BodyLimit:
    """ASGI middleware: 413 for a body over the limit, from Content-Length before reading, or while reading a
    chunked one."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_big = error_response(413, f"request body over {self.limit} bytes", "body_too_large")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await too_big(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise StarletteHTTPException(413, f"request body over {self.limit} bytes")
            return message

        return await self.app(scope, counted, send)


class CountStatus:
    """ASGI middleware: responses by status code, for /metrics (pure ASGI, so disconnects reach the endpoint)."""

    def __init__(self, app, counts: dict[str, int]):
        self.app, self.counts = app, counts

    async def __call__(self, scope, receive, send):
        async def counted(message):
            if message["type"] == "http.response.start":
                status = str(message["status"])
                self.counts[status] = self.counts.get(status, 0) + 1
            await send(message)

        return await self.app(scope, receive, counted if scope["type"] == "http" else send)


def create_app(tuned: Engine, base: Engine | None = None, *, collection: Collection | None = None,
               limits: Limits = Limits(), api_key: str | None = None) -> FastAPI:
    service = Service(tuned, base, collection, limits, api_key)

    @asynccontextmanager
    async def lifespan(app):
        service.worker = Worker(limits, service.counters)
        service.worker.start()
        service.ready = True
        log.info("serving %s (%s, %s)%s", tuned.model, tuned.name, tuned.task,
                 f" beside base {base.model}" if base else "")
        try:
            yield
        finally:
            # uvicorn has already finished the in-flight requests; readiness goes first so probes stop routing here.
            service.ready = False
            await service.worker.stop()
            for engine in (tuned, base):
                if engine is not None:
                    engine.close()

    app = FastAPI(title="searchtune", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service

    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    app.add_middleware(CountStatus, counts=service.counters.requests)

    @app.exception_handler(ApiError)
    async def api_error(request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.code, exc.param, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc: RequestValidationError):
        message, param, code = _validation_message(exc)
        return error_response(400, message, code, param)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
        return error_response(exc.status_code, str(exc.detail), codes.get(exc.status_code, "http_error"),
                              headers=getattr(exc, "headers", None))

    def authorized(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get("authorization", "")
        token = given[7:] if given[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(token.encode(), api_key.encode()):
            raise ApiError(401, "missing or wrong API key: send `Authorization: Bearer <SEARCHTUNE_API_KEY>`",
                           "invalid_api_key", headers={"WWW-Authenticate": "Bearer"})

    def task_engine(model: str | None, task: str) -> Engine:
        engine = service.engine(model)
        if engine.task != task:
            other = {"query_rewrite": "/v1/rewrite", "summarize": "/v1/summarize"}[engine.task]
            raise ApiError(400, f"`{engine.model}` is a {engine.task} model; use {other}", "wrong_task")
        return engine

    guarded = [Depends(authorized)]

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/ready")
    async def ready():
        if not service.ready:
            return error_response(503, "not ready", "not_ready", headers={"Retry-After": str(limits.retry_after_s)})
        return {"status": "ready", "models": list(service.engines())}

    @app.get("/metrics")
    async def metrics():
        return PlainTextResponse(service.metrics())

    @app.get("/v1/models", dependencies=guarded)
    async def models():
        return {"object": "list", "data": [{"id": e.model, "object": "model", "created": 0, "owned_by": "searchtune",
                                            "task": e.task, "engine": e.name} for e in service.engines().values()]}

    @app.post("/v1/chat/completions", dependencies=guarded)
    async def chat(body: ChatBody, request: Request):
        if body.stream:
            raise ApiError(400, "stream: not supported; send stream=false", "unsupported", "stream")
        engine = service.engine(body.model)
        settings = task_decoding(engine, body.max_completion_tokens or body.max_tokens, temperature=body.temperature,
                                 top_p=body.top_p, stop=body.stop)
        text, _ = await service.complete(request, engine, _record_chat(engine.task, body.messages), settings)
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                "model": engine.model, "system_fingerprint": None,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop", "logprobs": None}]}

    @app.post("/v1/rewrite", dependencies=guarded)
    async def rewrite(body: RewriteBody, request: Request):
        engine = task_engine(body.model, "query_rewrite")
        if body.top_k:
            service.collection_or_404()  # before the generation it would waste
        text, cached = await service.complete(request, engine, _record_rewrite(body),
                                              task_decoding(engine, body.max_tokens))
        out = {"rewrite": text, "model": engine.model, "cached": cached}
        if body.top_k:
            out["passages"] = (await service.passages([text], body.top_k))[0]
        return out

    @app.post("/v1/summarize", dependencies=guarded)
    async def summarize(body: SummarizeBody, request: Request):
        engine = task_engine(body.model, "summarize")
        record = {"document": body.document, **({"query": body.query} if body.query else {})}
        text, cached = await service.complete(request, engine, record, task_decoding(engine, body.max_tokens))
        return {"summary": text, "model": engine.model, "cached": cached}

    @app.post("/v1/search", dependencies=guarded)
    async def search(body: SearchBody):
        return {"passages": (await service.passages([body.query], body.top_k))[0]}

    page = resources.files("finetune.serving").joinpath("static/playground.html").read_text(encoding="utf-8")
    config = json.dumps({"task": tuned.task, "tuned": tuned.model, "base": base.model if base else None,
                         "collection": collection.name if collection else None, "top_k": limits.top_k,
                         "auth": api_key is not None}).replace("</", "<\\/")

    @app.get("/", response_class=HTMLResponse)
    async def playground():
        return page.replace("/*CONFIG*/null", config)

    return app
