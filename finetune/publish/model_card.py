"""The model card (README.md) of a run: rendered from `templates/model_card.md` with `ModelCard.from_template`.

The metadata comes from card_data.py, the base model's licence from base_model.py; this module fills the template's
body. Every input is optional except the run's adapter: without eval results the card has no `model-index` and says
so; without a manifest it omits the training figures. Every card is checked by saving it and loading it back with
`ModelCard.load`, and secrets are masked by finetune.core.secrets.

The workflow writes the card into the run folder when a run finishes; `searchtune push` (and its --dry-run) builds the
same card.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from finetune.core import secrets
from finetune.core.paths import MODEL_CARD_TEMPLATES
from finetune.core.run import DataSource, Hardware, Results, RunFolder, Score, decoding_line, read_json
from finetune.publish import base_model
from finetune.publish.card_data import card_data, load_in_4bit, run_task

TEMPLATE = MODEL_CARD_TEMPLATES / "model_card.md"
TASK_LABELS = {"query_rewrite": "query rewriting", "summarize": "summarization"}
TASK_DOES = {
    "query_rewrite": "rewrites the last question of a conversation into a standalone search query: pronouns and "
    "vague references are replaced by what they refer to, so a search engine understands the question without the "
    "conversation",
    "summarize": "summarizes a document in one or two sentences, optionally focused on a query",
}
DEMO_RECORDS = {
    "query_rewrite": {"history": ["Who wrote the novel Dune?"], "query": "When was it first published?"},
    "summarize": {"document": "PASTE THE DOCUMENT HERE", "query": None},
}


# -- formatting -----------------------------------------------------------------------------------------------
def fence(*texts: str) -> str:
    """A backtick fence longer than any backtick run inside `texts`."""
    longest = max([len(m) for t in texts for m in re.findall(r"`+", t or "")] + [2])
    return "`" * (longest + 1)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _num(value: Any, digits: int | None = None) -> str:
    if not Score(value).finite:
        return "–"
    digits = digits if digits is not None else (2 if abs(value) >= 10 else 4)
    return f"{value:.{digits}f}"


def _with_ci(score: Score | None, digits: int | None = None, bold_if_excludes_zero: bool = False) -> str:
    if score is None:
        return "–"
    text = _num(score.value, digits)
    if score.has_interval:
        if bold_if_excludes_zero and (score.ci_low > 0 or score.ci_high < 0):
            text = f"**{text}**"
        text += f" [{_num(score.ci_low, digits)}, {_num(score.ci_high, digits)}]"
    return text


def _rows(source: DataSource) -> str:
    rows, used = source.rows, source.used_rows
    if not isinstance(rows, int):
        return "?"
    return f"{rows:,}" + (f" ({used:,} used)" if isinstance(used, int) and used != rows else "")


def _duration(seconds: Any) -> str | None:
    if not isinstance(seconds, (int, float)):
        return None
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


# -- body -----------------------------------------------------------------------------------------------------
def _example(run: RunFolder) -> dict | None:
    """The first usable prediction from eval/predictions.jsonl, as the template shows it."""
    row = next((r for r in run.predictions()
                if str(r.get("prediction") or "").strip() and (r.get("input") or r.get("prompt"))), None)
    if row is None:
        return None
    reference = row.get("reference")
    reference = "\n".join(map(str, reference)) if isinstance(reference, list) else (reference or "")
    texts = {"input": str(row.get("input") or row.get("prompt")), "prediction": str(row.get("prediction")),
             "baseline": str(row.get("baseline_prediction") or ""), "reference": str(reference)}
    return {**texts, "fence": fence(*texts.values())}


def _score_rows(results: Results) -> tuple[list[dict], bool]:
    rows, has_baseline = [], False
    for task in results.tasks.values():
        has_baseline = has_baseline or bool(task.baseline or task.comparison)
        for metric_name, tuned in task.metrics.items():
            base = task.baseline.get(metric_name)
            delta = task.comparison.get(metric_name)
            if delta is None and base is not None and all(isinstance(x.value, (int, float)) for x in (tuned, base)):
                delta = Score(tuned.value - base.value)
            scale = max([abs(x.value) for x in (tuned, base) if x and x.finite] + [0])
            digits = 2 if scale >= 10 else 4
            rows.append({
                "task": _cell(task.name), "dataset": _cell(task.dataset.name or task.name),
                "n": _cell(task.dataset.n if task.dataset.n is not None else "–"), "metric": _cell(metric_name),
                "tuned": _with_ci(tuned, digits), "base": _with_ci(base, digits),
                "delta": _with_ci(delta, digits, bold_if_excludes_zero=True),
            })
    return rows, has_baseline


def _decoding(results: Results) -> str:
    """The decoding settings: one line when every task decoded alike, else one per task."""
    lines = {task.name: decoding_line(task.decoding) for task in results.tasks.values() if task.decoding}
    if len(set(lines.values())) == 1:
        return next(iter(lines.values()))
    seen, parts = set(), []
    for name, line in lines.items():
        if line not in seen:
            seen.add(line)
            parts.append(f"{name}: {line}")
    return "; ".join(parts)


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    config = read_json(folder / "tokenizer_config.json") or {}
    return bool(config.get("chat_template"))


def _snippets(run: RunFolder, recipe, repo_id: str | None, merged: bool) -> list[dict]:
    from finetune.core.prompts import PLAIN_TEMPLATE, user_message

    repo = repo_id or "OWNER/NAME"
    task = run_task(run) or "query_rewrite"
    instruction = recipe.data.instruction if recipe else None
    try:
        content = user_message(task, DEMO_RECORDS.get(task, DEMO_RECORDS["query_rewrite"]), instruction)
    except (KeyError, TypeError):
        content = "YOUR PROMPT"
    folder = run.merged_dir if merged and run.merged_dir.is_dir() else run.adapter_dir
    if _has_chat_template(folder):
        prompt = (
            f"messages = [{{\"role\": \"user\", \"content\": {content!r}}}]\n"
            "inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors=\"pt\", "
            "return_dict=True)"
        )
    else:
        prompt = f"prompt = {PLAIN_TEMPLATE.format(user=content)!r}\ninputs = tokenizer(prompt, return_tensors=\"pt\")"
    generate = (
        "output = model.generate(**inputs, max_new_tokens=64, do_sample=False)\n"
        "print(tokenizer.decode(output[0, inputs[\"input_ids\"].shape[1]:], skip_special_tokens=True))"
    )
    base = base_model.hub_id(run)
    base_line = (
        f'base = AutoModelForCausalLM.from_pretrained("{base}", dtype="auto")'
        if base else 'base = AutoModelForCausalLM.from_pretrained("PATH/TO/BASE_MODEL", dtype="auto")  '
        "# the base was a local checkpoint"
    )
    qlora_note = (
        "# The adapter was trained on a 4-bit (NF4) base. To match training exactly, load the base with\n"
        "# quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=\"nf4\").\n"
        if load_in_4bit(run) else ""
    )
    merged_code = (
        "from transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
        f'model = AutoModelForCausalLM.from_pretrained("{repo}", dtype="auto")\n'
        f'tokenizer = AutoTokenizer.from_pretrained("{repo}")\n\n{prompt}\n{generate}'
    )
    if merged:
        return [{"title": "The adapter is merged into the weights: load it like any causal LM.", "code": merged_code}]
    adapter_code = (
        "from peft import PeftModel\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
        f"{qlora_note}{base_line}\nmodel = PeftModel.from_pretrained(base, \"{repo}\")\n"
        f'tokenizer = AutoTokenizer.from_pretrained("{repo}")\n\n{prompt}\n{generate}'
    )
    merge_code = (
        "# Fold the adapter into the weights once, then load the result with AutoModelForCausalLM alone\n"
        "# (or run `searchtune merge RUN_DIR` on the training run).\n"
        "model = model.merge_and_unload()\nmodel.save_pretrained(\"merged\")\ntokenizer.save_pretrained(\"merged\")\n\n"
        "from transformers import AutoModelForCausalLM\n"
        "model = AutoModelForCausalLM.from_pretrained(\"merged\", dtype=\"auto\")"
    )
    return [
        {"title": "Load the base model and apply the adapter with PEFT:", "code": adapter_code},
        {"title": "Or merge it into a standalone model:", "code": merge_code},
    ]


def _hardware_line(hardware: Hardware) -> str:
    if hardware.gpu:
        where = f"{hardware.gpu} ({hardware.device or 'cuda'})"
    else:
        where = "CPU" if hardware.device == "cpu" else str(hardware.device)
    if hardware.cpu_count:
        where += f", {hardware.cpu_count} CPU cores"
    return f"**Hardware:** {where}"


def _training_lines(run: RunFolder, recipe) -> list[str]:
    m = run.manifest()
    lines = [_hardware_line(m.hardware)] if m.hardware else []
    if (duration := _duration(m.train_runtime_s)):
        lines.append(f"**Train time:** {duration}")
    if isinstance(m.tokens_per_second, (int, float)):
        extra = f" ({m.train_tokens:,} training tokens)" if isinstance(m.train_tokens, int) else ""
        lines.append(f"**Throughput:** {m.tokens_per_second:,.0f} tokens/s{extra}")
    losses = [f"{name.replace('_', ' ')} {_num(value)}" for name, value in
              (("train_loss", m.train_loss), ("eval_loss", m.eval_loss)) if isinstance(value, (int, float))]
    if losses:
        lines.append(f"**Final loss:** {', '.join(losses)}")
    if recipe is not None:
        lora = recipe.lora
        parts = [f"r={lora.r}", f"alpha={lora.alpha}", f"dropout={lora.dropout}", f"target modules {lora.target_modules}"]
        parts += [name for on, name in ((lora.use_dora, "DoRA"), (lora.use_rslora, "rsLoRA")) if on]
        lines.append(f"**LoRA:** {', '.join(parts)}" + (" on a 4-bit NF4 base (QLoRA)" if load_in_4bit(run) else ""))
    if m.started_at and m.finished_at:
        lines.append(f"**Run:** {m.started_at} → {m.finished_at}")
    return lines


def _limitations(run: RunFolder, results: Results, licence: str | None, merged: bool) -> list[str]:
    task = run_task(run)
    lines = [
        "It inherits the limitations and biases of the base model, and was tuned on a small, task-specific dataset: "
        "behaviour outside that task and domain was not evaluated.",
    ]
    if task == "query_rewrite":
        lines.append("Rewrites can drop or invent details when the conversation is ambiguous; check them before "
                     "relying on them for retrieval.")
    elif task == "summarize":
        lines.append("Summaries can omit key facts or state things the document does not say; check them before use.")
    if results.tasks:
        lines.append("The scores come from the held-out sets listed above (sizes under n); small sets give wide "
                     "intervals, so read the 95% intervals before the point values.")
    else:
        lines.append("No evaluation results were recorded for this run, so its quality is not measured here.")
    if base_model.gguf_file(run) is not None:
        lines.append("The base was read from a quantized GGUF file and dequantized for training; the adapter fits "
                     "those weights best" + ("" if merged else ", and applying it to the original full-precision "
                                              "checkpoint gives close but not identical outputs") + ".")
    if load_in_4bit(run):
        lines.append("Training used a 4-bit base (QLoRA); " + (
            "the adapter was merged into full-precision weights, so outputs differ slightly from the 4-bit model "
            "used in training." if merged else "loading the base in full precision shifts outputs slightly."))
    if not licence:
        lines.append("The base model's license could not be read locally and is not stated here; the base model's "
                     "license applies, so check it before use.")
    return lines


def _data_rows(run: RunFolder, recipe) -> list[dict]:
    rows = [{"path": _cell("?" if d.path is None else d.path), "rows": _rows(d), "sha": _cell(str(d.sha256 or "–")[:12])}
            for d in run.manifest().data]
    if rows or recipe is None:
        return rows
    return [{"path": _cell(s.path), "rows": "?", "sha": "–"} for s in recipe.data.train]


def build_model_card(run: RunFolder | str | Path, repo_id: str | None = None, merged: bool = False,
                     token: str | None = None):
    """Build and validate the README.md model card of a run. Returns a huggingface_hub ModelCard.

    `token`: a Hub token to mask besides those in the environment (one read from `hf auth login`)."""
    from huggingface_hub import ModelCard

    run = run if isinstance(run, RunFolder) else RunFolder(run)
    recipe, manifest, results = run.recipe(), run.manifest(), run.results()
    data = card_data(run, repo_id, merged, results)
    task = run_task(run)
    base = base_model.hub_id(run)
    base_name = base or Path(run.base_model_name() or "unknown").name
    does = TASK_DOES.get(task, "performs its fine-tuned task")
    score_rows, has_baseline = _score_rows(results)
    train_rows = manifest.train_rows
    recipe_yaml = (run.recipe_file.read_text(encoding="utf-8").strip() if run.recipe_file.is_file()
                   else "# recipe.yaml not found")
    wandb = manifest.wandb
    context = {
        "title": (repo_id or run.name).split("/")[-1],
        "summary": f"`{base_name}` with a LoRA adapter merged into its weights: it {does}." if merged
        else f"A LoRA adapter for `{base_name}` that {does}.",
        "base_display": f"[{base}](https://huggingface.co/{base})" if base else f"`{base_name}` (a local checkpoint)",
        "method": ("QLoRA (LoRA on a 4-bit NF4 base)" if load_in_4bit(run) else "LoRA")
        + (", merged into the base weights" if merged else " adapter (PEFT)"),
        "task_label": TASK_LABELS.get(task, task or "unknown"),
        "git_commit": str(manifest.git_commit or "")[:12],
        "example": _example(run),
        "score_rows": score_rows,
        "has_baseline": has_baseline,
        "eval_intro": "Scores on held-out data from the searchtune evaluation (lm-evaluation-harness), for "
        + ("the base model and this model" if has_baseline else "this model") + ", with 95% confidence intervals.",
        "decoding": _decoding(results),
        "data_rows": _data_rows(run, recipe),
        "train_rows_line": f"{train_rows:,} training rows after filtering and mixing." if isinstance(train_rows, int)
        else "The number of training rows was not recorded.",
        "training_lines": _training_lines(run, recipe),
        "wandb_url": wandb.url if wandb.url and wandb.mode not in ("offline", "disabled") else None,
        "recipe_yaml": recipe_yaml,
        "recipe_fence": fence(recipe_yaml),
        "packages": sorted((str(k), str(v)) for k, v in manifest.packages.items()),
        "snippets": _snippets(run, recipe, repo_id, merged),
        "limitations": _limitations(run, results, data.license, merged),
    }
    card = ModelCard.from_template(data, template_path=str(TEMPLATE), **context)
    card = ModelCard(secrets.redact(str(card), extra=[token]))
    return validate_card(card, expected_scores=len(data.eval_results or []))


def validate_card(card, expected_scores: int):
    """Save the card, load it back with ModelCard.load and check the metadata survived intact."""
    from huggingface_hub import ModelCard

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "README.md"
        card.save(path)
        loaded = ModelCard.load(path)
    if loaded.data.to_dict() != card.data.to_dict():
        raise RuntimeError("model card metadata did not survive a save/load round trip")
    if len(loaded.data.eval_results or []) != expected_scores:
        raise RuntimeError(f"model card model-index holds {len(loaded.data.eval_results or [])} scores, expected {expected_scores}")
    return loaded


def write_model_card(run: RunFolder, repo_id: str | None = None) -> None:
    """Write the run's card into its folder (README.md, and adapter/README.md in place of PEFT's empty stub): the
    card `searchtune push --dry-run` previews for the same repo id."""
    run.write_card(str(build_model_card(run, repo_id=repo_id)))
