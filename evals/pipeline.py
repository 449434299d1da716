"""One evaluation, shared by the eval CLI and training: lm-eval generates and scores; this module runs the passes
and assembles the result files, the reports and W&B logging. Confidence intervals are evals.stats, the task
registry evals.registry (loaded through evals.tasks_manager), predictions.jsonl evals.predictions.

Output folder:
  results.json       scores with 95% CIs, dataset fingerprints and decoding settings (the Hub model card reads it)
  predictions.jsonl  one line per example and task: prompt, input, reference, predictions, per-example scores
  report.md, report.html
  runs/<task>.<system>.<retriever>.trec   retrieval tasks: TREC run files of each model variant (tuned, base) and of the
                     raw utterance and the reference rewrite, for trec_eval or any other tool
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from contextlib import nullcontext
from pathlib import Path

from finetune.core.errors import UserError
from finetune.core.io import file_sha256
from finetune.core.provenance import now, package_versions
from finetune.core.run import PREDICTIONS_FILE, RunFolder, write_results
from evals import benchmark, predictions, registry, stats, tasks_manager

log = logging.getLogger("searchtune")

PACKAGES = ("torch", "transformers", "peft", "lm_eval", "datasets", "sacrebleu", "rouge_score", "bm25s",
            "sentence-transformers", "wandb")
# Docs per lm-eval pass. Each pass's samples are written to predictions.jsonl as prediction rows and dropped, keeping
# only the per-example scores, so memory stays flat however many examples a task has. Tasks with a metric that only
# lm-eval can aggregate (no per-example form here) run in one pass.
PASS_DOCS = 1000


def _is_peft(model) -> bool:
    try:
        from peft import PeftModel
    except ImportError:
        return False
    return isinstance(model, PeftModel)


def evaluate(
    model,
    tokenizer,
    tasks: list[str],
    output_dir,
    *,
    limit: int | None = None,
    batch_size: int | str = 16,
    baseline: bool | str = False,
    data: dict[str, str] | None = None,
    instructions: dict[str, str] | None = None,
    max_length: int | None = None,
    max_target_length: int | None = None,
    decoding: dict | None = None,
    length_words: int | None = None,
    response_words: int | None = None,
    locate: dict | None = None,
    run_dir=None,
    wandb_mode: str = "auto",
    wandb_project: str = "searchtune",
    model_info: dict,
    lm=None,
) -> dict:
    """Score `model` (and, with `baseline`, the same model with its adapter switched off) on `tasks`.

    `data` maps source keys to data files, `instructions` source keys to the instruction the model was trained with
    (evals/registry.py lists the keys). `max_length` and `max_target_length` are the recipe's `data.` settings: a
    prompt longer than training allowed is cut the way training cuts it (finetune.core.prompts.fit_prompt).
    `decoding` holds the recipe's eval.decoding settings that differ from greedy (DecodingSection.changes()); they
    replace every generation task's own and are recorded with its scores. `length_words`: the length target of every
    summarize prompt, for a model trained with one (finetune.core.prompts.eval_length); `response_words`: the words
    kept of each earlier system response in a query_rewrite prompt, None to leave them out (a recipe's
    finetune.core.prompts.response_budget); `locate`, the recipe's data.locate, makes a meeting source's located
    prompts those of training (finetune.core.locate). recipe_settings gives all of these as a recipe sets them; the
    length and response settings are recorded with each task's decoding.

    `lm`: an lm-eval model to score instead of SearchtuneLM over `model` (evals.lm.vllm_lm on a GPU); it has no
    generation cache and no adapter switch, so `baseline` must be off.

    Returns the results.json content. Generations are cached in OUTPUT/.cache while running, so an interrupted
    eval started again with the same arguments continues where it stopped; the cache is removed on success.
    """
    from lm_eval import evaluator

    from evals import report, tracking
    from evals.lm import SearchtuneLM, generation_kwargs

    output_dir = Path(output_dir)
    if baseline and not _is_peft(model):
        raise UserError("--baseline base: the model has no adapter to switch off; pass --adapter or --run")
    prompt = prompt_settings(length_words, max_length, max_target_length, locate, response_words)
    loaded = tasks_manager.load_tasks(tasks, data, instructions, prompt)
    for task in loaded["tasks"].values():
        if decoding and task.config.output_type == "generate_until":
            task.config.generation_kwargs = {**(task.config.generation_kwargs or {}), **generation_kwargs(decoding)}
    output_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = output_dir / ".cache"
    fingerprint = hashlib.sha256(json.dumps(model_info, sort_keys=True).encode()).hexdigest()[:12]

    variants = [("tuned", nullcontext)] + ([("base", model.disable_adapter)] if baseline else [])
    lms = {variant: SearchtuneLM(model, tokenizer, batch_size=batch_size, max_length=max_length,
                                 max_target_length=max_target_length,
                                 cache_file=cache_dir / f"generations-{variant}-{fingerprint}.jsonl")
           for variant, _ in variants} if lm is None else {"tuned": lm}
    task_objs = loaded["tasks"]
    aggregates = {name: tasks_manager.aggregates(task) for name, task in task_objs.items()}
    runs = {variant: {"scores": {name: [] for name in task_objs}, "results": {}, "seconds": 0.0, "task_seconds": {},
                      "retrieval": {name: [] for name in task_objs}}
            for variant, _ in variants}
    with predictions.streamed(output_dir / PREDICTIONS_FILE) as write:
        for kwargs, offset in _passes(loaded, limit, aggregates):
            outs = {}
            for variant, context in variants:
                log.info("Evaluating the %s model on %s", variant, ", ".join(kwargs["task_dict"]["tasks"]))
                started = time.perf_counter()
                with context():
                    outs[variant] = evaluator.evaluate(lm=lms[variant], bootstrap_iters=0, log_samples=True,
                                                       apply_chat_template=True, **kwargs)
                seconds = time.perf_counter() - started
                runs[variant]["seconds"] += seconds
                if len(kwargs["task_dict"]["tasks"]) == 1:  # a pass of one task: its time is that task's
                    (name,) = kwargs["task_dict"]["tasks"]
                    runs[variant]["task_seconds"][name] = runs[variant]["task_seconds"].get(name, 0.0) + seconds
            for name in kwargs["task_dict"]["tasks"]:
                tuned = _samples(outs["tuned"], name, offset)
                base = _samples(outs["base"], name, offset) if baseline else None
                write(predictions.prediction_rows(name, tuned, base, aggregates[name]))
                for variant, samples in (("tuned", tuned), ("base", base)):
                    if samples is not None:
                        runs[variant]["scores"][name] += [_scores(s, aggregates[name]) for s in samples]
                        runs[variant]["results"][name] = outs[variant]["results"].get(name, {})
                        runs[variant]["retrieval"][name] += [{"doc": s["doc"], "filtered_resps": s["filtered_resps"]}
                                                             for s in samples if _judged(s)]
    for variant, run in runs.items():
        for name, samples in run["retrieval"].items():
            benchmark.write_runs(output_dir / "runs", name, variant, samples)

    results = summarize(task_objs, runs, lms["tuned"].batch_size, data, model_info, prompt)
    write_results(output_dir, results)
    history = RunFolder(run_dir).log_history() if run_dir else None
    report.write_reports(output_dir, results, predictions.PredictionsFile(output_dir / PREDICTIONS_FILE),
                         log_history=history)
    tracking.log_eval(results, output_dir, mode=wandb_mode, project=wandb_project, run_dir=run_dir)
    shutil.rmtree(cache_dir, ignore_errors=True)
    return results


# --------------------------------------------------------------------------------------- results


def _passes(loaded: dict, limit: int | None, aggregates: dict) -> list[tuple[dict, int]]:
    """(evaluator.evaluate keyword arguments, doc_id offset) of each pass: PASS_DOCS docs of one task at a time."""
    if loaded.get("groups") or not all(all(a.values()) for a in aggregates.values()):
        return [({"task_dict": loaded, "limit": limit}, 0)]
    out = []
    for name, task in loaded["tasks"].items():
        n = len(task.eval_docs) if limit is None else min(int(limit), len(task.eval_docs))
        for start in range(0, n, PASS_DOCS):
            # lm-eval numbers the selected docs from 0 (hence the offset) and tests `i in samples` per doc: a range
            # answers that in constant time.
            out.append(({"task_dict": {**loaded, "tasks": {name: task}},
                         "samples": {name: range(start, min(n, start + PASS_DOCS))}}, start))
    return out


def _judged(sample: dict) -> bool:
    """A sample of a retrieval task's judged turn (its doc names the benchmark)."""
    return isinstance(sample.get("doc"), dict) and bool(sample["doc"].get("retrieval"))


