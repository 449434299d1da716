"""Fuzzing the recipe loader and the data loaders with hypothesis.

Every input must end in a valid load or a UserError whose message is one short line per problem: never a
traceback, never another exception type. Cases run in-process (the loaders are pure Python), and so does the CLI
check that the inputs that once broke the loader exit with code 2 and one error line.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from finetune.training import data
from finetune.core.errors import UserError
from finetune.core.recipe import load_recipe

CASES: Counter = Counter()
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), database=None)
MAX_LINE = 600  # one problem, one readable line: keys and values are cut short in messages
MIN_CASES = 200  # of FUZZ's 250 examples: a strategy that stops generating early is a strategy that stopped fuzzing


def volume(kind: str):
    """Fail the test unless it ran at least MIN_CASES cases of `kind` itself: no other test's cases count, so the
    check holds whichever tests run, in any order, alone or under -k."""
    def wrap(test):
        @functools.wraps(test)
        def counted(*args, **kwargs):
            before = CASES[kind]
            test(*args, **kwargs)
            ran = CASES[kind] - before
            print(f"\nfuzz cases of {kind}: {ran}")
            assert ran >= MIN_CASES, f"{kind}: only {ran} cases ran, expected at least {MIN_CASES}"
        return counted
    return wrap

QR = {"history": ["who runs project atlas?", "Priya runs it."], "query": "when does it ship?",
      "rewrite": "when does project atlas ship?"}
SUM = {"document": "The q3 offsite moves to Lisbon; budget is approved.", "query": None, "summary": "Offsite in Lisbon."}


def assert_clean_failure(error: UserError) -> None:
    message = str(error)
    assert message.strip(), "empty error message"
    for line in message.splitlines():
        assert line.strip() and len(line) <= MAX_LINE, f"unreadable error line ({len(line)} chars): {line[:200]!r}"
    assert "Traceback" not in message and error.code == 2


# -- recipes -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "d.jsonl").write_text(json.dumps(QR) + "\n")
    return root


def base_recipe(root: Path) -> str:
    return (f"model: {{name: smollm2-135m-instruct}}\nlora: {{r: 8, alpha: 16}}\n"
            f"data:\n  task: query_rewrite\n  train:\n    - path: {root / 'd.jsonl'}\n      weight: 1.0\n"
            "  eval_fraction: 0.1\ntrain: {max_steps: 10, learning_rate: 0.0002, save_steps: 5}\n"
            "logging: {mode: offline, run_name: fuzz}\nhub: {push: none}\noutput_dir: runs/fuzz\n")


def numbers(tree):
    if isinstance(tree, dict):
        for v in tree.values():
            yield from numbers(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from numbers(v)
    elif isinstance(tree, float):
        yield tree


def check_recipe(path: Path, overrides=(), kind="recipe") -> None:
    """A valid load is a usable recipe (finite numbers, its sources resolvable); anything else is a clean UserError."""
    CASES[kind] += 1
    try:
        recipe = load_recipe(path, list(overrides))
    except UserError as e:
        assert_clean_failure(e)
        return
    assert all(math.isfinite(x) for x in numbers(recipe.model_dump())), "a NaN or infinite setting was accepted"
    for src in recipe.data.train:
        recipe.source_path(src)


def write(root: Path, content: str | bytes, name="r.yaml") -> Path:
    path = root / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


@volume("recipe: random text")
@FUZZ
@given(text=st.text())
@example(text="")
@example(text="a: &a [*a]")
@example(text="[" * 5000 + "]" * 5000)
@example(text="data: !!python/object/apply:os.system ['echo pwned']")
@example(text="---\ndata: 1\n---\ndata: 2\n")
def test_random_text_recipes(scratch, text):
    check_recipe(write(scratch, text), kind="recipe: random text")


@volume("recipe: random bytes")
@FUZZ
@given(raw=st.binary(max_size=2000))
@example(raw=b"\xff\xfe" + "data: {}\n".encode("utf-16-le"))
@example(raw="output_dir: caf\xe9\n".encode("latin-1"))
@example(raw=b"\x00" * 64)
def test_random_byte_recipes(scratch, raw):
    check_recipe(write(scratch, raw), kind="recipe: random bytes")


@volume("recipe: mutated")
@FUZZ
@given(st.data())
def test_mutated_recipes(scratch, draw):
    text = base_recipe(scratch)
    for _ in range(draw.draw(st.integers(1, 6))):
        i = draw.draw(st.integers(0, len(text)))
        op = draw.draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        piece = draw.draw(st.sampled_from(["\n", " ", ":", "-", "[", "{", "}", "]", "'", '"', "&a", "*a", "!!", "#",
                                           "nan", ".inf", "1e999", "-1", "0", "null", "~", "..", "${oc.env:X}", "\t",
                                           "9" * 5000, "\x1b", "é", "\ud800"]))
        if op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + len(piece):]
        elif op == "replace":
            text = text[:i] + piece + text[i + 1:]
        else:
            j = draw.draw(st.integers(i, len(text)))
            text = text[:j] + text[i:j] + text[j:]
    check_recipe(write(scratch, text), kind="recipe: mutated")


scalars = (st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=40) | st.sampled_from(["x" * 100_000, "auto", "cosine", "all-linear", "sample:x.jsonl",
                                                    "hub:a/b", "../../etc", "~nobody/x", "${oc.env:HOME}"]))
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(["path", "weight", "columns", "limit", "r", "alpha", "epochs", "train", "eval", "name", "query",
                     "task", "push", "repo_id", "mode", "x"]) | st.text(max_size=10), inner, max_size=4), max_leaves=12)
KEYS = ["model.name", "model.dtype", "model.trust_remote_code", "lora.r", "lora.alpha", "lora.dropout",
        "lora.target_modules", "data.task", "data.root", "data.train", "data.train.0", "data.train.0.path",
        "data.train.0.weight", "data.train.0.columns", "data.train.0.limit", "data.eval", "data.eval_fraction",
        "data.max_length", "data.limit", "data.seed", "train.epochs", "train.max_steps", "train.learning_rate",
        "train.warmup_ratio", "train.max_grad_norm", "train.weight_decay", "train.save_steps", "train.watchdog",
        "train.watchdog.spike_factor", "eval.tasks", "eval.batch_size", "logging.run_name", "logging.project",
        "hub.repo_id", "hub.push", "output_dir", "data", "train", "x.y.z"]


@volume("recipe: random values")
@FUZZ
@given(key=st.sampled_from(KEYS), value=trees)
@example(key="data.train.0.weight", value=math.inf)
@example(key="data.root", value="~nobody-here/data")
@example(key="data.train.0.path", value="9" * 5000)
def test_recipes_with_random_values(scratch, key, value):
    tree = yaml.safe_load(base_recipe(scratch))
    node, parts = tree, key.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if not isinstance(node, (dict, list)):
            return
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value
    check_recipe(write(scratch, yaml.safe_dump(tree, allow_unicode=True)), kind="recipe: random values")


@volume("recipe: overrides")
@FUZZ
@given(key=st.sampled_from(KEYS) | st.text(max_size=20), value=st.text(max_size=60) | st.sampled_from(
    ["nan", ".nan", ".inf", "-.inf", "1e400", "[", "{a: 1}", "[1, [2, [3]]]", "!!binary aGk=", "&a [*a]", "",
     "'" + "9" * 5000 + "'", "9" * 5000]))
def test_overrides(scratch, key, value):
    check_recipe(write(scratch, base_recipe(scratch)), [f"{key}={value}"], kind="recipe: overrides")


def test_recipe_cli_exit_code_2_without_traceback(tmp_path, capsys):
    """The CLI's `validate` on inputs that broke the loader before its fixes."""
    from finetune.cli import main

    cases = {"alias-bomb.yaml": "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
        + "data: *i\noutput_dir: x\n",
        "deep.yaml": "[" * 5000 + "]" * 5000 + "\n", "nan-weight.yaml": base_recipe(tmp_path).replace("weight: 1.0", "weight: .inf"),
        "utf16.yaml": None}
    for name, text in cases.items():
        path = tmp_path / name
        if text is None:
            path.write_bytes(base_recipe(tmp_path).encode("utf-16"))
        else:
            path.write_text(text)
        code = main(["validate", str(path)])  # anything but a UserError propagates and fails the test
        err = capsys.readouterr().err
        assert code == 2, (name, err[-2000:])
        assert err.startswith("searchtune: error: ") and all(len(line) <= MAX_LINE for line in err.splitlines()), name


