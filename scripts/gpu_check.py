#!/usr/bin/env python3
"""GPU validation of the shipped GPU paths on one lent GPU (an H200), in under 8 minutes, with peak memory.

    python3 scripts/gpu_check.py prepare          # here, where PyPI answers: the pinned wheels into .whl/ (< 64 MiB)
    python3 scripts/gpu_check.py run [--dry-run]  # on the GPU machine, with .whl carried: results in $OUT
    python3 scripts/gpu_check.py memory [--measure]  # anywhere: the computed memory of the GPU recipes

`run` installs the carried wheels (the pinned transformers, trl, peft, bitsandbytes, datasets, lm_eval, deepspeed
and what the machine lacks) and searchtune itself into /tmp/site, builds a randomly initialized Qwen2.5-1.5B (no
weights reach that machine) and trains through `searchtune train`, a few steps each, with a checkpoint:
  lora, qlora     the shipped recipes (recipes/query_rewrite/qwen2.5-1.5b-{lora,qlora}.yaml), then their CUDA eval
  lora_no_gc      the LoRA recipe without gradient checkpointing (the "without" figure in the recipe comments)
  fsdp2, zero3    the LoRA recipe under accelerate_configs/fsdp.yaml and deepspeed_zero3.yaml, one process
  qlora_fsdp2     the QLoRA recipe under FSDP2 (4-bit weights stored as bf16, so FSDP2 shards them)
Peak memory is nvidia-smi's memory.used, sampled every 200 ms during each run (CUDA context and allocator cache
included: what has to fit the GPU). A run starts only while the time left covers the longest run so far; the rest
are reported as skipped.

`memory` prints, for every GPU recipe, weights + LoRA weights, gradients and AdamW state + activations. Activations
are the bytes autograd saves per token per decoder layer, measured (`--measure`) by running one and two layers of
the model's real shape (random weights, LoRA on every linear layer, packed rows of 100-token examples, bf16) on
this machine; `ACTIVATION_BYTES` holds those measurements. With gradient checkpointing each layer keeps only its
input (2 bytes x hidden size per token) and the backward recomputes one layer at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WHEELS = REPO / ".whl"
SITE = Path("/tmp/site")
WORK = Path("/tmp/gpu-check")
CARRY_LIMIT = 64 * 2**20  # what the device tool carries: working tree + carried paths
GiB = 2**30

# Pinned in pyproject.toml (read from there), plus what they need that the GPU machine's image lacks
# (/work/.library/device/KINDS.md lists its packages), at the versions this checkout's venv runs.
PINNED = ["transformers", "trl", "peft", "bitsandbytes", "datasets", "lm_eval", "pydantic"]
MISSING_THERE = ["dill", "multiprocess", "pydantic-core", "annotated-types", "typing-inspection", "typing-extensions",
                 "evaluate", "pytablewriter", "dataproperty", "mbstrdecoder", "chardet", "pathvalidate", "tabledata",
                 "tcolorpy", "typepy", "more-itertools", "nltk", "sqlitedict", "word2number", "rouge-score"]
# deepspeed has no wheel on PyPI: built here from its sdist (pure Python; its ops compile at run time).
DEEPSPEED = {"deepspeed": "0.19.8", "hjson": "3.1.0"}
# bitsandbytes ships one library per CUDA and ROCm release (43 MB); the GPU machine's torch is built for CUDA 13.
BNB_KEEP = re.compile(r"libbitsandbytes_(cpu|cuda13\d)\.so$")
TARGET = ["--python-version", "3.12", "--implementation", "cp", "--abi", "cp312", "--platform", "manylinux_2_28_x86_64",
          "--platform", "manylinux_2_24_x86_64", "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64",
          "--platform", "any"]

# Model shapes of the GPU recipes (their config.json): hidden, intermediate, layers, key/value width, vocabulary.
SHAPES = {
    "Qwen/Qwen2.5-1.5B-Instruct": dict(hidden=1536, inter=8960, layers=28, heads=12, kv_heads=2, vocab=151936),
    "Qwen/Qwen2.5-0.5B-Instruct": dict(hidden=896, inter=4864, layers=24, heads=14, kv_heads=2, vocab=151936),
    "meta-llama/Llama-3.2-1B-Instruct": dict(hidden=2048, inter=8192, layers=16, heads=32, kv_heads=8, vocab=128256),
}
# Bytes autograd saves per token per decoder layer, bf16, LoRA r=16 on every linear layer, dropout 0.05, SDPA:
# `gpu_check.py memory --measure` (torch 2.13 CPU, transformers 5.24, peft 0.21.2). QLoRA measured the same.
ACTIVATION_BYTES = {"Qwen/Qwen2.5-1.5B-Instruct": 219128, "Qwen/Qwen2.5-0.5B-Instruct": 122880,
                    "meta-llama/Llama-3.2-1B-Instruct": 240200}
RECIPE_LORA = "recipes/query_rewrite/qwen2.5-1.5b-lora.yaml"
RECIPE_QLORA = "recipes/query_rewrite/qwen2.5-1.5b-qlora.yaml"


# ------------------------------------------------------------------------------------------------------------ memory

def estimate(recipe: dict) -> tuple[float, float]:
    """(GiB with gradient checkpointing, GiB without) for a recipe's training step on one GPU: weights, LoRA weights
    with their gradients and AdamW state (fp32, 16 bytes each), activations of batch x max_length packed tokens."""
    shape, name = SHAPES[recipe["model"]["name"]], recipe["model"]["name"]
    h, layers = shape["hidden"], shape["layers"]
    kv = shape["kv_heads"] * h // shape["heads"]
    linear = layers * (2 * h * h + 2 * h * kv + 3 * h * shape["inter"])
    embedding = shape["vocab"] * h  # tied with the LM head; bitsandbytes leaves it in bf16
    if recipe["model"].get("load_in_4bit"):
        weights = linear / 2 + linear / 64 + 2 * embedding  # NF4 + double-quantized absmax per 64 weights
    else:
        weights = 2 * (linear + embedding)
    r = recipe["lora"]["r"]
    lora = layers * r * (2 * (h + h) + 2 * (h + kv) + 3 * (h + shape["inter"]))
    tokens = recipe["train"]["batch_size"] * recipe["data"]["max_length"]
    fixed = weights + 16 * lora
    per_layer = ACTIVATION_BYTES[name]
    with_gc = fixed + tokens * layers * 2 * h + tokens * per_layer
    return with_gc / GiB, (fixed + tokens * layers * per_layer) / GiB


def gpu_recipes() -> list[Path]:
    return sorted(p for p in (REPO / "recipes").rglob("*.yaml") if "qwen" in p.name or "llama" in p.name)


def saved_bytes_per_token_layer(shape: dict, tokens: int = 1024, qlora: bool = False) -> int:
    """Bytes autograd saves per token for one decoder layer: two layers' saved tensors minus one layer's, parameters
    excluded, under a forward of `tokens` packed tokens (examples of 100) in bf16 with LoRA r=16 everywhere."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, Qwen2Config

    def saved(layers: int) -> int:
        config = Qwen2Config(hidden_size=shape["hidden"], intermediate_size=shape["inter"], num_hidden_layers=layers,
                             num_attention_heads=shape["heads"], num_key_value_heads=shape["kv_heads"], vocab_size=512,
                             tie_word_embeddings=True)
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa")
        if qlora:
            folder = tempfile.mkdtemp()
            model.save_pretrained(folder)
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16, attn_implementation="sdpa",
                                                         quantization_config=BitsAndBytesConfig(
                                                             load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                             bnb_4bit_use_double_quant=True,
                                                             bnb_4bit_compute_dtype=torch.bfloat16,
                                                             bnb_4bit_quant_storage=torch.bfloat16))
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear",
                                                 task_type="CAUSAL_LM")).train()
        params = {p.untyped_storage().data_ptr() for p in model.parameters()}
        storages = {}

        def keep(t):
            storage = t.untyped_storage()
            if storage.data_ptr() not in params:
                storages[storage.data_ptr()] = storage.nbytes()
            return t

        positions = (torch.arange(tokens) % 100)[None]
        with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
            model.base_model.model.model(input_ids=torch.randint(0, 512, (1, tokens)), position_ids=positions)
        return sum(storages.values())

    return (saved(2) - saved(1)) // tokens


