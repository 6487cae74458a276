"""Errors a user can act on.

Every failure that reaches a person (CLI or HTTP) is one of these, so the
front ends can print a one-line message instead of a traceback.
"""

from __future__ import annotations

#: What every "the index is damaged or stale" message tells the user to do; one wording for all stores.
REBUILD_HINT = "run `reportqa build` to rebuild the index"


class ReportQAError(Exception):
    """Base class: the message is shown to the user as is."""


class UnsupportedFileError(ReportQAError):
    """A file that cannot be read as a report (binary, unknown format, unreadable)."""


class EmptyDocumentError(ReportQAError):
    """A file with no text in it."""


class CorpusError(ReportQAError):
    """A problem with the corpus folder or its manifest."""


class IndexNotFoundError(ReportQAError):
    """No index has been built yet."""


class IndexCorruptError(ReportQAError):
    """An index file is missing, truncated or unreadable."""


class StaleIndexError(ReportQAError):
    """The index was built with another model or chunker version."""


class ModelSetupError(ReportQAError):
    """The embedding model could not be prepared or loaded."""


class InvalidQueryError(ReportQAError):
    """A query or a search parameter the user must change."""


class SettingsError(ReportQAError):
    """A setting named or valued wrongly (`--set group.name=value` or a `REPORTQA_*` variable)."""


class BackendUnavailableError(ReportQAError):
    """The index engine (a Milvus server) cannot be reached now; it may come back, so callers retry."""


#: What to do about a failed file operation, by its errno name (the rest get no hint).
_OS_HINTS = {
    "ENOSPC": "free some disk space, then run the command again",
    "EDQUOT": "free some space in your disk quota, then run the command again",
    "EROFS": "use a folder on a writable file system",
    "EACCES": "check the folder's owner and permissions",
    "EPERM": "check the folder's owner and permissions",
}


def os_error_message(exc: OSError) -> str:
    """One line for a failed file operation: the cause, the path and what to do.

    A full disk, a read-only or an unreadable index folder is the operator's to fix, so it is
    reported like any other user error (CLI `error: …`, API 503) instead of a traceback.
    """
    import errno
    import os

    name = errno.errorcode.get(exc.errno or 0, "")
    cause = (exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or str(exc) or type(exc).__name__)
    cause = cause[:1].lower() + cause[1:]
    where = f": {exc.filename}" if exc.filename is not None else ""
    hint = _OS_HINTS.get(name)
    return " ".join(f"{cause}{where}{f' ({hint})' if hint else ''}".split())
