"""best_of_n: rejection-sampling fine-tuning against retrieval (the self-distillation stage of ConvSearch-R1).

Each round samples `train.sampling.n` rewrites per training turn from the current model, ranks the collection with
each, and fine-tunes on the best-ranked rewrite of every turn where one found a relevant passage. A round is an
ordinary sft run folder (`RUN/rounds/round-K/`: its chosen rows, adapter, manifest, checkpoints), started from the
adapter the round before left, so a killed run resumes where it stopped: finished rounds are kept, the interrupted
one reuses its samples and resumes its checkpoint.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from finetune.core.errors import UserError
from finetune.core.run import RunFolder


def train(recipe, out: Path, report_to, stop=None, resume_command: str = ""):
    from transformers import set_seed

    from finetune.core import io, models, provenance, tracking
    from finetune.training import trainer
    from finetune.training.methods import reward as rewards

    run, t0, started = RunFolder(out), time.time(), provenance.now()
    reward = rewards.Reward.from_recipe(recipe)
    records = judged_records(recipe, reward)
    adapter, rounds = recipe.train.init_adapter, []
    for k in range(1, recipe.train.sampling.rounds + 1):
        folder = RunFolder(run.path / "rounds" / f"round-{k}")
        if folder.manifest().finished_at and folder.adapter_config_file.is_file():
            print(f"[searchtune] best_of_n round {k}: finished earlier, kept")
        else:
            chosen_file = folder.path / "chosen.jsonl"
            if not chosen_file.is_file():
                set_seed(recipe.train.seed + k)
                model, tokenizer, _ = models.load(recipe.model)
                model = trainer.with_init_adapter(model, recipe.model_copy(
                    update={"train": recipe.train.model_copy(update={"init_adapter": adapter})}))
                stats = choose(model, tokenizer, records, recipe, reward, folder.path)
                del model
                io.write_json(folder.path / "round_stats.json", stats)
                print(f"[searchtune] best_of_n round {k}: " + ", ".join(f"{key} {value}" for key, value in stats.items()))
                tracking.log({f"best_of_n/{key}": value for key, value in stats.items()} | {"best_of_n/round": k})
            trained = trainer.train(round_recipe(recipe, chosen_file, adapter, folder.path), folder.path, report_to,
                                    stop, resume_command)
            if trained.stopped_code is not None:
                return trained
        adapter = str(folder.adapter_dir)
        rounds.append({"round": k, **json.loads((folder.path / "round_stats.json").read_text()),
                       "train_runtime_s": folder.manifest().train_runtime_s, "train_tokens": folder.manifest().train_tokens})
    return finish(recipe, run, adapter, rounds, reward, started, t0)


def judged_records(recipe, reward) -> list[dict]:
    from finetune.training import data

    records = data.training_records(recipe)
    judged = [r for r in records if reward.judged(r.get("qid"))]
    if not judged:
        raise UserError(f"data.train: none of the {len(records)} training turns has a qid with a relevant passage in "
                        f"{recipe.reward.qrels} (grade >= reward.min_grade={recipe.reward.min_grade}); map the turn id "
                        "with `columns: {qid: COLUMN}`")
    return judged


def choose(model, tokenizer, records, recipe, reward, folder: Path) -> dict:
    """Sample, score and keep each turn's best rewrite; writes samples.jsonl and chosen.jsonl. Returns the round's
    reward statistics."""
    from finetune.core import io
    from finetune.training.methods import sampling

    samples = sampling.sample(model, tokenizer, records, recipe)
    candidates = [s + ([r["rewrite"]] if recipe.train.sampling.include_reference else []) for r, s in zip(records, samples)]
    flat = [c for cs in candidates for c in cs]
    scores = iter(reward.score(flat, [r["qid"] for r, cs in zip(records, candidates) for _ in cs]))
    references = reward.score([r["rewrite"] for r in records], [r["qid"] for r in records])
    rows, chosen = [], []
    for rec, cands, ref in zip(records, candidates, references):
        scored = [(next(scores), c) for c in cands]
        best_score, best = max(scored, key=lambda x: x[0]) if scored else (0.0, None)
        rows.append({"qid": rec["qid"], "query": rec["query"], "reference": rec["rewrite"], "reference_reward": ref,
                     "samples": [{"rewrite": c, "reward": s} for s, c in scored], "chosen": best if best_score > 0 else None})
        if best_score > 0 and best:
            chosen.append({k: v for k, v in rec.items() if k != "rewrite"} | {"rewrite": best})
    if not chosen:
        raise UserError(f"best_of_n: no sampled rewrite of any of the {len(records)} turns found a relevant passage "
                        f"within reward.depth={recipe.reward.depth}; raise train.sampling.n or reward.depth, or start "
                        "from an sft adapter (train.init_adapter)")
    with io.streamed_text(folder / "samples.jsonl") as write:
        for row in rows:
            write(json.dumps(row, ensure_ascii=False) + "\n")
    sample_rewards = [s["reward"] for row in rows for s in row["samples"]]
    best = [max((s["reward"] for s in row["samples"]), default=0.0) for row in rows]
    stats = {
        "turns": len(rows), "kept": len(chosen), "mean_reward": round(statistics.fmean(sample_rewards), 4),
        "mean_best_reward": round(statistics.fmean(best), 4),
        "mean_reference_reward": round(statistics.fmean(references), 4),
        "best_beats_reference": round(statistics.fmean(b > r for b, r in zip(best, references)), 4),
    }
    with io.streamed_text(folder / "chosen.jsonl") as write:  # last: its presence marks the sampling done
        for row in chosen:
            write(json.dumps(row, ensure_ascii=False) + "\n")
    return stats


def round_recipe(recipe, chosen_file: Path, adapter: str | None, folder: Path):
    """The sft recipe of one round: the chosen rewrites, from the previous round's adapter, no eval."""
    instructions = {r.instruction for r in recipe.data.train}
    source = {"path": str(chosen_file.resolve()), "instruction": instructions.pop() if len(instructions) == 1 else None}
    dump = recipe.model_dump(mode="json")
    dump["data"].update(train=[source], eval=None, eval_fraction=None, limit=None)
    dump["train"].update(method="sft", init_adapter=adapter, resume="auto", eval_steps=None)
    dump["eval"].update(tasks=[])
    dump["output_dir"] = str(folder)
    return type(recipe).model_validate(dump, context={"resolved": True})


