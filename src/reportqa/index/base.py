"""The storage seam: what ranking and answers may ask of an index, whatever engine holds it.

Every retrieval path returns one result type, `Hits` (chunk keys and scores, best
first), and takes one `Filter` that the store applies itself (FAISS through an ID
selector, BM25 through a row mask, a networked engine through its filter
expression), so no caller over-fetches and filters in Python. Chunk keys are
stable int64 numbers derived from the chunk id, never row numbers: a backend may
store rows in any order, and a key means the same passage in every version that
holds it.

`rank/` depends only on these protocols and on `SearchIndex`, the bundle of one
opened index version. A backend is one module implementing them plus its
`Catalog`; `factory.py` picks one by name (`REPORTQA_BACKEND`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from reportqa.models import Chunk
from reportqa.settings import IndexSettings

_KEY_MASK = (1 << 63) - 1


def chunk_key(chunk_id: str) -> int:
    """The stable int64 key of a chunk: the first 63 bits of its (hex sha1) id.

    Ids are content hashes, so the key of an unchanged passage survives rebuilds; a
    collision among a corpus's chunks is checked at build time.
    """
    return int(chunk_id[:16], 16) & _KEY_MASK


class Hits(NamedTuple):
    """Chunk keys (int64) and their scores (float32), best first, equal lengths."""

    keys: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.empty(0, np.int64), np.empty(0, np.float32))

    def __len__(self) -> int:  # type: ignore[override]
        return int(self.keys.size)


@dataclass(frozen=True)
class Filter:
    """Which chunks a search may return: one report, one report year, or both."""

    doc: str | None = None
    year: int | None = None

    @property
    def empty(self) -> bool:
        return self.doc is None and self.year is None


NO_FILTER = Filter()


@dataclass(frozen=True)
class SentenceScores:
    """One chunk's sentences: offsets inside the chunk text and their similarity to a query."""

    starts: np.ndarray
    ends: np.ndarray
    sims: np.ndarray


@runtime_checkable
class VectorStore(Protocol):
    """Nearest chunks to a query vector (inner product of unit vectors)."""

    @property
    def size(self) -> int: ...

    def search(self, vector: np.ndarray, k: int, *, where: Filter = NO_FILTER) -> Hits: ...

    def describe(self) -> dict[str, Any]: ...


@runtime_checkable
class LexicalStore(Protocol):
    """Keyword search that takes text: a networked engine analyses it itself."""

    @property
    def size(self) -> int: ...

    def search(self, text: str, k: int, *, where: Filter = NO_FILTER) -> Hits: ...

    def idf(self, token: str) -> float:
        """How rare a token is in the corpus (high for a token it never uses)."""
        ...

    def vocabulary(self) -> frozenset[str]: ...

    def describe(self) -> dict[str, Any]: ...


@runtime_checkable
class SentenceStore(Protocol):
    """Every chunk's sentences with their vectors: the unit an answer is quoted in."""

    def best_similarity(self, keys: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """For each key, the highest similarity of one of its sentences to the vector (0 if none)."""
        ...

    def scores(self, key: int, vector: np.ndarray) -> SentenceScores | None:
        """A chunk's sentences scored against the vector; None when it has none."""
        ...


@runtime_checkable
class ChunkStore(Protocol):
    """Chunk texts and citations by key, and the documents they come from."""

    def __len__(self) -> int: ...

    def get(self, keys: Sequence[int]) -> list[Chunk]: ...

    def position(self, key: int) -> int:
        """The chunk's place in corpus order: the tie-break that keeps rankings deterministic."""
        ...


@dataclass
class SearchIndex:
    """One opened index version: the stores ranking reads, and what the API lists."""

    version: str
    manifest: dict[str, Any]
    chunks: ChunkStore
    vectors: VectorStore
    lexical: LexicalStore
    sentences: SentenceStore
    # The analyser the answer step shares with the lexical leg (question words → tokens).
    tokenize: Any
    documents: dict[str, Any] = field(default_factory=dict)
    # Whether a string is a word of the analyser's dictionary (jieba's, plus the corpus's terms),
    # not a join jieba guessed for unknown text (`几家硕博士` → 家硕); None: not known.
    is_word: Any = None

    @property
    def chunk_count(self) -> int:
        return len(self.chunks)

    @property
    def years(self) -> list[int]:
        return sorted({d.year for d in self.documents.values() if d.year is not None})


@runtime_checkable
class Catalog(Protocol):
    """Versions of an index: which one serves, opening it, and publishing a new one atomically.

    Locally this is the `CURRENT` pointer over version directories; a networked engine
    uses a collection alias.
    """

    def current_version(self) -> str | None: ...

    def current_manifest(self) -> dict[str, Any] | None:
        """The serving version's manifest, without loading its stores (None when there is none)."""
        ...

    def open(self, *, model_checksum: str | None = None) -> SearchIndex:
        """Load the serving version; refuse one built with another model or chunker."""
        ...

    def stage(self, contents: IndexContents) -> str:
        """Write a complete new version that does not serve yet; returns its staging name."""
        ...

    def publish(self, staged: str) -> str:
        """Make a staged version the serving one in one atomic switch; returns the version name."""
        ...

    def discard(self, staged: str) -> None:
        """Remove a staged version that will not be published (a failed build)."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """One build at a time per index."""
        ...


@dataclass
class IndexContents:
    """Everything a build hands a backend to store as one version.

    Rows are in corpus order; `sentence_rows` are (chunk row, start, end) with offsets
    inside the chunk text. The backend builds its own search structures from these.
    """

    chunks: list[Chunk]
    documents: list[Any]
    chunk_vectors: np.ndarray
    sentence_rows: list[tuple[int, int, int]]
    sentence_vectors: np.ndarray
    user_terms: list[str]
    lexical_texts: list[str]
    manifest: dict[str, Any]
    ann_threshold: int
    index_settings: IndexSettings = field(default_factory=IndexSettings)
