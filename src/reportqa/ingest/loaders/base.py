"""The loader registry and the pieces every format shares: display names and typed errors.

It lives apart from the package `__init__` so a format module can import
`register_loader` without importing the package that imports it (no cycle),
and so listing the supported suffixes (CLI help, corpus scan) costs nothing
beyond the format modules themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from pathlib import Path
from typing import Any

from reportqa.errors import EmptyDocumentError, UnsupportedFileError

Loader = Callable[[bytes, str], str]
"""A format reader: the file's raw bytes and its display name (for messages) → plain text.

Bytes, not a path, so the same reader serves files on disk and HTTP uploads.
"""

_LOADERS: dict[str, Loader] = {}

# ---------------------------------------------------------------- registry


def _normalise_suffix(suffix: str) -> str:
    """Suffixes are matched lower-case and with their dot, exactly as `Path.suffix` gives them."""
    if not suffix.startswith(".") or len(suffix) < 2 or "." in suffix[1:] or suffix != suffix.strip():
        raise ValueError(f"a loader suffix is one dot and a name, like '.epub'; got {suffix!r}")
    return suffix.lower()


def register_loader(*suffixes: str) -> Callable[[Loader], Loader]:
    """Decorator: make `reader` the loader for `suffixes` (case-insensitive, e.g. ``".epub"``).

    The reader is returned unchanged. A suffix that already has a loader is an
    error rather than a silent replacement, so two modules cannot fight over a
    format depending on import order; call `unregister_loader` first to swap one.
    """
    if not suffixes:
        raise ValueError("register_loader needs at least one suffix, like '.epub'")
    keys = [_normalise_suffix(suffix) for suffix in suffixes]

    def decorate(reader: Loader) -> Loader:
        taken = [key for key in keys if key in _LOADERS]
        if taken:
            raise ValueError(f"a loader is already registered for {', '.join(taken)}")
        for key in keys:
            _LOADERS[key] = reader
        return reader

    return decorate


def unregister_loader(*suffixes: str) -> None:
    """Forget the loaders of `suffixes` (absent ones are ignored): for tests and for replacing a built-in."""
    for suffix in suffixes:
        _LOADERS.pop(_normalise_suffix(suffix), None)


def supported_suffixes() -> tuple[str, ...]:
    """Every registered suffix, sorted, so messages do not depend on import order."""
    return tuple(sorted(_LOADERS))


def supported_list() -> str:
    """The suffixes as error messages show them: ``.docx, .htm, ...``."""
    return ", ".join(supported_suffixes())


def loader_for(path: Path | str) -> Loader:
    """The loader for a path's suffix (case-insensitive), or `UnsupportedFileError` listing what is supported."""
    return loader_for_name(display_name(Path(path)))


def loader_for_name(name: str) -> Loader:
    """`loader_for` for a name that is already a display name (the suffix is taken from it)."""
    suffix = Path(name).suffix.lower()
    reader = _LOADERS.get(suffix)
    if reader is None:
        shown = f"'{suffix}'" if suffix else "no suffix"
        raise UnsupportedFileError(f"{name} has an unsupported file type ({shown}); supported: {supported_list()}")
    return reader


class SuffixView(Set[str]):
    """A read-only, live view of the registered suffixes.

    `SUPPORTED_SUFFIXES` used to be a frozenset constant; callers did
    ``from ... import SUPPORTED_SUFFIXES`` and test ``suffix in SUPPORTED_SUFFIXES``.
    A snapshot taken at import would miss formats registered later, so the name
    now stands for this view, which reads the registry on every use.
    """

    def __contains__(self, item: object) -> bool:
        return item in _LOADERS

    def __iter__(self) -> Iterator[str]:
        return iter(supported_suffixes())

    def __len__(self) -> int:
        return len(_LOADERS)

    @classmethod
    def _from_iterable(cls, it: Any) -> frozenset[str]:
        """Set algebra (``view | {".x"}``) yields a plain frozenset snapshot."""
        return frozenset(it)

    def __repr__(self) -> str:
        return f"SuffixView({set(supported_suffixes())!r})"


# ---------------------------------------------------------------- names and errors


def one_line(text: str) -> str:
    """Keep a file name from breaking the one-line message contract."""
    return " ".join(text.splitlines()) or "(unnamed)"


def display_name(path: Path) -> str:
    """The file's own name: messages must not leak absolute paths."""
    return one_line(path.name or str(path))


def empty_error(name: str) -> EmptyDocumentError:
    return EmptyDocumentError(f"{name} has no text in it; add content or pick another file")


def binary_error(name: str) -> UnsupportedFileError:
    return UnsupportedFileError(
        f"{name} looks like binary data, not text; save it as UTF-8 text or use one of {supported_list()}"
    )


def unreadable_error(name: str, kind: str) -> UnsupportedFileError:
    return UnsupportedFileError(
        f"could not read {name}: it is not a valid {kind} file (damaged, encrypted or mislabelled); "
        "re-export it or convert it to .txt"
    )
