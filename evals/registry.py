"""The searchtune eval tasks and their data sources: one entry per dataset, read by the lm-eval task files
(evals/tasks/utils.py) and by the pipeline alike.

Adding a dataset: one `Source` entry in SOURCES (its normalizer beside it), one task YAML under
evals/tasks/<family>/, and one recipe.

Data files: a source's file is, in order, the `--data KEY=PATH` override (lm-eval's metadata["searchtune_data"]),
else its default path under $SEARCHTUNE_DATA_ROOT (default: <repo>/../shared/data), or the bundled sample file.

Retrieval sources (`judged`) are data, not code: a conversations file read through a column mapping
(finetune.core.retrieval.load_conversations), and a judged collection, a corpus and its qrels, each with its own
mapping. Their files are `--data KEY=PATH` (conversations), `PREFIX_corpus=PATH`, `PREFIX_qrels=PATH`, and any
mapping can be replaced with `KEY_columns=FIELD:COLUMN,...`, `PREFIX_corpus_columns=...`, `PREFIX_qrels_columns=...`
(PREFIX: the collection's name, shared by the tasks that search it). The task YAML's `dataset_kwargs.retrieval`
holds the retriever settings (evals.benchmark).

Every doc is normalized to one shape per task type, so prompts and metrics do not care where a row came from:
  query_rewrite: {"source", "id", "instruction", "history": [str], "query": str, "references": [str],
                  "qid", "responses", "retrieval"}  (the last three for retrieval sources; references may be empty)
  summarize:     {"source", "id", "instruction", "document": str, "query": str | None, "references": [str]}

Aggregations: the task YAMLs name them (`aggregation: searchtune_mean`); `register_aggregations` registers them
with lm-eval under those names, and `bootstrap_aggregate` maps any registered name to the evals.metrics aggregate
its confidence interval uses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, NamedTuple

from finetune.core.datafiles import read_file
from finetune.core.errors import UserError
from finetune.core.paths import SAMPLE_DATA, data_root, eval_tasks
from finetune.core.prompts import in_topics, topic_number

TASKS_DIR = eval_tasks()


def task_names() -> list[str]:
    """The searchtune task names: one YAML file each under evals/tasks/<family>/ (files named `_*` are shared)."""
    return sorted(p.stem for p in TASKS_DIR.rglob("*.yaml") if not p.name.startswith("_"))


# ------------------------------------------------------------------------------------------ normalizers


def _texts(value, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise ValueError(f"`{what}` must be a string or a non-empty list of strings")


def _qr_sample(row: dict) -> dict:
    return {"history": row.get("history") or [], "query": row["query"], "references": [row["rewrite"]]}


def _canard(row: dict) -> dict:
    return {"history": row["history"], "query": row["question"], "references": [row["rewrite"]]}


def _disflqa(row: dict) -> dict:
    # A spoken question with a self-correction and no conversation: the rewrite removes the disfluency.
    return {"history": [], "query": row["disfluent"], "references": [row["original"]]}


def _sum_sample(row: dict) -> dict:
    return {"document": row["document"], "query": row.get("query") or None, "references": [row["summary"]]}


def _dialogsum(row: dict) -> dict:
    # dev/train rows carry one `summary`; test rows carry three `summaries`.
    refs = row["summaries"] if "summaries" in row else row["summary"]
    return {"document": row["dialogue"], "query": None, "references": _texts(refs, "summaries")}


def _aeslc(row: dict) -> dict:
    return {"document": row["email_body"], "query": None, "references": _texts(row["annotated_subjects"], "annotated_subjects")}


def _qmsum(row: dict) -> dict:
    return {"meeting": row, "document": "", "query": None, "references": []}


def _scitldr(row: dict) -> dict:
    return {"document": " ".join(_texts(row["source"], "source")), "query": None, "references": _texts(row["target"], "target")}


# ------------------------------------------------------------------------------------------- sources

AESLC_INSTRUCTION = "Write the subject line of the following email. Reply with the subject line only."
QMSUM_INSTRUCTION = (
    "Answer the query from the following excerpts of a meeting transcript in a few sentences. "
    "Reply with the answer only."
)
SCITLDR_INSTRUCTION = (
    "Summarize the following scientific abstract in one sentence (a TLDR). Reply with the sentence only."
)


class Judged(NamedTuple):
    """A judged collection: a corpus and its qrels, each a bundled Path or a path under the data root."""

    prefix: str  # its data keys: PREFIX_corpus, PREFIX_qrels, PREFIX_corpus_columns, PREFIX_qrels_columns
    corpus: Path | str
    qrels: Path | str
    corpus_columns: dict = {}
    qrels_columns: dict = {}


# A NamedTuple, not a dataclass: it is cheap and immutable, and its fields read as a table below.
class Source(NamedTuple):
    task: str  # the lm-eval task name, for error messages
    kind: str  # finetune.core.prompts task type
    # The bundled sample file (a Path), or a path relative to data_root() whose first part is the dataset's folder,
    # where its training file lives too: a recipe trained on that folder is evaluated with its instruction.
    default: Path | str
    required: tuple[str, ...]
    convert: Callable[[dict], dict]
    instruction: str | None = None  # the task's own default; None: finetune.core.prompts.DEFAULT_INSTRUCTIONS
    # Alternatives: a row passes when it has at least one field of each tuple.
    any_of: tuple[tuple[str, ...], ...] = ()
    # Keep only turns of odd or even topic numbers (finetune.core.prompts.in_topics): the reported side of the fixed
    # CAsT split, which retrieval-trained recipes must not train on.
    topics: str = "all"
    # Retrieval sources: the conversation column mapping (fields of finetune.core.retrieval.load_conversations) and
    # the judged collection searched with each rewrite.
    columns: dict | None = None
    judged: Judged | None = None
    # Other tasks over the same data (e.g. `_multi`: several rewrites fused at retrieval time; `_expand`: each
    # rewrite searched with a generated expansion).
    variants: tuple[str, ...] = ()
    # Rows are meetings with several queries each (QMSum): evals.tasks.utils.load_dataset makes one located doc per
    # query (finetune.core.locate).
    meetings: bool = False

    @property
    def tasks(self) -> tuple[str, ...]:
        """Every task that reports this source's examples."""
        return (self.task, *self.variants)

    @property
    def bundled(self) -> bool:
        """The sample data shipped with the package (a recipe's `sample:` paths)."""
        return isinstance(self.default, Path)

    @property
    def folder(self) -> str | None:
        """The dataset's folder under the data root."""
        return None if self.bundled else Path(self.default).parts[0]


