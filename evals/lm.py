"""An lm-eval model over an in-memory transformers model (plain or PEFT), for fast batched greedy generation.

Training evaluates its PEFT model without saving and reloading it, and the eval CLI loads a model once and scores
it with and without its adapter. Generation is batched (prompts sorted by length, left-padded, KV cache) and every
finished batch is appended to a JSONL cache keyed by a hash of (prompt, generation settings), so an interrupted
eval resumes where it stopped and memory stays flat. A searchtune prompt longer than training allowed
(`max_length`, less `max_target_length`) is cut the way training cuts it (finetune.core.prompts.fit_prompt: oldest
history turns, or the end of the document), never by dropping its head. Log-likelihood requests (multiple-choice tasks such as
hellaswag) go to lm-eval's own HFLM wrapped around the same model object. A retrieval task with a generated expansion
(evals.benchmark) gets a second, greedy generation per rewrite in the same call, so the task's timed pass includes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from finetune.core import journal
from finetune.core.prompts import fit_prompt, render_prompt
from evals import benchmark, registry

log = logging.getLogger("searchtune")

DEFAULT_MAX_NEW = 256
# Beam search and its companions (a recipe's eval.decoding, `searchtune eval --num-beams` etc.): passed through a task's
# generation_kwargs, so they reach _generate, key the generation cache and are recorded in results.json.
BEAM_KEYS = ("num_beams", "length_penalty", "no_repeat_ngram_size", "min_new_tokens")


def generation_kwargs(decoding: dict) -> dict:
    """lm-eval generation_kwargs from eval.decoding changes (its max_new_tokens is lm-eval's max_gen_toks)."""
    return {"max_gen_toks" if key == "max_new_tokens" else key: value for key, value in decoding.items()}
# On CPU "auto" cannot probe memory usefully; larger batches only add padding work.
CPU_AUTO_BATCH = 32
MAX_AUTO_BATCH = 64


def request_key(context: str, gen_kwargs: dict, repeat: int = 0, expansion: int | None = None) -> str:
    """The cache key of a generation; `repeat` numbers the copies of a sampled request (a task's `repeats`), which
    must each get their own sample; `expansion` marks the rewrite of a task with an expansion, which reuses no other
    task's rewrite, so each task's time (results.json tasks.<task>.seconds) is what it costs alone."""
    parts = [context, gen_kwargs] + ([repeat] if repeat else []) + ([{"expansion": expansion}] if expansion else [])
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def expansion_tokens(req) -> int | None:
    """A request's expansion budget (evals.benchmark.EXPANSION_FIELD of its doc), None for a plain rewrite."""
    doc = getattr(req, "doc", None)
    return int(doc[benchmark.EXPANSION_FIELD]) if isinstance(doc, dict) and doc.get(benchmark.EXPANSION_FIELD) else None


def request_keys(requests) -> list[str]:
    seen: dict[str, int] = {}
    keys = []
    for req in requests:
        expansion = expansion_tokens(req)
        key = request_key(*req.args, expansion=expansion)
        if req.args[1].get("do_sample"):
            seen[key] = seen.get(key, -1) + 1
            key = request_key(*req.args, seen[key], expansion=expansion) if seen[key] else key
        keys.append(key)
    return keys


def expansion_requests(lm, requests, rewrites: list[str]) -> dict[int, tuple[str, dict]]:
    """Position -> (prompt, generation kwargs) of the expansion each request of a task with one asks for: the fixed
    instruction and the rewrite (evals.benchmark.expansion_message) as one chat turn rendered like the rewrite's
    prompt, greedy, stopped where the rewrite stops, at most the task's budget of tokens. An empty rewrite gets none."""
    out = {}
    for i, (req, rewrite) in enumerate(zip(requests, rewrites)):
        tokens = expansion_tokens(req)
        if tokens and rewrite.strip():
            prompt = lm.apply_chat_template([{"role": "user", "content": benchmark.expansion_message(rewrite.strip())}])
            out[i] = (prompt, {"until": req.args[1].get("until") or [], "do_sample": False, "temperature": 0.0,
                               "max_gen_toks": tokens})
    return out


def expanded(requests, rewrites: list[str], expansions: dict[int, str]) -> list[str]:
    """Each response as process_results gets it: a rewrite of a task with an expansion joined to its expansion."""
    return [benchmark.with_expansion(rewrite, expansions.get(i, "")) if expansion_tokens(req) else rewrite
            for i, (req, rewrite) in enumerate(zip(requests, rewrites))]


def _plain_chat(chat_history: list[dict], add_generation_prompt: bool) -> str:
    """The plain instruction/response layout of finetune.core.prompts, extended to several turns."""
    parts = []
    for message in chat_history:
        if message["role"] == "assistant":
            parts.append(f"### Response:\n{message['content']}\n\n")
        else:
            parts.append(f"### Instruction:\n{message['content']}\n\n")
    text = "".join(parts)
    return text + "### Response:\n" if add_generation_prompt else text.rstrip("\n")


@register_model("searchtune")
class SearchtuneLM(LM):
    """lm-eval LM over `model` + `tokenizer` objects (or `pretrained`, a path, when built from model_args)."""

    def __init__(
        self,
        model=None,
        tokenizer=None,
        *,
        pretrained: str | None = None,
        batch_size: int | str = 16,
        max_batch_size: int = MAX_AUTO_BATCH,
        max_length: int | None = None,
        max_target_length: int | None = None,
        cache_file: str | Path | None = None,
        **_ignored,
    ):
        super().__init__()
        if model is None:
            from finetune.core.models import load_base_model, load_tokenizer, local_checkpoint

            if pretrained is None:
                raise ValueError("SearchtuneLM needs a model object or `pretrained`")
            checkpoint = local_checkpoint(pretrained)
            model, tokenizer = load_base_model(checkpoint), tokenizer or load_tokenizer(checkpoint)
        if tokenizer is None:
            raise ValueError("SearchtuneLM needs the tokenizer that goes with the model")
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.model, self.tokenizer = model, tokenizer
        self._device = model.device
        self.auto_batch = str(batch_size).startswith("auto")
        if self.auto_batch:
            batch_size = max_batch_size if model.device.type == "cuda" else min(CPU_AUTO_BATCH, max_batch_size)
        # Halved on out-of-memory in "auto" mode; what results report as the batch size.
        self.batch_size = int(batch_size)
        self.cache_file = Path(cache_file) if cache_file else None
        # The recipe's data.max_length and data.max_target_length: training fitted every prompt into the difference.
        self.max_length = int(max_length) if max_length else None
        self.max_target_length = int(max_target_length) if max_target_length else None
        self._cache = self._read_cache()
        self._hf = None
        # Chat templates carry their own special tokens; the plain layout gets the tokenizer's BOS, as in training.
        self._add_special_tokens = not getattr(tokenizer, "chat_template", None)

    # ----------------------------------------------------------------------------- chat formatting

    @property
    def tokenizer_name(self) -> str:
        return self.tokenizer.name_or_path.replace("/", "__")

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        return getattr(self.tokenizer, "chat_template", None) or ""

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        if add_generation_prompt and len(chat_history) == 1 and chat_history[0]["role"] == "user":
            # The searchtune case: exactly finetune.core.prompts.render_prompt, so eval prompts equal training prompts.
            return render_prompt(self.tokenizer, chat_history[0]["content"])
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(
                chat_history, tokenize=False, add_generation_prompt=add_generation_prompt,
                continue_final_message=not add_generation_prompt,
            )
        return _plain_chat(chat_history, add_generation_prompt)

    # ------------------------------------------------------------------------------------ generation

    def _read_cache(self) -> dict[str, str]:
        return journal.read(self.cache_file) if self.cache_file else {}

    def _append_cache(self, rows: list[tuple[str, str]]) -> None:
        for key, output in rows:
            self._cache[key] = output
        if self.cache_file:
            journal.append(self.cache_file, rows)

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        """The rewrites (or summaries); for a task with an expansion, a second generation per rewrite (its expansion
        passage) joined to it, both in the timed eval pass, both cached."""
        for req in requests:
            self._fit(req)
        keys = request_keys(requests)
        outputs = self._complete(keys, [req.args for req in requests], disable_tqdm)
        asked = expansion_requests(self, requests, outputs)
        if asked:
            started = time.perf_counter()
            args = list(asked.values())
            texts = self._complete([request_key(*a) for a in args], args, disable_tqdm, desc="Expanding")
            log.info("Expansions: %d passages in %.1f s", len(args), time.perf_counter() - started)
            outputs = expanded(requests, outputs, dict(zip(asked, texts)))
        for req, output in zip(requests, outputs):
            self.cache_hook.add_partial("generate_until", req.args, output)
        return outputs

    def _complete(self, keys: list[str], args: list[tuple[str, dict]], disable_tqdm: bool,
                  desc: str = "Generating") -> list[str]:
        """The generation of each (prompt, generation kwargs) under its cache key, generating only what the cache
        lacks (each key once)."""
        import torch
        from tqdm import tqdm

        pending: dict[str, tuple[str, dict]] = {}
        for key, arg in zip(keys, args):
            if key not in self._cache:
                pending.setdefault(key, arg)
        if len(pending) < len(set(keys)):
            log.info("Generation cache: %d of %d prompts already done", len(set(keys)) - len(pending), len(set(keys)))

        groups: dict[str, list[tuple[str, list[int], dict]]] = {}
        for key, (context, gen_kwargs) in pending.items():
            ids = self.tokenizer(context, add_special_tokens=self._add_special_tokens)["input_ids"]
            groups.setdefault(json.dumps(gen_kwargs, sort_keys=True, default=str), []).append((key, ids, gen_kwargs))

        was_training = self.model.training
        self.model.eval()
        bar = tqdm(total=len(pending), disable=disable_tqdm or not pending, desc=desc)
        try:
            with torch.inference_mode():
                for items in groups.values():
                    # Longest first: the first batch is the most memory-hungry, so "auto" settles at once.
                    items.sort(key=lambda item: -len(item[1]))
                    self._run_group(items, bar)
        finally:
            bar.close()
            self.model.train(was_training)
        return [self._cache[key] for key in keys]

    def _budget(self, gen_kwargs: dict) -> int | None:
        """The most prompt tokens: what training allowed, and what the model's positions leave room for."""
        max_new = int(gen_kwargs.get("max_gen_toks", DEFAULT_MAX_NEW))
        limits = []
        if self.max_length:
            limits.append(self.max_length - (self.max_target_length or max_new))
        positions = getattr(self.model.config, "max_position_embeddings", None)
        if positions:
            limits.append(positions - max_new)
        return min(limits) if limits else None

    def _fit(self, req) -> None:
        """Cut a searchtune prompt over budget the way training does; the logged sample then shows the prompt used."""
        context, gen_kwargs = req.args[0], req.args[1]
        doc = req.doc if isinstance(req.doc, dict) else {}
        source = registry.SOURCES.get(doc.get("source"))
        budget = self._budget(gen_kwargs)
        if source is None or budget is None:
            return
        if len(self.tokenizer(context, add_special_tokens=self._add_special_tokens)["input_ids"]) <= budget:
            return
        prompt = fit_prompt(self.tokenizer, source.kind, doc, budget, doc.get("instruction"))
        if prompt is None:
            log.warning("A %s prompt does not fit in %d tokens even without its context; keeping its last tokens",
                        source.task, budget)
            return
        req.arguments = (prompt.text, *req.args[1:])

    def _run_group(self, items: list, bar) -> None:
        import torch

        start = 0
        while start < len(items):
            batch = items[start : start + self.batch_size]
            try:
                outputs = self._generate(batch)
            except torch.OutOfMemoryError:
                if not self.auto_batch or self.batch_size == 1:
                    raise
                self.batch_size //= 2
                torch.cuda.empty_cache()
                log.warning("Out of memory; generation batch size now %d", self.batch_size)
                continue
            self._append_cache([(key, out) for (key, _, _), out in zip(batch, outputs)])
            bar.update(len(batch))
            start += len(batch)

    def _generate(self, batch: list[tuple[str, list[int], dict]]) -> list[str]:
        import torch
        from transformers import GenerationConfig

        gen_kwargs = dict(batch[0][2])
        until = gen_kwargs.pop("until", None) or []
        until = [s for s in ([until] if isinstance(until, str) else until) if s]
        max_new = int(gen_kwargs.pop("max_gen_toks", DEFAULT_MAX_NEW))
        do_sample = bool(gen_kwargs.pop("do_sample", False)) and float(gen_kwargs.get("temperature", 0.0)) > 0
        beams = {key: gen_kwargs.pop(key) for key in BEAM_KEYS if key in gen_kwargs}

        limit = getattr(self.model.config, "max_position_embeddings", None)
        prompts = [ids for _, ids, _ in batch]
        if limit and max(map(len, prompts)) > limit - max_new:
            log.warning("A prompt is longer than %d tokens; keeping its last tokens", limit - max_new)
            prompts = [ids[-(limit - max_new) :] for ids in prompts]
        width = max(map(len, prompts))
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in prompts], device=self.model.device)
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts], device=self.model.device)

        config = GenerationConfig(
            max_new_tokens=max_new,
            do_sample=do_sample,
            num_beams=int(beams.pop("num_beams", 1)),
            **beams,
            pad_token_id=pad,
            eos_token_id=self._eos_ids(),
            stop_strings=until or None,
            use_cache=True,
            **({"temperature": float(gen_kwargs["temperature"])} if do_sample else {}),
        )
        out = self.model.generate(
            input_ids=input_ids, attention_mask=attention, generation_config=config,
            tokenizer=self.tokenizer if until else None,
        )
        texts = self.tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)
        return [_cut(text, until) for text in texts]

    def _eos_ids(self) -> list[int]:
        ids = {self.tokenizer.eos_token_id}
        configured = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        ids.update(configured if isinstance(configured, list) else [configured])
        return sorted(i for i in ids if i is not None)

    # ------------------------------------------------------------------------------- log-likelihood

    def _hflm(self):
        if self._hf is None:
            from lm_eval.models.huggingface import HFLM

            self._hf = HFLM(pretrained=self.model, tokenizer=self.tokenizer, batch_size=max(1, self.batch_size))
        return self._hf

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        return self._hflm().loglikelihood(requests, disable_tqdm=disable_tqdm)

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        return self._hflm().loglikelihood_rolling(requests, disable_tqdm=disable_tqdm)


