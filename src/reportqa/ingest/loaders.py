"""Turn any supported report file into the plain text the section parser reads.

The section parser works on Markdown-ish text: blocks separated by blank lines,
headings as `#` lines, bare short lines or numbered lines. Every format is
reduced to that shape here, so the rest of the pipeline never sees a file
format. Text files are returned exactly as decoded (only newlines are
normalised), because citations are character offsets into this text.

Every failure is a `reportqa.errors` exception with a one-line message that
names the file (never its absolute path) and says what to do, so the CLI and
the HTTP front end can show it as is.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import charset_normalizer
import docx
import pypdf
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph
from selectolax.lexbor import LexborHTMLParser, LexborNode

from reportqa.errors import EmptyDocumentError, ReportQAError, UnsupportedFileError

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES: frozenset[str] = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}

_SUPPORTED_LIST = ", ".join(sorted(SUPPORTED_SUFFIXES))

# ---------------------------------------------------------------- entry points


def load_text(path: Path) -> str:
    """Read a report file of any supported format and return its plain text.

    The suffix (case-insensitive) picks the reader. Raises `ReportQAError` for
    a missing path or a folder, `UnsupportedFileError` for an unknown suffix,
    binary junk or a damaged PDF/DOCX, and `EmptyDocumentError` when the file
    holds no text.
    """
    path = Path(path)
    name = _display_name(path)
    if not path.exists():
        raise ReportQAError(f"file not found: {name}; check the path and try again")
    if path.is_dir():
        raise ReportQAError(f"{name} is a folder, not a report file; pass one file ({_SUPPORTED_LIST})")
    _reader_for(name)  # fail on the suffix before reading a possibly large file
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ReportQAError(f"cannot read {name}: {reason}; check its permissions") from exc
    return load_bytes(data, name)


def load_bytes(data: bytes, name: str) -> str:
    """Turn a report's raw bytes into plain text, choosing the reader by `name`'s suffix.

    This is `load_text` without the file system, for uploads: `name` is only
    used for its suffix and in error messages.
    """
    name = _display_name(Path(name))
    reader = _reader_for(name)
    if not data.strip():
        raise _empty(name)
    text = reader(data, name)
    if not text.strip():
        raise _empty(name)
    return text


def decode_bytes(data: bytes, name: str) -> str:
    """Decode a text file's bytes, whatever encoding a Chinese office saved it in.

    Order matters: a byte-order mark wins (UTF-8/16/32, the mark is dropped);
    then strict UTF-8, then strict GB18030 (a superset of GBK/GB2312); only then
    charset-normalizer, because on short Chinese text detectors often guess a
    wrong legacy code page. NUL bytes or many control characters mean binary
    data and raise `UnsupportedFileError`. Newlines become `\\n`; nothing else
    in the text is changed, since offsets into it are used for citations.
    """
    text = _decode_with_bom(data, name)
    if text is None:
        if b"\x00" in data:
            raise _binary(name)
        text = _decode_without_bom(data, name)
    if _looks_binary(text):
        raise _binary(name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- errors and names


def _one_line(text: str) -> str:
    """Keep a file name from breaking the one-line message contract."""
    return " ".join(text.splitlines()) or "(unnamed)"


def _display_name(path: Path) -> str:
    """The file's own name: messages must not leak absolute paths."""
    return _one_line(path.name or str(path))


def _empty(name: str) -> EmptyDocumentError:
    return EmptyDocumentError(f"{name} has no text in it; add content or pick another file")


def _binary(name: str) -> UnsupportedFileError:
    return UnsupportedFileError(
        f"{name} looks like binary data, not text; save it as UTF-8 text or use one of {_SUPPORTED_LIST}"
    )


def _unreadable(name: str, kind: str) -> UnsupportedFileError:
    return UnsupportedFileError(
        f"could not read {name}: it is not a valid {kind} file (damaged, encrypted or mislabelled); "
        "re-export it or convert it to .txt"
    )


