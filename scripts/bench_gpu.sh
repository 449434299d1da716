#!/usr/bin/env bash
# GPU training benchmark for one lent GPU (an H200: about 6 minutes): Qwen2.5-0.5B and -1.5B shapes in bf16,
# randomly initialized from the configs in scripts/bench_train.py (no weights reach that machine), run through the
# shipped GPU recipes. For each of LoRA and QLoRA: (a) a plain TRL + PEFT script against (c) searchtune's fastest
# settings, plus the recipe's own packing setting and the Liger kernel switch (model.use_liger_kernel) on LoRA.
#
#   bash scripts/bench_gpu.sh              # on the GPU machine; wheels for missing packages in .whl/ (see below)
#   bash scripts/bench_gpu.sh --cpu-smoke  # anywhere: the same calls on a tiny random Qwen2 on CPU, 1 step each
#
# The GPU machine has torch, transformers, peft and accelerate but not trl, datasets, pydantic, bitsandbytes or
# liger-kernel: docs/performance.md gives the `pip download` line that fills .whl/. Results: $OUT (or
# bench-gpu-out/) gets one .txt (the printed table) and one .json per run.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
if [[ "${1:-}" == "--cpu-smoke" ]]; then SMOKE=1; fi
PY=${PYTHON:-python3}
RESULTS=${OUT:-bench-gpu-out}
mkdir -p "$RESULTS"

if [[ $SMOKE == 1 ]]; then
  PY=${PYTHON:-$(test -x .venv/bin/python && echo .venv/bin/python || echo python3)}
  SMALL=random:tiny LARGE=random:tiny
  COMMON=(--steps 3 --rounds 1 --no-prep --cli-runs 0 --threads 1 --set train.batch_size=4 --model-cache /tmp/bench-models)
  LIGER=()
else
  if compgen -G ".whl/*.whl" > /dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  fi
  "$PY" - <<'EOF'
import importlib, sys
broken = []
for name in ("trl", "datasets", "pydantic", "bitsandbytes", "liger_kernel"):
    try:
        importlib.import_module(name)
    except Exception as e:  # missing, or a version clash with what the machine has (pyarrow, say)
        broken.append(f"{name} ({type(e).__name__}: {e})")
if broken:
    sys.exit("cannot import: " + "; ".join(broken) + "; carry their wheels in .whl/ (docs/performance.md)")
import torch, transformers, peft, trl
print(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, trl {trl.__version__}, "
      f"{torch.cuda.get_device_name()}")
EOF
  SMALL=random:qwen2.5-0.5b LARGE=random:qwen2.5-1.5b
  COMMON=(--steps "${STEPS:-10}" --rounds "${ROUNDS:-2}" --no-prep --cli-runs 0 --model-cache /tmp/bench-models)
  LIGER=(--extra "c_liger=model.use_liger_kernel=true train.packing=false train.group_by_length=true train.fast_path=true")
fi
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 WANDB_MODE=disabled

bench() {  # NAME, then bench_train.py arguments
  local name=$1; shift
  echo "=== $name"
  "$PY" scripts/bench_train.py "$@" "${COMMON[@]}" --json "$RESULTS/$name.json" 2>&1 | tee "$RESULTS/$name.txt" \
    || { echo "=== $name: some runs failed (above)"; status=1; }
}
status=0

start=$SECONDS
bench qwen2.5-0.5b-lora --model "$SMALL" --recipe recipes/summarize/qwen2.5-0.5b-lora.yaml \
  --variants a,c --extra "c_pack=train.packing=true" "${LIGER[@]}"
bench qwen2.5-0.5b-qlora --model "$SMALL" --recipe recipes/summarize/qwen2.5-0.5b-lora.yaml \
  --set model.load_in_4bit=true --set train.gradient_checkpointing=true --variants a,c
bench qwen2.5-1.5b-lora --model "$LARGE" --recipe recipes/summarize/qwen2.5-1.5b-lora.yaml --variants a,c
bench qwen2.5-1.5b-qlora --model "$LARGE" --recipe recipes/summarize/qwen2.5-1.5b-qlora.yaml --variants a,c
echo "=== done in $((SECONDS - start)) s; results in $RESULTS/"
exit $status
