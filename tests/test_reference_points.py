"""scripts/reference_points.py scores the no-model baselines with the eval module's scorers."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_reference_points(tmp_path):
    canard = write_jsonl(tmp_path / "canard.jsonl", [
        {"history": ["Ada Lovelace"], "question": "when was she born", "rewrite": "when was Ada Lovelace born"},
        {"history": ["Ada Lovelace"], "question": "what did Ada Lovelace write", "rewrite": "what did Ada Lovelace write"},
    ])
    dialogsum = write_jsonl(tmp_path / "dialogsum.jsonl", [
        {"dialogue": "#Person1#: the build is red\n#Person2#: I will fix it\n#Person1#: thanks", "summary": "#Person1#: the build is red #Person2#: I will fix it"},
    ])
    proc = subprocess.run(
        [sys.executable, "scripts/reference_points.py", "--data", f"canard={canard}", "--data", f"dialogsum={dialogsum}",
         "--data", f"aeslc={tmp_path / 'missing.jsonl'}"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = {line.split(" ")[0].rstrip(":"): line for line in proc.stdout.splitlines()}
    assert "n=2), question copied unchanged" in lines["canard"]
    assert "exact match 0.5 [" in lines["canard"] and "BLEU 100" not in lines["canard"]
    assert "first two turns: rouge1 100 [100, 100]" in lines["dialogsum"]
    assert lines["aeslc"].startswith("aeslc: skipped")
