"""Recipe schema, loading, overrides and the CLI's validate/show/schema, in process (that they never import torch:
tests/e2e/test_cli_process.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from finetune.core.errors import UserError
from finetune.core.paths import SAMPLE_DATA
from finetune.core.recipe import Recipe, load_recipe

REPO = Path(__file__).resolve().parents[2]
# recipes/sweeps/ holds sweep files, validated by tests/sweep/test_schema.py.
RECIPES = sorted(p for p in (REPO / "recipes").rglob("*.yaml") if "sweeps" not in p.relative_to(REPO).parts)


@pytest.fixture()
def cli(capfd):
    """`searchtune ARGS` in this process: its exit code and what it wrote (fd-level, so a child's output counts)."""
    from finetune.cli import main

    def run(*args):
        capfd.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # argparse's own errors
            code = e.code
        out = capfd.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)
    return run


def write(tmp_path, text, name="r.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture()
def data_file(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"history": [], "query": "q", "rewrite": "r"}) + "\n")
    return path


def base(data_file, extra=""):
    return f"data:\n  task: query_rewrite\n  train:\n    path: {data_file}\noutput_dir: out\n{extra}"


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_recipe_validates(path):
    """Loads, and passes the preflight `searchtune validate` and `train` run (eval task names, data columns).

    The column check reads each local data file's first rows and, like training, refuses a file that is not there.
    Recipes on ../shared/data (SEARCHTUNE_DATA_ROOT) run it only where that data is present: elsewhere the task names
    are still checked and the test is reported as skipped, naming the absent files, never as passed."""
    from finetune.preflight import preflight, unknown_tasks

    first = path.read_text().splitlines()[0]
    assert first.startswith("# ") and ("searchtune train" in first or "accelerate launch" in first), \
        f"{path} must begin with a comment giving the command that runs it"
    assert str(path.relative_to(REPO)) in first
    recipe = load_recipe(path, check_files=False)
    local = [recipe.source_path(src) for src in recipe.data.train + ([recipe.data.eval] if recipe.data.eval else [])]
    missing = [p for p in local if p is not None and not p.is_file()]
    # A recipe that continues another run's adapter validates fully only once that run exists.
    if recipe.train.init_adapter and not Path(recipe.train.init_adapter).exists():
        missing.append(Path(recipe.train.init_adapter))
    assert not [p for p in missing if p.is_relative_to(SAMPLE_DATA)], f"{path}: shipped sample data missing"
    if not missing:
        preflight(recipe)
        return
    assert unknown_tasks(recipe) == []
    pytest.skip(f"data columns not checked: {', '.join(map(str, missing))} absent (set SEARCHTUNE_DATA_ROOT)")


def test_schema_fields_all_have_descriptions():
    def walk(model):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            ann = field.annotation
            for sub in (ann, *getattr(ann, "__args__", ())):
                if isinstance(sub, type) and hasattr(sub, "model_fields"):
                    walk(sub)
                for inner in getattr(sub, "__args__", ()):
                    if isinstance(inner, type) and hasattr(inner, "model_fields"):
                        walk(inner)
    walk(Recipe)


def test_unknown_key_suggests_nearest(tmp_path, data_file, cli):
    path = write(tmp_path, f"data:\n  task: query_rewrite\n  train:\n    path: {data_file}\n    colums: {{query: q}}\noutput_dir: out\n")
    r = cli("validate", str(path))
    assert r.returncode == 2
    assert r.stderr.strip() == f"searchtune: error: {path}:5: `data.train.0.colums`: unknown key, did you mean `columns`?"
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("extra, expected", [
    ("lora:\n  r: 0\n", "`lora.r`: Input should be greater than or equal to 1 (got 0)"),
    ("train:\n  epochs: many\n", "`train.epochs`: Input should be a valid number, unable to parse string as a number (got 'many')"),
    ("train:\n  eval_steps: 10\n", "`train.eval_steps`: eval requested but there is no eval data; set data.eval or data.eval_fraction"),
    ("hub:\n  push: adapter\n", "`hub.repo_id`: hub.push is 'adapter' but no repo_id is set; set hub.repo_id=OWNER/NAME"),
    ("trian:\n  epochs: 1\n", "`trian`: unknown key, did you mean `train`?"),
])
def test_bad_values_one_line_each(tmp_path, data_file, extra, expected, cli):
    path = write(tmp_path, base(data_file, extra))
    r = cli("validate", str(path))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"searchtune: error: {path}:") and lines[0].endswith(expected), r.stderr


