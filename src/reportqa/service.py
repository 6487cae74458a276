"""Question in, cited answer out: the pipeline the CLI and the API share.

It also owns the loaded index and swaps in a newer published version when
one appears, so a long-running server follows `reportqa build` without a
restart and without failing requests already in flight (each request keeps
the engine it started with).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportqa.embedding.base import Embedder
from reportqa.embedding.batching import QueryBatcher
from reportqa.errors import InvalidQueryError
from reportqa.index import local as store
from reportqa.index.loaded import SearchIndex, load_search_index
from reportqa.models import Chunk
from reportqa.query.analyze import analyze, has_control_chars, normalize_text
from reportqa.query.spelling import Speller
from reportqa.rank.answer import AnswerExtractor, AnswerResult
from reportqa.rank.retrieval import FusionWeights, Retriever
from reportqa.schemas import Answer, DocumentDetail, DocumentSummary, Passage, SearchResponse

MAX_QUERY_CHARS = 500
# Something a report could contain: a Chinese character, a number, or a word of two letters or more.
_SEARCHABLE = re.compile(r"[\u3400-\u9fff]|\d|[A-Za-z]{2,}")
LEG_ONLY = {"dense": FusionWeights(dense=1.0, lexical=0.0), "lexical": FusionWeights(dense=0.0, lexical=1.0)}
MAX_K = 50


@dataclass
class Engine:
    """One loaded index with its retriever and extractor; immutable once built."""

    index: SearchIndex
    retriever: Retriever
    extractor: AnswerExtractor
    speller: Speller

    @classmethod
    def load(cls, root: Path, model_checksum: str) -> Engine:
        index = load_search_index(root, model_checksum=model_checksum)
        return cls(index, Retriever(index), AnswerExtractor(index), Speller(index.lexical.vocabulary))


def validate_query(q: str | None) -> str:
    """The query's checks, shared by the CLI and the API."""
    if q is None or not q.strip():
        raise InvalidQueryError("the query is empty: type a question or keywords")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidQueryError(f"the query is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}")
    if not normalize_text(q):  # only invisible characters (zero-width spaces, direction marks): nothing to search
        raise InvalidQueryError("the query is empty: type a question or keywords")
    if has_control_chars(q):
        raise InvalidQueryError("the query contains control characters")
    if not _SEARCHABLE.search(normalize_text(q)):
        raise InvalidQueryError("the query has nothing to search for: use Chinese words, English words or numbers")
    return q


class QAService:
    """Answers questions from the current index of an index root."""

    def __init__(self, root: Path, embedder: Embedder) -> None:
        self.root = root
        self.embedder = embedder
        self._lock = threading.Lock()
        self._engine = Engine.load(root, embedder.checksum)
        self._batcher = QueryBatcher(embedder)

    @property
    def engine(self) -> Engine:
        return self._engine

    def reload_if_changed(self) -> bool:
        """Swap in a newer published version; a broken one is refused and the old one kept."""
        latest = store.current_version(self.root)
        if latest is None or latest == self._engine.index.version:
            return False
        with self._lock:
            if store.current_version(self.root) == self._engine.index.version:
                return False
            self._engine = Engine.load(self.root, self.embedder.checksum)
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
        q = validate_query(q)
        if not 1 <= k <= MAX_K:
            raise InvalidQueryError(f"k must be between 1 and {MAX_K}")
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
        weights = LEG_ONLY.get(mode)
        retrieval = engine.retriever.retrieve(query, vector, k=k, doc=doc, year=year, weights=weights)
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
