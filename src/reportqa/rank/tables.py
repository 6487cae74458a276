"""Answers quoted from a table: which row, and which of its columns the question is about.

A table row (reportqa.ingest.tables) is one quotable sentence, so the answer
step picks it like any other sentence. What a row answer also needs is the
cell: `2023年技术合同成交额是多少？` is answered by the `2023年` cell of the
`技术合同成交额` row, and the page highlights it. The column is the one whose
header the question names (a year, a header word); with one value column
there is nothing to choose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.ingest.tables import parse_row

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_UNIT = re.compile(r"[（(][^）)]*[）)]")


@dataclass(frozen=True)
class RowMatch:
    """A table row answer: its caption, columns, cells and the matched column (None: none stands out)."""

    caption: str | None
    columns: list[str]
    values: list[str]
    matched_column: int | None


def match_row(chunk_text: str, sentence: str, question: str) -> RowMatch | None:
    """The row `sentence` is, with the column `question` asks about; None when it is not a table row."""
    pairs = parse_row(sentence)
    if pairs is None:
        return None
    first = chunk_text.split("\n", 1)[0]
    caption = first if parse_row(first) is None else None
    columns = [key for key, _ in pairs]
    return RowMatch(caption, columns, [value for _, value in pairs], matched_column(columns, question))


def matched_column(columns: list[str], question: str) -> int | None:
    """The value column (not the first, which labels the row) whose header the question names."""
    if len(columns) == 2:
        return 1
    asked_years = set(_YEAR.findall(question))
    hits = []
    for i, header in enumerate(columns[1:], 1):
        bare = _UNIT.sub("", header).strip()
        years = set(_YEAR.findall(header))
        if (years and years <= asked_years) or (not years and len(bare) >= 2 and bare in question):
            hits.append(i)
    return hits[0] if len(hits) == 1 else None


_NUMBER_CELL = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?$")
_UNIT_IN_LABEL = re.compile(r"[（(]\s*([^（()）]{1,6})\s*[）)]\s*$")


def with_units(sentence: str) -> str:
    """A table row read with its units: `… · 2023年: 777.7` under `成交额（亿元）` reads `777.7亿元`.

    The unit of a figure in a table sits in its row label or column header, so a
    check for "an amount in 元" or "a count in 家" sees a bare number in the row.
    Other sentences come back unchanged.
    """
    pairs = parse_row(sentence)
    if pairs is None:
        return sentence
    label_unit = _UNIT_IN_LABEL.search(pairs[0][1])
    out = []
    for key, value in pairs:
        unit = _UNIT_IN_LABEL.search(key) or label_unit
        out.append(f"{key}: {value}{unit.group(1)}" if unit and _NUMBER_CELL.match(value) else f"{key}: {value}")
    return " · ".join(out)
