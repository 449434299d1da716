"""`searchtune serve RUN_DIR`: the run behind an OpenAI-compatible HTTP API, its task endpoints and a playground."""

from __future__ import annotations

import os

from finetune.cli import engine_argument, run_dir_argument

HELP = "serve a run over HTTP: the OpenAI API, /v1/rewrite, /v1/summarize and a playground page at /"
API_KEY_ENV = "SEARCHTUNE_API_KEY"


def add_arguments(parser) -> None:
    run_dir_argument(parser)
    engine_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--base", action="store_true",
                        help="also load the base model, served beside the tuned one (and in the playground)")
    parser.add_argument("--collection", metavar="PATH", help="retrieval corpus (JSONL id/text, or a folder with "
                        "corpus.jsonl) whose top passages the playground shows; default none")
    parser.add_argument("--retriever", default="bm25", metavar="bm25|dense|fused", help="searcher over --collection")
    parser.add_argument("--threads", type=int, help="CPU threads for generation (default: the engine's)")
    parser.add_argument("--max-pending", type=int, default=64, help="requests queued or generating before 503s")
    parser.add_argument("--max-batch", type=int, default=8, help="queued requests generated in one engine call")
    parser.add_argument("--max-body-bytes", type=int, default=1 << 20, help="larger request bodies get 413")
    parser.add_argument("--cache-entries", type=int, default=4096, help="LRU cache size (0: no cache)")


def api_key() -> str | None:
    """The optional API key, from the environment only: argv is visible to every user of the machine."""
    from finetune.core import secrets
    from finetune.core.errors import UserError

    key = os.environ.get(API_KEY_ENV, "").strip() or None
    if key is not None and len(key) < max(16, secrets.MIN_LENGTH):
        raise UserError(f"{API_KEY_ENV}: {len(key)} characters; use a random key of at least 16 (or unset it to serve "
                        "without one)")
    return key


def run(args) -> int:
    import signal
    import socket

    import uvicorn

    from finetune.core.errors import UserError
    from finetune.core.run import RunFolder
    from finetune.serving import server
    from finetune.cli.export import open_run_engine

    run_dir = RunFolder.finished(args.run_dir).path
    for option in ("max_pending", "max_batch", "max_body_bytes"):
        if getattr(args, option) < 1:
            raise UserError(f"--{option.replace('_', '-')}: must be at least 1")
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: use 0-65535 (0 picks a free port)")
    key = api_key()
    collection = server.load_collection(args.collection, args.retriever) if args.collection else None
    try:
        # Bound before the model loads: a busy port fails in a second, and --port 0 learns its number here.
        sock = socket.create_server((args.host, args.port))
    except OSError as e:
        raise UserError(f"--host {args.host} --port {args.port}: cannot listen ({e.strerror}); pick another port")
    server.configure_logging()
    tuned = open_run_engine(run_dir, args.engine, threads=args.threads)
    base = open_run_engine(run_dir, args.engine, base=True, threads=args.threads) if args.base else None
    limits = server.Limits(max_body_bytes=args.max_body_bytes, max_pending=args.max_pending,
                           max_batch=args.max_batch, cache_entries=args.cache_entries)
    app = server.create_app(tuned, base, collection=collection, limits=limits, api_key=key)
    # uvicorn's own 503 past this many connections backs up the queue limit (slow or idle clients).
    config = uvicorn.Config(app, log_config=None, limit_concurrency=args.max_pending + 64,
                            timeout_graceful_shutdown=60)
    host, port = sock.getsockname()[:2]
    print(f"searchtune: serving {tuned.model} on http://{host}:{port} ({args.engine}; Ctrl-C stops)", flush=True)
    # uvicorn drains in-flight requests on SIGTERM/SIGINT, then re-raises the signal; landing here makes it exit 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
