"""Hybrid retrieval: dense (e5) and lexical (BM25 on jieba tokens), fused by rank.

Neither leg is enough alone: BM25 finds exact figures and names (`大零号湾`)
but nothing for English questions over Chinese text; the dense leg bridges
languages and paraphrases but blurs numbers and years. Reciprocal-rank fusion
combines them without calibrating their scores, with weights that follow the
query (English leans dense, short keyword queries lean lexical), and a year
prior puts the passage about the asked year first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from reportqa.index.loaded import SearchIndex
from reportqa.models import Chunk
from reportqa.query.analyze import QueryInfo


@dataclass(frozen=True)
class FusionWeights:
    """How much each leg counts; tuned on the dev set (see README)."""

    dense: float = 1.0
    lexical: float = 0.3
    rrf_k: float = 10.0
    year_boost: float = 0.5
    # A passage's dense score adds its best sentence's similarity: a one-line
    # fact buried in a long passage is still found.
    sentence_weight: float = 0.5


@dataclass
class Candidate:
    """A chunk with its evidence from each leg."""

    row: int
    chunk: Chunk
    score: float = 0.0
    dense_score: float = 0.0
    lexical_score: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None
    year_affinity: float = 0.0


@dataclass
class Retrieval:
    """The ranked candidates of one query, with per-stage timings."""

    query: QueryInfo
    query_vector: np.ndarray
    candidates: list[Candidate]
    timings_ms: dict[str, float] = field(default_factory=dict)


def weights_for(query: QueryInfo) -> FusionWeights:
    """Adapt the fusion to the query: BM25 on English words against Chinese text is noise."""
    if query.english:
        return FusionWeights(dense=1.0, lexical=0.4)
    if query.keyword:
        return FusionWeights(dense=0.6, lexical=1.2)
    return FusionWeights()


def year_affinity(chunk: Chunk, doc_years: tuple[int, ...], years: tuple[int, ...]) -> float:
    """How surely a passage speaks of one of the asked years.

    1 when its own text names the year; 0.7 when its report is about that year
    (a 2024 overview's figures are 2024's even where the passage omits the year).
    """
    if not years:
        return 0.0
    if any(y in years for y in chunk.years):
        return 1.0
    if any(y in years for y in doc_years):
        return 0.7
    return 0.0


EXHAUSTIVE_BELOW = 5000


def _dense(index: SearchIndex, vector: np.ndarray, depth: int, sentence_weight: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Chunk similarity plus the best sentence's, over the vector index's top candidates."""
    n = len(index.chunks)
    wide = n if n <= EXHAUSTIVE_BELOW else depth * 2
    scores, ids = index.vectors.search(vector.reshape(1, -1).astype(np.float32), wide)
    keep = ids[0] >= 0
    ids, scores = ids[0][keep], scores[0][keep].astype(np.float32)
    if sentence_weight:
        scores = scores + sentence_weight * index.sentences.best_similarity(ids, vector)
    order = np.argsort(-scores, kind="stable")[:depth]
    return ids[order], scores[order]


class Retriever:
    """Ranks an index's chunks for a query."""

    def __init__(self, index: SearchIndex, depth: int = 50) -> None:
        self.index = index
        self.depth = depth
        # Per-chunk report id and year as arrays, so a filter is one vector comparison.
        self._docs = np.array([c.doc_id for c in index.chunks], dtype=object)
        self._years = np.array([-1 if c.year is None else c.year for c in index.chunks], dtype=np.int64)

    def _allowed(self, doc: str | None, year: int | None) -> np.ndarray | None:
        if doc is None and year is None:
            return None
        mask = np.ones(len(self.index.chunks), dtype=bool)
        if doc is not None:
            mask &= self._docs == doc
        if year is not None:
            mask &= self._years == year
        return mask

    def _doc_years(self, chunk: Chunk) -> tuple[int, ...]:
        doc = self.index.documents.get(chunk.doc_id)
        if doc is None:
            return (chunk.year,) if chunk.year else ()
        return tuple(y for y in (doc.year, *doc.content_years) if y is not None)

    def retrieve(
        self,
        query: QueryInfo,
        query_vector: np.ndarray,
        *,
        k: int = 10,
        doc: str | None = None,
        year: int | None = None,
        weights: FusionWeights | None = None,
    ) -> Retrieval:
        """Fuse both legs' rankings; `doc`/`year` restrict the candidates."""
        weights = weights or weights_for(query)
        timings: dict[str, float] = {}
        allowed = self._allowed(doc, year)
        depth = min(len(self.index.chunks), max(self.depth, k) * (4 if allowed is not None else 1))

        t = time.perf_counter()
        dense_ids, dense_scores = _dense(self.index, query_vector, depth, weights.sentence_weight)
        timings["dense_ms"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        tokens = self.index.tokenizer.tokenize(query.lexical_text or query.normalized)
        lex_ids, lex_scores = self.index.lexical.search(tokens, depth)
        timings["lexical_ms"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        cands: dict[int, Candidate] = {}

        def cand(row: int) -> Candidate:
            if row not in cands:
                cands[row] = Candidate(row, self.index.chunks[row])
            return cands[row]

        rank = 0
        for row, score in zip(dense_ids.tolist(), dense_scores.tolist(), strict=True):
            if allowed is not None and not allowed[row]:
                continue
            c = cand(row)
            c.dense_rank, c.dense_score = rank, float(score)
            c.score += weights.dense / (weights.rrf_k + rank + 1)
            rank += 1
        rank = 0
        for row, score in zip(lex_ids.tolist(), lex_scores.tolist(), strict=True):
            if score <= 0 or (allowed is not None and not allowed[row]):
                continue
            c = cand(row)
            c.lexical_rank, c.lexical_score = rank, float(score)
            c.score += weights.lexical / (weights.rrf_k + rank + 1)
            rank += 1
        if query.years:
            for c in cands.values():
                c.year_affinity = year_affinity(c.chunk, self._doc_years(c.chunk), query.years)
                c.score *= 1.0 + weights.year_boost * c.year_affinity
        ranked = sorted(cands.values(), key=lambda c: (-c.score, c.row))
        timings["fusion_ms"] = (time.perf_counter() - t) * 1000
        return Retrieval(query, query_vector, ranked, timings)
