"""Tables as text: one line per row, every cell named by its column header.

A table's meaning is in the pairing of a cell with its row label and column
header; `13500 | 15888` quoted alone answers nothing. So every loader (PDF,
DOCX, HTML) writes a table as a block of lines in one readable form::

    表1 全市科技创新主要指标
    指标: 技术合同成交额（亿元） · 2022年: 650.2 · 2023年: 777.7

(an optional caption line, then `header: value` pairs joined by ` · `). The row
is self-contained: a chunk holding any subset of rows still says what each
figure is, an answer can quote one row, and the page can draw it back as a
small table. The section parser recognises such a block by its shape (every
row has the same headers, at least two of them), which plain prose never has,
so text reports are parsed exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PAIR_SEP = " · "
KEY_SEP = ": "
EMPTY_CELL = "—"
MAX_HEADER_CHARS = 40
# A caption line before a table: `表1 …`, `表 2-3 …`, `附表 …`, `Table 4 …`.
CAPTION = re.compile(r"^(?:附?表\s*[\d一二三四五六七八九十]+(?:[-－.．]\d+)?|Table\s+\d+)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _clean(cell: str | None) -> str:
    return _SPACE.sub(" ", cell or "").strip()


def format_table(rows: Sequence[Sequence[str | None]], caption: str = "") -> str:
    """A table (first row the header) as its text block; '' when there is no table to speak of.

    A table of one column, or with a header but no body, is not a table a
    reader needs: its cells come back as plain lines. A first row with a
    single filled cell above a wider table is its caption.
    """
    cleaned = [[_clean(cell) for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if len(cleaned) > 2 and sum(1 for cell in cleaned[0] if cell) == 1 and len(cleaned[0]) > 1 and not caption:
        caption = next(cell for cell in cleaned[0] if cell)
        cleaned = cleaned[1:]
    width = max((len(row) for row in cleaned), default=0)
    if width < 2 or len(cleaned) < 2:
        lines = [caption] if caption else []
        return "\n".join(lines + [" | ".join(cell for cell in row if cell) for row in cleaned])
    header = [_header(cell, i) for i, cell in enumerate(cleaned[0] + [""] * (width - len(cleaned[0])))]
    header = _unique(header)
    lines = [_clean(caption)] if caption else []
    for row in cleaned[1:]:
        values = [_value(cell) for cell in row + [""] * (width - len(row))]
        lines.append(PAIR_SEP.join(f"{key}{KEY_SEP}{value}" for key, value in zip(header, values, strict=True)))
    return "\n".join(lines)


def _header(cell: str, i: int) -> str:
    """A column name that cannot be confused with the row syntax; `第N列` when the header is blank."""
    text = cell.replace(":", "：").replace("·", "・")[:MAX_HEADER_CHARS].strip()
    return text or f"第{i + 1}列"


def _unique(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for key in header:
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key}({seen[key]})")
    return out


def _value(cell: str) -> str:
    return cell.replace(PAIR_SEP, " ・ ") or EMPTY_CELL


def parse_row(line: str) -> list[tuple[str, str]] | None:
    """The (header, value) pairs of a row line, or None when the line is not a table row."""
    parts = line.strip().split(PAIR_SEP)
    if len(parts) < 2:
        return None
    pairs = []
    for part in parts:
        key, sep, value = part.partition(KEY_SEP)
        if not sep or not key or len(key) > MAX_HEADER_CHARS or not value.strip():
            return None
        pairs.append((key, value.strip()))
    return pairs


def table_block(lines: Sequence[str]) -> tuple[str | None, list[str]] | None:
    """(caption, header) when a block of lines is a table written by `format_table`, else None.

    Every row must name the same columns: two prose lines that happen to hold
    ` · ` and `: ` do not.
    """
    if not lines:
        return None
    caption = None
    rows = list(lines)
    if parse_row(rows[0]) is None:
        caption, rows = rows[0], rows[1:]
    if not rows:
        return None
    parsed = [parse_row(line) for line in rows]
    if any(pairs is None for pairs in parsed):
        return None
    header = [key for key, _ in parsed[0] or []]
    if any([key for key, _ in pairs or []] != header for pairs in parsed):
        return None
    return caption, header
