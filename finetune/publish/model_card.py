"""The model card (README.md) pushed with a run: Hub metadata plus a human-readable report of the run.

Metadata is built with huggingface_hub's `ModelCardData` and `EvalResult` (so `model-index` has the shape the Hub
expects) and the body is rendered from `templates/model_card.md` with `ModelCard.from_template`. Every card is
checked by saving it and loading it back with `ModelCard.load`. Every input is optional except the run's adapter:
without eval results the card has no `model-index` and says so; without a manifest it omits the training figures.
Token values (HF_TOKEN, or those passed in `secrets`) and anything shaped like a Hub token are redacted.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from finetune.publish.merge import Run, base_gguf_file, hub_base_id, read_run

logger = logging.getLogger("searchtune.model_card")

TEMPLATE = Path(__file__).resolve().parent / "templates" / "model_card.md"
HUB_PREFIX = "hub:"
TASK_TAGS = {"query_rewrite": "query-rewriting", "summarize": "summarization"}
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
TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{30,}")
REDACTED = "<redacted>"


# -- helpers --------------------------------------------------------------------------------------------------
def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, REDACTED)
    return TOKEN_PATTERN.sub(REDACTED, text)


def env_secrets() -> list[str]:
    return [v for v in (os.environ.get("HF_TOKEN"), os.environ.get("HUGGING_FACE_HUB_TOKEN")) if v]


def fence(*texts: str) -> str:
    """A backtick fence longer than any backtick run inside `texts`."""
    longest = max([len(m) for t in texts for m in re.findall(r"`+", t or "")] + [2])
    return "`" * (longest + 1)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _num(value: Any, digits: int | None = None) -> str:
    if not _finite(value):
        return "–"
    digits = digits if digits is not None else (2 if abs(value) >= 10 else 4)
    return f"{value:.{digits}f}"


def _with_ci(entry: dict | None, digits: int | None = None, bold_if_excludes_zero: bool = False) -> str:
    if not isinstance(entry, dict):
        return "–"
    value = entry.get("value", entry.get("delta"))
    text = _num(value, digits)
    low, high = entry.get("ci_low"), entry.get("ci_high")
    if _finite(low) and _finite(high):
        if bold_if_excludes_zero and (low > 0 or high < 0):
            text = f"**{text}**"
        text += f" [{_num(low, digits)}, {_num(high, digits)}]"
    return text


def _metric(entry: Any) -> dict | None:
    """A metric entry as {"value", "ci_low", "ci_high"}; accepts a bare number too."""
    if isinstance(entry, (int, float)) and not isinstance(entry, bool):
        return {"value": entry}
    return entry if isinstance(entry, dict) else None


def _rows(source: dict) -> str:
    rows, used = source.get("rows"), source.get("used_rows")
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


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_results(run: Run) -> dict:
    results = _read_json(run.dir / "eval" / "results.json")
    return results if isinstance(results, dict) and isinstance(results.get("tasks"), dict) else {}


def read_example(run: Run) -> dict | None:
    """The first usable prediction from eval/predictions.jsonl."""
    path = run.dir / "eval" / "predictions.jsonl"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and str(row.get("prediction") or "").strip() and (row.get("input") or row.get("prompt")):
                return row
    return None


# -- license --------------------------------------------------------------------------------------------------
def _license_from_card(path: Path) -> str | None:
    from huggingface_hub import ModelCard

    try:
        value = ModelCard.load(path).data.get("license")
    except Exception:  # noqa: BLE001 - a malformed base card only means "license unknown"
        return None
    return value if isinstance(value, str) and value.strip() else None


def base_license(run: Run) -> str | None:
    """The base model's license, from local files only: its card, its config, the Hub cache, or GGUF metadata."""
    resolved = (run.manifest.get("base_model") or {}).get("resolved_path")
    name = run.model_name
    for folder in [resolved, name]:
        if folder and Path(folder).expanduser().is_dir():
            folder = Path(folder).expanduser()
            if (folder / "README.md").is_file() and (found := _license_from_card(folder / "README.md")):
                return found
            config = _read_json(folder / "config.json") or {}
            if isinstance(config.get("license"), str):
                return config["license"]
    hub_id = hub_base_id(run)
    if hub_id:
        from huggingface_hub import try_to_load_from_cache

        try:
            cached = try_to_load_from_cache(hub_id, "README.md")
        except Exception:  # noqa: BLE001
            cached = None
        if isinstance(cached, str) and (found := _license_from_card(Path(cached))):
            return found
    gguf = base_gguf_file(run)
    if gguf is not None:
        try:
            from gguf import GGUFReader

            field = GGUFReader(str(gguf)).fields.get("general.license")
            if field is not None and isinstance(field.contents(), str):
                return field.contents()
        except Exception:  # noqa: BLE001 - unreadable metadata only means "license unknown"
            pass
    return None


