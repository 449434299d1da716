#!/usr/bin/env bash
# GPU training benchmark for one lent GPU (an H200), within a measured budget: Qwen2.5-0.5B and -1.5B shapes in bf16,
# randomly initialized from the configs in scripts/bench_train.py (no weights reach that machine), run through the
# shipped GPU recipes. For each of LoRA and QLoRA: (a) a plain TRL + PEFT script against (c) searchtune's fastest
# settings; on 1.5B LoRA also the shipped recipe exactly as it is (packing, gradient checkpointing: `shipped`), on
# 0.5B LoRA the recipe's packing (`c_pack`) and, when liger-kernel is there, its switch (model.use_liger_kernel).
#
#   bash scripts/bench_gpu.sh              # on the GPU machine, with .whl carried (scripts/gpu_check.py prepare)
#   bash scripts/bench_gpu.sh --dry-run    # anywhere: the package check and the benchmark calls, nothing run
#   bash scripts/bench_gpu.sh --cpu-smoke  # anywhere: the same calls on a tiny random Qwen2 on CPU, 1 step each
#
# The carried wheels (the pinned transformers, trl, peft, bitsandbytes, datasets, ...) go to /tmp/site, ahead of the
# machine's own packages, and the run stops unless the pinned transformers, trl and peft are the ones imported.
# BUDGET (seconds, default 400) bounds the whole benchmark: a configuration starts only while the time left covers
# the longest one so far. Results: $OUT (or bench-gpu-out/) gets one .txt (the printed table) and one .json per run.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-gpu}
PY=${PYTHON:-python3}
RESULTS=${OUT:-bench-gpu-out}
BUDGET=${BUDGET:-400}

if [[ $MODE == --cpu-smoke || $MODE == --dry-run ]]; then
  PY=${PYTHON:-$(test -x .venv/bin/python && echo .venv/bin/python || echo python3)}
fi
if [[ $MODE == --cpu-smoke ]]; then
  SMALL=random:tiny LARGE=random:tiny
  COMMON=(--steps 3 --rounds 1 --no-prep --cli-runs 0 --threads 1 --set train.batch_size=4 --model-cache /tmp/bench-models)
else
  if [[ $MODE == gpu ]] && compgen -G ".whl/*.whl" > /dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  fi
  SMALL=random:qwen2.5-0.5b LARGE=random:qwen2.5-1.5b
  COMMON=(--steps "${STEPS:-10}" --rounds "${ROUNDS:-2}" --no-prep --cli-runs 0 --model-cache /tmp/bench-models)
fi
# Prints LIGER=1 when liger-kernel imports; exits non-zero when a required package is missing or not the pinned one.
LIGER=$("$PY" - "$MODE" <<'EOF'
import importlib, importlib.metadata as md, re, sys
pins = dict(re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', open("pyproject.toml").read()))
broken = []
for name in ("trl", "datasets", "pydantic", "bitsandbytes", "transformers", "peft"):
    try:
        importlib.import_module(name)
    except Exception as e:  # missing, or a version clash with what the machine has (pyarrow, say)
        broken.append(f"{name} ({type(e).__name__}: {e})")
        continue
    if name in ("transformers", "trl", "peft") and md.version(name) != pins[name]:
        broken.append(f"{name} {md.version(name)} is not the pinned {pins[name]}")
if broken:
    sys.exit("bench_gpu.sh: " + "; ".join(broken) + "; carry .whl (python3 scripts/gpu_check.py prepare)")
try:
    importlib.import_module("liger_kernel")
    print(1)
except ImportError:
    print("bench_gpu.sh: liger_kernel is not installed: the c_liger variant is left out", file=sys.stderr)
    print(0)
EOF
)
EXTRA_LIGER=()
if [[ $LIGER == 1 && $MODE != --cpu-smoke ]]; then
  EXTRA_LIGER=(--extra "c_liger=model.use_liger_kernel=true train.packing=false train.group_by_length=true train.fast_path=true")
fi
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 WANDB_MODE=disabled
[[ $MODE == --dry-run ]] || mkdir -p "$RESULTS"

status=0 start=$SECONDS longest=0
bench() {  # NAME, then bench_train.py arguments
  local name=$1; shift
  local left=$((BUDGET - (SECONDS - start)))
  if [[ $MODE == --dry-run ]]; then
    echo "$name: $PY scripts/bench_train.py $* ${COMMON[*]} --json $RESULTS/$name.json"; return
  fi
  if (( left < longest )); then
    echo "=== $name: skipped, $left s of the $BUDGET s budget left and the longest configuration took $longest s"
    status=1; return
  fi
  echo "=== $name"
  local t0=$SECONDS
  timeout "$left" "$PY" scripts/bench_train.py "$@" "${COMMON[@]}" --json "$RESULTS/$name.json" 2>&1 \
    | tee "$RESULTS/$name.txt" || { echo "=== $name: failed or out of budget (above)"; status=1; }
  longest=$(( SECONDS - t0 > longest ? SECONDS - t0 : longest ))
}

bench qwen2.5-1.5b-lora --model "$LARGE" --recipe recipes/summarize/qwen2.5-1.5b-lora.yaml --variants a,c \
  --extra "shipped="
bench qwen2.5-1.5b-qlora --model "$LARGE" --recipe recipes/summarize/qwen2.5-1.5b-qlora.yaml --variants a,c
bench qwen2.5-0.5b-lora --model "$SMALL" --recipe recipes/summarize/qwen2.5-0.5b-lora.yaml \
  --variants a,c --extra "c_pack=train.packing=true" "${EXTRA_LIGER[@]}"
bench qwen2.5-0.5b-qlora --model "$SMALL" --recipe recipes/summarize/qwen2.5-0.5b-lora.yaml \
  --set model.load_in_4bit=true --variants a,c
echo "=== done in $((SECONDS - start)) s of $BUDGET; results in $RESULTS/"
exit $status
