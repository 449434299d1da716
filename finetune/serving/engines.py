"""Engines: a trained run's model behind one small interface (`prompt` then `generate`), for predict, chat and serve.

Every engine builds the prompt the way training and `searchtune eval` do (finetune.core.prompts.fit_prompt with the
run's instruction and its prompt budget, `data.max_length` less `data.max_target_length`), so a served rewrite is the
eval's prediction for the same record. `transformers` is the reference path (fp32, eager attention, greedy): the
model the eval scores. `llama.cpp` runs the run's GGUF export (`searchtune export RUN --format gguf`, under
RUN/export/) on CPU threads, greedy; it is fed the token ids the run's HF tokenizer gives for the rendered prompt, so
its input is the training prompt token for token whatever llama.cpp's own tokenizer would make of the text.
`ctranslate2` runs the run's CTranslate2 export (`searchtune export RUN --format ct2`, int8 by default) the same way:
fed the HF tokenizer's tokens for those ids, greedy, a batch at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from finetune.core import compat
from finetune.core.errors import UserError
from finetune.core.prompts import MAX_NEW_TOKENS, STOP, PromptSpec
from finetune.core.run import RunFolder

# The longest answer a request may ask for (the server refuses more).
MAX_ANSWER_TOKENS = 1024
ENGINES = ("transformers", "llama.cpp", "ctranslate2")
# The export (format, quant) an engine serves, under RunFolder.export_dir; `searchtune export` writes it.
ENGINE_EXPORTS = {"llama.cpp": ("gguf", "q8_0"), "ctranslate2": ("ct2", "int8")}


@dataclass(frozen=True)
class Decoding:
    """Generation settings; greedy by default, as the eval is."""

    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()


def decoding_for(recipe, max_new_tokens: int | None = None) -> Decoding:
    """A run's decoding outside lm-eval (predict, chat, serve): the eval's stop strings and its longest answer, which is
    `max_new_tokens` when given, else the recipe's eval.decoding.max_new_tokens, else the eval task's."""
    longest = max_new_tokens or recipe.eval.decoding.max_new_tokens or MAX_NEW_TOKENS[recipe.data.task]
    return Decoding(max_new_tokens=longest, stop=STOP)


class Engine(Protocol):
    name: str  # "transformers", ...
    model: str  # the id /v1/models lists
    task: str  # the run's data.task
    decoding: Decoding  # the run's (decoding_for): what a request that sets nothing decodes with

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


def read_export(run: RunFolder, engine: str, quant: str, base: bool) -> tuple[Path, dict]:
    """The export folder `engine` serves and its settings, or a one-line error naming the command that writes it."""
    import json

    from finetune.core.run import EXPORT_SETTINGS_FILE

    if base:
        raise UserError(f"--engine {engine}: serves the tuned export only; use --engine transformers for the base")
    fmt = ENGINE_EXPORTS[engine][0]
    folder = run.export_dir(fmt, quant)
    if not (folder / EXPORT_SETTINGS_FILE).is_file():
        raise UserError(f"{folder}: no {fmt.upper()} export; run "
                        f"`searchtune export {run.path} --format {fmt} --quant {quant}`")
    return folder, json.loads((folder / EXPORT_SETTINGS_FILE).read_text(encoding="utf-8"))


def eos_ids(tokenizer, generation_config) -> list[int]:
    """The ids that end an answer: the tokenizer's EOS and the model's generation config's (one id or a list)."""
    ids = {tokenizer.eos_token_id}
    configured = getattr(generation_config, "eos_token_id", None)
    ids.update(configured if isinstance(configured, list) else [configured])
    return sorted(i for i in ids if i is not None)


def prompt_parts(run: RunFolder, recipe, *, map_reduce: bool = False) -> tuple[PromptSpec, object]:
    """What every engine builds its prompts from, `spec.render(tokenizer, record)`: the run's PromptSpec and its
    tokenizer (map_reduce: see PromptSpec.of). No model loads, so a caller can check its prompts first."""
    from finetune.core.models import local_checkpoint

    return (PromptSpec.of(recipe, map_reduce=map_reduce),
            run_tokenizer(run, local_checkpoint(recipe.model.name, recipe.model.gguf_file)))


class TransformersEngine:
    """The run's base model with its LoRA adapter (or without, `base=True`), fp32 on CPU, with the
    eval's (default) attention, so it generates what `searchtune eval` scored."""

    name = "transformers"

    def __init__(self, run: RunFolder, recipe, *, base: bool = False, threads: int | None = None,
                 map_reduce: bool = False):
        import torch

        from finetune.core.models import attach_adapter, load_base_model, local_checkpoint

        if threads:
            torch.set_num_threads(threads)
        self.task = recipe.data.task
        self.model = f"{run.name}-base" if base else run.name
        self.decoding = decoding_for(recipe)
        self.spec, self.tokenizer = prompt_parts(run, recipe, map_reduce=map_reduce)
        checkpoint = local_checkpoint(recipe.model.name, recipe.model.gguf_file)
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
        return eos_ids(self.tokenizer, getattr(self.net, "generation_config", None))

    def close(self) -> None:
        self.net = None


