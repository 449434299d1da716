"""The two tasks: their canonical record shapes and the one prompt format shared by training and evaluation.

Records (after column mapping):
  query_rewrite: {"history": [str, ...], "query": str, "rewrite": str, "qid": str, "responses": [str, ...]}
  summarize:     {"document": str, "query": str | None, "summary": str}

The prompt is a single user turn rendered through the tokenizer's own chat template, so the eval side (lm-eval
with `apply_chat_template`) sees exactly the text that training saw. Tokenizers without a chat template get a
plain instruction/response layout instead.

Earlier system responses (query_rewrite's `responses`, CAsT 2021/2022) are aligned with the newest history turns: the
last response answers the last history turn, and leading turns without one (CANARD's title and section) have none.
They enter the prompt only when the recipe asks (`data.responses: include`): `with_responses` cuts each to
`data.response_words` words or, when off, drops them, and both training and eval records pass through it. A record
without responses renders exactly as it did before responses existed, whatever the setting.

Length control (summarize): with a recipe's `data.length_bucket`, each training record carries `length_words`, its own
summary's word count rounded to the bucket (`with_length`), and the prompt asks for "about N words"; at inference the
target is chosen (`eval.length_words`, rounded the same way). A record without `length_words` renders as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Task = Literal["query_rewrite", "summarize"]  # the recipe's data.task
TASKS: tuple[str, ...] = get_args(Task)

DEFAULT_INSTRUCTIONS = {
    "query_rewrite": (
        "Rewrite the last question so that a search engine understands it without the conversation: "
        "replace pronouns and vague references with what they refer to, keep everything else as it is. "
        "Reply with the rewritten question only."
    ),
    "summarize": "Summarize the following text in one or two sentences. Reply with the summary only.",
}

# Fields each task's record must carry, and which of them is the training target.
REQUIRED_FIELDS = {"query_rewrite": ("query", "rewrite"), "summarize": ("document", "summary")}
# query_rewrite's `qid` names the turn in relevance judgements (retrieval-trained methods and their reward);
# `responses` are the earlier system responses, one per earlier user turn (CAsT 2021/2022).
OPTIONAL_FIELDS = {"query_rewrite": ("history", "qid", "responses"), "summarize": ("query",)}
# Not a data column: the length target that with_length sets from the summary (training) or the eval setting.
LENGTH_FIELD = "length_words"
TARGET_FIELD = {"query_rewrite": "rewrite", "summarize": "summary"}
# Generation as the eval tasks decode (evals/tasks/*/_*.yaml max_gen_toks and `until`; an engine stops at the chat
# template's end-of-turn token itself), for everything that generates outside lm-eval: predict, chat, serve, export.
MAX_NEW_TOKENS = {"query_rewrite": 64, "summarize": 128}
STOP = ("\n\n",)
# The field that may be shortened to fit max_length: never the target.
CONTEXT_FIELD = {"query_rewrite": "history", "summarize": "document"}

def topic_number(qid: str | None) -> int | None:
    """The topic of a turn id (CAsT's `81_2` -> 81, 2022's `132_1-3` -> 132), or None when it has none."""
    head = (qid or "").split("_", 1)[0]
    return int(head) if head.isascii() and head.isdigit() else None


def in_topics(qid: str | None, topics: str) -> bool:
    """Whether a turn belongs to `all`, `odd` or `even` topics: the fixed split of retrieval training (odd topics)
    and reporting (even topics), shared by training sources and eval tasks."""
    if topics == "all":
        return True
    number = topic_number(qid)
    return number is not None and number % 2 == (1 if topics == "odd" else 0)


PLAIN_TEMPLATE = "### Instruction:\n{user}\n\n### Response:\n"


CUT_MARK = " ..."  # ends a response cut to its word budget


def response_budget(data) -> int | None:
    """Words kept of each earlier system response under a recipe's data section; None: responses stay out."""
    return data.response_words if data.responses == "include" else None


