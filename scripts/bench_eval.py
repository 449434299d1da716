#!/usr/bin/env python3
"""Time eval generation: lm-eval's HFLM at batch size 1 against searchtune's batched LM, same prompts, same
greedy settings, one process, one model object.

    python scripts/bench_eval.py [--task TASK] [--n 200] [--batch-size 16] [--model smollm2-135m-instruct]

Default task: DialogSum dev when ../shared/data has it, else the bundled query-rewrite heldout set. A set smaller
than --n is cycled; each cycle runs through a fresh searchtune LM, so repeated prompts are generated again rather
than served from its in-memory cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from evals.cli import batch_size as parse_batch_size, pairs
from finetune.core.errors import handle


def default_task() -> str:
    from evals.registry import resolve_path

    return "searchtune_sum_dialogsum" if resolve_path("dialogsum").is_file() else "searchtune_qr_sample"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", help="a searchtune task (default: searchtune_sum_dialogsum when present, "
                                       "else searchtune_qr_sample)")
    parser.add_argument("--n", type=int, default=200, help="examples to generate (default 200)")
    parser.add_argument("--batch-size", default="16", help="searchtune LM batch size, or auto (default 16)")
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--data", action="append", default=[], metavar="KEY=PATH")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return handle(lambda: bench(args), args.debug)


def bench(args) -> int:
    data = pairs("--data", args.data, "dialogsum=/data/dialogsum/dev.jsonl")
    batch_size = parse_batch_size(args.batch_size)

    import torch
    from lm_eval.models.huggingface import HFLM

    from evals.lm import SearchtuneLM
    from evals.tasks_manager import load_tasks
    from finetune.core.models import load_base_model, load_tokenizer, local_checkpoint

    task_name = args.task or default_task()
    checkpoint = local_checkpoint(args.model)
    tokenizer = load_tokenizer(checkpoint)
    model = load_base_model(checkpoint, "auto", device_map="cuda" if torch.cuda.is_available() else None)

    task = load_tasks([task_name], data)["tasks"][task_name]
    ours = SearchtuneLM(model, tokenizer, batch_size=batch_size)
    task.build_all_requests(apply_chat_template=True, chat_template=ours.apply_chat_template,
                            tokenizer_name=ours.tokenizer_name)
    unique = task.instances
    requests = [unique[i % len(unique)] for i in range(args.n)]
    cycles = [requests[i : i + len(unique)] for i in range(0, args.n, len(unique))]
    gen = requests[0].args[1]
    print(f"task {task_name}: {args.n} examples ({len(unique)} distinct), model {args.model} on {model.device}, "
          f"greedy, max_gen_toks={gen.get('max_gen_toks')}, torch threads {torch.get_num_threads()}")

    hf = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=1)
    hf.generate_until(requests[:1], disable_tqdm=True)  # warm-up: first-call costs are not throughput
    SearchtuneLM(model, tokenizer, batch_size=batch_size).generate_until(requests[:1], disable_tqdm=True)

    start = time.perf_counter()
    hf_out = hf.generate_until(requests, disable_tqdm=True)
    hf_s = time.perf_counter() - start

    start = time.perf_counter()
    our_out = []
    for cycle in cycles:
        our_out += SearchtuneLM(model, tokenizer, batch_size=batch_size).generate_until(cycle, disable_tqdm=True)
    our_s = time.perf_counter() - start

    same = sum(a.strip() == b.strip() for a, b in zip(hf_out, our_out))
    print(f"lm-eval HFLM, batch size 1:      {args.n / hf_s:8.2f} examples/s ({hf_s:.1f} s)")
    print(f"searchtune LM, batch size {batch_size!s:<6} {args.n / our_s:8.2f} examples/s ({our_s:.1f} s)")
    print(f"speed-up: {hf_s / our_s:.2f}x; identical outputs: {same}/{args.n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
