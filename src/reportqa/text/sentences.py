"""Sentences of a chunk: the units an answer is quoted in.

Offsets are inside the chunk text, so the quoted answer is an exact slice of
the passage the user sees. List bullets and leading spaces stay outside the
span; fragments too short to stand alone (a month line like `1月`) are joined
to the sentence that follows them.
"""

from __future__ import annotations

import re

_END = re.compile(r"[。！？；!?;]+[”’」』）)]*(?:\*\*)?|\n")
# List bullets (`- `, `• `, `- ◆ `, a Markdown `* `) before a sentence; `**bold**` is text, not a bullet.
_LEAD = re.compile(r"^(?:\s*[-•·◆]\s*|\s*\*\s+)+|^\s+")
MIN_SENTENCE = 6


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a chunk text."""
    raw: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        end = m.end() if m.group() != "\n" else m.start()
        raw.append((start, end))
        start = m.end()
    raw.append((start, len(text)))

    spans: list[tuple[int, int]] = []
    for a, b in raw:
        lead = _LEAD.match(text[a:b])
        if lead:
            a += lead.end()
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))

    merged: list[tuple[int, int]] = []
    pending: int | None = None  # start of a fragment waiting for the sentence after it
    for i, (a, b) in enumerate(spans):
        a = a if pending is None else pending
        if b - a < MIN_SENTENCE and i < len(spans) - 1:
            pending = a
            continue
        merged.append((a, b))
        pending = None
    return merged