def test_missing_data_file_names_key_and_line(tmp_path, cli):
    path = write(tmp_path, "data:\n  task: summarize\n  train:\n    - path: nowhere.jsonl\noutput_dir: out\n")
    r = cli("validate", str(path))
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"searchtune: error: {path}:4: `data.train.0.path`: data file nowhere.jsonl does not exist; fix the path or set data.root"
    )


def test_wrong_column_field_for_task(tmp_path, data_file, cli):
    path = write(tmp_path, base(data_file).replace(f"path: {data_file}", f"path: {data_file}\n    columns: {{qeury: question}}"))
    r = cli("validate", str(path))
    assert r.returncode == 2
    assert "`data.train.0.columns.qeury`: not a field of task query_rewrite (fields: history, qid, query, responses, rewrite), did you mean `query`?" in r.stderr


def test_invalid_yaml_and_empty_and_missing_file(tmp_path, cli):
    bad = write(tmp_path, "data:\n  task: [unclosed\n", "bad.yaml")
    r = cli("validate", str(bad))
    assert r.returncode == 2 and r.stderr.startswith(f"searchtune: error: {bad}:") and "invalid YAML" in r.stderr
    empty = write(tmp_path, "", "empty.yaml")
    r = cli("validate", str(empty))
    assert r.returncode == 2 and "the recipe is empty" in r.stderr
    r = cli("validate", str(tmp_path / "none.yaml"))
    assert r.returncode == 2 and "recipe file not found" in r.stderr


def test_precedence_defaults_yaml_overrides(tmp_path, data_file):
    path = write(tmp_path, base(data_file, "train:\n  learning_rate: 0.001\n  batch_size: 4\n"))
    recipe = load_recipe(path, ["train.batch_size=2", "lora.target_modules=[q_proj, v_proj]"])
    assert recipe.train.learning_rate == 0.001  # YAML beats the default
    assert recipe.train.batch_size == 2  # the command line beats YAML
    assert recipe.train.epochs == 1.0  # schema default
    assert recipe.lora.target_modules == ["q_proj", "v_proj"]
    assert load_recipe(path, ["train.max_steps=2"]).train.max_steps == 2


def test_override_unknown_key_and_bad_syntax(tmp_path, data_file, cli):
    path = write(tmp_path, base(data_file))
    r = cli("validate", str(path), "train.max_step=2")
    assert r.returncode == 2 and r.stderr.strip() == f"searchtune: error: {path}: `train.max_step`: unknown key, did you mean `max_steps`?"
    r = cli("validate", str(path), "train.max_steps")
    assert r.returncode == 2 and "expected key.sub=value" in r.stderr


def test_env_interpolation(tmp_path, data_file, monkeypatch):
    path = write(tmp_path, "data:\n  task: query_rewrite\n  root: ${oc.env:MY_DATA_ROOT,/nonexistent}\n"
                           f"  train:\n    path: {data_file.name}\noutput_dir: out\n")
    monkeypatch.setenv("MY_DATA_ROOT", str(data_file.parent))
    assert load_recipe(path).data.root == str(data_file.parent)
    monkeypatch.delenv("MY_DATA_ROOT")
    with pytest.raises(UserError, match="does not exist"):
        load_recipe(path)
    strict = write(tmp_path, "data:\n  task: query_rewrite\n  root: ${oc.env:MY_UNSET_VAR}\n  train:\n    path: x\noutput_dir: o\n", "s.yaml")
    with pytest.raises(UserError, match="MY_UNSET_VAR is not set"):
        load_recipe(strict)


def test_safe_load_only(tmp_path, data_file, cli):
    path = write(tmp_path, base(data_file) + "extra: !!python/object/apply:os.system ['echo pwned']\n")
    r = cli("validate", str(path))
    assert r.returncode == 2 and "invalid YAML" in r.stderr and "pwned" not in r.stdout


def test_show_prints_resolved_yaml_and_schema(tmp_path, data_file, cli):
    path = write(tmp_path, base(data_file))
    r = cli("show", str(path), "train.max_steps=3")
    assert r.returncode == 0
    shown = yaml.safe_load(r.stdout)
    assert shown["train"]["max_steps"] == 3 and shown["lora"]["target_modules"] == "all-linear"
    assert load_recipe(path, ["train.max_steps=3"]).model_dump(mode="json") == shown
    r = cli("schema")
    assert r.returncode == 0 and "properties" in json.loads(r.stdout)


# -- refused before any model loads (issue 12, defect 1) ---------------------------------------------------------


