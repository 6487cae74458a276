"""Durable writes shared by the stores and the report library: a rename is on disk only once its
folder is fsynced, so a crash right after `os.replace` cannot bring the old file back."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
