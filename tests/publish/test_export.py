"""finetune.publish.export: the merged model as GGUF (llama.cpp) or CTranslate2 with the settings that reproduce the
training prompt, and the llama.cpp engine that serves the GGUF (the CTranslate2 engine: tests/serving/test_engines.py)."""

from __future__ import annotations

import json

import pytest

from finetune.core import io
from finetune.core.errors import UserError
from finetune.core.run import EXPORT_SETTINGS_FILE, RunFolder
from finetune.publish.export import export_run
from tests.fakes.run_folder import make_run

RECORDS = [{"history": ["who founded corvel", "Gordon Clemons founded CorVel."], "query": "where was he born"},
           {"history": [], "query": "corvel headquarters"}]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_model_dir):
    return make_run(tmp_path_factory.mktemp("export"), tiny_model_dir, with_eval=False)


@pytest.fixture(scope="module")
def exported(run_dir):
    # The tiny tokenizer is byte-level BPE that llama.cpp's converter does not know by fingerprint: name its kind.
    return export_run(run_dir, "gguf", "f32", pre_tokenizer="gpt-2")


def test_export_writes_the_gguf_and_the_prompt_settings(exported, run_dir, tiny_model_dir):
    import gguf
    from transformers import AutoTokenizer

    assert exported == RunFolder(run_dir).export_dir("gguf", "f32")
    settings = json.loads((exported / EXPORT_SETTINGS_FILE).read_text())
    assert settings["sha256"] == io.file_sha256(exported / settings["file"])
    assert settings["task"] == "query_rewrite" and settings["quant"] == "f32"
    assert settings["prompt"]["budget"] == 512 - 256  # make_run's recipe: the schema defaults
    assert settings["prompt"]["instruction"].startswith("Rewrite the last question")
    assert settings["decoding"]["temperature"] == 0.0
    assert settings["source"]["adapter_sha256"] == io.file_sha256(run_dir / "adapter" / "adapter_model.safetensors")
    tokenizer = AutoTokenizer.from_pretrained(exported / "tokenizer")
    assert settings["prompt"]["chat_template"] == tokenizer.chat_template
    # The engine feeds HF token ids to llama.cpp: the GGUF vocabulary must be the same ids.
    reader = gguf.GGUFReader(exported / settings["file"])
    field = reader.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(field.parts[i]).decode() for i in field.data]
    vocab = AutoTokenizer.from_pretrained(tiny_model_dir).convert_ids_to_tokens(list(range(len(tokens))))
    assert tokens == vocab


@pytest.mark.parametrize("kwargs, message", [
    ({"fmt": "onnx"}, "--format onnx: not one of gguf, ct2"),
    ({"quant": "q3"}, "--quant q3: not one of"),
    ({"fmt": "ct2", "quant": "q8_0"}, "--quant q8_0: not one of int8, int8_float32, float32 for --format ct2"),
])
def test_bad_format_or_quant_is_one_line_before_any_model_loads(run_dir, kwargs, message):
    with pytest.raises(UserError, match=message):
        export_run(run_dir, **kwargs)


def test_a_folder_that_is_not_an_export_is_never_overwritten(run_dir, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="exists and is not a searchtune export"):
        export_run(run_dir, output=tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_an_unknown_pre_tokenizer_names_the_flag(run_dir, tmp_path):
    with pytest.raises(UserError, match="pass --pre-tokenizer gpt-2"):
        export_run(run_dir, "gguf", "f32", tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_llama_cpp_engine_builds_the_training_prompt_and_decodes_greedy_as_transformers(exported, run_dir):
    pytest.importorskip("llama_cpp")
    import shutil

    from finetune.serving.engines import Decoding, open_engine

    # The engine serves RUN/export/gguf-q8_0 by default; point it at this f32 export for an exact comparison.
    shutil.copytree(exported, RunFolder(run_dir).export_dir("gguf", "q8_0"), dirs_exist_ok=True)
    reference = open_engine(run_dir, "transformers", threads=1)
    engine = open_engine(run_dir, "llama.cpp", threads=1)
    try:
        prompts = [engine.prompt(r) for r in RECORDS]
        assert prompts == [reference.prompt(r) for r in RECORDS]
        decoding = Decoding(max_new_tokens=8)
        assert engine.generate(prompts, decoding) == reference.generate(prompts, decoding)
    finally:
        engine.close()
        reference.close()


def test_llama_cpp_engine_without_an_export_names_the_command(tmp_path, tiny_model_dir):
    from finetune.serving.engines import open_engine

    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    with pytest.raises(UserError, match=r"no GGUF export; run `searchtune export .* --format gguf --quant q8_0`"):
        open_engine(run, "llama.cpp")


def test_a_bad_ct2_quant_is_one_line_before_the_run_is_read(tmp_path, capsys):
    from finetune import cli

    # A run folder that does not exist: the quant is refused first, so nothing (not even the run) was looked at.
    assert cli.main(["export", str(tmp_path / "none"), "--format", "ct2", "--quant", "q4_k_m"]) == 2
    err = capsys.readouterr().err
    assert "--quant q4_k_m: not one of int8, int8_float32, float32 for --format ct2" in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def exported_ct2(run_dir):
    pytest.importorskip("ctranslate2")
    return export_run(run_dir, "ct2", "float32")


def test_ct2_export_writes_the_model_and_the_same_prompt_settings(exported_ct2, run_dir, tiny_model_dir):
    from transformers import AutoTokenizer

    assert exported_ct2 == RunFolder(run_dir).export_dir("ct2", "float32")
    settings = json.loads((exported_ct2 / EXPORT_SETTINGS_FILE).read_text())
    assert (settings["format"], settings["quant"], settings["file"]) == ("ct2", "float32", "model.bin")
    assert settings["sha256"] == io.file_sha256(exported_ct2 / "model.bin")
    assert settings["task"] == "query_rewrite" and settings["prompt"]["budget"] == 512 - 256
    assert settings["source"]["adapter_sha256"] == io.file_sha256(run_dir / "adapter" / "adapter_model.safetensors")
    tokenizer = AutoTokenizer.from_pretrained(exported_ct2 / "tokenizer")
    assert settings["prompt"]["chat_template"] == tokenizer.chat_template
    # The engine feeds the HF tokenizer's tokens: CTranslate2's vocabulary must be the HF one in id order.
    vocab = json.loads((exported_ct2 / "vocabulary.json").read_text())
    assert vocab == AutoTokenizer.from_pretrained(tiny_model_dir).convert_ids_to_tokens(list(range(len(vocab))))


def test_a_failed_ct2_conversion_is_one_line_and_leaves_nothing(run_dir, tmp_path, monkeypatch):
    ctranslate2 = pytest.importorskip("ctranslate2")

    def refuse(self, *args, **kwargs):
        raise NotImplementedError("This model is not supported by CTranslate2 or this converter")

    monkeypatch.setattr(ctranslate2.converters.TransformersConverter, "convert", refuse)
    with pytest.raises(UserError, match="CTranslate2's converter failed on .*: This model is not supported"):
        export_run(run_dir, "ct2", "int8", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # no export, no staged folder, no merged copy
