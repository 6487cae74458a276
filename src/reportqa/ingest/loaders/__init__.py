"""Turn any supported report file into the plain text the section parser reads.

The section parser works on Markdown-ish text: blocks separated by blank lines,
headings as `#` lines, bare short lines or numbered lines. Every format is
reduced to that shape here, so the rest of the pipeline never sees a file
format. Text files are returned exactly as decoded (only newlines are
normalised), because citations are character offsets into this text.

Every failure is a `reportqa.errors` exception with a one-line message that
names the file (never its absolute path) and says what to do, so the CLI and
the HTTP front end can show it as is.

One module per format (`text`, `pdf`, `docx`, `html`), each registering its
reader with the `register_loader` decorator from `base`. The registry is the
only list of formats: `SUPPORTED_SUFFIXES`, `supported_suffixes()`, the
corpus scan, the CLI's messages and every "supported: ..." error read it.

Adding a format, e.g. EPUB, takes exactly two steps:

1. a module `epub.py` here whose reader takes the file's bytes and its display
   name and returns the text (raising `reportqa.errors` exceptions built with
   the helpers in `base`)::

       from reportqa.ingest.loaders.base import register_loader

       @register_loader(".epub")
       def read_epub(data: bytes, name: str) -> str: ...

2. its name on the `import` line of built-in formats below, so it registers
   when the package is imported.

Code outside the package can register a format the same way (decorate a
reader after importing this package); `unregister_loader` undoes it.
"""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path

from reportqa.errors import ReportQAError

# The built-in formats: importing a module registers its reader. Add new format modules here.
from reportqa.ingest.loaders import docx, html, pdf, text  # noqa: F401
from reportqa.ingest.loaders.base import (
    Loader,
    SuffixView,
    display_name,
    empty_error,
    loader_for,
    loader_for_name,
    register_loader,
    supported_list,
    supported_suffixes,
    unregister_loader,
)
from reportqa.ingest.loaders.pdf import reflow_pdf_page
from reportqa.ingest.loaders.text import decode_bytes

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Loader",
    "decode_bytes",
    "load_bytes",
    "load_text",
    "loader_for",
    "reflow_pdf_page",
    "register_loader",
    "supported_suffixes",
    "unregister_loader",
]

SUPPORTED_SUFFIXES: Set[str] = SuffixView()
"""Every suffix a loader is registered for (lower-case, with the dot); a live view of the registry."""


def load_text(path: Path) -> str:
    """Read a report file of any supported format and return its plain text.

    The suffix (case-insensitive) picks the reader. Raises `ReportQAError` for
    a missing path or a folder, `UnsupportedFileError` for an unknown suffix,
    binary junk or a damaged PDF/DOCX, and `EmptyDocumentError` when the file
    holds no text.
    """
    path = Path(path)
    name = display_name(path)
    if not path.exists():
        raise ReportQAError(f"file not found: {name}; check the path and try again")
    if path.is_dir():
        raise ReportQAError(f"{name} is a folder, not a report file; pass one file ({supported_list()})")
    loader_for_name(name)  # fail on the suffix before reading a possibly large file
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
    name = display_name(Path(name))
    reader = loader_for_name(name)
    if not data.strip():
        raise empty_error(name)
    plain = reader(data, name)
    if not plain.strip():
        raise empty_error(name)
    return plain
