"""`searchtune export RUN --format gguf|ct2`: the merged model in an engine's format, the prompt settings beside it.

The run's adapter is merged into its base in fp32 (finetune.publish.merge), then converted: for llama.cpp (gguf) with
llama.cpp's own `convert_hf_to_gguf.py` (from the sdist of the pinned llama-cpp-python, unpacked once into the
searchtune cache), then quantized by llama.cpp's `llama_model_quantize` when a k-quant is asked for; for CTranslate2
(ct2) with its own `TransformersConverter`, which quantizes as it writes. Beside the weights go the tokenizer
files training used and `searchtune-export.json`: the chat template, instruction, prompt budget, decoding, task,
source run and hashes, so a client renders the exact training prompt (finetune.core.prompts.fit_prompt) and decodes
as the eval does. The whole folder is staged and renamed into place (finetune.core.io.staged_dir).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from finetune.core import io
from finetune.core.errors import UserError
from finetune.core.paths import cache_dir
from finetune.core.run import EXPORT_SETTINGS_FILE, RunFolder

logger = logging.getLogger("searchtune.export")

LLAMA_CPP_PYTHON = "0.3.36"  # the pinned llama-cpp-python; its sdist carries the converter of the same llama.cpp
# Each format's weight types, its default first (`--quant` omitted).
FORMATS = {"gguf": ("q8_0", "q4_k_m", "f16", "f32"), "ct2": ("int8", "int8_float32", "float32")}
WEIGHTS_FILE = {"gguf": "model.gguf", "ct2": "model.bin"}  # the file the settings' sha256 covers
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")
# What convert_hf_to_gguf writes directly; the rest goes through llama.cpp's quantizer from f32.
_CONVERTER_TYPES = {"q8_0", "f16", "f32"}


def converter_dir() -> Path:
    """llama.cpp's converter (convert_hf_to_gguf.py, conversion/, gguf-py/), unpacked from the pinned sdist once."""
    folder = cache_dir() / f"llama.cpp-converter-{LLAMA_CPP_PYTHON}"
    if (folder / "convert_hf_to_gguf.py").is_file():
        return folder
    logger.info("fetching llama.cpp's converter from the llama-cpp-python==%s sdist (once)", LLAMA_CPP_PYTHON)
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                              f"llama-cpp-python=={LLAMA_CPP_PYTHON}", "-d", tmp], capture_output=True, text=True)
        archives = list(Path(tmp).glob("*.tar.gz"))
        if got.returncode or not archives:
            raise UserError(f"could not download the llama-cpp-python=={LLAMA_CPP_PYTHON} sdist for its GGUF "
                            f"converter ({(got.stderr or 'no archive').strip().splitlines()[-1]}); check pip's index")
        with tarfile.open(archives[0]) as tar, io.staged_dir(folder, keep_existing=True) as staged:
            prefix = f"{tar.getnames()[0].split('/')[0]}/vendor/llama.cpp/"
            wanted = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")
            for member in tar.getmembers():
                rel = member.name.removeprefix(prefix)
                if member.name.startswith(prefix) and rel.startswith(wanted) and member.isfile():
                    member.name = rel
                    tar.extract(member, staged, filter="data")
    return folder


def _convert(merged: Path, out: Path, outtype: str, pre_tokenizer: str | None) -> None:
    env = dict(os.environ, SEARCHTUNE_GGUF_PRE_TOKENIZER=pre_tokenizer or "")
    cmd = [sys.executable, "-m", "finetune.publish.gguf_convert", str(converter_dir()), str(merged),
           "--outtype", outtype, "--outfile", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        hint = ("; for a byte-level BPE tokenizer llama.cpp does not know, pass --pre-tokenizer gpt-2"
                if "pre-tokenizer was not recognized" in tail[0] else "")
        raise UserError(f"convert_hf_to_gguf.py failed on {merged}: {tail[0]}{hint}")


def _quantize(src: Path, dst: Path, quant: str) -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant.upper()}")
    if llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), params) != 0:
        raise UserError(f"llama.cpp could not quantize {src} to {quant}")


