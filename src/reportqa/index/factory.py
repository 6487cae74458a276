"""Pick an index backend by name: the one place that knows which backends exist.

As in txtai's ANN factory, a backend is a name mapped to a `Catalog` class, or a
dotted path `package.module:Class` for a backend that lives outside this package.
Adding one is a new module plus one line here; nothing above the seam changes.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from reportqa.errors import ReportQAError
from reportqa.index.base import Catalog

BACKENDS: dict[str, str] = {
    "faiss": "reportqa.index.local:LocalCatalog",
    "milvus": "reportqa.index.milvus_store:MilvusCatalog",
}


def catalog_class(backend: str) -> type[Any]:
    """The `Catalog` class registered under `backend` (or named by a dotted path)."""
    target = BACKENDS.get(backend, backend if ":" in backend else None)
    if target is None:
        raise ReportQAError(f"unknown index backend '{backend}'; choose one of: {', '.join(sorted(BACKENDS))}")
    module_name, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
    except (ImportError, AttributeError) as exc:
        raise ReportQAError(f"index backend '{backend}' cannot be loaded ({exc})") from None


def open_catalog(root: Path, backend: str = "faiss", **options: Any) -> Catalog:
    """The catalog of the index at `root` (a folder for local backends) on the named backend."""
    catalog: Catalog = catalog_class(backend)(root, **options)
    return catalog
