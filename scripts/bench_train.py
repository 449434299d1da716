#!/usr/bin/env python3
"""Training throughput: a plain TRL + PEFT script against searchtune's recipe path; data-cache and CLI timings.

    python scripts/bench_train.py [--model smollm2-135m-instruct] [--data PATH] [--steps 3] [--rounds 3]

Variants, each in its own subprocess, run alternately (a, b, c, a, b, c, ...); medians are reported:
  (a) plain   the script a user writes by hand: prompt-completion dataset, SFTTrainer + LoraConfig, padding to the
              longest in each batch, no packing
  (b) recipe  finetune.training.trainer (recipe -> data.build_datasets -> trainer.build_trainer) with the same
              behaviour (SAME_AS_PLAIN)
  (c) fast    the recipe path with the fastest settings (--fast; default per device: FAST)

Settings shared by all variants come from --recipe (batch size, max_length, LoRA, dtype, 4-bit, gradient
checkpointing, optimizer); the data is replaced by --data: DialogSum train from ../shared/data (or shared/data) when
present, else the bundled sample. Rows longer than max_length are left out, so that no path truncates. Every variant
draws from the same pool of rows (POOL_BATCHES) with the same seed and stops after --steps + 1 optimizer steps; (a)
and (b) see identical batches. The first step is the warm-up and is not timed; model loading and data preparation are
never timed.

Reported per variant: real (non-pad) tokens/s, median step time, pad fraction, peak RSS (peak GPU memory on GPU) and
MFU = useful model FLOP/s over a dense matmul peak of the same dtype measured here. Useful FLOPs are counted exactly
for LoRA: frozen matmuls 4 per weight per token (forward 2, activation gradient 2; no weight gradient), LoRA matmuls 6
per weight per token, the LM head 4 per weight on loss tokens only (completion-only loss needs no other logits), and
causal attention 6 * s^2 * heads * head_dim per layer for each sequence of s tokens (forward 2, backward 4).
Recomputation (gradient checkpointing), padding, the LM head on prompt tokens and attention across the examples of a
packed row count as waste.

`--model random:qwen2.5-0.5b` (or -1.5b, or random:tiny) builds a randomly initialized model from a config written
below and a byte-level BPE tokenizer trained on the benchmark data: no weights needed (scripts/bench_gpu.sh).
`--profile VARIANT` runs one variant under torch.profiler and prints its top operators.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from finetune.core.errors import UserError, handle

REPO = Path(__file__).resolve().parents[1]

DIALOGSUM = next((p for p in (REPO.parent / "shared" / "data" / "dialogsum" / "train.jsonl",
                              REPO / "shared" / "data" / "dialogsum" / "train.jsonl") if p.is_file()),
                 REPO.parent / "shared" / "data" / "dialogsum" / "train.jsonl")
SAMPLE = REPO / "finetune" / "sample_data" / "summarize_train.jsonl"
DEFAULT_RECIPE = REPO / "recipes" / "summarize" / "smollm2-135m-lora.yaml"

# Fastest settings found per device (docs/performance.md has the measurements behind them). On GPU, packing is
# measured against them by scripts/bench_gpu.sh (variant c_pack).
FAST = {
    "cpu": "train.packing=false train.group_by_length=true train.fast_path=true",
    "cuda": "train.packing=false train.group_by_length=true train.fast_path=true",
}
# (b) runs the recipe path with the plain script's behaviour: no packing, random batches, padding masks, TRL's LM head.
SAME_AS_PLAIN = "train.packing=false train.group_by_length=false train.fast_path=false"
# Every variant stops after --steps + 1 optimizer steps, drawing from a pool of 200 batches' worth of rows: enough for
# transformers' length grouping to sort mega-batches of 50 batches, as in a real run (it makes at least 4). Grouped
# batches come longest first, so (c)'s timed steps are its first mega-batch's longest: the tokens/step column shows
# it; per padded position a step costs about the same at 240 and 460 tokens per row (docs/performance.md).
POOL_BATCHES = 200

# Shapes of the Qwen2.5 instruct models (their config.json), for randomly initialized stand-ins.
RANDOM_CONFIGS = {
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "qwen2.5-1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                         num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=2048, tie_word_embeddings=True),
}
CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


# ---------------------------------------------------------------------------------------------------------------- data

def read_rows(path: Path) -> list[dict]:
    """{document, summary} rows from a summarize-style JSONL (DialogSum's `dialogue` is the document)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append({"document": r.get("document") or r["dialogue"], "summary": r["summary"]})
    return rows


def select_rows(rows: list[dict], tokenizer, max_length: int, n: int, seed: int) -> tuple[list[dict], int, list[int]]:
    """Up to n seeded-random rows whose whole prompt + summary fits max_length; (rows, skipped as too long, lengths)."""
    from finetune.core import prompts

    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    picked, lengths, skipped = [], [], 0
    for i in order:
        rec = {"document": rows[i]["document"], "query": None, "summary": rows[i]["summary"]}
        enc = prompts.encode(tokenizer, "summarize", rec, 10**9)
        if len(enc.input_ids) > max_length:
            skipped += 1
            continue
        picked.append(rows[i])
        lengths.append(len(enc.input_ids))
        if len(picked) == n:
            break
    return picked, skipped, lengths


# -------------------------------------------------------------------------------------------------------------- models

def build_random_model(kind: str, folder: Path, texts: list[str], dtype: str) -> Path:
    """A randomly initialized Qwen2 of the named shape, with a BPE tokenizer trained on the benchmark texts."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast, Qwen2Config

    shape = RANDOM_CONFIGS[kind]
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    vocab = min(16000, shape["vocab_size"])
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab, special_tokens=special,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=None, eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    config = Qwen2Config(**shape, max_position_embeddings=32768, rms_norm_eps=1e-6, eos_token_id=fast.eos_token_id,
                         pad_token_id=fast.pad_token_id, bos_token_id=None)
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    del model
    return folder


# -------------------------------------------------------------------------------------------------------------- timing

def matmul_params(model) -> tuple[int, int, int]:
    """(frozen matmul weights outside the LM head, LoRA weights, LM head weights) of a PEFT-wrapped causal LM."""
    import torch

    head = model.get_output_embeddings()
    body = lora = 0
    for name, module in model.named_modules():
        if module is head or not isinstance(module, torch.nn.Linear):
            continue
        size = module.in_features * module.out_features
        if any(part.startswith("lora_") for part in name.split(".")):
            lora += size
        else:
            body += size
    return body, lora, head.weight.shape[0] * head.weight.shape[1]


class Meter:
    """Wraps the trainer's collator to count each batch's real tokens, padded positions and useful FLOPs, and marks
    the end time of each optimizer step."""

    def __init__(self, collator, model, grad_accum: int):
        cfg = model.config.get_text_config()
        head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.body, self.lora, self.head = matmul_params(model)
        self.attn = 6 * cfg.num_hidden_layers * cfg.num_attention_heads * head_dim
        self.collator, self.grad_accum = collator, grad_accum
        self.batches: list[tuple[int, int, float]] = []
        self.prompts: list[list[str]] = []
        self.step_ends: list[float] = []

    def __call__(self, examples):
        batch = self.collator(examples)
        real = flops = 0
        for ex in examples:
            seqs = ex.get("seq_lengths") or [len(ex["input_ids"])]
            loss_tokens = sum(1 for t in ex["labels"] if t != -100) if "labels" in ex else len(ex["input_ids"])
            real += sum(seqs)
            flops += 4 * self.body * sum(seqs) + 6 * self.lora * sum(seqs) + 4 * self.head * loss_tokens
            flops += self.attn * sum(s * s for s in seqs)
        self.batches.append((real, batch["input_ids"].numel(), flops))
        self.prompts.append(sorted(prompt_tail(ex) for ex in examples))
        return batch

    def callback(self):
        from transformers import TrainerCallback

        meter = self

        class StepEnd(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                import torch

                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                meter.step_ends.append(time.perf_counter())

        return StepEnd()

    def summary(self) -> dict:
        ga, ends = self.grad_accum, self.step_ends
        if len(ends) < 2:
            raise UserError(f"only {len(ends)} optimizer step: nothing to time after the warm-up; raise --steps "
                            "(packing puts several rows in one step)")
        steps = [tuple(map(sum, zip(*self.batches[i * ga:(i + 1) * ga]))) for i in range(len(ends))]
        timed = steps[1:]  # step 1 is the warm-up
        seconds = ends[-1] - ends[0]
        real = sum(s[0] for s in timed)
        return {
            "steps": len(ends), "timed_steps": len(timed), "seconds": seconds,
            "tokens": real, "tokens_per_s": real / seconds,
            "step_s": statistics.median(b - a for a, b in zip(ends, ends[1:])),
            "pad_fraction": 1 - real / sum(s[1] for s in timed),
            "flops_per_s": sum(s[2] for s in timed) / seconds,
            "tokens_per_step": [s[0] for s in steps],
            "batches_digest": hashlib.sha256(json.dumps(self.prompts).encode()).hexdigest()[:16],
        }


def prompt_tail(example) -> str:
    """The last prompt tokens of an unpacked example: equal in (a) and (b) when they batch the same rows."""
    labels = example.get("labels") or []
    start = next((i for i, t in enumerate(labels) if t != -100), len(example["input_ids"]))
    return ",".join(map(str, example["input_ids"][max(0, start - 24):start]))


def measure_peak(dtype: str) -> float:
    """Best FLOP/s of a large dense matmul in `dtype` on this machine (the MFU denominator)."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    n = 8192 if device == "cuda" else 2048
    a = torch.randn(n, n, device=device, dtype=getattr(torch, dtype))
    b = torch.randn(n, n, device=device, dtype=getattr(torch, dtype))
    best = float("inf")
    reps = 10 if device == "cuda" else 3
    for _ in range(3 if device == "cuda" else 1):  # warm-up
        a @ b
    for _ in range(5):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(reps):
            a @ b
        if device == "cuda":
            torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - start) / reps)
    return 2 * n**3 / best


