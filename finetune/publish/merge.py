"""`searchtune merge`: fold a run's LoRA adapter into an unquantized copy of its base model.

The merged folder holds safetensors weights, the config, the generation config and the tokenizer, and loads with
plain `AutoModelForCausalLM.from_pretrained`. The base is always loaded unquantized, also for QLoRA runs
(`model.load_in_4bit: true`): merging into 4-bit weights would round the LoRA update away. The merge is written to
a hidden sibling folder and renamed into place, so a half-written merge never appears under the output name.

This module also reads run folders (recipe.yaml, manifest.json) for the push and model-card code. It imports torch
and transformers only inside the functions that need them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from finetune.core.errors import UserError

logger = logging.getLogger("searchtune.merge")

DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}
# Model aliases the recipe accepts, with the Hub repo they stand for (for model cards and adapter configs).
ALIASES = {"smollm2-135m-instruct": "HuggingFaceTB/SmolLM2-135M-Instruct"}


@dataclass
class Run:
    """A finished training run folder, as written by `searchtune train`."""

    dir: Path
    recipe: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)

    @property
    def adapter_dir(self) -> Path:
        return self.dir / "adapter"

    @property
    def merged_dir(self) -> Path:
        return self.dir / "merged"

    def section(self, name: str) -> dict:
        value = self.recipe.get(name)
        return value if isinstance(value, dict) else {}

    @property
    def model_name(self) -> str | None:
        return self.section("model").get("name") or (self.manifest.get("base_model") or {}).get("name")

    @property
    def load_in_4bit(self) -> bool:
        return bool(self.section("model").get("load_in_4bit"))

    @property
    def adapter_config(self) -> dict:
        try:
            return json.loads((self.adapter_dir / "adapter_config.json").read_text())
        except (OSError, ValueError):
            return {}


def read_run(run_dir: str | Path) -> Run:
    """Read a run folder; raise UserError when it is not a finished run (no adapter)."""
    path = Path(run_dir).expanduser()
    if not path.is_dir():
        raise UserError(f"{path}: run folder not found; pass the output_dir of a finished `searchtune train` run")
    if not (path / "adapter" / "adapter_config.json").is_file():
        raise UserError(
            f"{path / 'adapter' / 'adapter_config.json'}: no trained adapter in this run folder; "
            "pass the output_dir of a run that finished training"
        )
    recipe: dict = {}
    if (path / "recipe.yaml").is_file():
        try:
            recipe = yaml.safe_load((path / "recipe.yaml").read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise UserError(f"{path / 'recipe.yaml'}: invalid YAML ({e}); restore the run's resolved recipe") from None
    manifest: dict = {}
    if (path / "manifest.json").is_file():
        try:
            manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        except ValueError as e:
            raise UserError(f"{path / 'manifest.json'}: invalid JSON ({e}); restore the run's manifest") from None
    return Run(path, recipe if isinstance(recipe, dict) else {}, manifest if isinstance(manifest, dict) else {})


def hub_base_id(run: Run) -> str | None:
    """The Hub repo id of the base model, or None when the base is a local folder or file."""
    name = run.model_name
    if not name:
        return None
    if name in ALIASES:
        return ALIASES[name]
    if Path(name).expanduser().exists() or name.startswith((".", "/", "~")) or name.endswith(".gguf"):
        return None
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        return None
    return name if name.count("/") == 1 else None


def base_gguf_file(run: Run) -> Path | None:
    """The local GGUF file the base was read from, if any (for metadata such as the license)."""
    from finetune.core.models import resolve

    model = run.section("model")
    if not model.get("name"):
        return None
    try:
        folder, gguf = resolve(model["name"], model.get("gguf_file"))
    except UserError:
        return None
    path = Path(folder).expanduser() / gguf if gguf else None
    return path if path is not None and path.is_file() else None


def base_source(run: Run) -> str:
    """Where to load the unquantized base from: the manifest's resolved_path when it is still there, else the
    recipe's model.name resolved the way training does (GGUF files are dequantized into the searchtune cache)."""
    from finetune.core.models import local_checkpoint

    resolved = (run.manifest.get("base_model") or {}).get("resolved_path")
    if resolved and (Path(resolved) / "config.json").is_file():
        return resolved
    name = run.model_name or run.adapter_config.get("base_model_name_or_path")
    if not name:
        raise UserError(f"{run.dir / 'recipe.yaml'}: `model.name` is missing, so the base model is unknown; restore the recipe")
    return local_checkpoint(name, run.section("model").get("gguf_file"))


def _target_dtype(run: Run, dtype: str | None, source: str):
    import torch

    if dtype:
        if dtype not in DTYPES:
            raise UserError(f"--dtype {dtype}: not one of {', '.join(DTYPES)}")
        return getattr(torch, DTYPES[dtype])
    recipe_dtype = run.section("model").get("dtype")
    if recipe_dtype in ("bfloat16", "float16", "float32"):
        return getattr(torch, recipe_dtype)
    config = _local_config(source)
    saved = config.get("dtype") or config.get("torch_dtype")
    return getattr(torch, saved) if saved in ("bfloat16", "float16", "float32") else torch.float32


def _local_config(source: str) -> dict:
    try:
        return json.loads((Path(source) / "config.json").read_text())
    except (OSError, ValueError):
        return {}


def _looks_merged(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def load_unquantized_base(run: Run, torch_dtype):
    """Load the run's base model in `torch_dtype`, never quantized (no BitsAndBytesConfig, no 4-bit weights)."""
    from transformers import AutoModelForCausalLM

    source = base_source(run)
    if "quantization_config" in _local_config(source):
        raise UserError(
            f"{source}/config.json: the base checkpoint itself is stored quantized, and merging needs full-precision "
            "weights; point model.name at the unquantized checkpoint, or push the adapter without --merged"
        )
    trust = bool(run.section("model").get("trust_remote_code"))
    logger.info("loading base %s unquantized (%s)%s", source, str(torch_dtype).removeprefix("torch."),
                " — the run trained it in 4-bit (QLoRA)" if run.load_in_4bit else "")
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
    run = read_run(run_dir)
    out = Path(output).expanduser() if output else run.merged_dir
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not _looks_merged(out))):
        raise UserError(f"--output {out}: exists and is not a merged model; choose another folder or remove it")
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    source = base_source(run)
    torch_dtype = _target_dtype(run, dtype, source)

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

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        merged.save_pretrained(str(partial), safe_serialization=True)
        tokenizer.save_pretrained(str(partial))
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            partial.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            partial.rename(out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    logger.info("merged model written to %s", out)
    return out


def merge_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="searchtune merge",
        description="Merge a run's LoRA adapter into an unquantized copy of its base model (safetensors + tokenizer).",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run folder (a recipe's output_dir)")
    parser.add_argument("--output", metavar="DIR", help="where to write the merged model (default RUN_DIR/merged)")
    parser.add_argument("--dtype", choices=sorted(DTYPES), help="weight dtype of the merged model "
                        "(default: the recipe's model.dtype, else the base checkpoint's)")
    args = parser.parse_args(argv)
    try:
        out = merge_run(args.run_dir, args.output, args.dtype)
    except UserError as e:
        print(f"searchtune merge: error: {e}", file=sys.stderr)
        return e.code
    print(out)
    return 0