def with_responses(record: dict, words: int | None) -> dict:
    """The record as its prompt carries it: each earlier response cut to `words` words (whitespace collapsed, so a
    response stays on its `System:` line), or no responses at all when `words` is None. Applying it twice changes
    nothing."""
    out = dict(record)
    responses = out.pop("responses", None)
    if words is not None and responses:
        out["responses"] = [_cut(r or "", words) for r in responses]
    return out


def _cut(text: str, words: int) -> str:
    parts = text.split()
    return " ".join(parts) if len(parts) <= words else " ".join(parts[:words]) + CUT_MARK


def length_target(words: int, bucket: int) -> int:
    """A length target in words: `words` rounded to the nearest multiple of `bucket`, at least one bucket, so training
    shows each target many times and inference asks for one of them."""
    return max(bucket, bucket * round(words / bucket))


def with_length(record: dict, bucket: int | None, words: int | None = None) -> dict:
    """The summarize record with its length target: `words` when given (inference), else its own summary's word
    count (training), rounded by length_target. Unchanged when bucket is None."""
    if bucket is None:
        return record
    words = words if words is not None else len(record["summary"].split())
    return {**record, LENGTH_FIELD: length_target(words, bucket)}


def eval_length(data, eval_section) -> int | None:
    """The length target of a recipe's eval prompts: eval.length_words rounded to data.length_bucket, None without."""
    if data.length_bucket is None or eval_section.length_words is None:
        return None
    return length_target(eval_section.length_words, data.length_bucket)


def _conversation(history: list[str], responses: list[str]) -> str:
    if not history:
        return "(no earlier turns)"
    # Right-aligned: once fit_prompt drops the oldest turns, their responses (now beyond the history) drop with them.
    responses = responses[max(0, len(responses) - len(history)):]
    if not any(responses):
        return "\n".join(f"- {turn}" for turn in history)
    offset = len(history) - len(responses)
    lines = []
    for i, turn in enumerate(history):
        lines.append(f"User: {turn}")
        if i >= offset and responses[i - offset]:
            lines.append(f"System: {responses[i - offset]}")
    return "\n".join(lines)


def user_message(task: str, record: dict, instruction: str | None = None) -> str:
    """The content of the single user turn for a record."""
    instruction = instruction or DEFAULT_INSTRUCTIONS[task]
    if task == "query_rewrite":
        turns = _conversation(record.get("history") or [], record.get("responses") or [])
        return f"{instruction}\n\nConversation so far:\n{turns}\n\nLast question: {record['query']}"
    focus = record.get("query")
    focus_line = f"\n\nFocus on: {focus}" if focus else ""
    length = record.get(LENGTH_FIELD)
    length_line = f"\n\nLength: in about {length} words" if length else ""
    return f"{instruction}{focus_line}{length_line}\n\nText:\n{record['document']}"