# -- metadata -------------------------------------------------------------------------------------------------
def hub_datasets(run: Run) -> list[str]:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    data = run.section("data")
    sources = list(data.get("train") or [])
    if isinstance(data.get("train"), dict):
        sources = [data["train"]]
    if isinstance(data.get("eval"), dict):
        sources.append(data["eval"])
    out = []
    for src in sources:
        path = str((src or {}).get("path") or "")
        if path.startswith(HUB_PREFIX):
            repo = path[len(HUB_PREFIX):].strip()
            try:
                validate_repo_id(repo)
            except HFValidationError:
                continue
            if repo not in out:
                out.append(repo)
    return out


def eval_results(results: dict) -> list:
    """One EvalResult per tuned-model score in results.json, with the decoding settings in metric_args."""
    from huggingface_hub import EvalResult

    out = []
    for task_name, task in (results.get("tasks") or {}).items():
        if not isinstance(task, dict):
            continue
        dataset = task.get("dataset") or {}
        path = str(dataset.get("path") or "")
        dataset_type = path[len(HUB_PREFIX):] if path.startswith(HUB_PREFIX) else task_name
        dataset_args = {k: dataset[k] for k in ("sha256", "n") if dataset.get(k) is not None} or None
        decoding = task.get("decoding") if isinstance(task.get("decoding"), dict) else None
        for metric_name, entry in (task.get("metrics") or {}).items():
            entry = _metric(entry)
            value = (entry or {}).get("value")
            if not _finite(value):
                continue
            out.append(EvalResult(
                task_type="text-generation",
                task_name=task_name,
                dataset_type=dataset_type,
                dataset_name=str(dataset.get("name") or task_name),
                dataset_args=dataset_args,
                metric_type=metric_name,
                metric_name=metric_name,
                metric_value=value,
                metric_args=dict(decoding) if decoding else None,
            ))
    return out


def card_data(run: Run, repo_id: str | None, merged: bool, results: dict | None = None):
    from huggingface_hub import ModelCardData

    task = run.section("data").get("task") or run.manifest.get("task")
    tags = ["searchtune", "qlora" if run.load_in_4bit else "lora"]
    if task:
        tags.append(TASK_TAGS.get(task, task))
    evals = eval_results(results if results is not None else read_results(run))
    name = (repo_id or run.dir.name).split("/")[-1]
    return ModelCardData(
        base_model=hub_base_id(run),
        library_name="transformers" if merged else "peft",
        license=base_license(run),
        tags=tags,
        datasets=hub_datasets(run) or None,
        pipeline_tag="text-generation",
        model_name=name if evals else None,
        eval_results=evals or None,
    )


# -- body -----------------------------------------------------------------------------------------------------
def _score_rows(results: dict) -> tuple[list[dict], bool]:
    rows, has_baseline = [], False
    for task_name, task in (results.get("tasks") or {}).items():
        if not isinstance(task, dict):
            continue
        dataset = task.get("dataset") or {}
        baseline = (task.get("baseline") or {}).get("metrics") or {}
        comparison = task.get("comparison") or {}
        has_baseline = has_baseline or bool(baseline or comparison)
        for metric_name, entry in (task.get("metrics") or {}).items():
            tuned, base = _metric(entry), _metric(baseline.get(metric_name))
            delta = comparison.get(metric_name)
            if not isinstance(delta, dict) and tuned and base and all(
                isinstance(x.get("value"), (int, float)) for x in (tuned, base)
            ):
                delta = {"delta": tuned["value"] - base["value"]}
            scale = max([abs(x["value"]) for x in (tuned, base) if x and _finite(x.get("value"))] + [0])
            digits = 2 if scale >= 10 else 4
            rows.append({
                "task": _cell(task_name), "dataset": _cell(dataset.get("name") or task_name),
                "n": _cell(dataset.get("n", "–")), "metric": _cell(metric_name),
                "tuned": _with_ci(tuned, digits), "base": _with_ci(base, digits),
                "delta": _with_ci(delta, digits, bold_if_excludes_zero=True),
            })
    return rows, has_baseline


