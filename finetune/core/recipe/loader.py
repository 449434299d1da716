"""Load a recipe: read the YAML, apply `key.sub=value` overrides, resolve `${...}` references, validate.

Precedence: schema defaults < YAML file < overrides. Strings may hold `${oc.env:VAR,default}` (the environment, used
for data roots) and `${a.b.c}` (another recipe key, after overrides: `output_dir: runs/${model.name}`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from finetune.core import secrets
from finetune.core.errors import UserError
from finetune.core.recipe.messages import clip, did_you_mean, format_errors, keys_at
from finetune.core.recipe.schema import Recipe

# A recipe is a few dozen keys; anything past these limits is a mistake or an attack (YAML aliases that expand
# exponentially, "billion laughs", or a self-referencing list), and every later step would recurse through it.
MAX_NODES = 10_000
MAX_DEPTH = 32

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_ENV = re.compile(r"oc\.env:([A-Za-z_][A-Za-z0-9_]*)(?:,(.*))?", re.S)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")
_MISSING = object()


class _Resolver:
    """Resolves the `${...}` in every string of a recipe tree; a key's value is resolved before it is used."""

    def __init__(self, tree: dict, source: str, lines: dict):
        self.tree, self.source, self.lines, self.active = tree, source, lines, []

    def where(self, path: tuple) -> str:
        line = self.lines.get(path)
        return f"{self.source}:{line}: " if line else f"{self.source}: "

    def walk(self, value: Any, path: tuple) -> Any:
        if isinstance(value, dict):
            return {k: self.walk(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.walk(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, str):
            return _REFERENCE.sub(lambda m: self.expand(m.group(1), path), value)
        return value

    def expand(self, inner: str, path: tuple) -> str:
        key = clip(".".join(map(str, path)))
        env = _ENV.fullmatch(inner)
        if env:
            var, default = env.group(1), env.group(2)
            if var in secrets.ENV_VARS:
                raise UserError(f"{self.where(path)}`{key}`: ${{oc.env:{var}}} would copy a token into the run folder; "
                                "tokens are read from the environment by the code that needs them, leave them out of recipes")
            if var in os.environ:
                return os.environ[var]
            if default is None:
                raise UserError(f"{self.where(path)}`{key}`: environment variable {var} is not set and has no default; "
                                f"export it or write ${{oc.env:{var},DEFAULT}}")
            return default
        if not _KEY.fullmatch(inner):
            raise UserError(f"{self.where(path)}`{key}`: cannot resolve `${{{clip(inner)}}}`; write ${{section.key}} for "
                            "another recipe key or ${oc.env:VAR,default} for the environment")
        return str(self.lookup(inner, path))

    def lookup(self, dotted: str, path: tuple):
        parts = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
        if parts in self.active:
            chain = " -> ".join(".".join(map(str, p)) for p in self.active[self.active.index(parts):] + [parts])
            raise UserError(f"{self.where(path)}`{clip('.'.join(map(str, path)))}`: circular reference ({clip(chain, 200)}); "
                            "break the cycle with a plain value")
        node: Any = self.tree
        for i, part in enumerate(parts):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                node = _schema_default(parts) if isinstance(node, dict) else _MISSING
                if node is _MISSING:
                    # The first part that neither the recipe nor the schema's defaults know is the typo.
                    while i + 1 < len(parts) and _schema_default(parts[: i + 1]) is not _MISSING:
                        i += 1
                    part = parts[i]
                    options = set(map(str, node_keys(self.tree, parts[:i]))) | set(keys_at(Recipe, parts[: i + 1]))
                    prefix = "".join(f"{p}." for p in parts[:i])
                    hint = did_you_mean(part, sorted(options)) or "; write a dotted key such as ${model.name}"
                    hint = hint.replace("`", f"`{prefix}", 1) if hint.startswith(",") else hint
                    raise UserError(f"{self.where(path)}`{clip('.'.join(map(str, path)))}`: `${{{clip(dotted)}}}` names "
                                    f"no recipe key{hint}")
                break
        if isinstance(node, (dict, list)):
            raise UserError(f"{self.where(path)}`{clip('.'.join(map(str, path)))}`: `${{{clip(dotted)}}}` is a section, "
                            "not a value; reference one of its keys")
        if isinstance(node, str):
            self.active.append(parts)
            node = self.walk(node, parts)
            self.active.pop()
        return "" if node is None else node


def node_keys(tree, parts: tuple) -> list:
    node = tree
    for part in parts:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return list(node) if isinstance(node, dict) else []


def _schema_default(parts: tuple):
    """The schema default of a key the recipe does not set (`${model.name}` with no `model:` section)."""
    model, value = Recipe, _MISSING
    for part in parts:
        field = model.model_fields.get(part) if model is not None and isinstance(part, str) else None
        if field is None or field.is_required():
            return _MISSING
        value = field.get_default(call_default_factory=True)
        model = type(value) if isinstance(value, BaseModel) else None
        if model is not None:
            value = value.model_dump(mode="json")
    return value


def _check_size(tree, where: str) -> None:
    stack, count = [(tree, 0)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise UserError(f"{where}: the recipe is too large or nested too deeply (more than {MAX_NODES} values or "
                            f"{MAX_DEPTH} levels, e.g. YAML aliases that expand without bound); write it out plainly")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _key_lines(node, prefix=()) -> dict:
    """Map every key path in a YAML document to its 1-based line number."""
    out = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                continue
            path = prefix + (k.value,)
            out[path] = k.start_mark.line + 1
            out.update(_key_lines(v, path))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[prefix + (i,)] = v.start_mark.line + 1
            out.update(_key_lines(v, prefix + (i,)))
    return out


def apply_override(tree: dict, override: str) -> None:
    """Set `a.b.c=value` in a nested dict; the value is parsed as YAML (numbers, booleans, lists)."""
    if "=" not in override:
        raise UserError(f"override `{clip(override)}`: expected key.sub=value, e.g. train.max_steps=2")
    key, raw = override.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except (yaml.YAMLError, ValueError, RecursionError):  # ValueError: a 5000-digit number or a bad date
        value = raw
    _check_size(value, f"override `{clip(override)}`")
    node = tree
    parts = key.strip().split(".")
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise UserError(f"override `{clip(override)}`: `{clip(part)}` is not a section")
        node = node.setdefault(part, {})
    if isinstance(node, list) and parts[-1].isdigit() and int(parts[-1]) < len(node):
        node[int(parts[-1])] = value
    elif isinstance(node, dict):
        node[parts[-1]] = value
    else:
        raise UserError(f"override `{clip(override)}`: `{clip('.'.join(parts[:-1]))}` is not a section")


def read_yaml(path: str | Path) -> tuple[dict, dict]:
    """Parse a recipe file with safe_load; return (tree, key→line map)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: recipe file not found; list the shipped ones with `ls recipes/*/`") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder; pass a recipe .yaml file") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start}); save the recipe as UTF-8") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read the recipe ({e.strerror})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        tree = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"{where}: invalid YAML ({clip(problem, 200)}); fix the syntax at that line") from None
    except RecursionError:
        raise UserError(f"{path}: invalid YAML (nested too deeply); a recipe needs a few levels at most") from None
    except ValueError as e:  # PyYAML's int() and date constructors: a 5000-digit number, 2024-13-45
        raise UserError(f"{path}: invalid YAML value ({clip(str(e).splitlines()[0], 200)}); fix the value") from None
    if tree is None:
        raise UserError(f"{path}: the recipe is empty; it needs at least `data` and `output_dir`")
    if not isinstance(tree, dict):
        raise UserError(f"{path}: the recipe must be a mapping of sections (model, lora, data, ...), not {type(tree).__name__}")
    _check_size(tree, str(path))
    return tree, _key_lines(node)


def load_recipe(path: str | Path, overrides: list[str] | tuple[str, ...] = (), check_files: bool = True) -> Recipe:
    """Load, override, interpolate and validate a recipe. Raises UserError with every problem, one per line.

    Checks that read data files beyond their existence, or the eval task index, are finetune.preflight's."""
    tree, lines = read_yaml(path)
    data = tree.get("data")
    if isinstance(data, dict) and isinstance(data.get("train"), dict):
        # A single source is a one-item mixture; keep error lines pointing at the user's keys.
        data["train"] = [data["train"]]
        lines = {(k[:2] + (0,) + k[2:] if k[:2] == ("data", "train") and len(k) > 2 else k): v for k, v in lines.items()}
    for override in overrides:
        apply_override(tree, override)
        key = tuple(override.split("=", 1)[0].strip().split("."))
        lines.pop(key, None)
    try:
        tree = _Resolver(tree, str(path), lines).walk(tree, ())
    except RecursionError:
        raise UserError(f"{path}: `${{...}}` references nested too deeply; write the value out") from None
    try:
        recipe = Recipe.model_validate(tree)
    except ValidationError as err:
        raise UserError("\n".join(format_errors(err, Recipe, str(path), lines, tree))) from None
    recipe._source, recipe._lines = str(path), lines
    _refuse_tokens(recipe.model_dump(mode="json"), str(path))
    if check_files:
        problems = []
        sources = [(f"data.train.{i}.path", s) for i, s in enumerate(recipe.data.train)]
        if recipe.data.eval:
            sources.append(("data.eval.path", recipe.data.eval))
        for key, src in sources:
            local = recipe.source_path(src)
            if local is not None and not _is_file(local):
                problems.append(f"{recipe.where(key)}: `{key}`: data file {clip(local, 300)} does not exist; fix the path "
                                "or set data.root")
        if problems:
            raise UserError("\n".join(problems))
    return recipe


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the filesystem, a NUL byte
        return False


def _refuse_tokens(tree, source: str, where: str = "") -> None:
    """A token pasted into a recipe would be copied into recipe.yaml, the W&B config and the model card."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            _refuse_tokens(v, source, f"{where}.{k}" if where else str(k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            _refuse_tokens(v, source, f"{where}.{i}")
    elif isinstance(tree, str) and any(token in tree for token in secrets.values()):
        raise UserError(f"{source}: `{clip(where)}` holds the value of one of {', '.join(secrets.ENV_VARS)}; tokens belong "
                        "in the environment only, remove it from the recipe")


def to_yaml(recipe: Recipe) -> str:
    return yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
