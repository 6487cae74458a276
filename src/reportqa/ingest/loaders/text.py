"""Markdown and plain text: decoded whatever encoding a Chinese office saved them in, otherwise untouched.

Text files are returned exactly as decoded (only newlines are normalised),
because citations are character offsets into this text. `decode_bytes` is
also the fallback of the HTML reader, which is why it is public.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from reportqa.errors import UnsupportedFileError
from reportqa.ingest.loaders.base import binary_error, register_loader

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})

# UTF-32 marks first: the UTF-32-LE mark begins with the UTF-16-LE one.
BOMS: tuple[tuple[bytes, str], ...] = (
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


@register_loader(*sorted(TEXT_SUFFIXES))
def read_plain_text(data: bytes, name: str) -> str:
    """Markdown and plain text: the decoded text as is."""
    return decode_bytes(data, name)


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
            raise binary_error(name)
        text = _decode_without_bom(data, name)
    if _looks_binary(text):
        raise binary_error(name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_with_bom(data: bytes, name: str) -> str | None:
    """Decode by the byte-order mark, dropping it; None when there is no mark."""
    for bom, encoding in BOMS:
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
