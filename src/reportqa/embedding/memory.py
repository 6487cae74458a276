"""Giving freed memory back to the operating system.

A long-running server that once loaded something big (a PyTorch model for a rebuild,
the arrays of a build) keeps the freed pages in glibc's heap: Python's `del` makes
them reusable, not returned, and resident memory stays at its peak. `malloc_trim`
hands free heap pages back, so the server's footprint returns to that of a fresh one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

_log = logging.getLogger(__name__)


def trim_memory() -> bool:
    """Collect garbage, then return free heap pages to the system; False where libc has no malloc_trim."""
    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):  # not glibc (musl, macOS): the collection is all we can do
        _log.debug("malloc_trim unavailable")
        return False
