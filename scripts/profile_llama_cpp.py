#!/usr/bin/env python3
"""Where a llama.cpp rewrite's time goes: prompt evaluation (after the KV prefix reuse) against decoding, per
request and per token, from llama.cpp's own counters (`llama_perf_context`), for one run on the first N CANARD dev
conversations, one request at a time as the server runs them (no HTTP).

    python scripts/profile_llama_cpp.py --run RUN [--n 40] [--threads 2]

The run's q8_0 export must exist (`searchtune export RUN --format gguf`, or one `searchtune serve --engine llama.cpp`).
The first 3 requests are warm-up. Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from finetune.core.errors import handle  # noqa: E402

WARM_UP = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="the run folder (its export/gguf-q8_0 is served)")
    parser.add_argument("--data", help="CANARD dev JSONL (default: the data root's canard/dev.jsonl)")
    parser.add_argument("--n", type=int, default=40, help="conversations (default 40)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args()
    return handle(lambda: profile(args), args.debug)


def profile(args) -> int:
    import llama_cpp

    from bench_serve import canard_records
    from finetune.serving.engines import open_engine

    records = canard_records(args.data, args.n + WARM_UP)
    engine = open_engine(args.run, "llama.cpp", threads=args.threads)
    ctx, totals = engine.net.ctx, dict.fromkeys(("wall_s", "prompt", "p_n", "p_ms", "e_n", "e_ms"), 0.0)
    for i, record in enumerate(records):
        prompt = engine.prompt(record)
        llama_cpp.llama_perf_context_reset(ctx)
        start = time.perf_counter()
        engine.generate([prompt], engine.decoding)
        wall = time.perf_counter() - start
        perf = llama_cpp.llama_perf_context(ctx)
        if i < WARM_UP:
            continue
        for key, value in (("wall_s", wall), ("prompt", len(engine.tokenizer(prompt, add_special_tokens=False)
                                                               ["input_ids"])), ("p_n", perf.n_p_eval),
                           ("p_ms", perf.t_p_eval_ms), ("e_n", perf.n_eval), ("e_ms", perf.t_eval_ms)):
            totals[key] += value
    n = len(records) - WARM_UP
    print(json.dumps({
        "requests": n, "wall_ms_per_request": 1000 * totals["wall_s"] / n,
        "prompt_tokens_per_request": totals["prompt"] / n,
        "prompt_tokens_evaluated_per_request": totals["p_n"] / n,  # the rest came from the previous prompt's KV cache
        "prompt_eval_ms_per_request": totals["p_ms"] / n,
        "prompt_eval_ms_per_token": totals["p_ms"] / max(totals["p_n"], 1),
        "decode_tokens_per_request": totals["e_n"] / n, "decode_ms_per_request": totals["e_ms"] / n,
        "decode_ms_per_token": totals["e_ms"] / max(totals["e_n"], 1)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