def memory(args) -> int:
    import yaml

    if args.measure:
        for name, shape in SHAPES.items():
            print(f"{name}: {saved_bytes_per_token_layer(shape)} bytes per token per layer", flush=True)
    print("| recipe | base | tokens/step | with gradient checkpointing | without |\n|---|---|---:|---:|---:|")
    for path in gpu_recipes():
        recipe = yaml.safe_load(path.read_text())
        with_gc, without = estimate(recipe)
        tokens = recipe["train"]["batch_size"] * recipe["data"]["max_length"]
        base = "4-bit" if recipe["model"].get("load_in_4bit") else "bf16"
        print(f"| `{path.relative_to(REPO)}` | {base} | {tokens:,} | {with_gc:.1f} GiB | {without:.0f} GiB |")
    return 0


# ----------------------------------------------------------------------------------------------------------- prepare

def pinned_versions() -> dict[str, str]:
    """Package -> version: pyproject's pins for PINNED, this venv's versions for the rest."""
    from importlib.metadata import version

    pins = dict(re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', (REPO / "pyproject.toml").read_text()))
    return {**{name: pins.get(name) or version(name) for name in PINNED + MISSING_THERE}, **DEEPSPEED}


def slim_bitsandbytes(wheel: Path) -> None:
    """Rewrite the bitsandbytes wheel without the libraries for other CUDA/ROCm/XPU releases (and their RECORD rows)."""
    slim = wheel.with_suffix(".slim")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(slim, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename.endswith(".so") and not BNB_KEEP.search(item.filename):
                continue
            data = src.read(item)
            if item.filename.endswith(".dist-info/RECORD"):
                rows = data.decode().splitlines()
                data = "\n".join(r for r in rows if not (r.split(",")[0].endswith(".so")
                                                          and not BNB_KEEP.search(r.split(",")[0]))).encode() + b"\n"
            dst.writestr(item, data)
    slim.replace(wheel)


def carried_bytes() -> tuple[int, int]:
    """(bytes of the files git would send: tracked and untracked-not-ignored, bytes under .whl/)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    tree = sum((REPO / f).stat().st_size for f in listed if f and (REPO / f).is_file())
    return tree, sum(p.stat().st_size for p in WHEELS.glob("*.whl"))


def prepare(args) -> int:
    pip = [sys.executable, "-m", "pip"]
    shutil.rmtree(WHEELS, ignore_errors=True)
    WHEELS.mkdir()
    versions = pinned_versions()
    sdist_only = ("deepspeed", "sqlitedict", "word2number", "rouge-score")
    wheels = [f"{n}=={v}" for n, v in versions.items() if n not in sdist_only]
    subprocess.run([*pip, "download", "-q", "--no-deps", "--only-binary=:all:", *TARGET, "-d", str(WHEELS), *wheels],
                   check=True)
    with tempfile.TemporaryDirectory() as tmp:  # sdist-only packages, built here into pure-Python wheels
        sources = [f"{n}=={versions[n]}" for n in sdist_only]
        subprocess.run([*pip, "download", "-q", "--no-deps", "--no-binary=:all:", "-d", tmp, *sources], check=True)
        subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(WHEELS),
                        *map(str, Path(tmp).iterdir())], check=True, env={**os.environ, "DS_BUILD_OPS": "0"})
    [bnb] = WHEELS.glob("bitsandbytes-*.whl")
    slim_bitsandbytes(bnb)
    tree, wheels_size = carried_bytes()
    print(f"{len(list(WHEELS.glob('*.whl')))} wheels, {wheels_size / 2**20:.1f} MiB in {WHEELS}; working tree "
          f"{tree / 2**20:.1f} MiB; the device tool carries {CARRY_LIMIT / 2**20:.0f} MiB in all")
    if tree + wheels_size > CARRY_LIMIT:
        print("too large to carry", file=sys.stderr)
        return 1
    print('then: run(command="python3 scripts/gpu_check.py run", carry=[".whl"], timeout_s=540)')
    return 0


# --------------------------------------------------------------------------------------------------------------- run

def plan(model_dir: Path) -> list[dict]:
    """The runs, in order: name, `searchtune train` arguments, what the run shows."""
    common = [f"model.name={model_dir}", "train.epochs=1", "train.max_steps=4", "train.save_steps=2",
              "train.logging_steps=1", "train.resume=never", "eval.limit=16", "logging.mode=disabled",
              "hub.push=none"]
    sharded = ["eval.baseline=false"]

    def run(name, recipe, extra=(), config="single_gpu", shows=""):
        argv = [str(REPO / recipe), "--accelerate-config", config, *(["--num-processes", "1"] if config != "single_gpu" else []),
                *common, f"output_dir={WORK / 'runs' / name}", *extra]
        return {"name": name, "argv": argv, "shows": shows}

    return [
        run("lora", RECIPE_LORA, shows="the shipped LoRA recipe: 4 steps, checkpoint at 2 and 4, CUDA eval"),
        run("qlora", RECIPE_QLORA, shows="the shipped QLoRA recipe: 4 steps, checkpoints, CUDA eval on the 4-bit base"),
        run("fsdp2", RECIPE_LORA, sharded, "fsdp", "FSDP2, one process: sharded checkpoints, saved adapter"),
        run("zero3", RECIPE_LORA, sharded, "deepspeed_zero3", "DeepSpeed ZeRO-3, one process"),
        run("lora_no_gc", RECIPE_LORA, ["train.gradient_checkpointing=false", "eval.tasks=[]"],
            shows="the LoRA recipe without gradient checkpointing (its computed ~97 GiB)"),
        run("qlora_fsdp2", RECIPE_QLORA, sharded, "fsdp", "QLoRA under FSDP2 (float quant storage)"),
    ]


class PeakMemory:
    """Highest nvidia-smi memory.used (MiB) while the `with` block runs."""

    def __enter__(self):
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True).stdout.split()
            self.peak = max([self.peak, *map(int, out[:1])])
            self._stop.wait(0.2)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def install(env: dict) -> str:
    """The carried wheels and searchtune into SITE; the versions that will run, one line."""
    wheels = sorted(map(str, WHEELS.glob("*.whl")))
    if not wheels:
        raise SystemExit(f"no wheels in {WHEELS}: run `python3 scripts/gpu_check.py prepare` here and carry .whl")
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile", "--upgrade",
           "--target", str(SITE)]
    subprocess.run([*pip, *wheels], check=True)
    subprocess.run([*pip, "--no-build-isolation", str(REPO)], check=True)
    probe = ("import importlib.metadata as m, torch; print(', '.join(f'{p} {m.version(p)}' for p in "
             "['torch', 'transformers', 'trl', 'peft', 'accelerate', 'bitsandbytes', 'deepspeed', 'lm_eval', "
             "'datasets', 'pyarrow']) + ', ' + torch.cuda.get_device_name())")
    return subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True).stdout


def run(args) -> int:
    out = Path(os.environ.get("OUT") or "gpu-check-out")
    model_dir = WORK / "qwen2.5-1.5b-random"
    runs = [r for r in plan(model_dir) if not args.only or r["name"] in args.only.split(",")]
    env = {**os.environ, "PYTHONPATH": str(SITE), "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1",
           "WANDB_MODE": "disabled", "TOKENIZERS_PARALLELISM": "false"}
    train = [sys.executable, "-m", "finetune.cli", "train"]
    if args.dry_run:
        print(f"env: PYTHONPATH={SITE} HF_HUB_OFFLINE=1 WANDB_MODE=disabled; budget {args.budget} s")
        for r in runs:
            print(f"{r['name']}: {shlex.join(train + r['argv'])}")
        return 0
    start = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    versions = install(env)
    print(versions, flush=True)
    build = ("import json, sys; sys.path.insert(0, 'scripts'); from pathlib import Path; "
             "from bench_train import build_random_model; "
             "rows = [json.loads(l) for l in open('finetune/sample_data/query_rewrite_train.jsonl')]; "
             "build_random_model('qwen2.5-1.5b', Path(sys.argv[1]), "
             "[' '.join(r['history'] + [r['query'], r['rewrite']]) for r in rows], 'bfloat16')")
    if not (model_dir / "config.json").is_file():
        subprocess.run([sys.executable, "-c", build, str(model_dir)], env=env, cwd=REPO, check=True)
    results, longest = [], 0.0
    with open(out / "gpu_check_logs.txt", "w") as log:
        for r in runs:
            left = args.budget - (time.monotonic() - start)
            if left < max(longest, 30):
                results.append({**r, "status": f"skipped: {left:.0f} s left, the longest run took {longest:.0f} s"})
                continue
            t0 = time.monotonic()
            with PeakMemory() as peak:
                try:
                    # Outside the checkout: `finetune` then comes from SITE, where finetune.accelerate_configs is.
                    proc = subprocess.run(train + r["argv"], env=env, cwd=WORK, capture_output=True, text=True,
                                          timeout=left)
                    status, text = f"exit {proc.returncode}", proc.stdout + proc.stderr
                except subprocess.TimeoutExpired as e:
                    status, text = f"timed out after {left:.0f} s", f"{e.stdout or ''}{e.stderr or ''}"
            seconds = time.monotonic() - t0
            longest = max(longest, seconds)
            folder = WORK / "runs" / r["name"]
            results.append({**r, "status": status, "seconds": round(seconds, 1), "peak_mib": peak.peak,
                            "checkpoints": sorted(p.name for p in (folder / "checkpoints").glob("checkpoint-*")),
                            "adapter": (folder / "adapter" / "adapter_config.json").is_file(),
                            "eval": (folder / "eval" / "results.json").is_file()})
            log.write(f"===== {r['name']}: {status}\n{text[-20000:]}\n")
            log.flush()
            print(f"{r['name']}: {status}, {seconds:.0f} s, peak {peak.peak} MiB", flush=True)
    table = ["| run | status | s | peak GiB | checkpoints | adapter | eval | what it shows |",
             "|---|---|---:|---:|---|---|---|---|"]
    for r in results:
        table.append(f"| {r['name']} | {r['status']} | {r.get('seconds', '')} | "
                     f"{r['peak_mib'] / 1024:.1f} | {', '.join(r.get('checkpoints', []))} | {r.get('adapter', '')} | "
                     f"{r.get('eval', '')} | {r['shows']} |" if "peak_mib" in r else
                     f"| {r['name']} | {r['status']} | | | | | | {r['shows']} |")
    summary = f"{versions}\n" + "\n".join(table) + f"\ntotal {time.monotonic() - start:.0f} s\n"
    print(summary)
    (out / "gpu_check.txt").write_text(summary)
    (out / "gpu_check.json").write_text(json.dumps({"versions": versions, "runs": results}, indent=2))
    return 0 if all(r["status"] == "exit 0" for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="download and build the wheels the GPU machine lacks into .whl/")
    r = sub.add_parser("run", help="on the GPU machine: install the wheels, train, report")
    r.add_argument("--dry-run", action="store_true", help="print the runs, run nothing")
    r.add_argument("--budget", type=float, default=420, help="seconds for the whole check (default 420)")
    r.add_argument("--only", help="comma-separated run names")
    m = sub.add_parser("memory", help="the computed memory table of the GPU recipes")
    m.add_argument("--measure", action="store_true", help="measure the activation bytes per layer here first")
    args = parser.parse_args(argv)
    return {"prepare": prepare, "run": run, "memory": memory}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
