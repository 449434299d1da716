"""Engines: a trained run's model behind one small interface (`prompt` then `generate`), for predict, chat and serve.

Every engine builds the prompt the way training and `searchtune eval` do (finetune.core.prompts.fit_prompt with the
run's instruction and its prompt budget, `data.max_length` less `data.max_target_length`), so a served rewrite is the
eval's prediction for the same record. `transformers` is the reference path (fp32, eager attention, greedy): the
model the eval scores. `llama.cpp` runs the run's GGUF export (`searchtune export RUN --format gguf`, under
RUN/export/) on CPU threads, greedy; it is fed the token ids the run's HF tokenizer gives for the rendered prompt, so
its input is the training prompt token for token whatever llama.cpp's own tokenizer would make of the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from finetune.core.errors import UserError
from finetune.core.prompts import PromptSpec
from finetune.core.run import RunFolder

# The longest answer a request may ask for (the server refuses more).
MAX_ANSWER_TOKENS = 1024
ENGINES = ("transformers", "llama.cpp")


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


def run_model(run_dir: Path) -> tuple[RunFolder, object]:
    """The finished run folder and its recipe, or a one-line error before anything loads."""
    run = RunFolder.finished(run_dir)
    recipe = run.recipe()
    if recipe is None:
        raise UserError(f"{run.recipe_file}: missing; point at the output_dir of a `searchtune train` run")
    return run, recipe


def run_tokenizer(run: RunFolder, checkpoint: str):
    """The tokenizer training used: the adapter folder's (pad token, chat template), else the base checkpoint's."""
    from finetune.core.models import load_tokenizer

    has_tokenizer = (run.adapter_dir / "tokenizer_config.json").is_file()
    tokenizer = load_tokenizer(str(run.adapter_dir) if has_tokenizer else checkpoint)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


class TransformersEngine:
    """The run's base model with its LoRA adapter (or without, `base=True`), fp32 on CPU, with the
    eval's (default) attention, so it generates what `searchtune eval` scored."""

    name = "transformers"

    def __init__(self, run: RunFolder, recipe, *, base: bool = False, threads: int | None = None):
        import torch

        from finetune.core.models import attach_adapter, load_base_model, local_checkpoint

        if threads:
            torch.set_num_threads(threads)
        self.task = recipe.data.task
        self.model = f"{run.name}-base" if base else run.name
        self.spec = PromptSpec.of(recipe)
        checkpoint = local_checkpoint(recipe.model.name, recipe.model.gguf_file)
        self.tokenizer = run_tokenizer(run, checkpoint)
        cuda = torch.cuda.is_available()
        dtype = recipe.model.dtype if cuda else "float32"
        model = load_base_model(checkpoint, dtype, recipe.model.load_in_4bit and cuda,
                                device_map="cuda" if cuda else None)
        if not base:
            model = attach_adapter(model, run.adapter_dir, recipe.model.name)
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


class LlamaCppEngine:
    """The run's merged GGUF export (default q8_0) under llama.cpp, one prompt at a time.

    Consecutive prompts share their head (chat header, the template's default system prompt, the instruction):
    llama.cpp keeps the previous prompt's KV cache and evaluates only the tokens after the longest common prefix."""

    name = "llama.cpp"

    def __init__(self, run: RunFolder, recipe, *, base: bool = False, threads: int | None = None,
                 quant: str = "q8_0"):
        import json
        import os

        from finetune.core.models import local_checkpoint
        from finetune.core.run import EXPORT_SETTINGS_FILE

        if base:
            raise UserError("--engine llama.cpp: serves the tuned export only; use --engine transformers for the base")
        folder = run.export_dir("gguf", quant)
        if not (folder / EXPORT_SETTINGS_FILE).is_file():
            raise UserError(f"{folder}: no GGUF export; run `searchtune export {run.path} --format gguf --quant {quant}`")
        from llama_cpp import Llama

        self.task = recipe.data.task
        self.model = run.name
        self.spec = PromptSpec.of(recipe)
        self.tokenizer = run_tokenizer(run, local_checkpoint(recipe.model.name, recipe.model.gguf_file))
        self.settings = json.loads((folder / EXPORT_SETTINGS_FILE).read_text(encoding="utf-8"))
        threads = threads or os.cpu_count() or 1
        # Room for the longest prompt the budget allows and the longest answer a request may ask for.
        self.net = Llama(str(folder / self.settings["file"]), n_ctx=(self.spec.budget or 2048) + MAX_ANSWER_TOKENS,
                         n_threads=threads, n_threads_batch=threads, seed=0, verbose=False)
        self._plain = not getattr(self.tokenizer, "chat_template", None)

    def prompt(self, record: dict) -> str:
        return self.spec.render(self.tokenizer, record)

    def generate(self, prompts: list[str], decoding: Decoding) -> list[str]:
        sample = decoding.temperature > 0
        eos = {self.tokenizer.eos_token_id, self.net.token_eos()}
        texts = []
        for p in prompts:
            ids = self.tokenizer(p, add_special_tokens=self._plain)["input_ids"]
            # top_k=1 without sampling: greedy, as the eval decodes; no repeat penalty, which transformers has not.
            stream = self.net.generate(ids, temp=decoding.temperature, top_p=decoding.top_p if sample else 1.0,
                                       top_k=0 if sample else 1, min_p=0.0, repeat_penalty=1.0)
            out = []
            for token in stream:
                if token in eos or len(out) == decoding.max_new_tokens:
                    break
                out.append(token)
            # Decoded by the HF tokenizer, as the transformers engine and the eval decode (llama.cpp's own
            # detokenizer renders a cut UTF-8 sequence differently).
            texts.append(_cut(self.tokenizer.decode(out, skip_special_tokens=True), decoding.stop))
        return texts

    def close(self) -> None:
        if self.net is not None:
            self.net.close()
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
    if engine == "llama.cpp":
        return LlamaCppEngine(run, recipe, base=base, threads=threads)
    return TransformersEngine(run, recipe, base=base, threads=threads)
