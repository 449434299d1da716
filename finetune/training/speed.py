"""Speed fixes for TRL's SFT path where its defaults assume flash-attention and Triton (CPU, SDPA, eager attention).

None of them changes the loss (tests/test_packing.py); docs/performance.md has the measurements.

Packed rows (always, with packing): TRL packs examples best-fit-decreasing into rows of up to max_length tokens and
then, padding-free, flattens the whole batch into one sequence. Flash-attention's variable-length kernels take that at
linear cost; SDPA and eager attention get one (batch x max_length)^2 block-diagonal mask instead and spend quadratic
time and memory on it (batch 8 x 512 tokens: a 4096^2 mask in every layer). The packed rows stay rows of the batch
here: position ids restart at each example, from which transformers builds a block-diagonal mask per row.

`train.fast_path` (on by default) skips work that cannot reach the loss:
- right-padded batches go without their padding mask: pads sit after every real token, so causal attention alone
  never lets a real token see one, and they carry no label. SDPA then runs its causal kernel, which skips the upper
  triangle, instead of the masked one, which computes every block;
- TRL's fused LM head projects only the positions that carry a label on Triton devices but every position elsewhere
  (static tile shapes for compilers such as Neuron's). On CPU, in eager mode, that buys nothing and costs the
  vocabulary projection of every prompt and pad token: with completion-only loss, nearly all of them. The patch that
  changes this lives in finetune/core/compat.py (`compact_lm_head`).
"""

from __future__ import annotations

from finetune.core import compat

VARLEN_ATTENTION = ("flash_attention_2", "flash_attention_3")


def tune(trainer, packing: bool, fast_path: bool) -> None:
    """Fit a freshly built SFTTrainer's collator and LM head to its model's attention implementation."""
    if fast_path:
        compat.compact_lm_head(trainer)
    # transformers 5 has a public setter (`model.set_attn_implementation`) but no public getter: this property is
    # where transformers itself reads the implementation in use.
    if getattr(trainer.model.config, "_attn_implementation", None) in VARLEN_ATTENTION:
        return  # TRL's padding-free batches are what these kernels are made for
    pad = trainer.processing_class.pad_token_id
    if packing:
        trainer.data_collator = PackedRowsCollator(pad)
    elif fast_path:
        trainer.data_collator = CausalOnlyCollator(trainer.data_collator)


class PackedRowsCollator:
    def __init__(self, pad_token_id: int):
        from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

        self.inner = DataCollatorForLanguageModeling(pad_token_id=pad_token_id, return_position_ids=True)

    def __call__(self, examples):
        batch = self.inner(examples)
        # Without an attention mask, transformers reads the example boundaries from the restarting position ids.
        # Padding gets position 0 everywhere, so each pad token is its own one-token sequence, outside the loss.
        del batch["attention_mask"]
        # As in TRL's padding-free collator: no example is trained to predict the first token of the next one.
        batch["labels"][batch["position_ids"] == 0] = -100
        return batch


class CausalOnlyCollator:
    """Right-padded batches without their padding mask (see the module docstring)."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, examples):
        import torch

        batch = self.inner(examples)
        del batch["attention_mask"]
        rows, length = batch["input_ids"].shape
        # TRL counts a batch's tokens from its attention mask or, failing that, its position ids.
        batch["position_ids"] = torch.arange(length).expand(rows, length)
        return batch

