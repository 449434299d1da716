"""Training data: read sources, map columns, check rows, mix, split, tokenize (cached).

Tokenized datasets are cached under the user cache, keyed on the source files' content, the prompt template,
the tokenizer and every data setting, so a second run of the same recipe skips tokenization entirely.
"""

from __future__ import annotations

import difflib
import hashlib
import inspect
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from finetune.core import io, locate, prompts
from finetune.core.datafiles import clean_field, read_file
from finetune.core.errors import UserError
from finetune.core.paths import cache_dir
from finetune.core.recipe import Recipe, Source

# Characters kept of a context field (the document, or the history's newest turns) before tokenization: far beyond
# any max_length, so only pathological inputs (a 10 MB field) are cut here; the token-level cut in prompts.encode does
# the real fitting. A query or target longer than this cannot fit at all: its row is dropped as too long untokenized.
MAX_FIELD_CHARS = 200_000


@dataclass
class DataStats:
    sources: list[dict] = field(default_factory=list)
    train_rows: int = 0
    eval_rows: int = 0
    bad_rows_skipped: int = 0
    truncated: int = 0
    dropped_too_long: int = 0
    train_tokens: int = 0
    completion_tokens: int = 0
    cache_key: str = ""
    cache_hit: bool = False


def _read_hub(source: Source) -> list[tuple[int, object]]:
    repo = source.path[len("hub:"):]
    try:
        import datasets

        ds = datasets.load_dataset(repo, split=source.split)
    except Exception as e:
        reason = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise UserError(
            f"data source hub:{repo}: cannot load from the Hub ({reason}); download it where the Hub is reachable "
            "and point the source's path at the local file"
        ) from None
    return [(i + 1, row) for i, row in enumerate(ds)]


def _newest_turns(history: list[str]) -> list[str]:
    """The newest turns within MAX_FIELD_CHARS in all (a single longer turn is cut at its end)."""
    kept, total = [], 0
    for turn in reversed(history):
        if total + len(turn) > MAX_FIELD_CHARS:
            if not kept:
                kept.append(turn[:MAX_FIELD_CHARS])
            break
        kept.append(turn)
        total += len(turn)
    return kept[::-1]


LIST_FIELDS = ("history", "responses")


def _problem(rec: dict, source: Source, where: str, task: str) -> str | None:
    """Why a mapped record cannot train, or None."""
    target, first = prompts.TARGET_FIELD[task], prompts.REQUIRED_FIELDS[task][0]
    if not rec[target] or not rec[target].strip():
        return f"empty target `{source.columns.get(target, target)}`"
    if not (rec[first] or "").strip():
        return f"empty `{source.columns.get(first, first)}`"
    responses, history = rec.get("responses") or [], rec.get("history") or []
    if len(responses) > len(history):
        return (f"`{source.columns.get('responses', 'responses')}` has {len(responses)} responses for {len(history)} "
                f"turns of `{source.columns.get('history', 'history')}`; each response answers one earlier turn")
    if source.topics != "all" and prompts.topic_number(rec.get("qid")) is None:
        return (f"`{source.columns.get('qid', 'qid')}` is {rec.get('qid')!r}: {where}.topics={source.topics} needs a "
                "topic number before its first `_` (as in `81_2`)")
    return None


def _located(rows, recipe: Recipe, label: str) -> list[tuple[str, dict]]:
    """Meeting rows as one summarize row per query (`LINE.QUERY`), located as the eval locates them."""
    budget = locate.budget_words(recipe.data.max_length, recipe.data.max_target_length)
    out = []
    for lineno, row in rows:
        if not isinstance(row, dict) or "meeting_transcripts" not in row:
            raise UserError(f"{label}:{lineno}: data.locate reads meetings (QMSum's layout) but this row has no "
                            "`meeting_transcripts`; point the source at a meetings file or remove data.locate")
        located = locate.records(row, budget, **recipe.data.locate.model_dump())
        out += [(f"{lineno}.{i}", {k: rec[k] for k in ("document", "query", "summary")})
                for i, rec in enumerate(located)]
    return out


