"""Question in, cited answer out: the pipeline the CLI and the API share.

It also owns the loaded index and swaps in a newer published version when
one appears, so a long-running server follows `reportqa build` without a
restart and without failing requests already in flight (each request keeps
the engine it started with).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportqa.embedding.base import Embedder
from reportqa.embedding.batching import QueryBatcher
from reportqa.errors import InvalidQueryError
from reportqa.index.base import Catalog, Filter, SearchIndex
from reportqa.index.factory import open_catalog
from reportqa.models import Chunk
from reportqa.query.analyze import analyze
from reportqa.query.languages import SEARCHABLE as _SEARCHABLE
from reportqa.query.languages import check_language
from reportqa.query.spelling import Speller
from reportqa.rank.answer import AnswerExtractor, AnswerResult
from reportqa.rank.retrieval import LegWeights, Retriever
from reportqa.schemas import Answer, DocumentDetail, DocumentSummary, Passage, SearchResponse
from reportqa.settings import ServeSettings, Settings
from reportqa.text.zh import clean_text, has_control_chars

# The defaults, for the API's schema; a service enforces its own settings' values.
MAX_QUERY_CHARS = ServeSettings().max_query_chars
MAX_K = ServeSettings().max_k
# The evaluation's one-leg modes: (dense, lexical) weights.
LEG_ONLY: dict[str, LegWeights] = {"dense": (1.0, 0.0), "lexical": (0.0, 1.0)}


@dataclass
class Engine:
    """One loaded index with its retriever and extractor; immutable once built."""

    index: SearchIndex
    retriever: Retriever
    extractor: AnswerExtractor
    speller: Speller

    @classmethod
    def load(cls, catalog: Catalog, model_checksum: str, settings: Settings) -> Engine:
        index = catalog.open(model_checksum=model_checksum)
        return cls(index, Retriever(index, settings.fusion), AnswerExtractor(index, settings.answer),
                   Speller(index.lexical.vocabulary()))


def validate_query(q: str | None, max_chars: int = MAX_QUERY_CHARS) -> str:
    """The query's checks, shared by the CLI and the API."""
    if q is None or not q.strip():
        raise InvalidQueryError("the query is empty: type a question or keywords")
    if len(q) > max_chars:
        raise InvalidQueryError(f"the query is {len(q)} characters long; the limit is {max_chars}")
    if not clean_text(q):  # only invisible characters (zero-width spaces, direction marks): nothing to search
        raise InvalidQueryError("the query is empty: type a question or keywords")
    if has_control_chars(q):
        raise InvalidQueryError("the query contains control characters")
    check_language(q)
    if not _SEARCHABLE.search(clean_text(q)):
        raise InvalidQueryError("the query has nothing to search for: use Chinese words, English words or numbers")
    return q