# TREC CAsT (2020 here; 2021/2022 files add history_responses) and the mini collection of its judged passages.
CAST_COLUMNS = {"query": "raw_utterance", "history": "history_utterances", "rewrite": "manual_rewrite",
                "responses": "history_responses"}
CAST_MINI = Judged("cast2020", "trec-cast/mini-collection/passages.jsonl", "trec-cast/mini-collection/judged_pairs.jsonl",
                   {"id": "passage_id"}, {"qid": "qid", "docid": "passage_id", "grade": "relevance"})
# The example set written for this project (evals/tasks/query_rewrite/example/): the walk-through's and the tests'.
EXAMPLE = TASKS_DIR / "query_rewrite" / "example"
EXAMPLE_JUDGED = Judged("retrieval", EXAMPLE / "corpus.jsonl", EXAMPLE / "qrels.txt")

SOURCES = {
    "qr_sample": Source("searchtune_qr_sample", "query_rewrite", SAMPLE_DATA / "query_rewrite_heldout.jsonl",
                        ("query", "rewrite"), _qr_sample),
    "canard": Source("searchtune_qr_canard", "query_rewrite", "canard/dev.jsonl",
                     ("history", "question", "rewrite"), _canard),
    "cast2020": Source("searchtune_qr_cast2020", "query_rewrite", "trec-cast/cast2020_eval.jsonl",
                       ("qid", "raw_utterance"), None, columns=CAST_COLUMNS, judged=CAST_MINI),
    "cast2020_even": Source("searchtune_qr_cast2020_even", "query_rewrite", "trec-cast/cast2020_eval.jsonl",
                            ("qid", "raw_utterance"), None, topics="even", columns=CAST_COLUMNS, judged=CAST_MINI,
                            variants=("searchtune_qr_cast2020_even_multi", "searchtune_qr_cast2020_even_expand")),
    "retrieval": Source("searchtune_qr_retrieval", "query_rewrite", EXAMPLE / "conversations.jsonl", ("qid", "query"),
                        None, columns={}, judged=EXAMPLE_JUDGED,
                        variants=("searchtune_qr_retrieval_multi", "searchtune_qr_retrieval_expand")),
    "disflqa": Source("searchtune_qr_disflqa", "query_rewrite", "disfl-qa/dev.jsonl", ("disfluent", "original"),
                      _disflqa),
    "sum_sample": Source("searchtune_sum_sample", "summarize", SAMPLE_DATA / "summarize_heldout.jsonl",
                         ("document", "summary"), _sum_sample),
    "dialogsum": Source("searchtune_sum_dialogsum", "summarize", "dialogsum/dev.jsonl", ("dialogue",), _dialogsum,
                        any_of=(("summary", "summaries"),)),
    "aeslc": Source("searchtune_sum_aeslc", "summarize", "aeslc/dev.jsonl", ("email_body", "annotated_subjects"),
                    _aeslc, AESLC_INSTRUCTION),
    "scitldr": Source("searchtune_sum_scitldr", "summarize", "scitldr/dev.jsonl", ("source", "target"), _scitldr,
                      SCITLDR_INSTRUCTION),
    "qmsum": Source("searchtune_sum_qmsum", "summarize", "qmsum/val.jsonl", ("meeting_transcripts",), _qmsum,
                    QMSUM_INSTRUCTION, any_of=(("specific_query_list", "general_query_list"),), meetings=True,
                    variants=("searchtune_sum_qmsum_first", "searchtune_sum_qmsum_gold")),
}
JUDGED = {src.judged.prefix: src.judged for src in SOURCES.values() if src.judged}
# Data keys that name a file, with its default; and those that replace a column mapping.
FILE_KEYS = {**{key: src.default for key, src in SOURCES.items()},
             **{f"{j.prefix}_{part}": getattr(j, part) for j in JUDGED.values() for part in ("corpus", "qrels")}}
