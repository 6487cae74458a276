"""Word .docx: paragraphs and tables in document order, headings as `#` lines.

python-docx is imported when a .docx is first read, not with this module:
the registry (and so the CLI's help text) must not pay for lxml and
python-docx just to list the suffixes.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from reportqa.ingest.loaders.base import register_loader, unreadable_error

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_MAX_HEADING_LEVEL = 6


@register_loader(".docx")
def read_docx(data: bytes, name: str) -> str:
    """Paragraphs and tables in document order, one block each, blank-line separated."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [_docx_block(item) for item in document.iter_inner_content()]
    except Exception as exc:  # python-docx raises many types on damaged packages
        raise unreadable_error(name, "Word .docx") from exc
    return "\n\n".join(block for block in blocks if block)


def _docx_block(item: DocxParagraph | Table) -> str:
    from docx.table import Table

    if isinstance(item, Table):
        return _docx_table(item)
    return _docx_paragraph(item)


def _docx_paragraph(paragraph: DocxParagraph) -> str:
    """A heading becomes a `#` line so the parser sees its level; body text stays as written."""
    text = paragraph.text.strip()
    if not text:
        return ""
    level = _docx_heading_level(paragraph)
    if level:
        return "#" * level + " " + " ".join(text.split())
    return text


def _docx_heading_level(paragraph: DocxParagraph) -> int:
    """Level from the style ("Heading N", "Title") or, failing that, the outline level.

    Custom heading styles are usually based on a built-in one, and Chinese
    templates often set only an outline level, so both the style chain and
    `w:outlineLvl` are consulted.
    """
    outline = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    style = paragraph.style
    seen: set[str] = set()
    while style is not None and style.style_id not in seen:
        seen.add(style.style_id)
        style_name = style.name or ""
        if style_name.lower() == "title":
            return 1
        match = _HEADING_STYLE.match(style_name)
        if match:
            return min(int(match.group(1)), _MAX_HEADING_LEVEL)
        outline = outline or style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
        style = style.base_style
    if outline and outline[0].isdigit() and int(outline[0]) < 9:  # 9 means body text
        return min(int(outline[0]) + 1, _MAX_HEADING_LEVEL)
    return 0


def _docx_table(table: Table) -> str:
    """One line per row, cells joined by " | "; merged cells are shown once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
