"""A published index version loaded into memory, ready to answer.

Everything a query needs is loaded up front (vectors, BM25 matrix, chunk
texts, sentence vectors, documents), so serving never touches the disk and a
newer version can be swapped in with a single reference assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.errors import IndexCorruptError
from reportqa.index import local as store
from reportqa.index.bm25_store import BM25Index
from reportqa.index.faiss_store import VectorIndex
from reportqa.index.tokenizer import ChineseTokenizer
from reportqa.ingest.chunking import CHUNKER_VERSION
from reportqa.models import Chunk

SENTENCE_VECTORS = "sentences.npy"
SENTENCE_SPANS = "sentences.json"


@dataclass
class SentenceTable:
    """Every chunk's sentences with their embeddings, for picking the answer sentence."""

    chunk_rows: np.ndarray  # (m,) chunk ordinal of each sentence
    starts: np.ndarray  # (m,) offsets inside the chunk text
    ends: np.ndarray
    vectors: np.ndarray  # (m, dim)
    by_chunk: dict[int, np.ndarray]  # chunk ordinal → sentence rows

    @classmethod
    def from_spans(cls, spans: list[list[int]], vectors: np.ndarray) -> SentenceTable:
        arr = np.asarray(spans, dtype=np.int64).reshape(-1, 3)
        by_chunk: dict[int, list[int]] = {}
        for row, chunk_row in enumerate(arr[:, 0].tolist()):
            by_chunk.setdefault(chunk_row, []).append(row)
        return cls(arr[:, 0], arr[:, 1], arr[:, 2], np.ascontiguousarray(vectors, dtype=np.float32),
                   {k: np.asarray(v, dtype=np.int64) for k, v in by_chunk.items()})

    def best_similarity(self, chunk_rows: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
        """For each chunk, the highest similarity of one of its sentences to the query (0 if none)."""
        if len(self.chunk_rows) <= 20_000 or len(chunk_rows) * 20 > len(self.by_chunk):
            sims = self.vectors @ query_vector
            best = np.full(int(self.chunk_rows.max()) + 1 if len(self.chunk_rows) else 0, -1.0, np.float32)
            np.maximum.at(best, self.chunk_rows, sims)
            out = best[chunk_rows] if len(best) else np.zeros(len(chunk_rows), np.float32)
        else:
            out = np.array([float((self.vectors[self.by_chunk[r]] @ query_vector).max()) if r in self.by_chunk
                            else -1.0 for r in chunk_rows.tolist()], dtype=np.float32)
        return np.where(out < 0, 0.0, out).astype(np.float32)


@dataclass
class SearchIndex:
    """One loaded index version."""

    version: str
    manifest: dict[str, Any]
    chunks: list[Chunk]
    documents: dict[str, store.DocumentRecord]
    vectors: VectorIndex
    lexical: BM25Index
    tokenizer: ChineseTokenizer
    sentences: SentenceTable

    @property
    def chunk_count(self) -> int:
        return len(self.chunks)

    @property
    def years(self) -> list[int]:
        return sorted({d.year for d in self.documents.values() if d.year is not None})


def load_search_index(root: Path, *, model_checksum: str | None = None) -> SearchIndex:
    """Load the serving version; refuse one built with another model or chunker."""
    version_dir = store.current_dir(root)
    manifest = store.read_manifest(version_dir)
    if model_checksum is not None:
        store.check_compatible(manifest, model_checksum=model_checksum, chunker_version=CHUNKER_VERSION)
    chunks = store.load_chunks(version_dir / store.CHUNKS)
    documents = {d.id: d for d in store.load_documents(version_dir / store.DOCUMENTS)}
    vectors = VectorIndex.load(version_dir / store.VECTORS)
    lexical = BM25Index.load(version_dir / store.LEXICAL)
    terms = store.read_json(version_dir / store.TERMS)
    try:
        sentence_vectors = np.load(version_dir / SENTENCE_VECTORS, allow_pickle=False)
    except (FileNotFoundError, ValueError, OSError):
        raise IndexCorruptError(f"index file {SENTENCE_VECTORS} is missing or damaged: "
                                f"{store.REBUILD_HINT}") from None
    sentences = SentenceTable.from_spans(store.read_json(version_dir / SENTENCE_SPANS), sentence_vectors)
    sizes = {len(chunks), vectors.size, lexical.size, manifest.get("chunk_count")}
    if len(sizes) != 1 or len(sentences.chunk_rows) != len(sentence_vectors):
        raise IndexCorruptError(f"the index files of version {version_dir.name} disagree in size: "
                                f"{store.REBUILD_HINT}")
    return SearchIndex(
        version=version_dir.name,
        manifest=manifest,
        chunks=chunks,
        documents=documents,
        vectors=vectors,
        lexical=lexical,
        tokenizer=ChineseTokenizer(terms),
        sentences=sentences,
    )
