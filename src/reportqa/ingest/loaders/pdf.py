"""PDF: the text layer page by page, with the paragraphs the layout broke into lines rebuilt.

pypdf is imported when a PDF is first read, not with this module: the
registry (and so the CLI's help text) must not pay for it just to list the
suffixes. Scanned PDFs have no text layer and are refused; OCR is out of scope.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from reportqa.errors import EmptyDocumentError, ReportQAError, UnsupportedFileError
from reportqa.ingest.loaders.base import register_loader, unreadable_error

if TYPE_CHECKING:
    import pypdf

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


@register_loader(".pdf")
def read_pdf(data: bytes, name: str) -> str:
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
        raise unreadable_error(name, "PDF") from exc


def _open_pdf(data: bytes, name: str) -> pypdf.PdfReader:
    """Open a PDF, unlocking it with the empty password that many 'protected' reports use."""
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsupportedFileError(
                f"{name} is password-protected; remove the password or export it as text"
            )
    except ReportQAError:
        raise
    except Exception as exc:  # PdfReadError, DependencyError (AES), struct/zlib errors…
        raise unreadable_error(name, "PDF") from exc
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
