"""Sentences of a text: the one splitter the chunker and the answer step share.

Both cut after the same marks (reportqa.text.zh.SENTENCE_END and the closing
quotes after them), so a sentence the chunker keeps whole is a sentence an
answer can quote. They differ only in what they do with the pieces:

- `sentence_bounds` is for packing paragraphs into chunks: raw cuts, line
  breaks ignored (a paragraph is one line of prose), nothing trimmed, so the
  pieces tile the text.
- `sentence_spans` is for quoting: a line break also ends a sentence (list
  items, infographic lines), list bullets and leading spaces stay outside the
  span, and fragments too short to stand alone (a month line like `1月`) are
  joined to the sentence that follows them.

Offsets are inside the given text, so a quoted answer is an exact slice of
the passage the user sees.
"""

from __future__ import annotations

import re

from reportqa.text.zh import CLOSING_QUOTES, SENTENCE_END

# A run of end marks, the closing quotes after them, and a `**` closing a bold sentence.
_END = re.compile(rf"[{SENTENCE_END}]+[{CLOSING_QUOTES}]*(?:\*\*)?")
_END_OR_LINE = re.compile(rf"{_END.pattern}|\n")
# List bullets (`- `, `• `, `- ◆ `, a Markdown `* `) before a sentence; `**bold**` is text, not a bullet.
_LEAD = re.compile(r"^(?:\s*[-•·◆]\s*|\s*\*\s+)+|^\s+")


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, cut after the end marks only; whitespace-only pieces dropped."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        bounds.append((start, m.end()))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return [(a, b) for a, b in bounds if text[a:b].strip()]


def sentence_spans(text: str, min_chars: int = 6) -> list[tuple[int, int]]:
    """(start, end) of each quotable sentence of a chunk text.

    A fragment shorter than `min_chars` (the `chunking.min_sentence_chars` setting, whose
    default this is) is joined to the sentence after it.
    """
    raw: list[tuple[int, int]] = []
    start = 0
    for m in _END_OR_LINE.finditer(text):
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
        if b - a < min_chars and i < len(spans) - 1:
            pending = a
            continue
        merged.append((a, b))
        pending = None
    return merged
