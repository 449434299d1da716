"""scripts/faithfulness_calibration.py: each dataset's references scored as summaries of their own sources."""
import json

import pytest

from tests.fakes.meeting import MEETING

DIALOGS = [
    # Every span found (the speaker tags' digits are no numbers).
    {"id": "dev_0", "dialogue": "#Person1#: Meet Kate at 5.\n#Person2#: OK.",
     "summary": "#Person1# asks #Person2# to meet Kate at 5."},
    # One of two invented: the price.
    {"id": "dev_1", "dialogue": "#Person1#: It costs 20 dollars.", "summary": "#Person1# says it costs 30 dollars."},
]


def test_calibration_scores_references_against_their_own_sources(tmp_path, run_script, capsys):
    dialogsum = tmp_path / "dev.jsonl"
    dialogsum.write_text("".join(json.dumps(row) + "\n" for row in DIALOGS))
    qmsum = tmp_path / "val.jsonl"
    qmsum.write_text(json.dumps(MEETING) + "\n")
    out = tmp_path / "calibration.json"
    assert run_script("faithfulness_calibration.py", "--data", f"dialogsum={dialogsum}", "--data", f"qmsum={qmsum}",
                      "--output", out) == 0
    result = json.loads(out.read_text())
    assert result["dialogsum"]["faithfulness"] == pytest.approx(75.0)
    assert result["dialogsum"]["unsupported"] == [["30", 1]] and result["dialogsum"]["scored"] == 2
    # Every query's answer of the meeting (Bob, March, Pizza, Friday, XML) is in its transcript.
    assert (result["qmsum"]["faithfulness"], result["qmsum"]["references"]) == (100.0, 3)
    printed = capsys.readouterr().out
    assert "dialogsum (" in printed and "faithfulness 75.0 [" in printed and "unsupported: 30 x1" in printed
    assert run_script("faithfulness_calibration.py", "--data", f"dialogsum={dialogsum}",
                      "--data", f"qmsum={tmp_path / 'absent.jsonl'}") == 0
    assert "qmsum: skipped" in capsys.readouterr().out
