"""Recipe error messages: one line per problem, naming file:line and the dotted key, with a fix or a "did you mean".

Pydantic's errors carry the key path of the *schema*; these helpers map it back to what the user wrote.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError


def did_you_mean(key: str, options) -> str:
    match = difflib.get_close_matches(str(key), [str(o) for o in options], n=1, cutoff=0.5)
    return f", did you mean `{match[0]}`?" if match else ""


def clip(text, limit: int = 80) -> str:
    """Keys and values from a recipe, cut to a length an error line can show, control characters escaped (some,
    like \x1e, would otherwise split the one-line message)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _models_in(annotation) -> list[type[BaseModel]]:
    """The Pydantic models an annotation holds (`Source`, `list[Source]`, `Source | None`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _literals_in(annotation) -> list:
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [v for arg in typing.get_args(annotation) for v in _literals_in(arg)]


def field_at(root: type[BaseModel], loc: tuple):
    """The schema field an input key path names (list indices skipped), or None."""
    model, field = root, None
    for part in (p for p in loc if not isinstance(p, int)):
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return None
        inner = _models_in(field.annotation)
        model = inner[0] if inner else None
    return field


def keys_at(root: type[BaseModel], loc: tuple) -> list[str]:
    """Valid keys of the section that holds the last part of `loc` (for "did you mean")."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model is not None else None
        inner = _models_in(field.annotation) if field is not None else []
        if not inner:
            return []
        model = inner[0]
    return list(model.model_fields)


def _input_loc(loc: tuple, tree, missing: bool) -> tuple:
    """The part of a Pydantic error location that exists in the input: Pydantic also puts union members and
    validators in it (`list[Source]`, `function-after[...]`), which a user's key may look like."""
    out, node = [], tree
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif not (missing and i == len(loc) - 1):
            continue
        out.append(part)
    return tuple(out)


def format_errors(err: ValidationError, root: type[BaseModel], source: str, lines: dict, tree) -> list[str]:
    """One `file:line: `key`: problem; fix` line per distinct problem of a failed validation."""
    messages, seen = [], set()
    for e in err.errors():
        loc = _input_loc(e["loc"], tree, e["type"] == "missing")
        dotted = clip(".".join(str(p) for p in loc))
        where = f"{source}:{lines[loc]}" if loc in lines else source
        if e["type"] == "extra_forbidden":
            msg = f"`{dotted}`: unknown key{did_you_mean(loc[-1], keys_at(root, loc)) if loc else ''}"
        elif e["type"] == "missing":
            msg = f"`{dotted}`: required key is missing"
        elif e["type"] == "value_error":
            msg = str(e["ctx"]["error"]) if "ctx" in e else e["msg"]
            key = msg.split(":", 1)[0]
            where = f"{source}:{lines[tuple(key.split('.'))]}" if tuple(key.split(".")) in lines else where
            msg = f"`{clip(key)}`:{clip(msg.split(':', 1)[1], 300)}" if ":" in msg else clip(msg, 300)
        else:
            shown = repr(e.get("input"))
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            msg = f"`{dotted}`: {e['msg'].rstrip('.')} (got {shown})"
            field = field_at(root, loc)
            choices = _literals_in(field.annotation) if field is not None else []
            if choices and isinstance(e.get("input"), str):
                msg += did_you_mean(e["input"], choices) or f"; choose one of {', '.join(map(str, choices))}"
        # A union (`int | 'auto'`) reports one error per member: the user made one mistake, show it once.
        key = msg.split("`")[1] if msg.startswith("`") else msg
        if key not in seen:
            seen.add(key)
            messages.append(f"{where}: {msg}")
    return messages
