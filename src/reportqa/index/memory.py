"""In-process stores over arrays: the chunk table, the sentence vectors and the filter columns.

The local (FAISS + BM25) backend keeps rows in corpus order and maps them to stable
chunk keys here, so its engines can stay row-numbered internally while everything
above the seam speaks keys. A `Filter` becomes a boolean row mask once per query,
which the FAISS store turns into an ID selector and the BM25 store multiplies in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reportqa.errors import IndexCorruptError
from reportqa.index.base import Filter, SentenceScores, chunk_key
from reportqa.models import Chunk


class RowTable:
    """Per-row chunk key, report and year: the columns every local store filters on."""

    def __init__(self, keys: np.ndarray, docs: Sequence[str], years: np.ndarray) -> None:
        self.keys = np.ascontiguousarray(keys, dtype=np.int64)
        self.doc_names = sorted(set(docs))
        code = {d: i for i, d in enumerate(self.doc_names)}
        self.doc_codes = np.array([code[d] for d in docs], dtype=np.int32)
        self.years = np.ascontiguousarray(years, dtype=np.int64)
        self._row_of = {int(k): i for i, k in enumerate(self.keys.tolist())}
        if len(self._row_of) != len(self.keys):
            raise IndexCorruptError("two chunks share a key: run `reportqa build --force`")

    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk]) -> RowTable:
        keys = np.array([chunk_key(c.id) for c in chunks], dtype=np.int64)
        years = np.array([-1 if c.year is None else c.year for c in chunks], dtype=np.int64)
        return cls(keys, [c.doc_id for c in chunks], years)

    def __len__(self) -> int:
        return int(self.keys.size)

    def row(self, key: int) -> int | None:
        return self._row_of.get(int(key))

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """Row numbers of keys (-1 for a key this table does not hold)."""
        return np.array([self._row_of.get(int(k), -1) for k in keys.tolist()], dtype=np.int64)

    def mask(self, where: Filter) -> np.ndarray | None:
        """Rows the filter admits; None when it admits all (no work for the stores)."""
        if where.empty:
            return None
        mask = np.ones(len(self), dtype=bool)
        if where.doc is not None:
            code = self.doc_names.index(where.doc) if where.doc in self.doc_names else -1
            mask &= self.doc_codes == code
        if where.year is not None:
            mask &= self.years == where.year
        return mask


class MemoryChunkStore:
    """Chunks held in memory, in corpus order."""

    def __init__(self, chunks: Sequence[Chunk], table: RowTable) -> None:
        self._chunks = list(chunks)
        self._table = table

    def __len__(self) -> int:
        return len(self._chunks)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._chunks)

    def get(self, keys: Sequence[int]) -> list[Chunk]:
        out = []
        for key in keys:
            row = self._table.row(int(key))
            if row is None:
                raise KeyError(f"no chunk with key {key}")
            out.append(self._chunks[row])
        return out

    def position(self, key: int) -> int:
        row = self._table.row(int(key))
        return -1 if row is None else row


class ArraySentenceStore:
    """Every chunk's sentences with their embeddings, grouped by chunk row."""

    def __init__(self, spans: np.ndarray, vectors: np.ndarray, table: RowTable) -> None:
        arr = np.asarray(spans, dtype=np.int64).reshape(-1, 3)
        self.chunk_rows, self.starts, self.ends = arr[:, 0], arr[:, 1], arr[:, 2]
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._table = table
        by_chunk: dict[int, list[int]] = {}
        for row, chunk_row in enumerate(self.chunk_rows.tolist()):
            by_chunk.setdefault(chunk_row, []).append(row)
        self._by_chunk = {k: np.asarray(v, dtype=np.int64) for k, v in by_chunk.items()}

    def __len__(self) -> int:
        return int(self.chunk_rows.size)

    def best_similarity(self, keys: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Highest sentence similarity per key; one matrix product when many chunks are asked."""
        chunk_rows = self._table.rows(np.asarray(keys, dtype=np.int64))
        if len(self.chunk_rows) <= 20_000 or len(chunk_rows) * 20 > len(self._by_chunk):
            sims = self.vectors @ vector
            best = np.full(len(self._table), -1.0, np.float32)
            if len(self.chunk_rows):
                np.maximum.at(best, self.chunk_rows, sims)
            out = np.where(chunk_rows >= 0, best[np.maximum(chunk_rows, 0)], -1.0) if len(best) else \
                np.zeros(len(chunk_rows), np.float32)
        else:
            out = np.array([float((self.vectors[self._by_chunk[r]] @ vector).max()) if r in self._by_chunk
                            else -1.0 for r in chunk_rows.tolist()], dtype=np.float32)
        return np.where(out < 0, 0.0, out).astype(np.float32)

    def scores(self, key: int, vector: np.ndarray) -> SentenceScores | None:
        row = self._table.row(key)
        rows = None if row is None else self._by_chunk.get(row)
        if rows is None or len(rows) == 0:
            return None
        return SentenceScores(self.starts[rows], self.ends[rows], self.vectors[rows] @ vector)
