"""HTML pages: headings as `#` lines, every text block (p, li, div text…) its own paragraph, tables as rows.

Government sites publish reports as web pages wrapped in navigation, scripts
and page chrome; only the report's own text is kept, in the block shape the
section parser reads. Many gov.cn pages mark their chrome with nothing but
`<div class="head">`, `"foot"`, `"share"`, `"bread"`: no `<nav>`/`<footer>`.
So the article is found by trafilatura's main-content extraction (boilerplate
detection by link density and text shape; Apache-2.0), with this module's own
tag- and class-based clean-up as the fallback when trafilatura finds nothing
(tiny pages). Data tables become header-named rows (reportqa.ingest.tables);
layout tables are read as ordinary blocks.
"""

from __future__ import annotations

import codecs
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from reportqa.ingest.loaders.base import register_loader
from reportqa.ingest.loaders.text import BOMS, decode_bytes
from reportqa.ingest.tables import CAPTION, format_table

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


# Class/id words that name site chrome on pages without semantic tags (gov.cn templates).
_CHROME_WORDS = frozenset({
    "head", "header", "top", "topbar", "nav", "navbar", "menu", "foot", "footer", "bottom", "share", "bread",
    "crumb", "breadcrumb", "position", "location", "sidebar", "side", "left", "right", "print", "copyright",
    "toolbar", "links", "friendlink", "search",
})  # fmt: skip
_CLASS_WORD = re.compile(r"[A-Za-z]+")
# The publication line under a gov.cn article title: `发布时间：… 来源：… 浏览次数：…`.
_INFO_FIELD = re.compile(r"(?:发布(?:时间|日期)|信息来源|来源|作者|浏览次数|访问量|点击数|阅读数|字号)\s*[:：]")
_PAGE_TOOLS = re.compile(r"^(?:[【\[]\s*(?:打印本页|关闭窗口|打印|关闭|收藏|返回顶部)\s*[】\]]\s*)+$")
# `<title>` = article title + separator + site name; the separator needs spaces unless it is `_` or `|`.
_TITLE_SUFFIX = re.compile(r"^(?P<head>.+?)\s*(?:_|\||｜|\s[-–—]\s|\s——\s)\s*(?P<site>[^_|｜]+)$")
_MAX_SITE_NAME = 30
_NO_SPACE = re.compile(r"\s+")
_MAX_DATA_CELL = 200  # a cell longer than this is page layout, not a figure
_MIN_MAIN_SHARE = 0.02  # trafilatura's article must hold at least this share of the page's text


@register_loader(".html", ".htm")
def read_html(data: bytes, name: str) -> str:
    """The page's main content: headings as `#` lines, blocks as paragraphs, tables as header-named rows."""
    decoded = _decode_html(data, name)
    tree = LexborHTMLParser(decoded)
    title = site_title(_html_title(tree))
    _drop_chrome(tree)
    blocks = _html_blocks(tree.body or tree.root)
    main = _main_content(decoded)
    if main is not None:
        main_blocks = _html_blocks(main.body or main.root)
        if _is_cleaner(main_blocks, blocks):
            tree, blocks = main, main_blocks
    blocks = [block for block in blocks if not _is_page_info(block)]
    if title and blocks and blocks[0].lstrip("# ") == title:
        blocks[0] = "# " + title
    elif title and tree.css_first("h1") is None:
        blocks.insert(0, "# " + title)
    return "\n\n".join(blocks)


def site_title(title: str) -> str:
    """The page title without the site name a `<title>` usually ends with (`…_杭州市科学技术局`)."""
    match = _TITLE_SUFFIX.match(title)
    if match and len(match["site"]) <= _MAX_SITE_NAME and len(match["head"]) >= 4:
        return match["head"].strip()
    return title


def _is_cleaner(main: list[str], own: list[str]) -> bool:
    """trafilatura's reading is used only when it is our own reading with chrome taken out.

    On short pages it can glue a menu and the article into one paragraph; then
    one of its blocks is not in our reading, and ours (already without `<nav>`,
    `<header>`, `class="head"`…) is kept.
    """
    squeeze = _NO_SPACE.sub("", "\n".join(own))
    chars = sum(map(len, main))
    return bool(main) and chars >= _MIN_MAIN_SHARE * sum(map(len, own)) and all(
        _NO_SPACE.sub("", block) in squeeze for block in main)


def _main_content(html: str) -> LexborHTMLParser | None:
    """trafilatura's main-content HTML (headings, paragraphs, tables kept), or None to keep our own reading."""
    import trafilatura  # imported on first use: listing the loaders must not pay for it

    try:
        extracted = trafilatura.extract(
            html, output_format="html", include_tables=True, include_formatting=True, favor_recall=True,
            include_comments=False, include_links=False, include_images=False, deduplicate=False,
        )
    except Exception:  # a page trafilatura cannot handle is read the plain way
        return None
    if not extracted:
        return None
    return LexborHTMLParser(extracted)


def _is_page_info(block: str) -> bool:
    """A publication-info line or a print/close toolbar: page furniture, not report text."""
    if _PAGE_TOOLS.match(block):
        return True
    return len(block) <= 120 and (len(_INFO_FIELD.findall(block)) >= 2 or bool(re.match(r"^发布(?:时间|日期)", block)))


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
    for node in tree.css("div[class], div[id], ul[class], ul[id], p[class], span[class], td[class]"):
        if _is_chrome_box(node) and not _inside_content(node):
            node.decompose()


def _is_chrome_box(node: LexborNode) -> bool:
    """`<div class="head">`, `id="footer"`, `class="share-bar"`: named as chrome, so dropped."""
    words = " ".join(filter(None, [node.attributes.get("class"), node.attributes.get("id")]))
    return any(word.lower() in _CHROME_WORDS for word in _CLASS_WORD.findall(words))


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
    if tag == "table" and _is_data_table(node):
        caption_node = node.css_first("caption")
        caption = _clean_inline(caption_node.text(deep=True)) if caption_node is not None else ""
        if not caption:
            writer.flush()
            if writer.blocks and CAPTION.match(writer.blocks[-1]):
                caption = writer.blocks.pop()
        rows = [[_clean_inline(cell.text(deep=True)) for cell in row.iter() if cell.tag in _CELL_TAGS]
                for row in node.css("tr")]
        writer.add_block(format_table(rows, caption))
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


def _is_data_table(table: LexborNode) -> bool:
    """A table of figures, not a layout grid: no nested tables or block content, short cells."""
    if table.css_first("table table, td p, td div, td ul, th p, th div") is not None:
        return False
    cells = table.css("td, th")
    return bool(cells) and all(len(_clean_inline(cell.text(deep=True))) <= _MAX_DATA_CELL for cell in cells)


def _html_row(row: LexborNode) -> str:
    cells = [_clean_inline(cell.text(deep=True)) for cell in row.iter() if cell.tag in _CELL_TAGS]
    return " | ".join(cells) if any(cells) else ""


def _clean_inline(text: str) -> str:
    """Collapse HTML whitespace as a browser would, without a space where CJK lines were wrapped."""
    return _HTML_SPACE.sub(" ", _CJK_BREAK.sub("", text)).strip()