def _scores(sample: dict, aggregates: dict) -> dict:
    return {"doc_id": sample["doc_id"], **{m: sample.get(m) for m in aggregates}}


def summarize(tasks: dict, runs: dict, batch_size: int, data: dict | None, model_info: dict,
              prompt: dict | None = None) -> dict:
    """results.json from the per-example scores (and, for metrics only lm-eval aggregates, its results); `prompt`:
    prompt_settings, of which each task's decoding records the ones its prompts depend on."""
    base = runs.get("base")
    results = {
        "model": {"base": str(model_info.get("base")), "adapter": _str_or_none(model_info.get("adapter"))},
        "tasks": {},
        "packages": package_versions(PACKAGES),
        "created_at": now(),
        # Wall time of generation and scoring in this call (generations restored from .cache cost next to nothing).
        "timing": {variant: _timing(run) for variant, run in runs.items()},
    }
    for name, task in tasks.items():
        tuned_samples = runs["tuned"]["scores"][name]
        base_samples = base["scores"][name] if base else None
        aggregates = tasks_manager.aggregates(task)
        entry = {
            "dataset": dataset_info(task, data, n=len(tuned_samples)),
            "decoding": {**decoding_info(task, batch_size), **prompt_info(task, prompt)},
            # Generation and scoring of this task alone, per model variant (absent when tasks shared a pass).
            "seconds": {variant: round(run["task_seconds"][name], 1) for variant, run in runs.items()
                        if name in run["task_seconds"]},
            "metrics": stats.score_metrics(tuned_samples, aggregates, runs["tuned"]["results"].get(name, {}),
                                           task.higher_is_better()),
        }
        if base_samples is not None:
            entry["baseline"] = {"metrics": stats.score_metrics(base_samples, aggregates, base["results"].get(name, {}),
                                                                task.higher_is_better())}
            entry["comparison"] = stats.compare_metrics(base_samples, tuned_samples, aggregates)
        results["tasks"][name] = entry
    return results