# ------------------------------------------------------------------------------------------------------------- workers

def worker(spec: dict) -> dict:
    """Build one variant's trainer, train it for the benchmark's steps, return its measurements."""
    import resource

    import torch

    torch.set_num_threads(spec["threads"])
    if spec["variant"] == "plain":
        trainer, grad_accum = plain_trainer(spec)
    else:
        trainer, grad_accum = recipe_trainer(spec)
    meter = Meter(trainer.data_collator, trainer.model, grad_accum)
    trainer.data_collator = meter
    trainer.add_callback(meter.callback())
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    if spec.get("profile"):
        from torch.profiler import ProfilerActivity, profile

        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
        with profile(activities=activities) as prof:
            result = trainer.train()
        sort = "self_cuda_time_total" if torch.cuda.is_available() else "self_cpu_time_total"
        profile_table = prof.key_averages().table(sort_by=sort, row_limit=30)
    else:
        result = trainer.train()
    out = meter.summary()
    out["dtype"] = str(trainer.model.get_input_embeddings().weight.dtype).removeprefix("torch.")
    out["train_loss"] = result.training_loss
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    if spec.get("profile"):
        out["profile"] = profile_table
    return out


def recipe_settings(spec: dict):
    from finetune.core.recipe import load_recipe

    return load_recipe(spec["recipe"], spec["overrides"])