class LlamaCppEngine:
    """The run's merged GGUF export (default q8_0) under llama.cpp, one prompt at a time.

    Consecutive prompts share their head (chat header, the template's default system prompt, the instruction):
    llama.cpp keeps the previous prompt's KV cache and evaluates only the tokens after the longest common prefix."""

    name = "llama.cpp"

    def __init__(self, run: RunFolder, recipe, *, base: bool = False, threads: int | None = None,
                 quant: str = ENGINE_EXPORTS["llama.cpp"][1]):
        import os

        folder, self.settings = read_export(run, self.name, quant, base)
        from llama_cpp import Llama

        self.task = recipe.data.task
        self.model = run.name
        self.decoding = decoding_for(recipe)
        self.spec, self.tokenizer = prompt_parts(run, recipe)
        threads = threads or os.cpu_count() or 1
        with compat.llama_without_extra_buffers():  # AMX repacking segfaults on some VMs (see compat)
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


class CTranslate2Engine:
    """The run's merged CTranslate2 export (default int8) on CPU threads, a batch per generate_batch call."""

    name = "ctranslate2"

    def __init__(self, run: RunFolder, recipe, *, base: bool = False, threads: int | None = None,
                 quant: str = ENGINE_EXPORTS["ctranslate2"][1]):
        import os

        from finetune.core.models import local_checkpoint

        folder, self.settings = read_export(run, self.name, quant, base)
        import ctranslate2

        self.task = recipe.data.task
        self.model = run.name
        self.decoding = decoding_for(recipe)
        self.spec, self.tokenizer = prompt_parts(run, recipe)
        # The base's generation config, which the transformers engine reads too: its EOS ids end an answer here.
        self._eos = eos_ids(self.tokenizer, _generation_config(local_checkpoint(recipe.model.name,
                                                                                recipe.model.gguf_file)))
        # Computed in the type the export holds (settings' quant), so a float32 export runs in float32 wherever it lies.
        self.net = ctranslate2.Generator(str(folder), device="cpu", compute_type=self.settings["quant"],
                                         intra_threads=threads or os.cpu_count() or 1)
        self._plain = not getattr(self.tokenizer, "chat_template", None)

    def prompt(self, record: dict) -> str:
        return self.spec.render(self.tokenizer, record)

    def generate(self, prompts: list[str], decoding: Decoding) -> list[str]:
        if not prompts:
            return []
        sample = decoding.temperature > 0
        # CTranslate2 takes token strings: the HF tokenizer's for its ids of the prompt (the export's vocabulary is
        # the HF vocabulary in id order), so the model sees the training prompt token for token.
        tokens = [self.tokenizer.convert_ids_to_tokens(self.tokenizer(p, add_special_tokens=self._plain)["input_ids"])
                  for p in prompts]
        # sampling_topk=1 is greedy, as the eval decodes; 0 samples from the whole vocabulary.
        results = self.net.generate_batch(
            tokens, max_length=decoding.max_new_tokens, include_prompt_in_result=False, end_token=self._eos,
            sampling_topk=0 if sample else 1, sampling_topp=decoding.top_p if sample else 1.0,
            sampling_temperature=decoding.temperature if sample else 1.0)
        # Decoded by the HF tokenizer, as the other engines and the eval decode.
        return [_cut(self.tokenizer.decode(r.sequences_ids[0], skip_special_tokens=True), decoding.stop)
                for r in results]

    def close(self) -> None:
        self.net = None


def _generation_config(checkpoint: str):
    """The checkpoint's generation config, or the one transformers derives from its model config when none is saved."""
    from transformers import AutoConfig, GenerationConfig

    try:
        return GenerationConfig.from_pretrained(checkpoint)
    except OSError:
        return GenerationConfig.from_model_config(AutoConfig.from_pretrained(checkpoint))


def _cut(text: str, stop: tuple[str, ...]) -> str:
    for s in stop:
        text = text.split(s, 1)[0]
    return text


def open_engine(run_dir: Path, engine: str = "transformers", *, base: bool = False,
                threads: int | None = None, map_reduce: bool = False) -> Engine:
    """The engine `engine` over the finished run at `run_dir` (its base model alone with `base=True`). A located run
    (data.locate) opens only for map-reduce on transformers (`map_reduce=True`: the caller builds each chunk)."""
    if engine not in ENGINES:
        import difflib

        close = difflib.get_close_matches(engine, ENGINES, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise UserError(f"--engine {engine}: unknown engine; {hint}engines: {', '.join(ENGINES)}")
    run, recipe = run_model(Path(run_dir))
    if map_reduce and engine != "transformers":
        raise UserError(f"--engine {engine}: map-reduce runs on the transformers engine only")
    if engine == "llama.cpp":
        return LlamaCppEngine(run, recipe, base=base, threads=threads)
    if engine == "ctranslate2":
        return CTranslate2Engine(run, recipe, base=base, threads=threads)
    return TransformersEngine(run, recipe, base=base, threads=threads, map_reduce=map_reduce)