# -- data --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tok(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def data_recipe(root: Path, name: str, task="query_rewrite", on_bad_rows="error", fmt="auto"):
    path = root / f"{name}.yaml"
    path.write_text(f"data:\n  task: {task}\n  on_bad_rows: {on_bad_rows}\n  max_length: 256\n"
                    f"  train:\n    - path: {root / name}\n      format: {fmt}\noutput_dir: out\n")
    return load_recipe(path, check_files=False)


def check_data(recipe, tok, kind: str) -> None:
    CASES[kind] += 1
    try:
        train, evals = data.load_records(recipe, data.DataStats())
        for rec in train + evals:  # the generators never write these strings: they could only come from NaN/Infinity
            texts = [v for v in rec.values() if isinstance(v, str)] + list(rec.get("history") or [])
            assert not {"nan", "inf", "-inf"} & set(texts), f"a non-finite number became text: {rec}"
        rows = data._tokenize(train[:20], tok, recipe, data.DataStats())
        assert all(isinstance(r["input_ids"], list) for r in rows)
    except UserError as e:
        assert_clean_failure(e)
        assert "\n" not in str(e), "a data error is one line"


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-data")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
field_values = json_values | st.sampled_from([math.nan, math.inf, -math.inf, 10**30, "", "   ", ["a", "b"], [], ["a", 1]])