def _convert_ct2(merged: Path, staged: Path, quant: str) -> None:
    from ctranslate2.converters import TransformersConverter

    out = merged.with_name("ct2")  # the converter writes a folder that must not exist yet; staged already does
    try:
        TransformersConverter(str(merged)).convert(str(out), quantization=quant)
    except (NotImplementedError, ValueError) as e:  # what it raises for a model it cannot convert
        raise UserError(f"CTranslate2's converter failed on {merged}: {(str(e).strip().splitlines() or [repr(e)])[0]}")
    for path in out.iterdir():
        os.replace(path, staged / path.name)


def export_settings(run: RunFolder, tokenizer, fmt: str, quant: str, weights: Path) -> dict:
    """What a client needs to reproduce the training prompt and the eval's decoding from the export alone."""
    from finetune.core.prompts import DEFAULT_INSTRUCTIONS, MAX_NEW_TOKENS, STOP, PromptSpec

    recipe = run.recipe()
    data = recipe.data
    spec = PromptSpec.of(recipe)
    adapter = run.adapter_dir / "adapter_model.safetensors"
    return {
        "format": fmt, "quant": quant, "file": weights.name, "sha256": io.file_sha256(weights),
        "task": data.task,
        "prompt": {
            "builder": "finetune.core.prompts.fit_prompt",
            "instruction": spec.instruction or DEFAULT_INSTRUCTIONS.get(data.task),
            "max_length": data.max_length, "max_target_length": data.max_target_length,
            "budget": spec.budget, "response_words": spec.response_words,
            "chat_template": getattr(tokenizer, "chat_template", None),
            "add_special_tokens": not getattr(tokenizer, "chat_template", None),
        },
        "decoding": {"temperature": 0.0, "top_p": 1.0,
                     "max_new_tokens": recipe.eval.decoding.max_new_tokens or MAX_NEW_TOKENS[data.task],
                     "stop": list(STOP),
                     "eos_token": tokenizer.eos_token},
        "source": {"run": str(run.path.resolve()), "name": run.name, "base_model": recipe.model.name,
                   "adapter_sha256": io.file_sha256(adapter) if adapter.is_file() else None},
    }


def export_run(run_dir: str | Path, fmt: str = "gguf", quant: str | None = None, output: str | Path | None = None,
               pre_tokenizer: str | None = None) -> Path:
    """Write the run's merged model as `fmt` with its prompt settings to `output` (default RUN/export/FMT-QUANT);
    `quant` defaults to the format's first (gguf q8_0, ct2 int8)."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt}: not one of {', '.join(FORMATS)}")
    quant = quant or FORMATS[fmt][0]
    if quant not in FORMATS[fmt]:
        raise UserError(f"--quant {quant}: not one of {', '.join(FORMATS[fmt])} for --format {fmt}")
    run = RunFolder.finished(run_dir)
    if run.recipe() is None:
        raise UserError(f"{run.recipe_file}: missing; point at the output_dir of a `searchtune train` run")
    out = Path(output).expanduser() if output else run.export_dir(fmt, quant)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / EXPORT_SETTINGS_FILE).is_file())):
        raise UserError(f"--output {out}: exists and is not a searchtune export; choose another folder or remove it")
    from transformers import AutoTokenizer

    from finetune.publish.merge import merge_run

    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp, \
            io.staged_dir(out) as staged:
        merged = merge_run(run.path, Path(tmp) / "merged", "fp32")
        weights = staged / WEIGHTS_FILE[fmt]
        if fmt == "ct2":
            _convert_ct2(merged, staged, quant)
        elif quant in _CONVERTER_TYPES:
            _convert(merged, weights, quant, pre_tokenizer)
        else:
            _convert(merged, Path(tmp) / "f32.gguf", "f32", pre_tokenizer)
            _quantize(Path(tmp) / "f32.gguf", weights, quant)
        tokenizer = AutoTokenizer.from_pretrained(str(merged))
        tokenizer.save_pretrained(str(staged / "tokenizer"))
        io.write_json(staged / EXPORT_SETTINGS_FILE, export_settings(run, tokenizer, fmt, quant, weights))
    logger.info("exported %s (%s %s) to %s", run.name, fmt, quant, out)
    return out