def _decoding_line(results: dict) -> str:
    parts = []
    for task_name, task in (results.get("tasks") or {}).items():
        decoding = (task or {}).get("decoding") if isinstance(task, dict) else None
        if isinstance(decoding, dict) and decoding:
            text = ", ".join(f"{k}={json.dumps(v)}" for k, v in decoding.items())
            if text not in [p.split(": ", 1)[-1] for p in parts]:
                parts.append(f"{task_name}: {text}")
    if len(parts) == 1:
        return parts[0].split(": ", 1)[1]
    return "; ".join(parts)


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    config = _read_json(folder / "tokenizer_config.json") or {}
    return bool(config.get("chat_template"))


def _snippets(run: Run, repo_id: str | None, merged: bool) -> list[dict]:
    from finetune.core.prompts import PLAIN_TEMPLATE, user_message

    repo = repo_id or "OWNER/NAME"
    task = run.section("data").get("task") or run.manifest.get("task") or "query_rewrite"
    instruction = run.section("data").get("instruction")
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
    base = hub_base_id(run)
    base_line = (
        f'base = AutoModelForCausalLM.from_pretrained("{base}", dtype="auto")'
        if base else 'base = AutoModelForCausalLM.from_pretrained("PATH/TO/BASE_MODEL", dtype="auto")  '
        "# the base was a local checkpoint"
    )
    qlora_note = (
        "# The adapter was trained on a 4-bit (NF4) base. To match training exactly, load the base with\n"
        "# quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=\"nf4\").\n"
        if run.load_in_4bit else ""
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


def _training_lines(run: Run) -> list[str]:
    m, lora = run.manifest, run.section("lora")
    lines = []
    hardware = m.get("hardware") or {}
    if hardware:
        if hardware.get("gpu"):
            where = f"{hardware['gpu']} ({hardware.get('device', 'cuda')})"
        else:
            where = f"{hardware.get('device', 'cpu')}".upper() if hardware.get("device") == "cpu" else str(hardware.get("device"))
        if hardware.get("cpu_count"):
            where += f", {hardware['cpu_count']} CPU cores"
        lines.append(f"**Hardware:** {where}")
    if (duration := _duration(m.get("train_runtime_s"))):
        lines.append(f"**Train time:** {duration}")
    tps = m.get("tokens_per_second")
    if isinstance(tps, (int, float)):
        tokens = m.get("train_tokens")
        extra = f" ({tokens:,} training tokens)" if isinstance(tokens, int) else ""
        lines.append(f"**Throughput:** {tps:,.0f} tokens/s{extra}")
    losses = [f"{k.replace('_', ' ')} {_num(m[k])}" for k in ("train_loss", "eval_loss") if isinstance(m.get(k), (int, float))]
    if losses:
        lines.append(f"**Final loss:** {', '.join(losses)}")
    if lora:
        parts = [f"r={lora.get('r')}", f"alpha={lora.get('alpha')}", f"dropout={lora.get('dropout')}",
                 f"target modules {lora.get('target_modules')}"]
        parts += [name for key, name in (("use_dora", "DoRA"), ("use_rslora", "rsLoRA")) if lora.get(key)]
        lines.append(f"**LoRA:** {', '.join(parts)}" + (" on a 4-bit NF4 base (QLoRA)" if run.load_in_4bit else ""))
    if m.get("started_at") and m.get("finished_at"):
        lines.append(f"**Run:** {m['started_at']} → {m['finished_at']}")
    return lines


def _limitations(run: Run, results: dict, license_: str | None, merged: bool) -> list[str]:
    task = run.section("data").get("task") or run.manifest.get("task")
    lines = [
        "It inherits the limitations and biases of the base model, and was tuned on a small, task-specific dataset: "
        "behaviour outside that task and domain was not evaluated.",
    ]
    if task == "query_rewrite":
        lines.append("Rewrites can drop or invent details when the conversation is ambiguous; check them before "
                     "relying on them for retrieval.")
    elif task == "summarize":
        lines.append("Summaries can omit key facts or state things the document does not say; check them before use.")
    if results.get("tasks"):
        lines.append("The scores come from the held-out sets listed above (sizes under n); small sets give wide "
                     "intervals, so read the 95% intervals before the point values.")
    else:
        lines.append("No evaluation results were recorded for this run, so its quality is not measured here.")
    if base_gguf_file(run) is not None:
        lines.append("The base was read from a quantized GGUF file and dequantized for training; the adapter fits "
                     "those weights best" + ("" if merged else ", and applying it to the original full-precision "
                                              "checkpoint gives close but not identical outputs") + ".")
    if run.load_in_4bit:
        lines.append("Training used a 4-bit base (QLoRA); " + (
            "the adapter was merged into full-precision weights, so outputs differ slightly from the 4-bit model "
            "used in training." if merged else "loading the base in full precision shifts outputs slightly."))
    if not license_:
        lines.append("The base model's license could not be read locally and is not stated here; the base model's "
                     "license applies, so check it before use.")
    return lines


def build_model_card(run: Run | str | Path, repo_id: str | None = None, merged: bool = False,
                     secrets: list[str] | tuple[str, ...] = ()):
    """Build and validate the README.md model card of a run. Returns a huggingface_hub ModelCard."""
    from huggingface_hub import ModelCard

    run = run if isinstance(run, Run) else read_run(run)
    secrets = [*secrets, *env_secrets()]
    results = read_results(run)
    data = card_data(run, repo_id, merged, results)
    task = run.section("data").get("task") or run.manifest.get("task")
    base = hub_base_id(run)
    base_name = base or Path(run.model_name or "unknown").name
    base_display = f"[{base}](https://huggingface.co/{base})" if base else f"`{base_name}` (a local checkpoint)"
    does = TASK_DOES.get(task, "performs its fine-tuned task")
    summary = (
        f"`{base_name}` with a LoRA adapter merged into its weights: it {does}." if merged
        else f"A LoRA adapter for `{base_name}` that {does}."
    )
    example = read_example(run)
    if example:
        reference = example.get("reference")
        reference = "\n".join(map(str, reference)) if isinstance(reference, list) else (reference or "")
        texts = {"input": str(example.get("input") or example.get("prompt")),
                 "prediction": str(example.get("prediction")),
                 "baseline": str(example.get("baseline_prediction") or ""), "reference": str(reference)}
        example = {**texts, "fence": fence(*texts.values())}
    score_rows, has_baseline = _score_rows(results)
    manifest = run.manifest
    data_rows = [
        {"path": _cell(d.get("path", "?")), "rows": _rows(d), "sha": _cell(str(d.get("sha256") or "–")[:12])}
        for d in manifest.get("data") or [] if isinstance(d, dict)
    ] or [{"path": _cell(s.get("path", "?")), "rows": "?", "sha": "–"}
          for s in (run.section("data").get("train") or []) if isinstance(s, dict)]
    train_rows = manifest.get("train_rows")
    train_rows_line = (f"{train_rows:,} training rows after filtering and mixing." if isinstance(train_rows, int)
                       else "The number of training rows was not recorded.")
    recipe_path = run.dir / "recipe.yaml"
    recipe_yaml = recipe_path.read_text(encoding="utf-8").strip() if recipe_path.is_file() else "# recipe.yaml not found"
    wandb = manifest.get("wandb") or {}
    context = {
        "title": (repo_id or run.dir.name).split("/")[-1],
        "summary": summary,
        "base_display": base_display,
        "method": ("QLoRA (LoRA on a 4-bit NF4 base)" if run.load_in_4bit else "LoRA")
        + (", merged into the base weights" if merged else " adapter (PEFT)"),
        "task_label": TASK_LABELS.get(task, task or "unknown"),
        "git_commit": str(manifest.get("git_commit") or "")[:12],
        "example": example,
        "score_rows": score_rows,
        "has_baseline": has_baseline,
        "eval_intro": "Scores on held-out data from the searchtune evaluation (lm-evaluation-harness), for "
        + ("the base model and this model" if has_baseline else "this model") + ", with 95% confidence intervals.",
        "decoding": _decoding_line(results),
        "data_rows": data_rows,
        "train_rows_line": train_rows_line,
        "training_lines": _training_lines(run),
        "wandb_url": wandb.get("url") if wandb.get("url") and wandb.get("mode") not in ("offline", "disabled") else None,
        "recipe_yaml": recipe_yaml,
        "recipe_fence": fence(recipe_yaml),
        "packages": sorted((str(k), str(v)) for k, v in (manifest.get("packages") or {}).items()),
        "snippets": _snippets(run, repo_id, merged),
        "limitations": _limitations(run, results, data.license, merged),
    }
    card = ModelCard.from_template(data, template_path=str(TEMPLATE), **context)
    card = ModelCard(redact(str(card), secrets))
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


def write_model_card(run_dir: str | Path, path: str | Path, repo_id: str | None = None, merged: bool = False) -> Path:
    card = build_model_card(run_dir, repo_id=repo_id, merged=merged)
    card.save(path)
    return Path(path)
