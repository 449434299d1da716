"""`searchtune push` end to end, against a stand-in for the Hugging Face Hub (the card and push_run in process:
tests/publish/test_hub.py).

tests/fakes/hub_server.py stands in for the Hub: a local HTTP server (127.0.0.1, random port) that implements the part of
the Hub API huggingface_hub 2.4 uses to create repos, commit files and serve them back. The real huggingface_hub,
transformers and peft client code runs unchanged against it: pushes and downloads run in subprocesses whose
environment sets HF_ENDPOINT to the server (and HF_HUB_OFFLINE=0, HF_TOKEN, a private HF_HOME), as a user's shell
would, because huggingface_hub reads those settings at import time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from fakes.hub_server import READ_TOKEN, WRITE_TOKEN, FakeHub
from fakes.run_folder import IDS, RESULTS, peft_logits, run, run_template  # noqa: F401 - run, run_template are fixtures
from huggingface_hub import ModelCard

REPO = Path(__file__).resolve().parents[2]
PUSH = "import sys; from finetune.cli import main; sys.exit(main(['push', *sys.argv[1:]]))"
DOWNLOAD = f"""
import sys, torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer
base_path, adapter_repo, merged_repo, out = sys.argv[1:]
ids = torch.tensor({IDS.tolist()})
base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
adapter = PeftModel.from_pretrained(base, adapter_repo).eval()
merged = AutoModelForCausalLM.from_pretrained(merged_repo, dtype=torch.float32).eval()
assert AutoTokenizer.from_pretrained(merged_repo).chat_template
with torch.no_grad():
    torch.save({{"adapter": adapter(ids).logits, "merged": merged(ids).logits}}, out)