def _reader_for(name: str) -> Callable[[bytes, str], str]:
    """The reader for a file name's suffix, or a message listing what is supported."""
    suffix = Path(name).suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        shown = f"'{suffix}'" if suffix else "no suffix"
        raise UnsupportedFileError(
            f"{name} has an unsupported file type ({shown}); supported: {_SUPPORTED_LIST}"
        )
    return reader


# ---------------------------------------------------------------- text decoding

# UTF-32 marks first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_STRICT_ENCODINGS = ("utf-8", "gb18030")
# C0 controls other than tab/newline/vertical tab/form feed/carriage return, DEL, C1 controls.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.05


def _decode_with_bom(data: bytes, name: str) -> str | None:
    """Decode by the byte-order mark, dropping it; None when there is no mark."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise UnsupportedFileError(
                    f"{name} starts with a {encoding.upper()} mark but is not valid {encoding.upper()}; "
                    "re-save it as UTF-8"
                ) from exc
    return None


def _decode_without_bom(data: bytes, name: str) -> str:
    """Strict UTF-8, strict GB18030, then detection as a last resort."""
    for encoding in _STRICT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise UnsupportedFileError(f"could not work out the text encoding of {name}; re-save it as UTF-8")
    return str(best)


def _looks_binary(text: str) -> bool:
    """NULs or a high share of control characters: not something a person wrote."""
    if not text:
        return False
    if "\x00" in text:
        return True
    return len(_CONTROL_CHARS.findall(text)) / len(text) > _MAX_CONTROL_RATIO


def _read_plain_text(data: bytes, name: str) -> str:
    """Markdown and plain text: the decoded text as is."""
    return decode_bytes(data, name)


# ---------------------------------------------------------------- DOCX

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_MAX_HEADING_LEVEL = 6


def _read_docx(data: bytes, name: str) -> str:
    """Paragraphs and tables in document order, one block each, blank-line separated."""
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [_docx_block(item) for item in document.iter_inner_content()]
    except Exception as exc:  # python-docx raises many types on damaged packages
        raise _unreadable(name, "Word .docx") from exc
    return "\n\n".join(block for block in blocks if block)


def _docx_block(item: DocxParagraph | Table) -> str:
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


# ---------------------------------------------------------------- HTML

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


def _read_html(data: bytes, name: str) -> str:
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
    if not any(data.startswith(bom) for bom, _ in _BOMS):
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


# ---------------------------------------------------------------- PDF

_SENTENCE_END = "。！？；："
_CLOSING_MARKS = "”’」』）)》】\"'"
# Short lines that start something new: chapter/section numbers, Chinese ordinals, bullets.
_NUMBERED_START = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇两\d]+[章节篇部]"
    r"|[一二三四五六七八九十]+[、.．]"
    r"|[一二三四五六七八九十]是"
    r"|[（(][一二三四五六七八九十\d]{1,3}[)）]"
    r"|\d{1,2}(?:\.\d{1,2})+(?:\s|$)"
    r"|\d{1,2}[.．、](?!\d)"
    r"|\d{1,2}$"
    r"|[»▶◆■●►▸•·]"
    r"|[-*]\s)"
)
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?\d{1,4}(?:\s*[-–—])?$"
    r"|^第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$"
    r"|^\d{1,4}\s*/\s*\d{1,4}$"
    r"|^(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_SENTENCE_PUNCT = re.compile(r"[，。、；：！？,.;:!?]")
_MAX_HEADING_WIDTH = 40  # display columns: 20 CJK characters
_SHORT_LINE_RATIO = 0.7
_MIN_LINES_FOR_QUARTILE = 4


def _read_pdf(data: bytes, name: str) -> str:
    """Text page by page, lines broken by the layout rejoined, pages separated by a blank line."""
    with _quiet_pypdf():
        pages = _pdf_pages(data, name)
    if not any(page.strip() for page in pages):
        raise EmptyDocumentError(
            f"{name} has no text layer (probably scanned images); OCR is not supported, "
            "so convert it to text first"
        )
    return "\n\n".join(text for text in map(reflow_pdf_page, pages) if text)


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's log lines and warnings about repairs: the user gets one clear message instead."""
    logger = logging.getLogger("pypdf")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(previous)