def render_prompt(tokenizer, user: str) -> str:
    """The full prompt text up to where the model starts its answer."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": user}], tokenize=False, add_generation_prompt=True
        )
    return PLAIN_TEMPLATE.format(user=user)


@dataclass
class Encoded:
    input_ids: list[int]
    completion_mask: list[int]
    truncated: bool


@dataclass
class Prompt:
    text: str
    input_ids: list[int]
    truncated: bool


def fit_prompt(tokenizer, task: str, record: dict, budget: int | None, instruction: str | None = None) -> Prompt | None:
    """The rendered prompt of a record in at most `budget` tokens (None: no limit); training and eval both cut here.

    A prompt over budget has its context shortened: the oldest history turns dropped first (each with its response),
    or the document cut at its end, so the chat header, the instruction and the question always survive. Returns None
    when even an empty context leaves no room.
    """
    plain = not getattr(tokenizer, "chat_template", None)

    def prompt(rec: dict, truncated: bool = False) -> Prompt:
        text = render_prompt(tokenizer, user_message(task, rec, instruction))
        return Prompt(text, tokenizer(text, add_special_tokens=plain)["input_ids"], truncated)

    best = prompt(record)
    if budget is None or len(best.input_ids) <= budget:
        return best
    rec = dict(record)
    if task == "query_rewrite":
        # Find the fewest oldest turns to drop by bisection: one turn at a time re-tokenizes the prompt per turn,
        # which a long history makes quadratic.
        history = list(rec.get("history") or [])
        lo, hi = 1, len(history)
        while lo <= hi:
            mid = (lo + hi) // 2
            trial = prompt(dict(rec, history=history[mid:]), truncated=True)
            if len(trial.input_ids) <= budget:
                best, hi = trial, mid - 1
            else:
                lo = mid + 1
    else:
        doc_ids = tokenizer(rec["document"], add_special_tokens=False)["input_ids"]
        overflow = len(best.input_ids) - budget
        # Re-tokenizing decoded text can shift a token or two, so cut a little more until it fits.
        while len(best.input_ids) > budget and doc_ids:
            doc_ids = doc_ids[: max(0, len(doc_ids) - overflow)]
            rec["document"] = tokenizer.decode(doc_ids)
            best = prompt(rec, truncated=True)
            overflow = max(1, len(best.input_ids) - budget)
    return best if len(best.input_ids) <= budget else None


def encode(tokenizer, task: str, record: dict, max_length: int, instruction: str | None = None) -> Encoded | None:
    """Tokenize prompt + target + EOS with a completion-only mask.

    When the whole does not fit in max_length, the prompt is cut by fit_prompt, never the target. Returns None when
    even an empty context leaves no room.
    """
    target_ids = tokenizer(record[TARGET_FIELD[task]], add_special_tokens=False)["input_ids"]
    target_ids = target_ids + [tokenizer.eos_token_id]
    prompt = fit_prompt(tokenizer, task, record, max_length - len(target_ids), instruction)
    if prompt is None:
        return None
    ids = prompt.input_ids
    return Encoded(ids + target_ids, [0] * len(ids) + [1] * len(target_ids), prompt.truncated)


@dataclass(frozen=True)
class PromptSpec:
    """What a run's prompts are built from: its task, instruction and prompt budget (`data.max_length` less
    `data.max_target_length`), as training and `searchtune eval` build them; shared by the engines and the export."""

    task: str
    instruction: str | None
    budget: int | None
    response_words: int | None
    length_words: int | None = None  # summarize: the eval's length target (eval.length_words, data.length_bucket)

    @classmethod
    def of(cls, recipe, *, map_reduce: bool = False) -> PromptSpec:
        """The run's spec. A located run (data.locate) has one only for map-reduce (`map_reduce=True`,
        scripts/qmsum_mapreduce.py), whose caller builds every document from the meeting's speaker turns itself."""
        from finetune.core.errors import UserError

        data = recipe.data
        if data.locate is not None and not map_reduce:
            # Its prompts are passages located in a meeting's speaker turns, which a plain document request lacks.
            raise UserError("data.locate: a locate-then-summarize run cannot be served or exported yet; score it "
                            "with `searchtune eval --run RUN`, or run map-reduce with scripts/qmsum_mapreduce.py")
        # A mixture with one instruction per source has no single one for new data: its own task's default then.
        own = {s.instruction for s in data.train if s.instruction}
        instruction = data.instruction or (own.pop() if len(own) == 1 else None)
        return cls(data.task, instruction, data.max_length - data.max_target_length, response_budget(data),
                   eval_length(data, recipe.eval))

    def render(self, tokenizer, record: dict) -> str:
        from finetune.core.errors import UserError

        if self.task == "query_rewrite":
            record = with_responses(record, self.response_words)
        elif self.length_words and LENGTH_FIELD not in record:
            record = {**record, LENGTH_FIELD: self.length_words}
        prompt = fit_prompt(tokenizer, self.task, record, self.budget, self.instruction)
        if prompt is None:
            raise UserError(f"a {self.task} request does not fit the run's prompt budget of {self.budget} tokens even "
                            "without its context; shorten the query")
        return prompt.text
