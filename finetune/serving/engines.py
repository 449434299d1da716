"""Engines: a trained run's model behind one small interface (`prompt` then `generate`), for predict, chat and serve.

Every engine builds the prompt the way training and `searchtune eval` do (finetune.core.prompts.fit_prompt with the
run's instruction and its prompt budget, `data.max_length` less `data.max_target_length`), so a served rewrite is the
eval's prediction for the same record. `transformers` is the reference path (fp32, eager attention, greedy): the
model the eval scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from finetune.core.errors import UserError
from finetune.core.run import RunFolder

ENGINES = ("transformers",)


@dataclass(frozen=True)
class Decoding:
    """Generation settings; greedy by default, as the eval is."""

    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()


class Engine(Protocol):
    name: str  # "transformers", ...
    model: str  # the id /v1/models lists
    task: str  # the run's data.task

    def prompt(self, record: dict) -> str: ...

    def generate(self, prompts: list[str], decoding: Decoding) -> list[str]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PromptSpec:
    """What a run's prompts are built from: its task, instruction and prompt budget."""

    task: str
    instruction: str | None
    budget: int | None
    response_words: int | None

    @classmethod
    def of(cls, recipe) -> PromptSpec:
        from finetune.core.prompts import response_budget

        data = recipe.data
        # A mixture with one instruction per source has no single one for new data: its own task's default then.
        own = {s.instruction for s in data.train if s.instruction}
        instruction = data.instruction or (own.pop() if len(own) == 1 else None)
        return cls(data.task, instruction, data.max_length - data.max_target_length, response_budget(data))

    def render(self, tokenizer, record: dict) -> str:
        from finetune.core.prompts import fit_prompt, with_responses

        record = with_responses(record, self.response_words) if self.task == "query_rewrite" else record
        prompt = fit_prompt(tokenizer, self.task, record, self.budget, self.instruction)
        if prompt is None:
            raise UserError(f"a {self.task} request does not fit the run's prompt budget of {self.budget} tokens even "
                            "without its context; shorten the query")
        return prompt.text


def run_model(run_dir: Path) -> tuple[RunFolder, object]:
    """The finished run folder and its recipe, or a one-line error before anything loads."""
    run = RunFolder.finished(run_dir)
    recipe = run.recipe()
    if recipe is None:
        raise UserError(f"{run.recipe_file}: missing; point at the output_dir of a `searchtune train` run")
    return run, recipe


class TransformersEngine:
    """The run's base model with its LoRA adapter (or without, `base=True`), fp32 with eager attention on CPU."""

    name = "transformers"

    def __init__(self, run: RunFolder, recipe, *, base: bool = False, threads: int | None = None):
        import torch
        from peft import PeftModel

        from finetune.core.models import load_base_model, load_tokenizer, local_checkpoint

        if threads:
            torch.set_num_threads(threads)
        self.task = recipe.data.task
        self.model = f"{run.name}-base" if base else run.name
        self.spec = PromptSpec.of(recipe)
        checkpoint = local_checkpoint(recipe.model.name, recipe.model.gguf_file)
        # The adapter folder holds the tokenizer training used (pad token, chat template).
        has_tokenizer = (run.adapter_dir / "tokenizer_config.json").is_file()
        self.tokenizer = load_tokenizer(str(run.adapter_dir) if has_tokenizer else checkpoint)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        cuda = torch.cuda.is_available()
        dtype = recipe.model.dtype if cuda else "float32"
        model = load_base_model(checkpoint, dtype, recipe.model.load_in_4bit and cuda,
                                device_map="cuda" if cuda else None)
        if not base:
            model = PeftModel.from_pretrained(model, str(run.adapter_dir))
        self.net = model.eval()
        self._plain = not getattr(self.tokenizer, "chat_template", None)

    def prompt(self, record: dict) -> str:
        return self.spec.render(self.tokenizer, record)

    def generate(self, prompts: list[str], decoding: Decoding) -> list[str]:
        import torch
        from transformers import GenerationConfig

        if not prompts:
            return []
        ids = [self.tokenizer(p, add_special_tokens=self._plain)["input_ids"] for p in prompts]
        width = max(map(len, ids))
        pad = self.tokenizer.pad_token_id
        device = self.net.device
        input_ids = torch.tensor([[pad] * (width - len(x)) + x for x in ids], device=device)
        attention = torch.tensor([[0] * (width - len(x)) + [1] * len(x) for x in ids], device=device)
        sample = decoding.temperature > 0
        config = GenerationConfig(
            max_new_tokens=decoding.max_new_tokens, do_sample=sample, pad_token_id=pad,
            eos_token_id=self._eos_ids(), stop_strings=list(decoding.stop) or None, use_cache=True,
            **({"temperature": decoding.temperature, "top_p": decoding.top_p} if sample else {}),
        )
        with torch.inference_mode():
            out = self.net.generate(input_ids=input_ids, attention_mask=attention, generation_config=config,
                                    tokenizer=self.tokenizer if decoding.stop else None)
        texts = self.tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)
        return [_cut(text, decoding.stop) for text in texts]

    def _eos_ids(self) -> list[int]:
        ids = {self.tokenizer.eos_token_id}
        configured = getattr(getattr(self.net, "generation_config", None), "eos_token_id", None)
        ids.update(configured if isinstance(configured, list) else [configured])
        return sorted(i for i in ids if i is not None)

    def close(self) -> None:
        self.net = None


def _cut(text: str, stop: tuple[str, ...]) -> str:
    for s in stop:
        text = text.split(s, 1)[0]
    return text


def open_engine(run_dir: Path, engine: str = "transformers", *, base: bool = False,
                threads: int | None = None) -> Engine:
    """The engine `engine` over the finished run at `run_dir` (its base model alone with `base=True`)."""
    if engine not in ENGINES:
        import difflib

        close = difflib.get_close_matches(engine, ENGINES, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise UserError(f"--engine {engine}: unknown engine; {hint}engines: {', '.join(ENGINES)}")
    run, recipe = run_model(Path(run_dir))
    return TransformersEngine(run, recipe, base=base, threads=threads)
