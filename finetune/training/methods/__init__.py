"""Training methods that learn from retrieval instead of (or after) the reference rewrites.

`finetune/training/trainer.py` selects `<method>.train` by `recipe.train.method`; `sft` is the trainer itself.
"""