"""


def hub_env(hub: FakeHub, home: Path, token: str | None = WRITE_TOKEN, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE", "SEARCHTUNE_"))}
    env.update(HF_ENDPOINT=hub.url, HF_HUB_OFFLINE="0", HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1",
               PYTHONPATH=str(REPO), SEARCHTUNE_PUSH_BACKOFF_S="0.01", **extra)
    if token:
        env["HF_TOKEN"] = token
    return env


def run_py(code: str, *args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def push(hub, home, *argv, token=WRITE_TOKEN, **extra) -> subprocess.CompletedProcess:
    return run_py(PUSH, *argv, env=hub_env(hub, home, token, **extra))


def folder_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def commit_posts(hub: FakeHub, repo_id: str) -> int:
    return sum(1 for method, path in hub.requests if method == "POST" and path.startswith(f"/api/models/{repo_id}/commit/"))


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as server:
        yield server


@pytest.fixture(scope="module")
def pushed(hub, run_template, tmp_path_factory):
    """Push the adapter and the merged model (merging first), then download both from the stand-in Hub."""
    root = tmp_path_factory.mktemp("pushed")
    run = Path(shutil.copytree(run_template, root / "run"))
    home = root / "hf-home"
    adapter = push(hub, home, run, "--repo-id", "tester/tiny-qr-adapter", "--private")
    assert adapter.returncode == 0, adapter.stderr
    assert not (run / "merged").exists()
    merged = push(hub, home, run, "--repo-id", "tester/tiny-qr-merged", "--merged")
    assert merged.returncode == 0, merged.stderr
    base = json.loads((run / "manifest.json").read_text())["base_model"]["resolved_path"]
    out = root / "logits.pt"
    download = run_py(DOWNLOAD, base, "tester/tiny-qr-adapter", "tester/tiny-qr-merged", out,
                      env=hub_env(hub, root / "hf-home-download"))
    assert download.returncode == 0, download.stderr[-3000:]
    assert not hub.state.unrouted, hub.state.unrouted
    return {"run": run, "adapter": adapter, "merged": merged, "logits": torch.load(out),
            "local": peft_logits(run, base)}


def test_adapter_push_round_trip(hub, pushed):
    run, result = pushed["run"], pushed["adapter"]
    commit = next(c for c in hub.commits if c["repo"] == "tester/tiny-qr-adapter")
    assert result.stdout.strip() == f"{hub.url}/tester/tiny-qr-adapter/commit/{commit['oid']}"
    adapter_files = {p.name for p in (run / "adapter").iterdir()}  # PEFT's own README.md is replaced by the card
    assert commit["files"] == sorted({".gitattributes", "README.md", *adapter_files})
    assert commit_posts(hub, "tester/tiny-qr-adapter") == 1  # one commit per push
    assert hub.state.repos["tester/tiny-qr-adapter"]["private"] is True
    torch.testing.assert_close(pushed["logits"]["adapter"], pushed["local"], atol=1e-5, rtol=1e-4)
    # The token never lands in a file, a card or the output.
    for path in run.rglob("*"):
        assert not path.is_file() or WRITE_TOKEN.encode() not in path.read_bytes(), path
    assert WRITE_TOKEN not in result.stdout + result.stderr
    assert all(WRITE_TOKEN.encode() not in data for data in hub.files("tester/tiny-qr-adapter").values())


def test_merged_push_merges_first_and_round_trips(hub, pushed):
    run = pushed["run"]
    assert (run / "merged" / "model.safetensors").is_file()  # --merged merged first, into RUN_DIR/merged
    files = hub.files("tester/tiny-qr-merged")
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= set(files)
    assert not any(name.startswith("adapter_") for name in files)
    assert hub.state.repos["tester/tiny-qr-merged"]["private"] is True  # the recipe's hub.private
    torch.testing.assert_close(pushed["logits"]["merged"], pushed["local"], atol=1e-5, rtol=1e-4)
    card = ModelCard(files["README.md"].decode())
    assert card.data.library_name == "transformers"
    assert 'AutoModelForCausalLM.from_pretrained("tester/tiny-qr-merged"' in card.text


def test_card_metadata_and_model_index(hub, pushed, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_bytes(hub.files("tester/tiny-qr-adapter")["README.md"])
    card = ModelCard.load(readme)
    meta = card.data.to_dict()
    assert meta["library_name"] == "peft" and meta["pipeline_tag"] == "text-generation"
    assert meta["license"] == "mit"  # read from the base model's local card
    assert meta["tags"] == ["searchtune", "lora", "query-rewriting"]
    assert meta["datasets"] == ["searchtune/qr-conversations"]
    assert "base_model" not in meta  # the base is a local folder, not a Hub id
    scores = {(r.task_name, r.metric_type): r for r in card.data.eval_results}
    expected = {(task, metric): entry for task, t in RESULTS["tasks"].items() for metric, entry in t["metrics"].items()}
    assert set(scores) == set(expected)
    for key, entry in expected.items():
        result = scores[key]
        assert result.metric_value == entry["value"]  # exact: no rounding on the way
        assert result.task_type == "text-generation"
        assert result.metric_args == RESULTS["tasks"][key[0]]["decoding"]
        assert result.dataset_name == RESULTS["tasks"][key[0]]["dataset"]["name"]
    assert scores[("searchtune_qr_hub", "bleu")].dataset_type == "searchtune/qr-conversations"
    text = card.text
    for needle in [
        "what other films did Ridley Scott direct",  # the worked example
        "| bleu | 11.10 [8.50, 13.90] | 23.46 [19.12, 27.99] | **12.36** [8.10, 16.40] |",  # base vs tuned
        "1,200 training rows", "| sample:query_rewrite_train.jsonl | 800 (780 used) | efefefefefef |", "```yaml\nmodel:\n", "601 tokens/s", "3m 25s", "peft 0.21.2",
        "https://wandb.ai/team/searchtune/runs/abc123", 'PeftModel.from_pretrained(base, "tester/tiny-qr-adapter")',
        "AutoModelForCausalLM.from_pretrained", "## Limitations",
    ]:
        assert needle in text, needle


@pytest.mark.parametrize("token, message", [
    ("hf_NotAValidTokenAbcdefghijklmnopqrstuv", "invalid or missing token: set HF_TOKEN or run `hf auth login`"),
    (READ_TOKEN, "token lacks write access to tester/tiny-qr-denied"),
    (None, "invalid or missing token: set HF_TOKEN or run `hf auth login`"),
])
def test_bad_token_is_one_clear_line_and_the_run_is_untouched(hub, run, tmp_path, token, message):
    before, commits = folder_hash(run), len(hub.commits)
    result = push(hub, tmp_path / "home", run, "--repo-id", "tester/tiny-qr-denied", token=token)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert lines[0].endswith(f"retry with: searchtune push {run} --repo-id tester/tiny-qr-denied --private")
    assert not token or token not in result.stderr + result.stdout
    assert folder_hash(run) == before and len(hub.commits) == commits


def test_a_failed_commit_is_retried(hub, run, tmp_path):
    hub.fail_next("commit", 500)
    result = push(hub, tmp_path / "home", run, "--repo-id", "tester/tiny-qr-retry")
    assert result.returncode == 0, result.stderr
    assert commit_posts(hub, "tester/tiny-qr-retry") == 2
    assert [c["repo"] for c in hub.commits].count("tester/tiny-qr-retry") == 1
    assert "README.md" in hub.files("tester/tiny-qr-retry")


def test_persistent_failure_reports_the_retry_command(hub, run, tmp_path):
    hub.fail_next("commit", 503, times=3)
    try:
        result = push(hub, tmp_path / "home", run, "--repo-id", "tester/tiny-qr-down", "--public", "--revision", "dev",
                      "--commit-message", "first try", SEARCHTUNE_PUSH_TRIES="3")
    finally:
        hub.state.failures.clear()
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert "the Hub kept failing (HTTP 503) after 3 tries" in line
    assert line.endswith(f"retry with: searchtune push {run} --repo-id tester/tiny-qr-down --public "
                         "--revision dev --commit-message 'first try'")
    assert hub.state.repos["tester/tiny-qr-down"]["branches"].keys() == {"main", "dev"}
    assert commit_posts(hub, "tester/tiny-qr-down") == 3


def test_dry_run_uploads_nothing_and_previews_exactly_the_files(hub, run, tmp_path):
    requests = len(hub.requests)
    result = push(hub, tmp_path / "home", run, "--repo-id", "tester/tiny-qr-preview", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert len(hub.requests) == requests  # not even a whoami
    preview = run / "push-preview"
    files = sorted(p.relative_to(preview).as_posix() for p in preview.rglob("*") if p.is_file())
    assert files == sorted({"README.md", *(p.name for p in (run / "adapter").iterdir())})
    listed = [line.split()[-1] for line in result.stdout.splitlines()[1:]]
    assert listed == files
    for name in files:
        if name != "README.md":
            assert (preview / name).read_bytes() == (run / "adapter" / name).read_bytes()
    assert ModelCard.load(preview / "README.md").data.library_name == "peft"


def test_token_values_are_redacted_or_refused(hub, run, tmp_path):
    recipe = (run / "recipe.yaml").read_text().replace("run_name: null", f"run_name: {WRITE_TOKEN}")
    (run / "recipe.yaml").write_text(recipe)
    result = push(hub, tmp_path / "home", run, "--repo-id", "tester/tiny-qr-secret", "--dry-run")
    assert result.returncode == 0, result.stderr
    card = (run / "push-preview" / "README.md").read_text()
    assert WRITE_TOKEN not in card and "run_name: <redacted>" in card
    (run / "adapter" / "notes.txt").write_text(f"token={WRITE_TOKEN}\n")
    result = push(hub, tmp_path / "home", run, "--repo-id", "tester/tiny-qr-secret")
    assert result.returncode == 2 and "notes.txt: contains your Hub token" in result.stderr
    assert WRITE_TOKEN not in result.stderr and "tester/tiny-qr-secret" not in hub.state.repos
