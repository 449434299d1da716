"""dpo: TRL's DPOTrainer on pairs of sampled rewrites ranked by retrieval, each turn's best against its worst (RetPO).

The model about to train (train.init_adapter, or the base, which a fresh LoRA equals) samples `train.sampling.n`
rewrites per judged training turn, plus the reference rewrite with `sampling.include_reference`, and the reward ranks
the collection with each. A turn whose best candidate scores above its worst gives one pair (prompt: the turn's exact
training prompt), or up to `sampling.pairs_per_turn`, the best against each of the lowest-rewarded distinct
candidates; a turn whose candidates all tie teaches nothing and gives none. Every candidate and its reward go to
RUN/samples.jsonl, the pairs to RUN/pairs.jsonl (written last: its presence marks the sampling done). DPO then trains
the LoRA against the model it started from: the base with the adapter disabled, or TRL's frozen copy of init_adapter.
A killed run resumed with `train.resume=auto` reuses the pairs and continues from the newest complete checkpoint.

Checkpoints, stop signals, the watchdog, the adapter and the manifest work as on the sft path (`fit`, `finish`, which
grpo shares); the manifest's `method` holds the pair statistics and the reward settings.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from finetune.core.errors import ExitCode, UserError
from finetune.core.run import RunFolder

SAMPLES_FILE, STATS_FILE, PAIRS_FILE = "samples.jsonl", "pair_stats.json", "pairs.jsonl"


def train(recipe, out: Path, report_to, stop=None, resume_command: str = ""):
    from accelerate import PartialState
    from datasets import Dataset
    from transformers import set_seed
    from trl import DPOConfig, DPOTrainer

    from finetune.core import models, provenance, tracking
    from finetune.training import trainer
    from finetune.training.methods import best_of_n, reward as rewards

    run, state = RunFolder(out), PartialState()
    started, t0, commit, dirty = provenance.now(), time.time(), provenance.git_commit(), provenance.git_dirty()
    reward = rewards.Reward.from_recipe(recipe)
    records = best_of_n.judged_records(recipe, reward)
    set_seed(recipe.train.seed)
    args = method_args(recipe, out, report_to, DPOConfig, max_length=recipe.data.max_length)  # before the model: ZeRO-3
    with state.main_process_first():  # rank 0 samples and writes the pairs; the others read them
        if state.is_main_process and not (recipe.train.resume == "auto" and (run.path / PAIRS_FILE).is_file()):
            sampler, tokenizer, _ = models.load(recipe.model)
            write_pairs(trainer.with_init_adapter(sampler, recipe), tokenizer, records, recipe, reward, run.path)
            # The model that trains is loaded afresh: generating in eval mode on a CPU leaves bitsandbytes' 4-bit
            # weights in its inference-only layout, through which no gradient flows.
            del sampler
        elif state.is_main_process:
            print(f"[searchtune] dpo: reusing the pairs sampled earlier ({run.path / PAIRS_FILE})")
        pairs = [json.loads(line) for line in (run.path / PAIRS_FILE).read_text(encoding="utf-8").splitlines()]
        stats = json.loads((run.path / STATS_FILE).read_text(encoding="utf-8"))
    model, tokenizer, checkpoint = models.load(recipe.model)
    model = trainer.with_init_adapter(model, recipe)
    if state.is_main_process:
        print("[searchtune] dpo pairs: " + ", ".join(f"{k} {v}" for k, v in stats.items()), flush=True)
        tracking.log({f"dpo/{k}": v for k, v in stats.items()})
    dataset = Dataset.from_list([{"prompt": trl_prompt(tokenizer, p["prompt"]), "chosen": p["chosen"],
                                  "rejected": p["rejected"]} for p in pairs])
    dpo = build(DPOTrainer, recipe, model, tokenizer, args, train_dataset=dataset)
    watchdog = watchdog_for(recipe)
    result = trainer.fit(dpo, recipe, run, stop, watchdog, resume_command)
    if result is None:
        return trainer.Trained(stopped_code=stop.code)
    method = {"name": "dpo", "init_adapter": recipe.train.init_adapter, "beta": args.beta, "loss_type": args.loss_type,
              "sampling": recipe.train.sampling.model_dump(mode="json"), "reward": reward.describe(), "pairs": stats}
    return finish(dpo, result, recipe, run, tokenizer, checkpoint, (started, t0, commit, dirty), len(pairs), method)


def write_pairs(model, tokenizer, records: list[dict], recipe, reward, folder: Path) -> None:
    """Sample and score each turn's candidates; write samples.jsonl, pair_stats.json and, last, pairs.jsonl."""
    from finetune.core import io
    from finetune.training.methods import sampling

    prompts = [sampling.prompt_text(tokenizer, r, recipe) for r in records]
    if (first := next((p for p in prompts if p is not None), None)) is not None:
        trl_prompt(tokenizer, first)  # a tokenizer TRL would misread is refused before sampling
    samples = sampling.sample(model, tokenizer, records, recipe)
    candidates = [(s + [r["rewrite"]] if recipe.train.sampling.include_reference else s) if p is not None else []
                  for r, p, s in zip(records, prompts, samples)]
    scores = iter(reward.score([c for cs in candidates for c in cs],
                               [r["qid"] for r, cs in zip(records, candidates) for _ in cs]))
    scored = [[(c, next(scores)) for c in cs] for cs in candidates]
    references = reward.score([r["rewrite"] for r in records], [r["qid"] for r in records])
    pairs = build_pairs(records, prompts, scored, recipe.train.sampling.pairs_per_turn)
    with io.streamed_text(folder / SAMPLES_FILE) as write:
        for rec, cands, ref in zip(records, scored, references):
            write(json.dumps({"qid": rec["qid"], "query": rec["query"], "reference": rec["rewrite"],
                              "reference_reward": ref, "samples": [{"rewrite": c, "reward": s} for c, s in cands]},
                             ensure_ascii=False) + "\n")
    stats = pair_stats(scored, references, pairs)
    if not pairs:
        raise UserError(f"dpo: none of the {len(records)} training turns gave a pair ({stats['ties_dropped']} whose "
                        f"candidates all got the same reward, {stats['no_prompt']} whose prompt does not fit in "
                        "data.max_length - train.sampling.max_new_tokens tokens; see "
                        f"{folder / SAMPLES_FILE}); raise train.sampling.n or temperature, raise reward.depth, set "
                        "train.sampling.include_reference=true, or start from an sft adapter (train.init_adapter)")
    io.write_json(folder / STATS_FILE, stats)
    with io.streamed_text(folder / PAIRS_FILE) as write:
        for pair in pairs:
            write(json.dumps(pair, ensure_ascii=False) + "\n")


