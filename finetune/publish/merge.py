"""`searchtune merge`: fold a run's LoRA adapter into an unquantized copy of its base model.

The merged folder holds safetensors weights, the config, the generation config and the tokenizer, and loads with
plain `AutoModelForCausalLM.from_pretrained`. The base is always loaded unquantized, also for QLoRA runs
(`model.load_in_4bit: true`): merging into 4-bit weights would round the LoRA update away. The merge is staged in a
hidden sibling folder and renamed into place, so a half-written merge never appears under the output name. torch and
transformers are imported only inside the functions that need them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from finetune.core import io
from finetune.core.errors import UserError
from finetune.core.run import RunFolder

logger = logging.getLogger("searchtune.merge")

DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def base_source(run: RunFolder) -> str:
    """Where to load the unquantized base from: the manifest's resolved_path when it is still there, else the
    recipe's model.name resolved the way training does (GGUF files are dequantized into the searchtune cache)."""
    from finetune.core.models import local_checkpoint

    resolved = run.manifest().base_model.resolved_path
    if resolved and (Path(resolved) / "config.json").is_file():
        return resolved
    name = run.base_model_name() or run.adapter_config().get("base_model_name_or_path")
    if not name:
        raise UserError(f"{run.recipe_file}: `model.name` is missing, so the base model is unknown; restore the recipe")
    recipe = run.recipe()
    return local_checkpoint(name, recipe.model.gguf_file if recipe else None)


def _target_dtype(run: RunFolder, recipe, dtype: str | None, source: str):
    import torch

    if dtype:
        if dtype not in DTYPES:
            raise UserError(f"--dtype {dtype}: not one of {', '.join(DTYPES)}")
        return getattr(torch, DTYPES[dtype])
    recipe_dtype = recipe.model.dtype if recipe else None
    if recipe_dtype in ("bfloat16", "float16", "float32"):
        return getattr(torch, recipe_dtype)
    config = _base_config(source)
    saved = config.get("dtype") or config.get("torch_dtype")
    return getattr(torch, saved) if saved in ("bfloat16", "float16", "float32") else torch.float32


def _base_config(source: str) -> dict:
    """The base checkpoint's config.json, from its folder or, for a Hub id, the Hub cache (or the Hub); {} when it
    cannot be read (the load that follows reports why)."""
    from transformers import PretrainedConfig

    try:
        return PretrainedConfig.get_config_dict(source)[0]
    except (OSError, ValueError):
        return {}


def _looks_merged(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def load_unquantized_base(run: RunFolder, torch_dtype):
    """Load the run's base model in `torch_dtype`, never quantized (no BitsAndBytesConfig, no 4-bit weights)."""
    from transformers import AutoModelForCausalLM

    source = base_source(run)
    if "quantization_config" in _base_config(source):
        raise UserError(
            f"{source}/config.json: the base checkpoint itself is stored quantized, and merging needs full-precision "
            "weights; point model.name at the unquantized checkpoint, or push the adapter without --merged"
        )
    recipe = run.recipe()
    trust = bool(recipe and recipe.model.trust_remote_code)
    logger.info("loading base %s unquantized (%s)%s", source, str(torch_dtype).removeprefix("torch."),
                " — the run trained it in 4-bit (QLoRA)" if recipe and recipe.model.load_in_4bit else "")
    try:
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype, trust_remote_code=trust)
    except OSError as e:
        raise UserError(
            f"base model `{source}` could not be loaded ({str(e).splitlines()[0]}); make sure it is available "
            "locally (the manifest's base_model.resolved_path) or reachable on the Hub"
        ) from None
    quantized = [n for n, m in model.named_modules() if "4bit" in type(m).__name__ or "8bit" in type(m).__name__]
    if getattr(model, "hf_quantizer", None) is not None or getattr(model, "is_quantized", False) or quantized:
        raise UserError(f"base model `{source}` loaded quantized; merging needs full-precision weights")
    return model


def merge_run(run_dir: str | Path, output: str | Path | None = None, dtype: str | None = None) -> Path:
    """Merge RUN_DIR/adapter into its base and save to `output` (default RUN_DIR/merged). Returns the folder.

    dtype: "bf16" | "fp16" | "fp32"; default the recipe's model.dtype, else the base checkpoint's dtype, else fp32.
    An existing merged folder at `output` is replaced; any other non-empty folder there is an error.
    """
    run = RunFolder.finished(run_dir)
    out = Path(output).expanduser() if output else run.merged_dir
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not _looks_merged(out))):
        raise UserError(f"--output {out}: exists and is not a merged model; choose another folder or remove it")
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    source = base_source(run)
    torch_dtype = _target_dtype(run, run.recipe(), dtype, source)

    base = load_unquantized_base(run, torch_dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(run.adapter_dir))
    except (OSError, ValueError):
        tokenizer = AutoTokenizer.from_pretrained(source)
    if len(tokenizer) > base.get_input_embeddings().weight.shape[0]:
        base.resize_token_embeddings(len(tokenizer))  # training added tokens: match the adapter's shapes
    with torch.no_grad():
        model = PeftModel.from_pretrained(base, str(run.adapter_dir), is_trainable=False)
        merged = model.merge_and_unload(safe_merge=True)
    merged = merged.to(torch_dtype)

    with io.staged_dir(out) as tmp:
        merged.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
    logger.info("merged model written to %s", out)
    return out

