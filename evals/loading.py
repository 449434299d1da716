"""The model an eval scores: a base model from the Hub, a folder or a .gguf file, with a PEFT adapter on top, and
one-line errors for an adapter that does not fit its base model."""

from __future__ import annotations

import re
from pathlib import Path

from finetune.core.errors import UserError
from finetune.core.run import ADAPTER_CONFIG_FILE, adapter_config


def load_model(name: str, adapter: Path | None, gguf_file: str | None = None, dtype: str = "auto",
               load_in_4bit: bool = False):
    """(model, tokenizer): the base model, with the adapter attached when given (a PeftModel then). `load_in_4bit`:
    the 4-bit NF4 base a QLoRA adapter was trained on, and that its training run evaluated."""
    import torch

    from finetune.core.models import load_base_model, load_tokenizer, local_checkpoint

    if adapter is not None and not (adapter / ADAPTER_CONFIG_FILE).is_file():
        raise UserError(f"--adapter {adapter}: no adapter_config.json there; point at a PEFT adapter folder "
                        "(a run's adapter/)")
    checkpoint = local_checkpoint(name, gguf_file)
    # A run's adapter folder holds the tokenizer training used (pad token, chat template): prefer it.
    has_tokenizer = adapter is not None and (adapter / "tokenizer_config.json").is_file()
    tokenizer = load_tokenizer(str(adapter) if has_tokenizer else checkpoint)
    model = load_base_model(checkpoint, dtype, load_in_4bit, device_map="cuda" if torch.cuda.is_available() else None)
    if adapter is not None:
        model = attach_adapter(model, adapter, name)
    return model, tokenizer


def attach_adapter(model, adapter: Path, base_name: str):
    from peft import PeftModel

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