def _cut(text: str, until: list[str]) -> str:
    for stop in until:
        text = text.split(stop, 1)[0]
    return text



# ------------------------------------------------------------------------------------------------ vLLM (GPU)

VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)  # the max_lora_rank values vLLM accepts


def vllm_args(base: str, adapter: str | Path | None, *, dtype: str = "auto", max_length: int | None = None,
              batch_size: int | str = "auto") -> dict:
    """lm-eval's VLLM arguments for `searchtune eval --engine vllm`: the base model, with the run's LoRA adapter
    applied per request (lora_local_path, enable_lora) at the smallest max_lora_rank that holds its rank, and prefix
    caching on (every prompt of a task starts with the same chat header and instruction)."""
    from finetune.core.run import adapter_config

    args = {"pretrained": base, "dtype": dtype, "batch_size": batch_size, "enable_prefix_caching": True}
    if max_length:
        args["max_model_len"] = int(max_length)
    if adapter is not None:
        rank = int(adapter_config(Path(adapter)).get("r", 16))
        args.update(lora_local_path=str(adapter), max_lora_rank=next((r for r in VLLM_LORA_RANKS if r >= rank), rank))
    return args


def vllm_lm(base: str, adapter: str | Path | None, *, dtype: str = "auto", max_length: int | None = None,
            max_target_length: int | None = None, batch_size: int | str = "auto"):
    """lm-eval's vLLM backend with searchtune's prompts: the chat turn rendered by render_prompt, an over-budget
    prompt cut by fit_prompt and a task's expansion generated, exactly as SearchtuneLM does on the transformers path.
    Needs vllm and a GPU."""
    from lm_eval.models.vllm_causallms import VLLM

    budget = max_length - (max_target_length or DEFAULT_MAX_NEW) if max_length else None

    class SearchtuneVLLM(VLLM):
        apply_chat_template = SearchtuneLM.apply_chat_template
        _fit = SearchtuneLM._fit

        def _budget(self, gen_kwargs: dict) -> int | None:
            return budget

        def generate_until(self, requests, disable_tqdm: bool = False):
            from lm_eval.api.instance import Instance

            for req in requests:
                self._fit(req)
            outputs = super().generate_until(requests, disable_tqdm)
            asked = expansion_requests(self, requests, outputs)
            if not asked:
                return outputs
            texts = super().generate_until([Instance("generate_until", {}, a, i) for i, a in enumerate(asked.values())],
                                           disable_tqdm)
            return expanded(requests, outputs, dict(zip(asked, texts)))

    lm = SearchtuneVLLM(**vllm_args(base, adapter, dtype=dtype, max_length=max_length, batch_size=batch_size))
    lm._add_special_tokens = not getattr(lm.tokenizer, "chat_template", None)
    return lm
