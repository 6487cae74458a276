"""Word .docx: paragraphs and tables in document order, headings as `#` lines, tables as named rows.

python-docx is imported when a .docx is first read, not with this module:
the registry (and so the CLI's help text) must not pay for lxml and
python-docx just to list the suffixes.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from reportqa.ingest.loaders.base import register_loader, unreadable_error
from reportqa.ingest.tables import CAPTION, format_table

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_MAX_HEADING_LEVEL = 6


@register_loader(".docx")
def read_docx(data: bytes, name: str) -> str:
    """Paragraphs and tables in document order, one block each, blank-line separated."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                # A caption paragraph right above the table travels with it (repeated in each chunk).
                caption = blocks.pop() if blocks and CAPTION.match(blocks[-1]) else ""
                blocks.append(_docx_table(item, caption))
            else:
                blocks.append(_docx_paragraph(item))
            if not blocks[-1]:
                blocks.pop()
    except Exception as exc:  # python-docx raises many types on damaged packages
        raise unreadable_error(name, "Word .docx") from exc
    return "\n\n".join(blocks)


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


def _docx_table(table: Table, caption: str = "") -> str:
    """The table as header-named rows (reportqa.ingest.tables); a merged cell keeps its value in every column."""
    return format_table([[" ".join(cell.text.split()) for cell in row.cells] for row in table.rows], caption)
