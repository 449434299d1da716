"""The one atomic write: a file or folder appears whole or not at all."""

from __future__ import annotations

import pytest

from finetune.core import io


def test_atomic_file_writes_bytes_and_leaves_nothing_when_the_block_fails(tmp_path):
    path = tmp_path / "sub" / "vectors.npy"
    with io.atomic_file(path, "wb") as f:
        f.write(b"\x93NUMPY")
    assert path.read_bytes() == b"\x93NUMPY"
    with pytest.raises(RuntimeError), io.atomic_file(path, "wb") as f:
        f.write(b"half")
        raise RuntimeError("killed mid-write")
    assert path.read_bytes() == b"\x93NUMPY"  # the old file stands
    assert sorted(p.name for p in path.parent.iterdir()) == ["vectors.npy"]  # no temp file left behind


def test_write_text_masks_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_abcdefghijklmnopqrstuvwxyz0123")
    io.write_text(tmp_path / "a.md", "token hf_abcdefghijklmnopqrstuvwxyz0123 here")
    assert "hf_abcdefghijklmnopqrstuvwxyz0123" not in (tmp_path / "a.md").read_text()


def test_staged_dir_replaces_or_keeps_an_existing_folder(tmp_path):
    final = tmp_path / "cache"
    final.mkdir()
    (final / "stats.json").write_text("theirs")
    with io.staged_dir(final, keep_existing=True) as tmp:
        (tmp / "stats.json").write_text("ours")
    assert (final / "stats.json").read_text() == "theirs"
    with io.staged_dir(final) as tmp:
        (tmp / "stats.json").write_text("ours")
    assert (final / "stats.json").read_text() == "ours"
    assert [p.name for p in tmp_path.iterdir()] == ["cache"]
