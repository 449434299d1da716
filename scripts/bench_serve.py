#!/usr/bin/env python3
"""Time serving: one rewrite request through a real `searchtune serve` on loopback, plain transformers (fp32, the
eval's default attention) against the other engines, for one run on the first N CANARD dev conversations, in one
process tree on this machine.

    python scripts/bench_serve.py --run RUN [--engines transformers,llama.cpp] [--n 200] [--clients 1,4,16]
                                  [--threads 2] [--output bench_serve.json] [--limit N] [--dry-run]

The llama.cpp and ctranslate2 engines serve the run's q8_0 GGUF and int8 CTranslate2 exports, each made first
(untimed) when missing. Each engine gets its own server subprocess (`python -m finetune.cli serve RUN --engine E
--port 0`, cache off so no request is a cache hit). Per engine: p50/p95/p99 latency of one request at a time over
the N conversations,
throughput (requests/s) with 1, 4 and 16 concurrent clients over the same conversations (1 client is the latency
pass), the server's peak RSS (VmHWM), and BLEU (sacrebleu, evals.metrics) and exact agreement of its rewrites
against the transformers engine's, which is what the eval scores. Ratios are against transformers. Run it alone on
the machine: another process on the CPU skews every figure. --dry-run checks the inputs and prints the plan without
starting a server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from finetune.core.errors import UserError, handle  # noqa: E402

BASELINE = "transformers"
READY_TIMEOUT_S = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="the run folder to serve (the CPU default rewriter)")
    parser.add_argument("--engines", default="transformers,llama.cpp",
                        help="comma-separated engines; transformers is always measured first, as the baseline")
    parser.add_argument("--data", help="CANARD dev JSONL (default: the data root's canard/dev.jsonl)")
    parser.add_argument("--n", type=int, default=200, help="conversations (default 200: the first 200 dev rows)")
    parser.add_argument("--limit", type=int, help="use only this many conversations (a quick check)")
    parser.add_argument("--clients", default="1,4,16", help="concurrent clients for the throughput runs")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="generation threads per server")
    parser.add_argument("--output", default="bench_serve.json", help="where the figures go (JSON)")
    parser.add_argument("--dry-run", action="store_true", help="check the inputs and print the plan only")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args()
    return handle(lambda: bench(args), args.debug)


def bench(args) -> int:
    engines, clients, records = check(args)
    plan = [serve_command(args.run, e, args.threads) for e in engines]
    print(f"{len(records)} conversations, clients {clients}, threads {args.threads}")
    exports = export_commands(args.run, engines)
    for cmd in exports:
        print("export (untimed):", " ".join(cmd))
    for cmd in plan:
        print("server:", " ".join(cmd))
    if args.dry_run:
        return 0
    for cmd in exports:
        if subprocess.run(cmd).returncode:
            raise UserError(f"{' '.join(cmd)}: the export failed; its error is above")
    figures = {}
    for engine, cmd in zip(engines, plan):
        with Server(cmd, Path(args.output).with_name(f"{Path(args.output).stem}-{engine}.log")) as server:
            figures[engine] = measure(server, records, clients)
    report = summarize(figures, records, args)
    Path(args.output).write_text(json.dumps(report, indent=2))
    print(table(report))
    return 0


def check(args) -> tuple[list[str], list[int], list[dict]]:
    """Every input checked before any model loads: the run, the engines, the client counts and the data."""
    from finetune.core.run import RunFolder

    RunFolder.finished(args.run)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    engines = [BASELINE] + [e for e in engines if e != BASELINE]
    try:
        clients = [int(c) for c in args.clients.split(",")]
    except ValueError:
        raise UserError(f"--clients {args.clients}: expected comma-separated integers, e.g. 1,4,16") from None
    if not clients or min(clients) < 1:
        raise UserError(f"--clients {args.clients}: each count must be at least 1")
    n = min(args.n, args.limit) if args.limit else args.n
    return engines, clients, canard_records(args.data, n)


def canard_records(data: str | None, n: int) -> list[dict]:
    """The first n CANARD dev rows as /v1/rewrite bodies, through the eval's own CANARD normaliser."""
    from evals.registry import SOURCES, resolve_path

    path = Path(data).expanduser() if data else resolve_path("canard")
    if not path.is_file():
        raise UserError(f"--data {path}: not found; pass --data PATH/canard/dev.jsonl or set SEARCHTUNE_DATA_ROOT")
    normalise = SOURCES["canard"].convert
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(records) == n:
                break
            if line.strip():
                row = normalise(json.loads(line))
                records.append({"history": row["history"], "query": row["query"]})
    if not records:
        raise UserError(f"--data {path}: no rows")
    return records


def export_commands(run: str, engines: list[str]) -> list[list[str]]:
    """The exports the engines serve (engines.ENGINE_EXPORTS: llama.cpp's RUN/export/gguf-q8_0, ctranslate2's
    RUN/export/ct2-int8) that are not there yet."""
    from finetune.core.run import EXPORT_SETTINGS_FILE, RunFolder
    from finetune.serving.engines import ENGINE_EXPORTS

    wanted = [ENGINE_EXPORTS[e] for e in engines if e in ENGINE_EXPORTS]
    return [[sys.executable, "-m", "finetune.cli", "export", str(run), "--format", fmt, "--quant", quant]
            for fmt, quant in wanted if not (RunFolder(run).export_dir(fmt, quant) / EXPORT_SETTINGS_FILE).is_file()]


