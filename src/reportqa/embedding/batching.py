"""Embed concurrent questions together.

The encoder runs one call at a time (parallel calls only fight over the same
cores), so under concurrent load each request would wait for all the others'
single-question calls. Questions that arrive while a call runs are instead
encoded together in the next call: one padded batch of eight short questions
costs far less than eight calls. A lone question goes straight through, so
this adds no latency when the server is idle.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import numpy as np

from reportqa.embedding.base import Embedder


class QueryBatcher:
    """Thread-safe `embed(text)` that batches whatever is waiting when the encoder frees up."""

    def __init__(self, embedder: Embedder, max_batch: int = 16) -> None:
        self.embedder = embedder
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="query-batcher", daemon=True)
        self._thread.start()

    def embed(self, text: str) -> np.ndarray:
        future: Future[np.ndarray] = Future()
        self._queue.put((text, future))
        return future.result()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self.embedder.embed_queries([text for text, _ in batch])
            except Exception as exc:  # hand the failure to every waiting request
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)