def refused(tmp_path, text, overrides=()):
    """The one-line error that load_recipe + preflight give, as `searchtune validate` and `train` run them."""
    from finetune.preflight import preflight

    path = write(tmp_path, text)
    with pytest.raises(UserError) as e:
        preflight(load_recipe(path, list(overrides)))
    lines = str(e.value).splitlines()
    assert len(lines) == 1, lines
    return path, lines[0]


@pytest.mark.parametrize("extra, line, expected", [
    ("eval:\n  tasks: [searchtune_qr_smaple]\n", 7,
     "`eval.tasks.0`: unknown eval task `searchtune_qr_smaple`, did you mean `searchtune_qr_sample`?"),
    ("eval:\n  batch_size: 0\n", 7, "`eval.batch_size`: Input should be greater than or equal to 1 (got 0)"),
    ("train:\n  seed: -1\n", 7, "`train.seed`: Input should be greater than or equal to 0 (got -1)"),
    ("lora:\n  target_modules: all_linear\n", 7, "`lora.target_modules`: `all_linear` is neither `all-linear` nor a "
     "regex (PEFT would match it against full module paths and find nothing), did you mean `all-linear`?"),
])
def test_mistakes_found_only_after_training_are_refused_up_front(tmp_path, data_file, extra, line, expected):
    path, message = refused(tmp_path, base(data_file, extra))
    assert message.startswith(f"{path}:{line}: {expected}"), message


def test_enum_values_get_did_you_mean(tmp_path, data_file):
    path, message = refused(tmp_path, base(data_file).replace("task: query_rewrite", "task: summarise"))
    assert message == (f"{path}:2: `data.task`: Input should be 'query_rewrite' or 'summarize' (got 'summarise'), "
                       "did you mean `summarize`?")
    _, message = refused(tmp_path, base(data_file, "train:\n  lr_scheduler: cosin\n"))
    assert message.endswith("did you mean `cosine`?")


def test_max_target_length_must_leave_room_for_the_prompt(tmp_path, data_file):
    path, message = refused(tmp_path, base(data_file), ["data.max_length=128", "data.max_target_length=128"])
    assert message == (f"{path}: `data.max_target_length`: 128 leaves no room for the prompt within data.max_length=128; "
                       "lower it or raise data.max_length")


def test_target_modules_regex_and_list_still_accepted(tmp_path, data_file):
    path = write(tmp_path, base(data_file))
    assert load_recipe(path, [r"lora.target_modules=.*\.(q_proj|v_proj)"]).lora.target_modules == r".*\.(q_proj|v_proj)"
    assert load_recipe(path, ["lora.target_modules=[q_proj]"]).lora.target_modules == ["q_proj"]
    with pytest.raises(UserError, match=r"for module names write a list, e\.g\. \[q_proj\]"):
        load_recipe(path, ["lora.target_modules=q_proj"])


def test_data_file_columns_must_fit_the_task(tmp_path):
    rows = tmp_path / "qa.jsonl"
    rows.write_text("".join(json.dumps({"question": "q", "answer": "a"}) + "\n" for _ in range(3)))
    text = f"data:\n  task: query_rewrite\n  train:\n    - path: {rows}\n      columns: {{query: question}}\noutput_dir: out\n"
    path, message = refused(tmp_path, text)
    assert message == (f"{path}:4: `data.train.0`: {rows} has no column `rewrite` for task query_rewrite in its first "
                       "3 rows (columns: answer, question); map it with `columns: {rewrite: answer}`")
    from finetune.preflight import preflight

    preflight(load_recipe(path, ["data.train.0.columns={query: question, rewrite: answer}"]))


def test_lm_eval_task_names_are_checked_against_lm_eval(tmp_path, data_file):
    _, message = refused(tmp_path, base(data_file, "eval:\n  tasks: [searchtune_qr_sample, hellaswg]\n"))
    assert "`eval.tasks.1`: unknown eval task `hellaswg`, did you mean `hellaswag`?" in message


def test_validate_runs_the_preflight(tmp_path, data_file, cli):
    path = write(tmp_path, base(data_file, "eval:\n  tasks: [searchtune_qr_smaple]\n"))
    r = cli("validate", str(path))
    assert r.returncode == 2 and r.stderr.startswith(f"searchtune: error: {path}:7: `eval.tasks.0`: unknown eval task")


# -- references to other keys (defect 7) -------------------------------------------------------------------------


def test_references_to_other_keys_resolve_after_overrides(tmp_path, data_file):
    path = write(tmp_path, base(data_file).replace("output_dir: out", "output_dir: runs/${data.task}-${model.name}"))
    assert load_recipe(path).output_dir == "runs/query_rewrite-smollm2-135m-instruct"  # model.name: its default
    assert load_recipe(path, ["model.name=tiny"]).output_dir == "runs/query_rewrite-tiny"
    nested = write(tmp_path, base(data_file, "logging:\n  run_name: ${output_dir}-r${lora.r}\n"), "n.yaml")
    assert load_recipe(nested, ["output_dir=runs/${train.seed}"]).logging.run_name == "runs/42-r16"


