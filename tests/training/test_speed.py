"""Speed settings keep the loss (finetune/training/speed.py): the same examples give the same per-token loss through
TRL's own padded batches, packed rows, length-grouped batches, and the fast path (no padding mask, LM head on loss
tokens only, through finetune/core/compat.py's `compact_lm_head`)."""

from __future__ import annotations

import pytest
import torch

from finetune.core import models
from finetune.core.recipe import load_recipe
from finetune.training import data
from finetune.training.trainer import build_trainer


@pytest.fixture(scope="module")
def recipe_file(tmp_path_factory, tiny_model_dir):
    root = tmp_path_factory.mktemp("packing")
    (root / "recipe.yaml").write_text(
        f"model: {{name: {tiny_model_dir}}}\n"
        "lora: {r: 4, alpha: 8, dropout: 0.0}\n"
        "data: {task: query_rewrite, train: {path: 'sample:query_rewrite_train.jsonl'}, limit: 40, max_length: 1024}\n"
        "train: {batch_size: 4, packing: false, logging_steps: 1}\n"
        "logging: {mode: disabled}\n"
        f"output_dir: {root / 'run'}\n"
    )
    return root / "recipe.yaml"


PLAIN = "train.fast_path=false"  # TRL's own padded batches and LM head


def mean_token_loss(recipe_file, monkeypatch, tmp_path, *overrides) -> tuple[float, int, int, int, int]:
    """(per-token mean loss over every training example, loss tokens, batches, positions, positions the LM head
    projected) through the trainer's own collator and loss."""
    import trl.trainer.utils as trl_utils

    projected = []
    chunked = trl_utils._ChunkedLogProbFunction

    class CountRows:  # TRL's fused head hands the LM head's input rows to this function, and nothing else does
        @staticmethod
        def apply(hidden, *args):
            projected.append(hidden.shape[0])
            return chunked.apply(hidden, *args)

    monkeypatch.setattr(trl_utils, "_ChunkedLogProbFunction", CountRows)
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    recipe = load_recipe(recipe_file, list(overrides))
    torch.manual_seed(0)
    model, tokenizer, _ = models.load(recipe.model)
    train_ds, _, _ = data.build_datasets(recipe, tokenizer)
    trainer = build_trainer(recipe, model, tokenizer, train_ds, None, tmp_path / "run")
    trainer.model.eval()
    total, count, batches, rows, positions = 0.0, 0, 0, [], 0
    with torch.no_grad():
        for batch in trainer.get_train_dataloader():
            rows.append(batch["input_ids"].shape[0])
            assert ("attention_mask" in batch) == (not recipe.train.packing and not recipe.train.fast_path)
            n = int((batch["labels"][:, 1:] != -100).sum())
            positions += batch["labels"][:, 1:].numel()
            total += float(trainer.compute_loss(trainer.model, batch)) * n
            count += n
            batches += 1
    if recipe.train.packing:  # packed rows stay rows: attention costs rows x max_length^2, not (rows x max_length)^2
        assert max(rows) > 1
    return total / count, count, batches, positions, sum(projected)


def test_packed_and_padded_losses_match(recipe_file, monkeypatch, tmp_path):
    padded, n_padded, b_padded, *_ = mean_token_loss(recipe_file, monkeypatch, tmp_path, PLAIN)
    packed, n_packed, b_packed, *_ = mean_token_loss(recipe_file, monkeypatch, tmp_path, "train.packing=true")
    assert n_packed == n_padded, "packing must train on exactly the same target tokens"
    assert b_packed < b_padded, "packing should put several examples in each row"
    assert packed == pytest.approx(padded, rel=1e-6)


def test_fast_path_keeps_the_loss_and_projects_only_the_loss_positions(recipe_file, monkeypatch, tmp_path):
    import trl.trainer.utils as trl_utils

    use_triton = trl_utils._use_triton
    plain, n_plain, _, positions, projected_plain = mean_token_loss(recipe_file, monkeypatch, tmp_path, PLAIN)
    assert projected_plain == positions > n_plain, "TRL's own choice on CPU: the LM head projects every position"
    fast, n_fast, _, _, projected_fast = mean_token_loss(recipe_file, monkeypatch, tmp_path, "train.fast_path=true")
    assert projected_fast == n_fast == n_plain, "the fast path projects the loss positions only"
    assert fast == pytest.approx(plain, rel=1e-6)
    # Scoped to the trainer's loss: TRL's own answer is back, for any other trainer or caller in this process.
    assert trl_utils._use_triton is use_triton and not use_triton(torch.device("cpu"))


def test_length_grouped_loss_matches(recipe_file, monkeypatch, tmp_path):
    padded, n_padded, *_ = mean_token_loss(recipe_file, monkeypatch, tmp_path, PLAIN)
    grouped, n_grouped, *_ = mean_token_loss(recipe_file, monkeypatch, tmp_path, "train.group_by_length=true")
    assert n_grouped == n_padded
    assert grouped == pytest.approx(padded, rel=1e-6)


def test_packed_rows_keep_examples_apart(recipe_file, monkeypatch, tmp_path):
    """Token by token, a packed row (position ids restarting at each example, no attention mask) scores each example
    as if it were alone, while the same row without the restarts lets attention leak across examples: the check
    above would see that."""
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    recipe = load_recipe(recipe_file)
    model, tokenizer, _ = models.load(recipe.model)
    train_ds, _, _ = data.build_datasets(recipe, tokenizer)
    model.eval()
    rows = [train_ds[i]["input_ids"] for i in range(4)]

    def token_losses(ids, position_ids=None):
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids]), use_cache=False,
                           position_ids=None if position_ids is None else torch.tensor([position_ids])).logits[0]
        return torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]), reduction="none")

    # Each example's own losses, with the boundary token (first of the next example) left out.
    alone = torch.cat([token_losses(r) for r in rows])
    flat = [t for r in rows for t in r]
    starts = torch.tensor([len(r) for r in rows]).cumsum(0)[:-1] - 1
    keep = torch.ones(len(flat) - 1, dtype=torch.bool)
    keep[starts] = False
    packed = token_losses(flat, [p for r in rows for p in range(len(r))])[keep]
    leaked = token_losses(flat)[keep]
    torch.testing.assert_close(packed, alone, rtol=0, atol=1e-4)
    assert (leaked - alone).abs().max() > 1e-2