def _records(recipe: Recipe, source: Source, where: str, stats: DataStats) -> list[dict]:
    task = recipe.data.task
    path = recipe.source_path(source)
    if path is None:
        rows, label = _read_hub(source), source.path
    else:
        rows, label = read_file(path, source.format), str(path)
    if recipe.data.locate is not None:
        rows = _located(rows, recipe, label)
    fields = prompts.REQUIRED_FIELDS[task] + prompts.OPTIONAL_FIELDS[task]
    words = prompts.response_budget(recipe.data)
    out, skipped, too_long, off_topic = [], 0, 0, 0
    for lineno, row in rows:
        reason = None
        if not isinstance(row, dict):
            reason = f"record is a {type(row).__name__}, not an object"
        else:
            rec = {}
            for name in fields:
                column = source.columns.get(name, name)
                if name in prompts.REQUIRED_FIELDS[task] and column not in row:
                    reason = f"missing field `{column}`" + (f" (mapped from `{name}`)" if column != name else "")
                    break
                value = row.get(column)
                if name == "responses" and isinstance(value, list):
                    value = ["" if v is None else v for v in value]  # a turn the system did not answer
                kind = "list" if name in LIST_FIELDS else "target" if name == prompts.TARGET_FIELD[task] else "text"
                value, reason = clean_field(value, column, kind)
                if reason:
                    break
                rec[name] = value
            if not reason:
                reason = _problem(rec, source, where, task)
        if reason:
            if recipe.data.on_bad_rows == "error":
                raise UserError(f"{label}:{lineno}: {reason}; fix the row, map the column in {where}.columns, or set data.on_bad_rows=skip")
            skipped += 1
            continue
        if not prompts.in_topics(rec.get("qid"), source.topics):
            off_topic += 1
            continue
        rec = prompts.with_responses(rec, words)
        if task == "summarize":
            rec = prompts.with_length(rec, recipe.data.length_bucket)
        ctx = prompts.CONTEXT_FIELD[task]
        if any(len(v) > MAX_FIELD_CHARS for k, v in rec.items() if k != ctx and isinstance(v, str)):
            too_long += 1
            continue
        if isinstance(rec.get(ctx), str) and len(rec[ctx]) > MAX_FIELD_CHARS:
            rec[ctx] = rec[ctx][:MAX_FIELD_CHARS]
        elif isinstance(rec.get(ctx), list):
            rec[ctx] = _newest_turns(rec[ctx])
        rec["instruction"] = source.instruction or recipe.data.instruction
        out.append(rec)
    if not out:
        topics = f", {off_topic} of other topics than {where}.topics={source.topics}" if source.topics != "all" else ""
        raise UserError(f"{label}: no usable rows ({skipped} bad, {too_long} too long{topics}); check {where}.columns "
                        "against the file's fields")
    stats.bad_rows_skipped += skipped
    stats.dropped_too_long += too_long
    stats.sources.append({
        "path": source.path, "resolved": label, "sha256": io.file_sha256(path) if path else None,
        "rows": len(rows), "used_rows": len(out), "bad_rows_skipped": skipped,
        **({"topics": source.topics, "other_topic_rows": off_topic} if source.topics != "all" else {}),
    })
    return out


# Rows of each local source that `check_columns` reads: enough to tell a wrong column mapping from a few bad rows.
HEAD_ROWS = 5