def _pdf_pages(data: bytes, name: str) -> list[str]:
    reader = _open_pdf(data, name)
    try:
        return [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types on damaged content streams
        raise _unreadable(name, "PDF") from exc


def _open_pdf(data: bytes, name: str) -> pypdf.PdfReader:
    """Open a PDF, unlocking it with the empty password that many 'protected' reports use."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedFileError(
                f"{name} is password-protected; remove the password or export it as text"
            )
    except ReportQAError:
        raise
    except Exception as exc:  # PdfReadError, DependencyError (AES), struct/zlib errors…
        raise _unreadable(name, "PDF") from exc
    return reader


def reflow_pdf_page(raw: str) -> str:
    """Rebuild the paragraphs of one page of extracted PDF text.

    PDF text comes out one visual line at a time. A line continues the
    paragraph above unless: the line above ends a sentence (。！？；：), the line
    above is clearly shorter than the page's full lines (the paragraph or
    heading ended there), this line starts with a number/ordinal/bullet, or it
    is a short punctuation-free line that looks like a heading. Page-number
    lines at the top or bottom of the page are dropped. Paragraphs are
    separated by a blank line.
    """
    lines = _drop_page_numbers([line.strip() for line in raw.splitlines()])
    full = _full_line_width([line for line in lines if line])
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if current and (not line or not _continues(current[-1], line, full)):
            paragraphs.append(current)
            current = []
        if line:
            current.append(line)
    if current:
        paragraphs.append(current)
    return "\n\n".join(_join_lines(paragraph) for paragraph in paragraphs)


def _drop_page_numbers(lines: list[str]) -> list[str]:
    """Blank out a lone page number in the first or last line.

    Only those positions are touched: a bare number mid-page (`8`) is more
    likely a chapter heading than a folio.
    """
    filled = [i for i, line in enumerate(lines) if line]
    for i in {filled[0], filled[-1]} if filled else set():
        if _PAGE_NUMBER.match(lines[i]):
            lines[i] = ""
    return lines


def _width(text: str) -> int:
    """Display width: CJK and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _full_line_width(lines: list[str]) -> int:
    """The width of a full line on this page; the upper quartile ignores one overlong outlier."""
    widths = sorted(_width(line) for line in lines)
    if not widths:
        return 0
    if len(widths) < _MIN_LINES_FOR_QUARTILE:
        return widths[-1]
    return widths[(3 * (len(widths) - 1)) // 4]


def _ends_sentence(line: str) -> bool:
    return line.rstrip(_CLOSING_MARKS).endswith(tuple(_SENTENCE_END))


def _is_short(line: str, full: int) -> bool:
    return _width(line) < _SHORT_LINE_RATIO * full


def _looks_like_bare_heading(line: str, full: int) -> bool:
    width = _width(line)
    return width <= _MAX_HEADING_WIDTH and _is_short(line, full) and not _SENTENCE_PUNCT.search(line)


def _continues(previous: str, line: str, full: int) -> bool:
    """Whether `line` is the same paragraph as `previous`, merely wrapped by the layout."""
    return not (
        _ends_sentence(previous)
        or _is_short(previous, full)
        or _NUMBERED_START.match(line)
        or _looks_like_bare_heading(line, full)
    )


def _join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines: no space between CJK (or a number split across lines), a space for Latin."""
    joined = ""
    for line in lines:
        if joined and _needs_space(joined[-1], line[0]):
            joined += " "
        joined += line
    return joined


def _needs_space(left: str, right: str) -> bool:
    if (left.isdigit() or left == ".") and right.isdigit():
        return False
    if left == "-":
        return False
    return _is_narrow(left) and _is_narrow(right)


def _is_narrow(ch: str) -> bool:
    """Latin letters, digits and ASCII punctuation; not CJK, full-width or ambiguous quotes."""
    return unicodedata.east_asian_width(ch) in ("Na", "N")


_READERS: dict[str, Callable[[bytes, str], str]] = {
    **dict.fromkeys(TEXT_SUFFIXES, _read_plain_text),
    **dict.fromkeys(HTML_SUFFIXES, _read_html),
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