def build_pairs(records: list[dict], prompts: list[str | None], scored: list[list[tuple[str, float]]],
                per_turn: int = 1) -> list[dict]:
    """Per turn, its highest-rewarded candidate (the first of equals) against each of its `per_turn` lowest-rewarded
    distinct candidates that score below it, lowest first. Turns whose candidates all tie, or that have none (a prompt
    that cannot fit), give none."""
    pairs = []
    for rec, prompt, cands in zip(records, prompts, scored):
        if prompt is None or not cands:
            continue
        chosen, high = max(cands, key=lambda c: c[1])
        worse = {}
        for text, score in sorted(cands, key=lambda c: c[1]):
            if score < high:
                worse.setdefault(text, score)
        for rejected, low in list(worse.items())[:per_turn]:
            pairs.append({"qid": rec["qid"], "query": rec["query"], "prompt": prompt, "chosen": chosen,
                          "rejected": rejected, "chosen_reward": high, "rejected_reward": low})
    return pairs


def pair_stats(scored: list[list[tuple[str, float]]], references: list[float], pairs: list[dict]) -> dict:
    """The sampling's reward statistics: over every candidate, per turn's best and worst, the reference's, pairs."""
    turns = [[s for _, s in cands] for cands in scored if cands]
    return {
        "turns": len(scored), "pairs": len(pairs), "ties_dropped": sum(1 for t in turns if max(t) == min(t)),
        "no_prompt": len(scored) - len(turns), "mean_reward": mean([s for t in turns for s in t]),
        "mean_best_reward": mean([max(t) for t in turns]), "mean_worst_reward": mean([min(t) for t in turns]),
        "mean_reference_reward": mean(references),
        "mean_pair_margin": mean([p["chosen_reward"] - p["rejected_reward"] for p in pairs]),
    }


def mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def trl_prompt(tokenizer, text: str) -> str:
    """`text` (a rendered training prompt) as a TRL trainer must receive it to tokenize it as training does. TRL
    tokenizes a text prompt with the tokenizer's special tokens added; a chat template has already written them (Llama
    3's BOS), which would then appear twice."""
    plain = not getattr(tokenizer, "chat_template", None)
    wanted = tokenizer(text, add_special_tokens=plain)["input_ids"]
    if tokenizer(text)["input_ids"] == wanted:
        return text
    bos = tokenizer.bos_token
    if bos and text.startswith(bos) and tokenizer(text[len(bos):])["input_ids"] == wanted:
        return text[len(bos):]
    raise UserError("model.name: its tokenizer adds special tokens around every text that its chat template does not "
                    "write, so TRL would train dpo/grpo on a prompt other than the training prompt; use "
                    "train.method=best_of_n or sft with this model", code=ExitCode.USAGE)


def method_args(recipe, out: Path, report_to, config_class, **settings):
    """The sft run's TrainingArguments (steps, batch, schedule, checkpoints, precision, logging, distributed
    settings: finetune.training.trainer.training_args) as `config_class` (DPOConfig, GRPOConfig), plus `settings`."""
    import dataclasses

    from transformers import TrainingArguments

    from finetune.training import trainer

    sft = trainer.training_args(recipe, out, report_to, has_eval=False)
    shared = {f.name: getattr(sft, f.name) for f in dataclasses.fields(TrainingArguments) if f.init}
    return config_class(**shared | settings)


def build(trainer_class, recipe, model, tokenizer, args, **kwargs):
    """A TRL trainer on the recipe's LoRA: a fresh one from the recipe, or the init_adapter the model already carries
    (with 4-bit weights when model.load_in_4bit: TRL keeps the adapter in bf16 on a quantized base, as QLoRA does)."""
    from peft import PeftModel

    from finetune.core import compat
    from finetune.core.recipe import to_yaml
    from finetune.training import callbacks, trainer

    peft_config = None if isinstance(model, PeftModel) else trainer.lora_config(recipe)
    with compat.quiet_data_preparation():  # TRL tokenizes here
        return trainer_class(model=model, args=args, processing_class=tokenizer, peft_config=peft_config,
                             callbacks=[callbacks.RecipeToWandb(to_yaml(recipe))], **kwargs)


def watchdog_for(recipe):
    from finetune.training import callbacks

    w = recipe.train.watchdog
    return callbacks.Watchdog(w.spike_factor, w.patience) if w.enabled else None


def finish(trl_trainer, result, recipe, run: RunFolder, tokenizer, checkpoint, timing, train_rows: int, method: dict):
    """Save the adapter and write log_history.json and the manifest (`method`: the method's settings and statistics),
    as the sft path does; the Trained model goes on to the eval. `timing`: (started, t0, commit, dirty) at start."""
    from accelerate import PartialState

    from finetune.training import data, trainer

    model = trl_trainer.accelerator.unwrap_model(trl_trainer.model)
    if "ref" in getattr(model, "peft_config", {}):
        model.delete_adapter("ref")  # TRL's frozen copy of init_adapter, the reference: not part of what was trained
    trainer.save_adapter(trl_trainer, run.adapter_dir)
    state, manifest = PartialState(), None
    if state.is_main_process:
        sources = data.DataStats()
        data.load_records(recipe, sources)
        run.write_log_history(trl_trainer.state.log_history)
        manifest = trainer.build_manifest(trl_trainer, result, recipe, checkpoint, timing, sources.sources,
                                          train_rows=train_rows, method=method)
        run.write_manifest(manifest)
        print(f"[searchtune] {method['name']}: adapter saved to {run.adapter_dir}: train loss "
              f"{result.training_loss:.4f}, {manifest.tokens_per_second} tokens/s over {manifest.train_runtime_s:.0f}s")
    return trainer.Trained(trl_trainer.model, tokenizer, manifest)
