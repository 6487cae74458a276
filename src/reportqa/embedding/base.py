"""The `Embedder` protocol: all the pipeline knows of an embedding model.

The index, the server and the tests depend on this protocol only, so any
sentence-transformers model, the ONNX fast path or a test's fake can stand in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """What the pipeline needs from an embedding model."""

    model_id: str
    checksum: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (n, dim), L2-normalised, encoded as questions."""
        ...

    def embed_passages(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """float32 (n, dim), L2-normalised, encoded as documents; `progress(done)` after each batch."""
        ...

    def warm_up(self) -> None:
        """Pay the first-call costs (thread pools, allocator) before the first real request."""
        ...