@pytest.mark.parametrize("value, expected", [
    ("runs/${model.nme}", "`output_dir`: `${model.nme}` names no recipe key, did you mean `model.name`?"),
    ("runs/${modle.name}", "`output_dir`: `${modle.name}` names no recipe key, did you mean `model`?"),
    ("runs/${model}", "`output_dir`: `${model}` is a section, not a value; reference one of its keys"),
    ("${output_dir}", "`output_dir`: circular reference (output_dir -> output_dir); break the cycle with a plain value"),
    ("runs/${a b}", "`output_dir`: cannot resolve `${a b}`; write ${section.key} for another recipe key or "
     "${oc.env:VAR,default} for the environment"),
])
def test_unresolvable_references_are_refused(tmp_path, data_file, value, expected):
    path = write(tmp_path, base(data_file).replace("output_dir: out", f"output_dir: '{value}'"))
    with pytest.raises(UserError) as e:
        load_recipe(path)
    assert str(e.value) == f"{path}:5: {expected}"


# -- the README (defect 8) ---------------------------------------------------------------------------------------


def test_readme_recipe_snippet_is_the_shipped_file():
    readme = (REPO / "README.md").read_text()
    name = "recipes/query_rewrite/smollm2-135m-lora.yaml"
    block = readme.split(f"```yaml\n# searchtune train {name}\n", 1)[1].split("```\n", 1)[0]
    assert f"# searchtune train {name}\n" + block == (REPO / name).read_text()


def test_train_and_the_workflow_run_the_preflight(tmp_path, data_file, capsys):
    from finetune import workflow
    from finetune.cli import main

    path = write(tmp_path, base(data_file, "eval:\n  tasks: [searchtune_qr_smaple]\n"))
    expected = f"searchtune: error: {path}:7: `eval.tasks.0`: unknown eval task `searchtune_qr_smaple`"
    assert main(["train", str(path)]) == 2
    assert capsys.readouterr().err.startswith(expected)
    assert workflow.main([str(path)]) == 2  # what `accelerate launch -m finetune.workflow` runs
    assert capsys.readouterr().err.startswith(expected)


def test_eval_decoding_is_validated_with_the_key_and_the_fix(tmp_path, data_file):
    recipe = load_recipe(write(tmp_path, base(data_file, "eval:\n  decoding:\n    num_beams: 4\n    length_penalty: 0.8\n")),
                         check_files=False)
    assert recipe.eval.decoding.changes() == {"num_beams": 4, "length_penalty": 0.8}
    assert load_recipe(write(tmp_path, base(data_file)), check_files=False).eval.decoding.changes() == {}
    for extra, message in (("    length_penalty: 2.0\n", "applies to beam search only"),
                           ("    min_new_tokens: 9\n    max_new_tokens: 4\n", "exceeds max_new_tokens=4"),
                           ("    num_beams: 0\n", "num_beams")):
        with pytest.raises(UserError, match=message):
            load_recipe(write(tmp_path, base(data_file, "eval:\n  decoding:\n" + extra)), check_files=False)


def test_length_bucket_needs_summarize_and_an_eval_target(tmp_path, data_file):
    from finetune.core.prompts import eval_length

    summ = tmp_path / "s.jsonl"
    summ.write_text(json.dumps({"document": "d", "summary": "s"}) + "\n")
    text = f"data:\n  task: summarize\n  length_bucket: 5\n  train:\n    path: {summ}\noutput_dir: out\n"
    recipe = load_recipe(write(tmp_path, text + "eval:\n  tasks: [searchtune_sum_sample]\n  length_words: 22\n"),
                         check_files=False)
    assert eval_length(recipe.data, recipe.eval) == 20
    with pytest.raises(UserError, match="length_words`: data.length_bucket trains with a length target"):
        load_recipe(write(tmp_path, text + "eval:\n  tasks: [searchtune_sum_sample]\n"), check_files=False)
    with pytest.raises(UserError, match="length_bucket`: length targets are for data.task=summarize"):
        load_recipe(write(tmp_path, base(data_file, "").replace("  train:", "  length_bucket: 5\n  train:")),
                    check_files=False)
    with pytest.raises(UserError, match="length_words`: the model trains without a length target"):
        load_recipe(write(tmp_path, base(data_file, "eval:\n  length_words: 20\n")), check_files=False)