def plain_trainer(spec: dict):
    """The hand-written baseline: what a user writes with TRL + PEFT alone."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig
    from trl import SFTConfig, SFTTrainer

    from finetune.core.models import torch_dtype
    from finetune.core.prompts import user_message

    r = recipe_settings(spec)  # the same settings as (b), read from the same recipe
    rows = read_rows(Path(spec["data"]))
    random.Random(r.data.seed).shuffle(rows)  # the order searchtune's loader gives: identical batches in (a) and (b)
    dataset = Dataset.from_list([
        {"prompt": [{"role": "user", "content": user_message("summarize", {"document": row["document"]})}],
         "completion": [{"role": "assistant", "content": row["summary"]}]}
        for row in rows
    ])
    dtype = torch_dtype(r.model.dtype)
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=dtype) if r.model.load_in_4bit else None
    tokenizer = AutoTokenizer.from_pretrained(spec["checkpoint"])
    model = AutoModelForCausalLM.from_pretrained(spec["checkpoint"], dtype=dtype, quantization_config=quant,
                                                 attn_implementation=r.model.attn_implementation)
    t = r.train
    args = SFTConfig(
        output_dir=spec["workdir"], max_steps=t.max_steps, per_device_train_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum, learning_rate=t.learning_rate, lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio, max_length=r.data.max_length, packing=False,
        gradient_checkpointing=t.gradient_checkpointing, bf16=dtype == torch.bfloat16,
        use_liger_kernel=r.model.use_liger_kernel, seed=t.seed, data_seed=t.seed,
        save_strategy="no", logging_steps=t.logging_steps, report_to="none", use_cpu=not torch.cuda.is_available(),
    )
    lora = LoraConfig(r=r.lora.r, lora_alpha=r.lora.alpha, lora_dropout=r.lora.dropout,
                      target_modules=r.lora.target_modules, task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer, peft_config=lora)
    return trainer, t.grad_accum


def recipe_trainer(spec: dict):
    """The training path: recipe -> models.load -> data.build_datasets -> trainer.build_trainer."""
    from transformers import set_seed

    from finetune.training import data
    from finetune.core import models
    from finetune.training.trainer import build_trainer

    recipe = recipe_settings(spec)
    set_seed(recipe.train.seed)
    model, tokenizer, _ = models.load(recipe.model)
    train_ds, _, _ = data.build_datasets(recipe, tokenizer)
    trainer = build_trainer(recipe, model, tokenizer, train_ds, None, Path(spec["workdir"]))
    return trainer, recipe.train.grad_accum


def prep_worker(spec: dict) -> dict:
    """Time data.build_datasets once (imports and tokenizer loading excluded)."""
    import datasets  # noqa: F401  (imported before timing, as in a training run)

    from finetune.training import data
    from finetune.core import models
    from finetune.core.recipe import load_recipe

    recipe = load_recipe(spec["recipe"], spec["overrides"])
    tokenizer = models.load_tokenizer(spec["checkpoint"])
    start = time.perf_counter()
    _, _, stats = data.build_datasets(recipe, tokenizer)
    return {"seconds": time.perf_counter() - start, "cache_hit": stats.cache_hit, "rows": stats.train_rows}


# -------------------------------------------------------------------------------------------------------------- parent

def run_child(kind: str, spec: dict, env: dict, log: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), f"--{kind}", json.dumps(spec)]
    with open(log, "a") as f:
        f.write(f"\n$ {kind} {spec.get('variant', '')}\n")
        f.flush()
        proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=f, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "".join(open(log).readlines()[-30:])
        raise UserError(f"{kind} {spec.get('variant', '')} failed (exit {proc.returncode}); log {log}:\n{tail}", code=1)
    return json.loads(lines[-1][len("BENCH_RESULT "):])


def time_command(cmd: list[str], runs: int, env: dict) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli_timings(runs: int, env: dict) -> dict:
    exe = Path(sys.executable).parent / "searchtune"
    cli = [str(exe)] if exe.is_file() else [sys.executable, "-m", "finetune.cli"]
    recipe = str(REPO / "recipes" / "summarize" / "smollm2-135m-lora.yaml")
    return {
        "searchtune --help": time_command(cli + ["--help"], runs, env),
        "searchtune validate": time_command(cli + ["validate", recipe], runs, env),
        'python -c "import torch"': time_command([sys.executable, "-c", "import torch"], runs, env),
    }


def machine(on_gpu: bool) -> str:
    if on_gpu:
        import torch

        return torch.cuda.get_device_name()
    name = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        name = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                     if line.startswith("model name")), name)
    return f"{name}, {os.cpu_count()} CPUs"


def fmt_table(results: dict, names: dict, peaks: dict, on_gpu: bool) -> str:
    mem = "peak GPU mem (GB)" if on_gpu else "peak RSS (GB)"
    lines = [f"| variant | tokens/s | step (s) | tokens/step | pad | {mem} | MFU | train loss |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, runs in results.items():
        med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
        memory = med("peak_gpu_mb") if on_gpu else med("peak_rss_mb")
        per_step = statistics.median(statistics.mean(r["tokens_per_step"][1:]) for r in runs)
        lines.append(f"| {names[key]} | {med('tokens_per_s'):.1f} | {med('step_s'):.2f} | {per_step:.0f} "
                     f"| {med('pad_fraction'):.1%} "
                     f"| {memory / 1024:.2f} | {med('flops_per_s') / peaks[runs[0]['dtype']]:.1%} "
                     f"| {med('train_loss'):.4f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct",
                        help="model alias, folder or Hub id, or random:qwen2.5-0.5b|qwen2.5-1.5b|tiny")
    parser.add_argument("--data", type=Path, help=f"summarize JSONL (default {DIALOGSUM} when present, else {SAMPLE})")
    parser.add_argument("--recipe", type=Path, default=DEFAULT_RECIPE, help="settings shared by all variants")
    parser.add_argument("--steps", type=int, default=3, help="timed optimizer steps per run (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each variant, alternating (default 3)")
    parser.add_argument("--variants", default="a,b,c", help="which of a,b,c to run, and any --extra names")
    parser.add_argument("--fast", help="recipe overrides for (c), space-separated (default: FAST for this device)")
    parser.add_argument("--extra", action="append", default=[], metavar="NAME=OVERRIDES",
                        help="another recipe-path variant, e.g. c_pack='train.packing=true' (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="recipe override for every variant, e.g. train.batch_size=4 (repeatable)")
    parser.add_argument("--model-cache", type=Path, help="keep random:* models here for later runs")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads per run (CPU)")
    parser.add_argument("--cli-runs", type=int, default=5, help="runs per CLI timing; 0 skips it")
    parser.add_argument("--no-prep", action="store_true", help="skip the data-preparation cache timing")
    parser.add_argument("--json", type=Path, help="write all measurements here")
    parser.add_argument("--profile", metavar="VARIANT",
                        help="run only this variant once under torch.profiler and print its top operators")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--prep", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return handle(lambda: bench(args), args.debug)


def bench(args) -> int:

    if args.worker or args.prep:
        spec = json.loads(args.worker or args.prep)
        os.environ["SEARCHTUNE_CACHE"] = spec["cache"]
        result = worker(spec) if args.worker else prep_worker(spec)
        print("BENCH_RESULT " + json.dumps(result), flush=True)
        return 0

    import torch

    from finetune.core import models
    from finetune.core.recipe import load_recipe

    on_gpu = torch.cuda.is_available()
    device = "cuda" if on_gpu else "cpu"
    base = load_recipe(args.recipe, args.set, check_files=False)
    dtype = str(models.torch_dtype(base.model.dtype)).removeprefix("torch.")
    data_path = args.data or (DIALOGSUM if DIALOGSUM.is_file() else SAMPLE)
    rows = read_rows(data_path)
    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    log = work / "log.txt"
    done = False
    try:
        if args.model.startswith("random:"):
            kind = args.model.split(":", 1)[1]
            key = hashlib.sha256(f"{kind}|{dtype}|{data_path.resolve()}".encode()).hexdigest()[:12]
            folder = (args.model_cache or work) / f"{kind}-{key}"
            if not (folder / "config.json").is_file():
                build_random_model(kind, folder, [r["document"] + "\n" + r["summary"] for r in rows], dtype)
            checkpoint = str(folder)
        else:
            checkpoint = models.local_checkpoint(args.model)
        tokenizer = models.load_tokenizer(checkpoint)
        ml, bs, ga = base.data.max_length, base.train.batch_size, base.train.grad_accum
        n = (args.steps + 1) * bs * ga
        picked, skipped, lengths = select_rows(rows, tokenizer, ml, max(args.steps + 1, POOL_BATCHES) * bs * ga,
                                               seed=base.data.seed)
        if len(picked) < n:
            raise UserError(f"only {len(picked)} rows fit max_length={ml}; {args.steps + 1} steps need {n}")
        bench_data = work / "bench.jsonl"
        bench_data.write_text("".join(json.dumps(r) + "\n" for r in picked))

        common = [
            f"model.name={checkpoint}", "model.gguf_file=null", "data.task=summarize",
            f"data.train=[{{path: {bench_data}}}]",
            "data.eval=null", "data.eval_fraction=null", "data.limit=null", f"data.max_target_length={ml - 1}",
            f"train.max_steps={args.steps + 1}", "train.eval_steps=null", "train.save_steps=1000000000",
            "train.logging_steps=1000000", "train.resume=never", "eval.tasks=[]", "logging.mode=disabled",
            "hub.push=none", *args.set,
        ]
        fast = args.fast if args.fast is not None else FAST[device]
        variants = {
            "a": ("plain", "(a) plain TRL + PEFT", ["train.packing=false", "train.group_by_length=false"]),
            "b": ("recipe", "(b) searchtune recipe", shlex.split(SAME_AS_PLAIN)),
            "c": ("recipe", "(c) searchtune fast", shlex.split(fast)),
        }
        for item in args.extra:
            name, _, overrides = item.partition("=")
            variants[name] = ("recipe", f"({name}) {overrides}", shlex.split(overrides))
        chosen = [v.strip() for v in args.variants.split(",") if v.strip()] + [
            e.partition("=")[0] for e in args.extra if e.partition("=")[0] not in args.variants.split(",")]

        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false",
               "WANDB_MODE": "disabled", "HF_HUB_OFFLINE": "1"}
        print(f"machine: {machine(on_gpu)}; torch {torch.__version__}, {args.threads} threads per run; log {log}")
        print(f"data: {data_path} -> {len(picked)} rows (mean {statistics.mean(lengths):.0f} tokens, max {max(lengths)}; "
              f"{skipped} longer than max_length={ml} skipped), {args.steps + 1} steps of batch {bs} x grad_accum {ga} "
              f"per run, dtype {dtype}, "
              f"recipe {args.recipe.relative_to(REPO) if args.recipe.is_relative_to(REPO) else args.recipe}")

        print(f"(c) settings: {fast}")
        torch.set_num_threads(args.threads)  # the peak at the thread count the runs get
        peaks = {dtype: measure_peak(dtype)}
        print(f"peak: dense {dtype} matmul {peaks[dtype] / 1e9:.1f} GFLOP/s")

        def spec(key: str, run: str, profile: bool = False) -> dict:
            kind, _, overrides = variants[key]
            return {"variant": kind, "recipe": str(args.recipe), "overrides": common + overrides, "profile": profile,
                    "checkpoint": checkpoint, "data": str(bench_data), "threads": args.threads,
                    "workdir": str(work / f"run-{key}-{run}"), "cache": str(work / "cache")}

        if args.profile:
            r = run_child("worker", spec(args.profile, "profile", profile=True), env, log)
            print(f"{variants[args.profile][1]}: {r['tokens_per_s']:.1f} tok/s under the profiler, "
                  f"pad {r['pad_fraction']:.1%}\n{r['profile']}")
            done = True
            return 0
        results: dict[str, list[dict]] = {k: [] for k in chosen}
        failed: dict[str, str] = {}
        for rnd in range(args.rounds):
            for key in chosen:
                if key in failed:
                    continue
                try:
                    r = run_child("worker", spec(key, str(rnd)), env, log)
                except UserError as e:  # one broken variant (a missing kernel, say) must not lose the others
                    failed[key] = str(e)
                    print(f"  round {rnd + 1} {variants[key][1]}: FAILED\n{e}", flush=True)
                    continue
                r["load_after"] = os.getloadavg()[0]
                results[key].append(r)
                # Another busy process slows CPU runs several-fold: flag the runs it may have touched.
                busy = not on_gpu and r["load_after"] > args.threads + 0.7
                busy = f" (machine busy: load {r['load_after']:.1f})" if busy else ""
                print(f"  round {rnd + 1} {variants[key][1]}: {r['tokens_per_s']:.1f} tok/s, step {r['step_s']:.2f}s, "
                      f"pad {r['pad_fraction']:.1%}, {r['steps']} steps, loss {r['train_loss']:.4f}{busy}", flush=True)
        chosen = [k for k in chosen if results[k]]
        results = {k: results[k] for k in chosen}
        for other in sorted({r["dtype"] for runs in results.values() for r in runs} - set(peaks)):
            peaks[other] = measure_peak(other)  # a variant that overrides model.dtype gets its own MFU denominator
            print(f"peak: dense {other} matmul {peaks[other] / 1e9:.1f} GFLOP/s")

        names = {k: variants[k][1] for k in chosen}
        if results:
            print()
            print(fmt_table(results, names, peaks, on_gpu))
        med = {k: statistics.median(r["tokens_per_s"] for r in v) for k, v in results.items()}
        for k in chosen:
            if k != "a" and "a" in med:
                print(f"({k})/(a) tokens/s: {med[k] / med['a']:.2f}")
        if "a" in results and "b" in results:
            same = results["a"][0]["batches_digest"] == results["b"][0]["batches_digest"]
            print(f"(a) and (b) trained on the same rows in the same batches: {'yes' if same else 'NO'}")

        report = {"device": device, "machine": machine(on_gpu), "peak_flops": peaks, "dtype": dtype,
                  "data": str(data_path), "rows": len(picked), "skipped_too_long": skipped,
                  "mean_tokens": statistics.mean(lengths), "results": results,
                  "names": names, "fast": fast, "failed": failed}
        if not args.no_prep:
            first = json.loads(data_path.read_text(encoding="utf-8").split("\n", 1)[0])
            source = f"{{path: {data_path}" + ("}" if "document" in first else ", columns: {document: dialogue}}")
            prep_spec = {"recipe": str(args.recipe), "checkpoint": checkpoint, "cache": str(work / "prep-cache"),
                         "overrides": [o if not o.startswith("data.train=") else f"data.train=[{source}]"
                                       for o in common]}
            cold = run_child("prep", prep_spec, env, log)
            warm = run_child("prep", prep_spec, env, log)
            assert not cold["cache_hit"] and warm["cache_hit"]
            report["data_prep"] = {"first_s": cold["seconds"], "second_s": warm["seconds"], "rows": cold["rows"]}
            print(f"data prep ({cold['rows']} rows of {data_path.name}): first {cold['seconds']:.2f}s, "
                  f"second (cache hit) {warm['seconds']:.3f}s, {cold['seconds'] / warm['seconds']:.0f}x faster")
        if args.cli_runs:
            cli = cli_timings(args.cli_runs, env)
            report["cli"] = cli
            print("CLI wall time, median of", args.cli_runs, "runs: " + ", ".join(f"{k} {v:.2f}s" for k, v in cli.items()))
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
        done = not failed
    finally:
        if done:  # a failed run keeps its folder: the log and the benchmark data
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
