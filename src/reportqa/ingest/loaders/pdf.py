"""PDF: the text layer page by page, with font sizes, tables and page boundaries kept.

Read with pdfplumber (MIT; on pdfminer.six) rather than PyMuPDF (AGPL, which
this MIT project cannot ship). PyMuPDF is ~30x faster, but pdfplumber reads
a page in ~45 ms, 100 pages in ~5 s, inside the 10 s budget, and both give
the same characters, sizes and positions on the reports tried.

What the loader makes of a page:

- lines from the characters' positions, each with its font size and weight;
- the body size is the size most characters have; a short line set larger
  (or bold) is a heading, the largest on the first page the title (`#`),
  smaller heading sizes `##`, `###`; the PDF's `/Title` names the report only
  when no line stands out and it is not a tool's file name;
- running headers and footers (the same line, digits aside, at the top or
  bottom of several pages) and page numbers are dropped;
- ruled tables become header-named rows (reportqa.ingest.tables);
- the rest is rebuilt into paragraphs (`reflow_pdf_page`);
- pages are joined by a form feed on a line of its own, which the section
  parser reads as a blank line and the chunker counts to give each passage its page.

Scanned PDFs have no text layer and are refused ("no text layer"); no OCR
package on PyPI ships its models inside its wheel, so OCR is not offered.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from reportqa.errors import EmptyDocumentError, ReportQAError, UnsupportedFileError
from reportqa.ingest.loaders.base import register_loader, unreadable_error
from reportqa.ingest.tables import CAPTION, format_table

PAGE_BREAK = "\f"
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


_HEADING_MIN_STEP = 1.0  # points above the body size that make a line a heading
_MAX_TITLE_CHARS = 60
_EDGE_LINES = 2  # lines at each end of a page where running headers and footers live
_TOOL_TITLE = re.compile(r"(?:^Microsoft\s|\.(?:docx?|pdf|wps|txt)$|^untitled$|^无标题)", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


@dataclass
class _PdfLine:
    text: str
    size: float
    bold: bool
    top: float


@dataclass
class _PdfTable:
    rows: list[list[str | None]]
    top: float


@register_loader(".pdf")
def read_pdf(data: bytes, name: str) -> str:
    """Pages of headings, paragraphs and tables, separated by a form-feed line."""
    with _quiet_pdf():
        pages, meta_title = _pdf_pages(data, name)
    if not any(line.text.strip() for page in pages for line in page if isinstance(line, _PdfLine)) and not any(
        isinstance(item, _PdfTable) for page in pages for item in page
    ):
        raise EmptyDocumentError(
            f"{name} has no text layer (probably scanned images); OCR is not supported, "
            "so convert it to text first"
        )
    _drop_running_lines(pages)
    texts = _render(pages, meta_title)
    return f"\n{PAGE_BREAK}\n".join(texts).strip("\n" + PAGE_BREAK) if any(texts) else ""


@contextlib.contextmanager
def _quiet_pdf() -> Iterator[None]:
    """Silence pdfminer's log lines and warnings about repairs: the user gets one clear message instead."""
    loggers = [logging.getLogger(n) for n in ("pdfminer", "pdfplumber")]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, previous, strict=True):
            logger.setLevel(level)


def _pdf_pages(data: bytes, name: str) -> tuple[list[list[_PdfLine | _PdfTable]], str]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            title = pdf.metadata.get("Title", "")
            title = title.decode("utf-8", "replace") if isinstance(title, bytes) else str(title or "")
            return [_page_items(page) for page in pdf.pages], title.strip()
    except ReportQAError:
        raise
    except PDFPasswordIncorrect as exc:
        raise UnsupportedFileError(f"{name} is password-protected; remove the password or export it as text") from exc
    except Exception as exc:  # pdfminer raises many types on damaged files and content streams
        if "password" in str(exc).lower() or (type(exc).__name__ == "PdfminerException" and "Password" in repr(exc)):
            raise UnsupportedFileError(
                f"{name} is password-protected; remove the password or export it as text"
            ) from exc
        raise unreadable_error(name, "PDF") from exc


def _page_items(page: Any) -> list[_PdfLine | _PdfTable]:
    """A page's lines and ruled tables, top to bottom; text inside a table is read only as the table.

    Characters are read from pdfminer's layout objects directly: pdfplumber's
    `page.chars` converts every attribute of every object and doubles the time
    of a text-only page. Only a page with ruling lines pays for table finding.
    """
    chars, ruled = _layout_chars(page)
    tables = [t for t in page.find_tables() if len(t.rows) >= 2] if ruled else []
    boxes = [t.bbox for t in tables]

    def outside(obj: dict[str, Any]) -> bool:
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    kept = [c for c in chars if outside(c)] if boxes else chars
    items: list[_PdfLine | _PdfTable] = [*_lines(kept), *(_PdfTable(t.extract(), t.bbox[1]) for t in tables)]
    return sorted(items, key=lambda item: item.top)


