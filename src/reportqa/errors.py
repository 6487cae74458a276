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
