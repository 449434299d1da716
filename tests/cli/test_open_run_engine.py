"""finetune.cli.export.open_run_engine: the export an engine serves (llama.cpp's GGUF, CTranslate2's int8 model) is
written on first use, once."""

from __future__ import annotations

from finetune.cli import export as cli_export
from finetune.core.run import EXPORT_SETTINGS_FILE, RunFolder
from finetune.publish import export as publish_export
from finetune.serving import engines
from tests.fakes.run_folder import make_run


def test_llama_cpp_exports_on_first_use_only(tmp_path, tiny_model_dir, monkeypatch):
    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    exported, opened = [], []

    def fake_export(run_dir, fmt, quant):
        exported.append((fmt, quant))
        folder = RunFolder(run_dir).export_dir(fmt, quant)
        folder.mkdir(parents=True)
        (folder / EXPORT_SETTINGS_FILE).write_text("{}")

    monkeypatch.setattr(publish_export, "export_run", fake_export)
    monkeypatch.setattr(engines, "open_engine", lambda *a, **k: opened.append((a[1], k)) or object())
    for _ in range(2):
        cli_export.open_run_engine(run, "llama.cpp", threads=1)
    cli_export.open_run_engine(run, "transformers", base=True)
    assert exported == [("gguf", "q8_0")]
    assert opened == [("llama.cpp", {"threads": 1})] * 2 + [("transformers", {"base": True})]


def test_ctranslate2_exports_its_int8_model_on_first_use_only(tmp_path, tiny_model_dir, monkeypatch):
    run = make_run(tmp_path, tiny_model_dir, with_eval=False)
    exported = []

    def fake_export(run_dir, fmt, quant):
        exported.append((fmt, quant))
        folder = RunFolder(run_dir).export_dir(fmt, quant)
        folder.mkdir(parents=True)
        (folder / EXPORT_SETTINGS_FILE).write_text("{}")

    monkeypatch.setattr(publish_export, "export_run", fake_export)
    monkeypatch.setattr(engines, "open_engine", lambda *a, **k: object())
    for _ in range(2):
        cli_export.open_run_engine(run, "ctranslate2", threads=1)
    assert exported == [("ct2", "int8")]
