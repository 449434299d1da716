"""grpo: TRL's GRPOTrainer with the retrieval reward as its reward function (ConvSearch-R1's second stage).

Each optimizer step samples `train.sampling.n` rewrites of each prompt in the batch from the model being trained
(the exact training prompt of a judged turn; temperature, top_p and max_new_tokens from train.sampling), scores each
by where the turn's relevant passages rank (the reward callable gets the completions and the dataset's `qid`
column), and moves the LoRA towards the rewrites that beat their group's mean. `train.batch_size` counts completions,
as in TRL: batch_size x grad_accum x processes must be a multiple of n, so every group is scored within one step.
TRL's defaults stand otherwise (beta=0: no reference model; loss_type dapo); the manifest records them.

Checkpoints, stop signals, resume and the manifest are the sft path's (shared with dpo); the watchdog only trips on a
NaN/Inf loss or weights, since GRPO's loss is centred on zero and "k times the lowest loss" means nothing there.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import defaultdict
from pathlib import Path

from transformers import TrainerCallback

from finetune.core.errors import ExitCode, UserError
from finetune.core.run import RunFolder
from finetune.training.callbacks import Watchdog

# What the run log prints of each logging step: TRL's reward statistics and retrieval_reward's own.
LOGGED = (("reward", "reward {:.4f}"), ("reward_std", "std {:.4f}"), ("retrieval/best", "best {:.4f}"),
          ("retrieval/worst", "worst {:.4f}"), ("retrieval/hit_rate", "hit rate {:.2f}"))


def train(recipe, out: Path, report_to, stop=None, resume_command: str = ""):
    from accelerate import PartialState
    from datasets import Dataset
    from transformers import set_seed
    from trl import GRPOConfig, GRPOTrainer

    from finetune.core import models, provenance
    from finetune.training import trainer
    from finetune.training.methods import best_of_n, dpo, reward as rewards, sampling

    run, state, t, s = RunFolder(out), PartialState(), recipe.train, recipe.train.sampling
    started, t0, commit, dirty = provenance.now(), time.time(), provenance.git_commit(), provenance.git_dirty()
    per_step = t.batch_size * t.grad_accum * state.num_processes
    if per_step % s.n:
        raise UserError(f"train.batch_size: grpo scores each prompt's train.sampling.n={s.n} rewrites against each "
                        f"other within one optimizer step, which takes batch_size x grad_accum x processes = "
                        f"{per_step} completions; make that a multiple of {s.n} (e.g. train.batch_size="
                        f"{s.n * max(1, t.batch_size // s.n)})", code=ExitCode.USAGE)
    reward = rewards.Reward.from_recipe(recipe)
    records = best_of_n.judged_records(recipe, reward)
    set_seed(t.seed)
    args = dpo.method_args(
        recipe, out, report_to, GRPOConfig, num_generations=s.n, temperature=s.temperature, top_p=s.top_p,
        max_completion_length=s.max_new_tokens,
        remove_unused_columns=False,  # the reward needs the qid column
        include_num_input_tokens_seen="no",  # GRPOTrainer counts prompt and completion tokens itself
    )
    model, tokenizer, checkpoint = models.load(recipe.model)
    model = trainer.with_init_adapter(model, recipe)
    texts = [sampling.prompt_text(tokenizer, r, recipe) for r in records]
    rows = [{"prompt": dpo.trl_prompt(tokenizer, p), "qid": r["qid"]} for r, p in zip(records, texts) if p is not None]
    if not rows:
        raise UserError(f"data.max_length={recipe.data.max_length}: no training prompt fits with "
                        f"train.sampling.max_new_tokens={s.max_new_tokens} left for the rewrite; raise data.max_length")
    grpo = dpo.build(GRPOTrainer, recipe, model, tokenizer, args, train_dataset=Dataset.from_list(rows),
                     reward_funcs=reward_function(reward))
    grpo.add_callback(RewardLine())
    watchdog = FiniteWatchdog() if t.watchdog.enabled else None
    result = trainer.fit(grpo, recipe, run, stop, watchdog, resume_command)
    if result is None:
        return trainer.Trained(stopped_code=stop.code)
    method = {"name": "grpo", "init_adapter": t.init_adapter, "beta": args.beta, "loss_type": args.loss_type,
              "scale_rewards": args.scale_rewards, "sampling": s.model_dump(mode="json"), "reward": reward.describe(),
              "prompts": len(rows), "rewards": reward_stats(grpo.state.log_history)}
    return dpo.finish(grpo, result, recipe, run, tokenizer, checkpoint, (started, t0, commit, dirty), len(rows), method)


def reward_function(reward):
    """The retrieval reward as GRPOTrainer calls a reward function: a generation batch's completions with the `qid`
    of each. A completion is read as the eval reads a rewrite (cut at the eval's stop strings). Also logs, through
    TRL's `log_metric`, each turn's best and worst reward (averaged over the turns in the batch) and the share of
    completions that rank a relevant passage at all."""
    from finetune.training.methods import sampling

    def retrieval_reward(completions, qid, log_metric=None, **kwargs):
        scores = reward.score([sampling.clean(c) for c in completions], list(qid))
        by_turn = defaultdict(list)
        for q, score in zip(qid, scores):
            if score is not None:
                by_turn[q].append(score)
        if log_metric is not None and by_turn:
            log_metric("retrieval/best", statistics.fmean(max(v) for v in by_turn.values()))
            log_metric("retrieval/worst", statistics.fmean(min(v) for v in by_turn.values()))
            log_metric("retrieval/hit_rate", statistics.fmean(x > 0 for v in by_turn.values() for x in v))
        return scores

    return retrieval_reward


def reward_stats(log_history: list[dict]) -> dict:
    """The reward over training, from the logged steps: first, last and mean of TRL's mean reward per step, and the
    mean of each retrieval_reward statistic."""
    logged = [h for h in log_history if isinstance(h.get("reward"), (int, float))]
    if not logged:
        return {}
    out = {"logged_steps": len(logged), "first": round(logged[0]["reward"], 4), "last": round(logged[-1]["reward"], 4),
           "mean": round(statistics.fmean(h["reward"] for h in logged), 4)}
    for key, _ in LOGGED[2:]:
        values = [h[key] for h in logged if isinstance(h.get(key), (int, float))]
        if values:
            out[f"mean_{key.split('/')[1]}"] = round(statistics.fmean(values), 4)
    return out


class RewardLine(TrainerCallback):
    """`[searchtune] grpo step 4/40 | reward 0.3120 | std 0.2100 | best ... ` per logging step, in the run log."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not isinstance((logs or {}).get("reward"), (int, float)):
            return
        parts = [fmt.format(logs[key]) for key, fmt in LOGGED if isinstance(logs.get(key), (int, float))]
        print(f"[searchtune] grpo step {state.global_step}/{state.max_steps} | " + " | ".join(parts), flush=True)


class FiniteWatchdog(Watchdog):
    """The watchdog without its spike rule: GRPO's loss is centred on zero (advantages are normalised per group), so
    a NaN/Inf loss, or NaN/Inf weights at a checkpoint, are what divergence looks like."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if isinstance(loss, (int, float)) and not math.isfinite(loss) and not self.tripped:
            self._trip(f"the training loss is {loss} at step {state.global_step}", control)
        return control
