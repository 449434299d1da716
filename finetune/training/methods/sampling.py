"""Sample rewrites from the model being trained, with the exact prompt that training and eval use."""

from __future__ import annotations

from finetune.core import prompts

# lm-eval's stop strings for the rewrite tasks (evals/tasks/query_rewrite/_query_rewrite.yaml): a sample is scored as
# the eval would read it.
STOP = ("\n\n", "<|im_end|>", "<|im_start|>", "<|eot_id|>", "<|end|>", "</s>")
PROMPTS_PER_BATCH = 8


def prompt_text(tokenizer, record: dict, recipe) -> str | None:
    """The training prompt of a record, cut so that `max_new_tokens` still fit in data.max_length."""
    budget = recipe.data.max_length - recipe.train.sampling.max_new_tokens
    prompt = prompts.fit_prompt(tokenizer, recipe.data.task, record, budget, record.get("instruction"))
    return prompt.text if prompt else None


def clean(text: str) -> str:
    for stop in STOP:
        text = text.split(stop)[0]
    return text.strip()


def sample(model, tokenizer, records: list[dict], recipe) -> list[list[str]]:
    """`train.sampling.n` rewrites per record (an empty list for a record whose prompt cannot fit)."""
    import torch

    s = recipe.train.sampling
    texts = [prompt_text(tokenizer, r, recipe) for r in records]
    plain = not getattr(tokenizer, "chat_template", None)
    out: list[list[str]] = [[] for _ in records]
    todo = [i for i, t in enumerate(texts) if t is not None]
    side, tokenizer.padding_side = tokenizer.padding_side, "left"  # generation continues from the last prompt token
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(todo), PROMPTS_PER_BATCH):
            batch = todo[start:start + PROMPTS_PER_BATCH]
            enc = tokenizer([texts[i] for i in batch], return_tensors="pt", padding=True, add_special_tokens=plain)
            enc = {k: v.to(model.device) for k, v in enc.items()}
            with torch.no_grad():
                ids = model.generate(
                    **enc, do_sample=True, temperature=s.temperature, top_p=s.top_p, top_k=0,
                    max_new_tokens=s.max_new_tokens, num_return_sequences=s.n,
                    pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
                )
            new = tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            for j, i in enumerate(batch):
                out[i] = [clean(t) for t in new[j * s.n:(j + 1) * s.n]]
    finally:
        tokenizer.padding_side = side
        model.train(was_training)
    return out
