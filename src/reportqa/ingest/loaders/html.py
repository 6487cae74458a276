"""HTML pages: headings as `#` lines, every text block (p, li, table row, div text…) its own paragraph.

Government sites publish reports as web pages wrapped in navigation, scripts
and page chrome; only the report's own text is kept, in the block shape the
section parser reads.
"""

from __future__ import annotations

import codecs
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from reportqa.ingest.loaders.base import register_loader
from reportqa.ingest.loaders.text import BOMS, decode_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# What browsers actually decode these labels as (WHATWG Encoding): GB2312/GBK pages
# are GBK, whose superset GB18030 reads them too; Latin-1 labels mean windows-1252;
# a UTF-16 label in an ASCII-compatible document cannot be true.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}
_DROPPED_TAGS = ["script", "style", "noscript", "template", "nav", "svg"]
_PAGE_CHROME_TAGS = ("header", "footer")
_CONTENT_CONTAINERS = frozenset({"article", "main"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "hr", "li", "main",
        "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "ul",
    }
)  # fmt: skip
_HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}
_CELL_TAGS = frozenset({"td", "th"})
# A line break inside the source between two CJK characters is not a space when read.
_CJK_CLASS = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]"
_CJK_BREAK = re.compile(rf"(?<={_CJK_CLASS})\s*\n\s*(?={_CJK_CLASS})")
_HTML_SPACE = re.compile(r"[ \t\n\r\f\xa0]+")


@register_loader(".html", ".htm")
def read_html(data: bytes, name: str) -> str:
    """Headings as `#` lines, every text block (p, li, table row, div text…) its own paragraph."""
    tree = LexborHTMLParser(_decode_html(data, name))
    title = _html_title(tree)
    _drop_chrome(tree)
    blocks = _html_blocks(tree.body or tree.root)
    if title and tree.css_first("h1") is None:
        blocks.insert(0, "# " + title)
    return "\n\n".join(blocks)


def _decode_html(data: bytes, name: str) -> str:
    """A byte-order mark wins, then a `<meta charset>` that fits the bytes, then `decode_bytes`."""
    if not any(data.startswith(bom) for bom, _ in BOMS):
        match = _META_CHARSET.search(data[:4096])
        if match:
            label = match.group(1).decode("ascii").lower()
            try:
                encoding = codecs.lookup(_CHARSET_ALIASES.get(label, label)).name
                return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong or unknown label: fall back to sniffing the bytes
    return decode_bytes(data, name)


def _html_title(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return _clean_inline(node.text(deep=True)) if node is not None else ""


def _drop_chrome(tree: LexborHTMLParser) -> None:
    """Remove scripts, styles and navigation; keep a header/footer inside the article itself.

    Pages often wrap the report's own title in `<article><header>`, so only
    page-level headers and footers are treated as site chrome.
    """
    tree.strip_tags(_DROPPED_TAGS)
    for tag in _PAGE_CHROME_TAGS:
        for node in tree.css(tag):
            if not _inside_content(node):
                node.decompose()


def _inside_content(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in _CONTENT_CONTAINERS:
            return True
        parent = parent.parent
    return False


class _BlockWriter:
    """Collects inline text and cuts it into blocks at block-element boundaries."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self._inline: list[str] = []

    def add_inline(self, text: str) -> None:
        self._inline.append(text)

    def flush(self) -> None:
        text = _clean_inline("".join(self._inline))
        self._inline.clear()
        if text:
            self.blocks.append(text)

    def add_block(self, text: str) -> None:
        self.flush()
        if text:
            self.blocks.append(text)


def _html_blocks(root: LexborNode) -> list[str]:
    """Walk the tree in document order (iteratively: deep pages must not hit the recursion limit)."""
    writer = _BlockWriter()
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            writer.flush()
        elif node.is_text_node:
            writer.add_inline(node.text(deep=False))
        elif node.is_element_node:
            stack.extend(_html_element(node, writer))
    writer.flush()
    return writer.blocks


def _html_element(node: LexborNode, writer: _BlockWriter) -> list[tuple[LexborNode, bool]]:
    """Emit what a single element stands for; return the children still to visit (reversed)."""
    tag = node.tag or ""
    if tag in _HEADING_TAGS:
        text = _clean_inline(node.text(deep=True))
        writer.add_block("#" * _HEADING_TAGS[tag] + " " + text if text else "")
        return []
    if tag == "tr":
        writer.add_block(_html_row(node))
        return []
    if tag == "br":
        writer.flush()
        return []
    todo: list[tuple[LexborNode, bool]] = []
    if tag in _BLOCK_TAGS:
        writer.flush()
        todo.append((node, True))
    children = list(node.iter(include_text=True))
    todo.extend((child, False) for child in reversed(children))
    return todo


def _html_row(row: LexborNode) -> str:
    cells = [_clean_inline(cell.text(deep=True)) for cell in row.iter() if cell.tag in _CELL_TAGS]
    return " | ".join(cells) if any(cells) else ""


def _clean_inline(text: str) -> str:
    """Collapse HTML whitespace as a browser would, without a space where CJK lines were wrapped."""
    return _HTML_SPACE.sub(" ", _CJK_BREAK.sub("", text)).strip()
