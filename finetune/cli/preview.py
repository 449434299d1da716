"""`searchtune preview RECIPE [key=value ...] [-n N]`: the first N training rows exactly as training encodes them.

Like `axolotl preprocess --debug`: each row's rendered prompt with the label mask marked (prompt tokens plain, the
trained completion tokens between ⟦ ⟧, and coloured on a terminal), its token counts, and the whole training set's
truncation and drop counts. It also shows what the chat template adds around every prompt, such as SmolLM2's own
default system prompt, which a recipe never writes but every row carries.
"""

from __future__ import annotations

import sys

from finetune.core.recipe import add_arguments as recipe_arguments

HELP = "show the first training rows as the model sees them, with the trained tokens marked"
OPEN, CLOSE = "⟦", "⟧"
HIGHLIGHT, RESET = "\x1b[30;42m", "\x1b[0m"
MARKER = "\x00searchtune-user-content\x00"


def add_arguments(parser) -> None:
    recipe_arguments(parser)
    parser.add_argument("-n", "--rows", type=int, default=3, help="how many training rows to show (default: 3)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the trained tokens (default: auto, when stdout is a terminal)")


def run(args) -> int:
    from finetune.core import models
    from finetune.core.errors import UserError
    from finetune.core.recipe import load_recipe
    from finetune.preflight import preflight
    from finetune.training import data

    if args.rows < 1:
        raise UserError(f"-n {args.rows}: show at least one row, e.g. -n 3")
    recipe = load_recipe(args.recipe, args.overrides)
    preflight(recipe)
    tokenizer = models.load_tokenizer(models.local_checkpoint(recipe.model.name, recipe.model.gguf_file),
                                      recipe.model.trust_remote_code)
    records, _ = data.load_records(recipe, data.DataStats())
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())

    print(template_note(tokenizer))
    for i, rec in enumerate(records[: args.rows], 1):
        enc, dropped = data.encode_row(rec, tokenizer, recipe)
        if enc is None:
            print(f"\n── row {i}: dropped: {dropped}")
            continue
        trained = sum(enc.completion_mask)
        print(f"\n── row {i}: {len(enc.input_ids)} tokens = {len(enc.input_ids) - trained} prompt (no loss) + "
              f"{trained} trained{', context truncated to fit data.max_length' if enc.truncated else ''}")
        print(render(tokenizer, enc.input_ids, enc.completion_mask, color))
    # The counts of the whole set, from the same build (and cache) that `searchtune train` uses.
    _, _, stats = data.build_datasets(recipe, tokenizer)
    print(f"\n── all rows: {stats.train_rows} train / {stats.eval_rows} eval rows, {stats.train_tokens} train tokens "
          f"({stats.completion_tokens} trained), {stats.truncated} truncated, {stats.dropped_too_long} dropped (too long), "
          f"{stats.bad_rows_skipped} bad rows skipped")
    return 0


def render(tokenizer, ids: list[int], mask: list[int], color: bool) -> str:
    """The decoded tokens, each run of trained (mask 1) tokens between ⟦ ⟧ (and coloured when asked)."""
    out, start = [], 0
    for end in range(1, len(ids) + 1):
        if end == len(ids) or mask[end] != mask[start]:
            text = tokenizer.decode(ids[start:end])
            if mask[start]:
                text = f"{HIGHLIGHT}{OPEN}{text}{CLOSE}{RESET}" if color else f"{OPEN}{text}{CLOSE}"
            out.append(text)
            start = end
    return "".join(out)


def template_note(tokenizer) -> str:
    """What the chat template puts before the user's text in every row, said out loud when it holds a system turn."""
    from finetune.core import prompts

    rendered = prompts.render_prompt(tokenizer, MARKER)
    before, after = rendered.split(MARKER, 1) if MARKER in rendered else (rendered, "")
    tokens = len(tokenizer(before, add_special_tokens=False)["input_ids"])
    note = (f"chat template: every prompt starts with {before!r} ({tokens} tokens) and ends with {after!r}")
    if "system" in before.lower():
        note += ("\nnote: that is a system prompt of the chat template's own, not of this recipe: every training "
                 "and eval row carries it")
    return note
