"""The model an eval scores: a base model from the Hub, a folder or a .gguf file, with a PEFT adapter on top, and
one-line errors for an adapter that does not fit its base model."""

from __future__ import annotations

from pathlib import Path

from finetune.core.errors import UserError
from finetune.core.run import ADAPTER_CONFIG_FILE


def load_model(name: str, adapter: Path | None, gguf_file: str | None = None, dtype: str = "auto",
               load_in_4bit: bool = False):
    """(model, tokenizer): the base model, with the adapter attached when given (a PeftModel then). `load_in_4bit`:
    the 4-bit NF4 base a QLoRA adapter was trained on, and that its training run evaluated."""
    import torch

    from finetune.core.models import attach_adapter, load_base_model, load_tokenizer, local_checkpoint

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