class QAService:
    """Answers questions from the current index of an index root."""

    def __init__(self, root: Path, embedder: Embedder, *, catalog: Catalog | None = None,
                 settings: Settings | None = None) -> None:
        self.root = root
        self.embedder = embedder
        self.settings = settings or Settings()
        self.catalog = catalog or open_catalog(root, self.settings.index.backend)
        self._lock = threading.Lock()
        self._engine = Engine.load(self.catalog, embedder.checksum, self.settings)
        self._batcher = QueryBatcher(embedder, max_batch=self.settings.serve.max_batch)

    @property
    def engine(self) -> Engine:
        return self._engine

    def reload_if_changed(self) -> bool:
        """Swap in a newer published version; a broken one is refused and the old one kept."""
        latest = self.catalog.current_version()
        if latest is None or latest == self._engine.index.version:
            return False
        with self._lock:
            if self.catalog.current_version() == self._engine.index.version:
                return False
            self._engine = Engine.load(self.catalog, self.embedder.checksum, self.settings)
        return True

    def documents(self) -> list[DocumentSummary]:
        return [
            DocumentSummary(id=d.id, title=d.title, year=d.year, publisher=d.publisher, kind=d.kind,
                            section_count=d.section_count)
            for d in self._engine.index.documents.values()
        ]

    def document(self, doc_id: str) -> DocumentDetail | None:
        d = self._engine.index.documents.get(doc_id)
        if d is None:
            return None
        return DocumentDetail.model_validate({
            "id": d.id, "title": d.title, "year": d.year, "publisher": d.publisher, "kind": d.kind,
            "section_count": d.section_count,
            "sections": [
                {"id": s.id, "title": s.title, "level": s.level, "path": list(s.path), "number": s.number,
                 "paragraphs": [p.__dict__ for p in s.paragraphs]}
                for s in d.sections
            ],
        })

    def check_filters(self, doc: str | None, year: int | None) -> None:
        """Unknown filter values are the user's to fix: say which values exist."""
        index = self._engine.index
        if doc is not None and doc not in index.documents:
            raise InvalidQueryError(f"unknown document '{doc}'; valid ids: {', '.join(sorted(index.documents))}")
        if year is not None and year not in index.years:
            raise InvalidQueryError(f"no report for year {year}; valid years: "
                                    f"{', '.join(map(str, index.years))}")

    def search(self, q: str | None, k: int = 10, doc: str | None = None, year: int | None = None,
               *, mode: str = "hybrid") -> SearchResponse:
        """Answer one question; `mode` (dense or lexical alone) exists for the evaluation's comparisons."""
        started = time.perf_counter()
        serve = self.settings.serve
        q = validate_query(q, serve.max_query_chars)
        if not 1 <= k <= serve.max_k:
            raise InvalidQueryError(f"k must be between 1 and {serve.max_k}")
        engine = self._engine  # one engine for the whole request, even if a reload lands meanwhile
        self.check_filters(doc, year)
        query = analyze(q, correct=engine.speller.correct)
        t = time.perf_counter()
        vector = self._batcher.embed(query.normalized)
        if query.bridge_text:
            # An English question is also embedded through its Chinese terms: the mean of the two
            # views lands nearer the Chinese passages than the English question alone.
            vector = vector + self._batcher.embed(query.bridge_text)
            vector = vector / np.linalg.norm(vector)
        embed_ms = (time.perf_counter() - t) * 1000
        retrieval = engine.retriever.retrieve(query, vector, k=k, where=Filter(doc, year), legs=LEG_ONLY.get(mode))
        t = time.perf_counter()
        result = engine.extractor.answer(retrieval)
        answer_ms = (time.perf_counter() - t) * 1000
        timings = {"embed_ms": embed_ms, **retrieval.timings_ms, "answer_ms": answer_ms}
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        return _response(query.original, query.normalized, result, k, timings)


def _response(original: str, normalized: str, result: AnswerResult, k: int,
              timings: dict[str, float]) -> SearchResponse:
    choice = None if result.no_answer else result.choice
    answer = None
    if choice is not None:
        chunk = choice.candidate.chunk
        answer = Answer(
            text=choice.text, chunk_id=chunk.id, doc_id=chunk.doc_id, title=chunk.title, year=chunk.year,
            section_path=list(chunk.section_path), start=choice.start, end=choice.end,
            source_start=source_offset(chunk, choice.start), source_end=source_offset(chunk, choice.end, end=True),
            score=round(choice.score, 4), confidence=result.confidence,  # type: ignore[arg-type]
        )
    results = [
        Passage(
            chunk_id=c.chunk.id, doc_id=c.chunk.doc_id, title=c.chunk.title, year=c.chunk.year,
            section_path=list(c.chunk.section_path), text=c.chunk.text, start=c.chunk.start, end=c.chunk.end,
            score=round(c.score, 6),
            answer_span=[choice.start, choice.end] if choice is not None and c is choice.candidate else None,
        )
        for c in result.ranked[:k]
    ]
    return SearchResponse(query=original, normalized_query=normalized, no_answer=result.no_answer,
                          no_answer_reason=(result.reason or None) if result.no_answer else None,
                          answer=answer, results=results,
                          timings_ms={key: round(v, 2) for key, v in timings.items()})


def source_offset(chunk: Chunk, offset: int, *, end: bool = False) -> int:
    """Map an offset inside a chunk's text to the report's source text.

    The chunk text is its source pieces joined by single newlines or nothing;
    walk the pieces to find where the offset falls.
    """
    text = chunk.text
    pos = 0
    for i, piece in enumerate(chunk.pieces):
        length = piece.end - piece.start
        if offset <= pos + length and (offset < pos + length or end or i == len(chunk.pieces) - 1):
            return piece.start + max(0, offset - pos)
        pos += length
        if pos < len(text) and text[pos] == "\n":
            pos += 1
    return chunk.end