COLUMN_KEYS = (*(f"{key}_columns" for key, src in SOURCES.items() if src.columns is not None),
               *(f"{p}_{part}_columns" for p in JUDGED for part in ("corpus", "qrels")))
DATA_KEYS = (*FILE_KEYS, *COLUMN_KEYS)


def override_hint(key: str) -> str:
    return f"pass --data {key}=PATH or set SEARCHTUNE_DATA_ROOT"


def resolve_path(key: str, overrides: dict | None = None) -> Path:
    """The file a data key points at; not checked for existence."""
    if overrides and overrides.get(key):
        return Path(overrides[key]).expanduser()
    default = FILE_KEYS[key]
    return default if isinstance(default, Path) else data_root() / default


def columns(key: str, default: dict, overrides: dict | None = None) -> dict:
    """A column mapping: `--data KEY=FIELD:COLUMN,...` where given, else `default`."""
    given = (overrides or {}).get(key)
    if not given:
        return dict(default)
    if isinstance(given, dict):
        return dict(given)
    out = {}
    for pair in str(given).split(","):
        field, sep, column = pair.partition(":")
        if not sep or not field.strip() or not column.strip():
            raise UserError(f"--data {key}={given}: use FIELD:COLUMN pairs separated by commas, e.g. "
                            f"{key}=query:question,history:context")
        out[field.strip()] = column.strip()
    return out