def finish(recipe, run: RunFolder, adapter: str, rounds: list[dict], reward, started, t0):
    """The run's adapter (the last round's), its manifest (with every round's statistics) and the model for eval."""
    import shutil

    from finetune.core import io, models, provenance
    from finetune.training import trainer
    from finetune.training.trainer import Trained

    with io.staged_dir(run.adapter_dir) as tmp:
        shutil.copytree(adapter, tmp, dirs_exist_ok=True)
    last = RunFolder(Path(adapter).parent).manifest()
    runtime = time.time() - t0
    tokens = sum(r["train_tokens"] or 0 for r in rounds)
    manifest = last
    manifest.started_at, manifest.finished_at, manifest.train_runtime_s = started, provenance.now(), round(runtime, 2)
    manifest.train_tokens, manifest.tokens_per_second = tokens, round(tokens / runtime, 1) if runtime else None
    manifest.method = {"name": "best_of_n", "init_adapter": recipe.train.init_adapter,
                       "sampling": recipe.train.sampling.model_dump(mode="json"), "reward": reward.describe(),
                       "rounds": rounds}
    run.write_manifest(manifest)
    print(f"[searchtune] best_of_n: {len(rounds)} rounds, adapter saved to {run.adapter_dir} ({runtime:.0f}s in all)")
    model, tokenizer, _ = models.load(recipe.model)
    model = trainer.with_init_adapter(model, recipe.model_copy(
        update={"train": recipe.train.model_copy(update={"init_adapter": str(run.adapter_dir)})}))
    return Trained(model, tokenizer, manifest)