def serve_command(run: str, engine: str, threads: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "finetune.cli", "serve", str(run), "--engine", engine, "--port", "0",
           "--cache-entries", "0", "--max-pending", "256"]
    return cmd + (["--threads", str(threads)] if threads else [])


class Server:
    """A `searchtune serve` subprocess on loopback: its URL once /ready answers, its peak RSS, SIGTERM at the end."""

    def __init__(self, cmd: list[str], log: Path):
        self.cmd, self.log = cmd, log

    def __enter__(self) -> Server:
        import requests

        env = dict(os.environ, TOKENIZERS_PARALLELISM="false")
        # The server's log goes to a file beside the figures: a failed run is diagnosed from it.
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        line = self.proc.stdout.readline()  # "searchtune: serving MODEL on http://HOST:PORT (...)"
        if " on http://" not in line:
            self.proc.kill()
            raise UserError(f"{' '.join(self.cmd)}: the server did not start (exit {self.proc.wait()}); see "
                            f"{self.log}")
        self.url = line.split(" on ", 1)[1].split()[0]
        deadline = time.monotonic() + READY_TIMEOUT_S
        try:  # a server that never gets ready is stopped here: __exit__ does not run when __enter__ raises
            while requests.get(f"{self.url}/ready", timeout=30).status_code != 200:
                if time.monotonic() > deadline:
                    raise UserError(f"{self.url}/ready: not ready after {READY_TIMEOUT_S} s")
                time.sleep(0.5)
        except (UserError, requests.ConnectionError) as e:
            self.proc.kill()
            raise UserError(f"{' '.join(self.cmd)}: the server stopped answering ({e}); see {self.log}")
        return self

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def rewrite(session, url: str, record: dict) -> tuple[float, str]:
    start = time.perf_counter()
    response = session.post(f"{url}/v1/rewrite", json=record, timeout=300)
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed, response.json()["rewrite"]


def measure(server: Server, records: list[dict], clients: list[int]) -> dict:
    import numpy as np
    import requests

    session = requests.Session()
    for record in records[:3]:  # warm-up: first-call allocations, thread pools
        rewrite(session, server.url, record)
    start = time.perf_counter()
    timed = [rewrite(session, server.url, r) for r in records]
    sequential_s = time.perf_counter() - start
    seconds = np.array([t for t, _ in timed])
    out = {"latency_ms": {f"p{q}": float(np.percentile(seconds, q) * 1000) for q in (50, 95, 99)},
           "outputs": [text for _, text in timed], "throughput_rps": {}}
    for c in clients:
        if c == 1:  # one client is the latency pass itself: the same requests, one at a time
            out["throughput_rps"]["1"] = len(records) / sequential_s
            continue
        local = threading.local()

        def one(record):
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return rewrite(local.session, server.url, record)

        start = time.perf_counter()
        with ThreadPoolExecutor(c) as pool:
            list(pool.map(one, records))
        out["throughput_rps"][str(c)] = len(records) / (time.perf_counter() - start)
    out["peak_rss_mb"] = server.peak_rss_mb()
    return out


def summarize(figures: dict, records: list[dict], args) -> dict:
    from evals.metrics import bleu_from_stats, bleu_stats

    reference = figures[BASELINE]
    for engine, f in figures.items():
        stats = [bleu_stats(p, [r]) for p, r in zip(f["outputs"], reference["outputs"])]
        f["bleu_vs_fp32"] = bleu_from_stats([sum(col) for col in zip(*stats)])
        f["agreement_vs_fp32"] = sum(p == r for p, r in zip(f["outputs"], reference["outputs"])) / len(records)
        f["speedup_p50"] = reference["latency_ms"]["p50"] / f["latency_ms"]["p50"]
        f["throughput_ratio"] = {c: f["throughput_rps"][c] / reference["throughput_rps"][c]
                                 for c in f["throughput_rps"]}
    return {"run": str(Path(args.run).resolve()), "n": len(records), "threads": args.threads,
            "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
            "engines": figures}


def table(report: dict) -> str:
    clients = list(next(iter(report["engines"].values()))["throughput_rps"])
    head = ["engine", "p50 ms", "p95 ms", "p99 ms", *(f"req/s @{c}" for c in clients), "peak RSS MB",
            "BLEU vs fp32", "agree", "p50 speedup"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for engine, f in report["engines"].items():
        cells = [engine, *(f"{f['latency_ms'][p]:.0f}" for p in ("p50", "p95", "p99")),
                 *(f"{f['throughput_rps'][c]:.1f}" for c in clients), f"{f['peak_rss_mb']:.0f}",
                 f"{f['bleu_vs_fp32']:.1f}", f"{f['agreement_vs_fp32']:.0%}", f"{f['speedup_p50']:.1f}x"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