def record_strategy(template: dict):
    return st.fixed_dictionaries({k: (st.just(v) | field_values) for k, v in template.items()},
                                 optional={"extra": json_values})


@volume("data: jsonl bytes")
@FUZZ
@given(raw=st.binary(max_size=3000), skip=st.booleans())
@example(raw=b"", skip=False)
@example(raw=b"\n\n  \n", skip=True)
@example(raw=b'{"query": "\\ud800", "rewrite": "x"}\n', skip=False)
@example(raw=b'{"query": 1' + b"1" * 5000 + b', "rewrite": "x"}\n', skip=False)
@example(raw=b"[" * 100_000 + b"]" * 100_000 + b"\n", skip=False)
@example(raw=b'{"query": NaN, "rewrite": Infinity}\n', skip=True)
def test_random_jsonl_bytes(data_root, tok, raw, skip):
    (data_root / "r.jsonl").write_bytes(raw)
    check_data(data_recipe(data_root, "r.jsonl", on_bad_rows="skip" if skip else "error"), tok, "data: jsonl bytes")


@volume("data: jsonl records")
@FUZZ
@given(rows=st.lists(record_strategy(QR) | json_values, max_size=6), skip=st.booleans(), crlf=st.booleans(),
       bom=st.booleans())
def test_random_jsonl_records(data_root, tok, rows, skip, crlf, bom):
    text = ("\r\n" if crlf else "\n").join(json.dumps(r) for r in rows)
    (data_root / "q.jsonl").write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass"))
    check_data(data_recipe(data_root, "q.jsonl", on_bad_rows="skip" if skip else "error"), tok, "data: jsonl records")


@volume("data: json")
@FUZZ
@given(doc=st.lists(record_strategy(SUM), max_size=5) | json_values, skip=st.booleans())
def test_random_json_documents(data_root, tok, doc, skip):
    (data_root / "s.json").write_text(json.dumps(doc))
    check_data(data_recipe(data_root, "s.json", "summarize", "skip" if skip else "error"), tok, "data: json")


@volume("data: csv")
@FUZZ
@given(cells=st.lists(st.lists(st.text(max_size=20), min_size=0, max_size=4), max_size=6), skip=st.booleans(),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
def test_random_csv(data_root, tok, cells, skip, encoding):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["document", "summary"])
    writer.writerows(cells)
    (data_root / "c.csv").write_bytes(buf.getvalue().encode(encoding, "replace"))
    check_data(data_recipe(data_root, "c.csv", "summarize", "skip" if skip else "error"), tok, "data: csv")


@pytest.mark.parametrize("task, field", [("query_rewrite", "query"), ("query_rewrite", "history"),
                                         ("query_rewrite", "rewrite"), ("summarize", "document"),
                                         ("summarize", "query"), ("summarize", "summary")])
def test_a_10_mb_field_is_cut_or_dropped_quickly(tmp_path, tok, monkeypatch, task, field):
    """Each field at 10 MB: the documented cut (context fields) or a drop counted as too long (targets)."""
    monkeypatch.setenv("SEARCHTUNE_CACHE", str(tmp_path / "cache"))
    row = dict(QR if task == "query_rewrite" else SUM)
    big = "word " * 2_000_000
    row[field] = [big[:1000]] * 10_000 if field == "history" else big
    (tmp_path / "big.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(QR if task == "query_rewrite" else SUM) + "\n")
    recipe = data_recipe(tmp_path, "big.jsonl", task)
    train, _, stats = data.build_datasets(recipe, tok)
    assert all(len(ids) <= 256 for ids in train["input_ids"])
    assert stats.truncated + stats.dropped_too_long >= 1