def _timing(run: dict) -> dict:
    examples = sum(len(scores) for scores in run["scores"].values())
    seconds = run["seconds"]
    return {"seconds": round(seconds, 1), "examples": examples,
            "examples_per_second": round(examples / seconds, 3) if seconds else None}


def prompt_settings(length_words, max_length, max_target_length, locate, response_words=None) -> dict:
    """What evals.tasks_manager.load_tasks hands the tasks so that their prompts are the training prompts."""
    return {"length_words": length_words, "max_length": max_length, "max_target_length": max_target_length,
            "locate": locate, "response_words": response_words}


def recipe_settings(recipe) -> dict:
    """evaluate()'s prompt and decoding arguments as a run's recipe sets them. The eval after training and `searchtune
    eval --run` both take them from here (the CLI's flags may replace some), so that a setting that shapes the
    training prompt cannot reach one eval path and miss the other."""
    from finetune.core.prompts import eval_length, response_budget

    data = recipe.data
    return {
        "instructions": registry.recipe_instructions(recipe.model_dump(mode="json")),
        "max_length": data.max_length, "max_target_length": data.max_target_length,
        "decoding": recipe.eval.decoding.changes(), "length_words": eval_length(data, recipe.eval),
        "response_words": response_budget(data), "locate": data.locate.model_dump() if data.locate else None,
    }


# The prompt settings each kind of task records beside its decoding (when set): what a reader must know to tell
# two scores of one model apart, e.g. with and without the earlier system responses.
RECORDED_PROMPT = {"query_rewrite": "response_words", "summarize": "length_words"}


def prompt_info(task, prompt: dict | None) -> dict:
    """The prompt settings of `prompt` (prompt_settings) that shaped this task's prompts, and for a meeting source
    the locator's settings as the task applied them; a searchtune task only."""
    source = _source(task)
    if source not in registry.SOURCES:
        return {}
    src, prompt = registry.SOURCES[source], prompt or {}
    key = RECORDED_PROMPT.get(src.kind)
    out = {key: int(prompt[key])} if key and prompt.get(key) is not None else {}
    if src.meetings:
        from finetune.core.recipe.schema import LocateSection

        out["locate"] = {**LocateSection().model_dump(), **(prompt.get("locate") or {}),
                         **((task.config.dataset_kwargs or {}).get("locate") or {})}
    return out


def _source(task) -> str | None:
    """The evals.registry source key of a searchtune task, None for another lm-eval task."""
    return (task.config.dataset_kwargs or {}).get("source") if task.config.custom_dataset else None


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def _samples(out: dict, task: str, offset: int = 0) -> list[dict]:
    samples = sorted(out["samples"][task], key=lambda s: s["doc_id"])
    for s in samples:
        s["doc_id"] += offset
    return samples


def dataset_info(task, data: dict | None, n: int) -> dict:
    source = _source(task)
    if source:
        path = registry.resolve_path(source, data)
        info = {"name": source, "path": str(path.resolve()), "sha256": file_sha256(path), "n": n}
        judged = registry.SOURCES[source].judged
        for part in ("corpus", "qrels") if judged else ():
            file = registry.resolve_path(f"{judged.prefix}_{part}", data)
            info[part] = {"path": str(file.resolve()), "sha256": file_sha256(file)}
        return info
    name = "/".join(x for x in (task.config.dataset_path, task.config.dataset_name) if x)
    return {"name": name, "path": name, "sha256": None, "n": n}


def decoding_info(task, batch_size: int) -> dict:
    from evals.lm import BEAM_KEYS

    gen = task.config.generation_kwargs or {}
    until = gen.get("until") or []
    return {
        "do_sample": bool(gen.get("do_sample", False)),
        "max_new_tokens": gen.get("max_gen_toks"),
        "apply_chat_template": True,
        "batch_size": int(batch_size),
        "until": [until] if isinstance(until, str) else list(until),
        **({"temperature": gen.get("temperature")} if gen.get("do_sample") else {}),
        **{key: gen[key] for key in BEAM_KEYS if key in gen},
        # Several generations per example (a task's `repeats`), e.g. rewrites fused at retrieval time.
        **({"repeats": int(task.config.repeats)} if (task.config.repeats or 1) > 1 else {}),
    }
