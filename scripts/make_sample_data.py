#!/usr/bin/env python3
"""Write finetune/sample_data/*.jsonl from the handwritten content in this file.

All conversations and documents below are handwritten for this project (CC0-1.0). They describe one fictional
company, Corvel, a B2B software vendor; every person, team, customer and project name is invented. The script only
parses two small text formats and writes JSONL; it adds no templated or random content. Row order is shuffled with a
fixed seed so that the files are not grouped by topic, and the output is byte-for-byte reproducible.

Query-rewrite format: conversations separated by blank lines. Each line is
    U: <user query>     a turn that becomes a row (history = all earlier lines of the conversation)
    u: <user query>     a turn that is only context (no row of its own)
    R: <rewrite>        the rewrite of the U line just above; when absent the query is already self-contained
    A: <answer>         the search assistant's short answer
Summarization format: rows separated by a line "----". Optional "Q: <focus query>" line, then "D:" and the document
lines, then "S: <summary>".

Usage: python scripts/make_sample_data.py [--check]
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "finetune" / "sample_data"

QR_TRAIN: list[str] = []
QR_HELDOUT: list[str] = []
SUM_TRAIN: list[str] = []
SUM_HELDOUT: list[str] = []


def parse_qr(chunks: list[str]) -> list[dict]:
    rows = []
    for block in "\n".join(chunks).strip().split("\n\n"):
        lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
        history: list[str] = []
        pending: dict | None = None
        for ln in lines:
            tag, _, text = ln.partition(": ")
            text = text.strip()
            if tag not in ("U", "u", "R", "A") or not text:
                raise ValueError(f"bad line {ln!r} in block:\n{block}")
            if tag in ("U", "u"):
                if pending:
                    rows.append(pending)
                pending = {"history": list(history), "query": text, "rewrite": text} if tag == "U" else None
                history.append(text)
            elif tag == "R":
                if pending is None or pending["rewrite"] != pending["query"]:
                    raise ValueError(f"R without U in block:\n{block}")
                pending["rewrite"] = text
            else:
                if pending:
                    rows.append(pending)
                    pending = None
                history.append(text)
        if pending:
            rows.append(pending)
    return rows


def parse_sum(chunks: list[str]) -> list[dict]:
    rows = []
    for block in "\n".join(chunks).strip().split("\n----\n"):
        block = block.strip()
        query = None
        if block.startswith("Q: "):
            first, block = block.split("\n", 1)
            query = first[3:].strip()
        if not block.startswith("D:\n") or "\nS: " not in block:
            raise ValueError(f"bad summarization block:\n{block}")
        doc, summary = block[3:].rsplit("\nS: ", 1)
        rows.append({"document": doc.strip(), "query": query, "summary": " ".join(summary.split())})
    return rows