def check_columns(recipe: Recipe) -> list[str]:
    """Problems (one line each) where a local source's first rows lack a column the task needs, under the recipe's
    column mapping: found in a second, before a model loads, instead of at the first bad row after it has."""
    task = recipe.data.task
    problems = []
    sources = [(f"data.train.{i}", s) for i, s in enumerate(recipe.data.train)]
    sources += [("data.eval", recipe.data.eval)] if recipe.data.eval else []
    for key, source in sources:
        path = recipe.source_path(source)
        if path is None:
            continue
        rows = [row for _, row in read_file(path, source.format, HEAD_ROWS) if isinstance(row, dict)]
        if not rows:
            continue
        present = sorted({column for row in rows for column in row})
        if recipe.data.locate is not None:  # meetings, whose queries become the records
            if "meeting_transcripts" not in present:
                problems.append(f"{recipe.where(key + '.path')}: `{key}`: {path} has no column `meeting_transcripts` in "
                                f"its first {len(rows)} rows (columns: {', '.join(present)[:200]}); data.locate reads "
                                "meetings in QMSum's layout")
            continue
        for name in prompts.REQUIRED_FIELDS[task] + (("qid",) if source.topics != "all" else ()):
            column = source.columns.get(name, name)
            if any(column in row for row in rows):
                continue
            mapped = f" (mapped from `{name}`)" if column != name else ""
            # Suggest the column that looks like it, else the one column no field uses yet.
            unused = [c for c in present if c not in {source.columns.get(f, f) for f in prompts.REQUIRED_FIELDS[task]
                                                        + prompts.OPTIONAL_FIELDS[task]}]
            close = difflib.get_close_matches(column, unused, n=1, cutoff=0.5) or (unused if len(unused) == 1 else [])
            problems.append(
                f"{recipe.where(key + '.path')}: `{key}`: {path} has no column `{column}`{mapped} for task {task} in its "
                f"first {len(rows)} rows (columns: {', '.join(present)[:200]}); map it with "
                f"`columns: {{{name}: {close[0] if close else 'COLUMN'}}}`"
            )
    return problems


def _mix(parts: list[list[dict]], weights: list[float], total: int, rng: random.Random) -> list[dict]:
    """Take each source's weighted share of `total` rows, cycling a small source when its share is larger."""
    mixed = []
    for rows, weight in zip(parts, weights):
        n = round(total * weight / sum(weights))
        mixed += [rows[i % len(rows)] for i in range(n)]
    rng.shuffle(mixed)
    return mixed


def load_records(recipe: Recipe, stats: DataStats) -> tuple[list[dict], list[dict]]:
    """(train, eval) records after mapping, checking, topic filters, mixing, limits and splitting, each in the form
    its prompt renders (finetune.core.prompts.with_responses applied)."""
    data = recipe.data
    rng = random.Random(data.seed)
    parts = []
    for i, src in enumerate(data.train):
        rows = _records(recipe, src, f"data.train.{i}", stats)
        rng.shuffle(rows)
        parts.append(rows[: src.limit] if src.limit else rows)
    if len(parts) == 1:
        train = parts[0]
    else:
        weights = [s.weight for s in data.train]
        train = _mix(parts, weights, sum(len(p) for p in parts), rng)
    evals: list[dict] = []
    if data.eval is not None:
        evals = _records(recipe, data.eval, "data.eval", stats)
    elif data.eval_fraction:
        n_eval = max(1, round(len(train) * data.eval_fraction))
        evals, train = train[:n_eval], train[n_eval:]
    if data.limit:
        train = train[: data.limit]
    if data.responses == "include" and not any(r.get("responses") for r in train):
        raise UserError(f"{recipe.where('data.responses')}: data.responses=include but no training row has earlier "
                        "responses; map a source's column with `columns: {responses: COLUMN}` (CAsT 2021/2022: "
                        "history_responses) or set data.responses=none")
    return train, evals


def training_records(recipe: Recipe) -> list[dict]:
    """The training half of load_records: what a retrieval-trained method samples rewrites for (each with its `qid`
    where the source maps one)."""
    return load_records(recipe, DataStats())[0]


def tokenizer_fingerprint(tokenizer) -> str:
    vocab = json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False)
    extra = f"{tokenizer.chat_template}|{tokenizer.eos_token}|{tokenizer.bos_token}|{type(tokenizer).__name__}"
    return hashlib.sha256((vocab + extra).encode()).hexdigest()


