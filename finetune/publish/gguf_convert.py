"""`python -m finetune.publish.gguf_convert CONVERTER_DIR ARGS`: llama.cpp's convert_hf_to_gguf.py (the copy from the
pinned llama-cpp-python sdist in CONVERTER_DIR) with ARGS, run apart from the caller so its path and module set-up
stay out of searchtune's process.

SEARCHTUNE_GGUF_PRE_TOKENIZER names the pre-tokenizer (e.g. `gpt-2`) of a byte-level BPE tokenizer the converter
does not recognise by its fingerprint (it knows SmolLM2's); a recognised one keeps its own.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    folder, args = sys.argv[1], sys.argv[2:]
    sys.path.insert(0, folder)
    sys.argv = [os.path.join(folder, "convert_hf_to_gguf.py"), *args]
    import convert_hf_to_gguf  # puts its own gguf-py first on sys.path

    pre = os.environ.get("SEARCHTUNE_GGUF_PRE_TOKENIZER")
    if pre:
        from conversion.base import TextModel

        recognised = TextModel.get_vocab_base_pre

        def get_vocab_base_pre(self, tokenizer) -> str:
            try:
                return recognised(self, tokenizer)
            except NotImplementedError:
                return pre

        TextModel.get_vocab_base_pre = get_vocab_base_pre
    convert_hf_to_gguf.main()


if __name__ == "__main__":
    main()