def _conversation_docs(key: str, path: Path, overrides: dict | None) -> list[dict]:
    """A retrieval source's turns in the query_rewrite doc shape (references: the reference rewrite, if any)."""
    from finetune.core.retrieval import load_conversations

    src = SOURCES[key]
    docs = []
    for turn in load_conversations(path, columns(f"{key}_columns", src.columns, overrides), key=f"--data {key}_columns"):
        doc = {"history": turn["history"], "query": turn["query"],
               "references": [turn["rewrite"]] if "rewrite" in turn else [], "qid": turn["qid"]}
        if "responses" in turn:
            doc["responses"] = turn["responses"]
        docs.append({"source": key, "id": turn["qid"], **doc})
    return docs


def read_rows(key: str, overrides: dict | None = None) -> tuple[Path, list[dict]]:
    """(path, normalized docs) for a source, with one-line UserErrors for a missing file, bad JSON or fields."""
    src = SOURCES[key]
    path = resolve_path(key, overrides)
    if not path.is_file():
        raise UserError(f"task {src.task}: data file {path} does not exist; {override_hint(key)}")
    if src.columns is not None:
        docs = [d for d in _conversation_docs(key, path, overrides) if in_topics(d["qid"], src.topics)]
        if not docs:
            raise UserError(f"task {src.task}: data file {path} has no turns of {src.topics} topics")
        return path, docs
    docs = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"task {src.task}: {path} line {lineno} is not valid JSON ({e.msg})") from None
            missing = [c for c in src.required if c not in row]
            missing += [" or ".join(alts) for alts in src.any_of if not any(a in row for a in alts)]
            if missing:
                raise UserError(
                    f"task {src.task}: {path} line {lineno} has no column `{missing[0]}`; "
                    f"this task needs {', '.join(src.required + tuple(' or '.join(a) for a in src.any_of))}"
                )
            try:
                doc = src.convert(row)
            except ValueError as e:
                raise UserError(f"task {src.task}: {path} line {lineno}: {e}") from None
            if not in_topics(doc.get("qid"), src.topics):
                continue
            docs.append({"source": key, "id": str(row.get("id", row.get("qid", row.get("paper_id", lineno)))), **doc})
    if not docs:
        raise UserError(f"task {src.task}: data file {path} has no rows")
    return path, docs


def recipe_instructions(recipe: dict) -> dict[str, str]:
    """Source key -> the instruction a recipe trained that kind of data with (only where it set one).

    A training file's source is the one whose folder it lives in under the data root (dialogsum/train.jsonl ->
    dialogsum), or the bundled one of the recipe's task for `sample:` paths, so a model trained on a mixture with
    per-source instructions is evaluated with the same ones.
    """
    data = recipe.get("data") or {}
    sources = data.get("train") or []
    by_folder: dict[str, list[str]] = {}
    for key, src in SOURCES.items():
        if src.folder:
            by_folder.setdefault(src.folder, []).append(key)  # trec-cast holds cast2020 and its even-topic half
    sample = {src.kind: [key] for key, src in SOURCES.items() if src.bundled and not src.judged}  # sample data
    out: dict[str, str] = {}
    for source in [sources] if isinstance(sources, dict) else sources:
        instruction = source.get("instruction") or data.get("instruction")
        path = str(source.get("path") or "")
        keys = sample.get(data.get("task")) if path.startswith("sample:") else by_folder.get(Path(path).parent.name)
        for key in keys or [] if instruction else []:
            out.setdefault(key, instruction)
    return out


class Overlap(NamedTuple):
    """Turns of one training source (`data.train.N`) that an eval task reports."""

    source: int
    task: str
    topics: tuple[int, ...]  # topic numbers both sides have (CAsT's `81_2` -> 81)
    qids: tuple[str, ...]  # query ids both sides have that carry no topic number (those count under `topics`)

    def describe(self) -> str:
        shared = []
        if self.topics:
            shared.append(f"topics {_first(self.topics)}")
        if self.qids:
            shared.append(f"query ids {_first(self.qids)}")
        return f"`data.train.{self.source}`: trains on {' and '.join(shared)}, which eval task {self.task} reports"


def _first(values: tuple, n: int = 6) -> str:
    return ", ".join(str(v) for v in values[:n]) + (f" and {len(values) - n} more" if len(values) > n else "")