def cache_key(recipe: Recipe, tokenizer, source_hashes: list[str | None]) -> str:
    # The prompt code itself is part of the key: changing the template must invalidate every cache.
    template = inspect.getsource(prompts) + inspect.getsource(locate)
    payload = json.dumps({
        "data": recipe.data.model_dump(mode="json"), "sources": source_hashes,
        "template": hashlib.sha256(template.encode()).hexdigest(), "tokenizer": tokenizer_fingerprint(tokenizer),
        "version": 3,  # 3: rows carry their qid
    }, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _source_hashes(recipe: Recipe) -> list[str | None]:
    out = []
    for src in recipe.data.train + ([recipe.data.eval] if recipe.data.eval else []):
        path = recipe.source_path(src)
        out.append(io.file_sha256(path) if path else src.path)
    return out


def encode_row(rec: dict, tokenizer, recipe: Recipe) -> tuple[prompts.Encoded | None, str | None]:
    """The training encoding of one record, or (None, why it is dropped). `searchtune preview` shows the same."""
    data = recipe.data
    target_tokens = len(tokenizer(rec[prompts.TARGET_FIELD[data.task]], add_special_tokens=False)["input_ids"])
    if target_tokens >= data.max_target_length:
        return None, f"target has {target_tokens} tokens, data.max_target_length is {data.max_target_length}"
    enc = prompts.encode(tokenizer, data.task, rec, data.max_length, rec.get("instruction"))
    if enc is None:
        return None, f"the prompt does not fit data.max_length={data.max_length} even with its context cut"
    return enc, None


def _tokenize(records: list[dict], tokenizer, recipe: Recipe, stats: DataStats) -> list[dict]:
    out = []
    for rec in records:
        enc, _ = encode_row(rec, tokenizer, recipe)
        if enc is None:
            stats.dropped_too_long += 1
            continue
        stats.truncated += enc.truncated
        row = {"input_ids": enc.input_ids, "completion_mask": enc.completion_mask}
        if recipe.data.task == "query_rewrite":
            # Retrieval-trained methods judge each row by its turn id; SFTTrainer drops the column before batching.
            row["qid"] = rec.get("qid")
        out.append(row)
    return out


def build_datasets(recipe: Recipe, tokenizer):
    """Tokenized (train, eval or None) `datasets.Dataset`s with input_ids + completion_mask (+ qid for
    query_rewrite, None where a source maps none), and DataStats."""
    import datasets

    stats = DataStats()
    key = cache_key(recipe, tokenizer, _source_hashes(recipe))
    folder = cache_dir() / "tokenized" / key
    stats.cache_key = key
    if (folder / "stats.json").is_file():
        saved = json.loads((folder / "stats.json").read_text())
        stats = DataStats(**saved)
        stats.cache_hit = True
        train = datasets.load_from_disk(str(folder / "train"))
        evals = datasets.load_from_disk(str(folder / "eval")) if (folder / "eval").exists() else None
        return train, evals, stats
    train_recs, eval_recs = load_records(recipe, stats)
    train_rows = _tokenize(train_recs, tokenizer, recipe, stats)
    eval_rows = _tokenize(eval_recs, tokenizer, recipe, stats) if eval_recs else []
    if not train_rows:
        raise UserError(f"data: every training row is longer than data.max_length={recipe.data.max_length}; raise it")
    stats.train_rows, stats.eval_rows = len(train_rows), len(eval_rows)
    stats.train_tokens = sum(len(r["input_ids"]) for r in train_rows)
    stats.completion_tokens = sum(sum(r["completion_mask"]) for r in train_rows)
    train = datasets.Dataset.from_list(train_rows)
    evals = datasets.Dataset.from_list(eval_rows) if eval_rows else None
    _save_cache(folder, train, evals, stats)
    return train, evals, stats


def _save_cache(folder: Path, train, evals, stats: DataStats) -> None:
    try:
        with io.staged_dir(folder, keep_existing=True) as tmp:
            train.save_to_disk(str(tmp / "train"))
            if evals is not None:
                evals.save_to_disk(str(tmp / "eval"))
            io.write_json(tmp / "stats.json", asdict(stats))
    except OSError:
        pass  # another process (a second rank, a parallel run) renamed the same cache into place first: theirs is identical
