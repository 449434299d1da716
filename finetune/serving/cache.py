"""The server's bounded LRU cache of completions, keyed by a digest of what was asked, with its hit/miss counts.

Keys are digests, so a cached summary costs its completion (at most max_tokens) and 32 bytes, never its document.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict


def key(*parts) -> str:
    """A stable digest of JSON-able parts (model id, request record, decoding)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class LRU:
    def __init__(self, entries: int):
        self.entries = max(0, int(entries))
        self.data: OrderedDict[str, str] = OrderedDict()
        self.hits = self.misses = self.evictions = 0

    def get(self, k: str) -> str | None:
        value = self.data.get(k)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self.data.move_to_end(k)
        return value

    def put(self, k: str, value: str) -> None:
        if not self.entries:
            return
        self.data[k] = value
        self.data.move_to_end(k)
        while len(self.data) > self.entries:
            self.data.popitem(last=False)
            self.evictions += 1

    def __len__(self) -> int:
        return len(self.data)