def reported_overlap(recipe, tasks, data: dict | None = None) -> list[Overlap]:
    """Where a query_rewrite recipe's training sources hold turns that `tasks` report, by topic number or query id:
    relevance learned on a reported turn would inflate its score. One check for training (finetune.preflight, the
    recipe's own eval.tasks) and for `searchtune eval --run` (the tasks asked for), which is how reported numbers are
    made.

    Reported turns are read as the eval reads them (`data`: the --data overrides, else the data root); training
    turns from the recipe's local sources under its data.root, every row of the source's `topics` whether or not
    training skips it as bad (a Hub source is not read). Only sources whose rows carry query ids take part."""
    if recipe.data.task != "query_rewrite":
        return []
    reported = {}
    for key, src in SOURCES.items():
        named = [task for task in src.tasks if task in tasks]
        if named and src.kind == "query_rewrite" and "qid" in src.required:
            _, docs = read_rows(key, data)
            reported[named[0]] = {str(d["qid"]) for d in docs if d.get("qid")}
    out = []
    for i, source in enumerate(recipe.data.train if reported else []):
        path = recipe.source_path(source)
        if path is None:
            continue  # a Hub dataset: not read before training
        if not path.is_file():
            raise UserError(f"`data.train.{i}`: {path} does not exist, so the turns it trained on cannot be checked "
                            f"against those eval task {next(iter(reported))} reports; point the recipe's data.root (or "
                            "the source's path) at the training data")
        column = source.columns.get("qid", "qid")
        trained = {str(row[column]) for _, row in read_file(path, source.format)
                   if isinstance(row, dict) and row.get(column) not in (None, "") and not isinstance(row[column], bool)}
        trained = {qid for qid in trained if in_topics(qid, source.topics)}
        trained_topics = {topic_number(q) for q in trained} - {None}
        for task, qids in reported.items():
            topics = sorted(trained_topics & ({topic_number(q) for q in qids} - {None}))
            shared = sorted(q for q in trained & qids if topic_number(q) is None)
            if topics or shared:
                out.append(Overlap(i, task, tuple(topics), tuple(shared)))
    return out


# --------------------------------------------------------------------------------------- aggregations


def mean(items: list) -> float:
    """Mean over the examples the metric applies to (a None score, e.g. a rate on an ineligible turn, is skipped)."""
    from evals import metrics

    kept = [x for x in items if x is not None]
    return metrics.AGGREGATES["mean"](kept) if kept else float("nan")


def bleu(items: list) -> float:
    """Corpus BLEU from per-example sufficient statistics (evals.metrics.bleu_stats); turns without a reference
    rewrite (None) are skipped."""
    from evals import metrics

    kept = [x for x in items if x is not None]
    return metrics.AGGREGATES["bleu"](kept) if kept else float("nan")


# lm-eval aggregation name -> the evals.metrics.AGGREGATES key its confidence interval is computed with. lm-eval's
# own `mean` has the same per-example form; any other lm-eval aggregation has none here (its stderr is used).
AGGREGATIONS = {"searchtune_mean": mean, "searchtune_bleu": bleu}
_BOOTSTRAP = {"searchtune_mean": "mean", "searchtune_bleu": "bleu", "mean": "mean"}


def register_aggregations() -> None:
    """Register AGGREGATIONS with lm-eval by name (again is a no-op: the same function objects each time)."""
    import lm_eval.api.metrics  # noqa: F401  lm-eval loads its own aggregations only into an empty registry
    from lm_eval.api.registry import register_aggregation

    for name, fn in AGGREGATIONS.items():
        register_aggregation(name)(fn)


def bootstrap_aggregate(name: str | None) -> str | None:
    """The evals.metrics aggregate for a registered lm-eval aggregation name, or None when it has no bootstrap form."""
    return _BOOTSTRAP.get(name)


def aggregation_name(fn) -> str | None:
    """The name an aggregation function is registered under with lm-eval."""
    from lm_eval.api.registry import AGGREGATION_REGISTRY

    return next((name for name, registered in AGGREGATION_REGISTRY.items() if registered is fn), None)
