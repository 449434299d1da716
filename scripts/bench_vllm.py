#!/usr/bin/env python3
"""vLLM benchmark for a lent GPU: the base model with a run's LoRA adapter applied per request, as an offline batch
(`LLM.generate`) and behind vLLM's OpenAI server (`vllm serve --enable-lora`) with concurrent clients on loopback.

    python scripts/bench_vllm.py --model BASE --adapter RUN/adapter [--n 1000] [--clients 1,16,64]
                                 [--max-tokens 48] [--output bench-vllm.json] [--dry-run]

Prompts are the run's own (RUN is the adapter's folder), built as searchtune's engines build them
(finetune.serving.engines.prompt_parts: the run's instruction and prompt budget, its tokenizer's chat template), of
the first --n CANARD dev conversations (--data), or of the bundled query-rewrite held-out set, cycled, when the data
root is not on that machine. Greedy, as the eval decodes. The offline engine's GPU memory is released before the
server starts. Needs vllm and a GPU; --dry-run prints the vLLM arguments and the server command without importing
vllm.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from finetune.core.errors import UserError, handle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="base model folder or Hub id (the run's base)")
    parser.add_argument("--adapter", required=True, help="the run's adapter folder (RUN/adapter)")
    parser.add_argument("--data", help="CANARD dev JSONL (default: the data root's, else the bundled sample)")
    parser.add_argument("--n", type=int, default=1000, help="prompts (default 1000)")
    parser.add_argument("--clients", default="1,16,64", help="concurrent clients against the server")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--max-length", type=int, help="vLLM's max_model_len (default: the run's data.max_length)")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--output", default="bench-vllm.json")
    parser.add_argument("--dry-run", action="store_true", help="print the vLLM arguments and server command only")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()
    return handle(lambda: bench(args), args.debug)


def llm_kwargs(model: str, adapter: str, max_length: int) -> dict:
    """vllm.LLM's arguments, from the same construction `searchtune eval --engine vllm` uses (evals.lm.vllm_args)."""
    from evals.lm import vllm_args

    args = vllm_args(model, adapter, max_length=max_length)
    return {"model": args["pretrained"], "dtype": args["dtype"], "max_model_len": args["max_model_len"],
            "enable_prefix_caching": True, "enable_lora": True, "max_lora_rank": args["max_lora_rank"]}


def serve_command(model: str, adapter: str, max_length: int, port: int) -> list[str]:
    kw = llm_kwargs(model, adapter, max_length)
    return ["vllm", "serve", model, "--host", "127.0.0.1", "--port", str(port), "--enable-lora",
            "--lora-modules", f"tuned={adapter}", "--max-lora-rank", str(kw["max_lora_rank"]),
            "--max-model-len", str(max_length), "--enable-prefix-caching"]


def prompts(spec, tokenizer, data: str | None, n: int) -> list[str]:
    """The first n conversations' prompts, `spec.render(tokenizer, record)` as the engines render them, cycled."""
    from evals.registry import SOURCES, resolve_path

    path = Path(data) if data else resolve_path("canard")
    if path.is_file():
        convert = SOURCES["canard"].convert
    else:
        path, convert = resolve_path("qr_sample"), SOURCES["qr_sample"].convert
    rows = [convert(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()[:n] if line.strip()]
    texts = [spec.render(tokenizer, {"history": r["history"], "query": r["query"]}) for r in rows]
    return [texts[i % len(texts)] for i in range(n)]


def bench(args) -> int:
    from finetune.core.prompts import PromptSpec
    from finetune.serving.engines import prompt_parts, run_model

    if not Path(args.adapter, "adapter_config.json").is_file():
        raise UserError(f"--adapter {args.adapter}: no adapter_config.json; point at RUN/adapter")
    run, recipe = run_model(Path(args.adapter).parent)
    if recipe.data.task != "query_rewrite":
        raise UserError(f"--adapter {args.adapter}: a {recipe.data.task} run; the benchmark's prompts are "
                        "conversations, so point at a query_rewrite run's adapter")
    budget = PromptSpec.of(recipe).budget
    args.max_length = args.max_length or recipe.data.max_length
    if budget + args.max_tokens > args.max_length:
        raise UserError(f"--max-length {args.max_length}: the run's prompts take up to {budget} tokens, so "
                        f"--max-tokens {args.max_tokens} needs at least {budget + args.max_tokens}; raise it")
    clients = [int(c) for c in args.clients.split(",")]
    print("LLM(", json.dumps(llm_kwargs(args.model, args.adapter, args.max_length)), ")")
    print("server:", " ".join(serve_command(args.model, args.adapter, args.max_length, args.port)))
    if args.dry_run:
        return 0
    texts = prompts(*prompt_parts(run, recipe), args.data, args.n)
    report = {"n": len(texts), "offline": offline(args, texts), "server": served(args, texts, clients)}
    Path(args.output).write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


def offline(args, texts: list[str]) -> dict:
    from vllm import LLM, SamplingParams
    from vllm.lora.request import LoRARequest

    llm = LLM(**llm_kwargs(args.model, args.adapter, args.max_length))
    try:
        params = SamplingParams(temperature=0.0, max_tokens=args.max_tokens)
        lora = LoRARequest("tuned", 1, args.adapter)
        llm.generate(texts[:8], params, lora_request=lora)  # warm-up: CUDA graphs, the adapter's first load
        start = time.perf_counter()
        outs = llm.generate(texts, params, lora_request=lora)
        seconds = time.perf_counter() - start
        tokens = sum(len(o.outputs[0].token_ids) for o in outs)
    finally:
        # `vllm serve` comes next on the same GPU: the engine's memory goes now, not when Python gets round to it.
        del llm
        free_gpu()
    return {"seconds": seconds, "prompts_per_s": len(texts) / seconds, "output_tokens_per_s": tokens / seconds}


def free_gpu() -> None:
    """After the last reference to the LLM is gone: its engine collected, then vLLM's own clean-up (the one its tests
    and maintainers use: distributed state destroyed) and the CUDA cache emptied."""
    import gc

    import torch
    from vllm.distributed import cleanup_dist_env_and_memory

    gc.collect()
    cleanup_dist_env_and_memory()
    torch.cuda.empty_cache()


def served(args, texts: list[str], clients: list[int]) -> dict:
    import numpy as np
    import requests

    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(serve_command(args.model, args.adapter, args.max_length, args.port))
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if requests.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise UserError("vllm serve did not become healthy; run the printed command by hand")
            time.sleep(2)

        def one(text: str) -> float:
            start = time.perf_counter()
            r = requests.post(f"{url}/v1/completions", json={"model": "tuned", "prompt": text,
                                                             "max_tokens": args.max_tokens, "temperature": 0.0},
                              timeout=300)
            r.raise_for_status()
            return time.perf_counter() - start

        out = {}
        for c in clients:
            start = time.perf_counter()
            with ThreadPoolExecutor(c) as pool:
                seconds = np.array(list(pool.map(one, texts)))
            wall = time.perf_counter() - start
            out[str(c)] = {"req_per_s": len(texts) / wall,
                           **{f"p{q}_ms": float(np.percentile(seconds, q) * 1000) for q in (50, 95, 99)}}
        return out
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