def _layout_chars(page: Any) -> tuple[list[dict[str, Any]], bool]:
    """(the page's characters as pdfplumber-style dicts, whether it has ruling lines or boxes)."""
    from pdfminer.layout import LTChar, LTContainer, LTCurve

    height = page.layout.y1
    chars: list[dict[str, Any]] = []
    ruled = False
    stack = [page.layout]
    while stack:
        obj = stack.pop()
        if isinstance(obj, LTChar):
            chars.append({"text": obj.get_text(), "size": obj.size, "fontname": obj.fontname, "x0": obj.x0,
                          "x1": obj.x1, "top": height - obj.y1, "bottom": height - obj.y0})
        elif isinstance(obj, LTCurve):  # LTLine and LTRect are curves
            ruled = True
        elif isinstance(obj, LTContainer):
            stack.extend(obj)
    return chars, ruled


def _lines(chars: list[dict[str, Any]]) -> list[_PdfLine]:
    """Characters grouped into lines by their vertical position, read left to right."""
    rows: list[list[dict[str, Any]]] = []
    for char in sorted(chars, key=lambda c: (round(c["top"]), c["x0"])):
        if not char["text"].strip() and not (rows and rows[-1]):
            continue
        if rows and abs(rows[-1][0]["top"] - char["top"]) <= 0.5 * max(char["size"], 1):
            rows[-1].append(char)
        else:
            rows.append([char])
    lines = []
    for row in rows:
        row.sort(key=lambda c: c["x0"])
        text = ""
        for prev, char in zip([None, *row], row, strict=False):
            if prev is not None and char["x0"] - prev["x1"] > 0.25 * char["size"] and text:
                text += " " if _is_narrow(text[-1]) or _is_narrow(char["text"][0]) else ""
            text += char["text"]
        sizes = Counter(round(c["size"], 1) for c in row)
        bold = all("bold" in str(c.get("fontname", "")).lower() for c in row)
        if text.strip():
            lines.append(_PdfLine(" ".join(text.split()), sizes.most_common(1)[0][0], bold, row[0]["top"]))
    return lines


def _drop_running_lines(pages: list[list[_PdfLine | _PdfTable]]) -> None:
    """Remove page numbers, and lines repeated (digits aside) at the top or bottom of several pages."""
    def key(line: _PdfLine) -> str:
        return _DIGITS.sub("#", line.text.replace(" ", ""))

    edges = [[item for item in page if isinstance(item, _PdfLine)] for page in pages]
    counts: Counter[str] = Counter()
    for lines in edges:
        counts.update({key(line) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
    repeated = {k for k, n in counts.items() if n >= 2} if len(pages) >= 2 else set()
    for page, lines in zip(pages, edges, strict=True):
        edge = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        for line in edge:
            if key(line) in repeated or _PAGE_NUMBER.match(line.text):
                page.remove(line)


def _render(pages: list[list[_PdfLine | _PdfTable]], meta_title: str) -> list[str]:
    """Each page as blocks: `#` title and headings by font size, tables as rows, reflowed paragraphs."""
    lines = [item for page in pages for item in page if isinstance(item, _PdfLine)]
    weights: Counter[float] = Counter()
    for line in lines:
        weights[line.size] += len(line.text)
    body = weights.most_common(1)[0][0] if weights else 0.0
    heading_sizes = sorted({line.size for line in lines if _is_heading_line(line, body)}, reverse=True)
    first_page = next((page for page in pages if any(isinstance(i, _PdfLine) for i in page)), [])
    title_line = next((i for i in first_page if isinstance(i, _PdfLine) and heading_sizes
                       and i.size == heading_sizes[0] and i.size > body + _HEADING_MIN_STEP), None)
    levels = {size: min(i + (1 if title_line is None else 2), 6)
              for i, size in enumerate(heading_sizes[1:] if title_line else heading_sizes)}
    out: list[str] = []
    if title_line is None and meta_title and not _TOOL_TITLE.search(meta_title):
        out.append("# " + " ".join(meta_title.split()))
    for number, page in enumerate(pages):
        blocks: list[str] = []
        body_lines: list[str] = []
        flush = _flusher(blocks, body_lines)
        for item in page:
            if isinstance(item, _PdfTable):
                caption = body_lines.pop() if body_lines and CAPTION.match(body_lines[-1]) else ""
                flush()
                blocks.append(format_table(item.rows, caption))
            elif item is title_line:
                flush()
                blocks.append("# " + item.text)
            elif _is_heading_line(item, body):
                flush()
                level = levels.get(item.size, max(levels.values(), default=1) + 1)
                blocks.append("#" * min(level, 6) + " " + item.text)
            else:
                body_lines.append(item.text)
        flush()
        text = "\n\n".join(block for block in blocks if block)
        if out and number == 0 and out[0].startswith("# "):
            text = out.pop() + ("\n\n" + text if text else "")
        out.append(text)
    return out


def _flusher(blocks: list[str], body_lines: list[str]) -> Callable[[], None]:
    """Close the paragraph lines gathered so far into reflowed blocks (before a heading or a table)."""
    def flush() -> None:
        if body_lines:
            blocks.append(reflow_pdf_page("\n".join(body_lines)))
            body_lines.clear()

    return flush


def _is_heading_line(line: _PdfLine, body: float) -> bool:
    """Short, unpunctuated at the end, and set larger than the body text (or bold at body size)."""
    if len(line.text) > _MAX_TITLE_CHARS or _ends_sentence(line.text) or _PAGE_NUMBER.match(line.text):
        return False
    return line.size >= body + _HEADING_MIN_STEP or (line.bold and len(line.text) <= 30)


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
