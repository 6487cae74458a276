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

from reportqa.index.base import NO_FILTER, Filter, Hits, SearchIndex
from reportqa.models import Chunk
from reportqa.query.analyze import QueryInfo
from reportqa.rank.fusion import rrf_contributions, with_year_prior, year_affinity
from reportqa.settings import FusionSettings


@dataclass
class Candidate:
    """A chunk with its evidence from each leg."""

    key: int
    chunk: Chunk
    position: int = 0
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


LegWeights = tuple[float, float]
"""(dense, lexical) weights of one query's fusion."""


def weights_for(query: QueryInfo, fusion: FusionSettings) -> LegWeights:
    """Adapt the fusion to the query's language profile (and keyword mode) from the settings."""
    return query.profile.leg_weights(fusion, keyword=query.keyword)


def _dense(index: SearchIndex, vector: np.ndarray, depth: int, fusion: FusionSettings, where: Filter) -> Hits:
    """Chunk similarity plus the best sentence's, over the vector store's top candidates."""
    n = index.chunk_count
    wide = n if n <= fusion.exhaustive_below else depth * fusion.dense_overfetch
    hits = index.vectors.search(vector.astype(np.float32), wide, where=where)
    scores = hits.scores
    if fusion.sentence_weight:
        scores = scores + fusion.sentence_weight * index.sentences.best_similarity(hits.keys, vector)
    order = np.argsort(-scores, kind="stable")[:depth]
    return Hits(hits.keys[order], scores[order])


class Retriever:
    """Ranks an index's chunks for a query, through the store protocols only."""

    def __init__(self, index: SearchIndex, fusion: FusionSettings | None = None) -> None:
        self.index = index
        self.fusion = fusion or FusionSettings()

    def _doc_years(self, chunk: Chunk) -> tuple[int, ...]:
        """The years a passage's report speaks of: its content years when the manifest gives them
        (a 2024 reply reporting 2023's progress is about 2023, not 2024), else its own year."""
        doc = self.index.documents.get(chunk.doc_id)
        if doc is None:
            return (chunk.year,) if chunk.year else ()
        if doc.content_years:
            return tuple(doc.content_years)
        return (doc.year,) if doc.year is not None else ()

    def retrieve(
        self,
        query: QueryInfo,
        query_vector: np.ndarray,
        *,
        k: int = 10,
        where: Filter = NO_FILTER,
        legs: LegWeights | None = None,
    ) -> Retrieval:
        """Fuse both legs' rankings; `where` (report, year) is applied inside each store.

        `legs` overrides the query's (dense, lexical) weights: the evaluation's one-leg modes.
        """
        fusion = self.fusion
        dense_weight, lexical_weight = legs or weights_for(query, fusion)
        timings: dict[str, float] = {}
        depth = min(self.index.chunk_count, max(fusion.depth, k))

        t = time.perf_counter()
        dense = _dense(self.index, query_vector, depth, fusion, where)
        timings["dense_ms"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        lexical = self.index.lexical.search(query.lexical_text or query.normalized, depth, where=where)
        timings["lexical_ms"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        positive = lexical.scores > 0
        lexical = Hits(lexical.keys[positive], lexical.scores[positive])
        cands: dict[int, Candidate] = {}
        keys = list(dict.fromkeys([*dense.keys.tolist(), *lexical.keys.tolist()]))
        for key, chunk in zip(keys, self.index.chunks.get(keys), strict=True):
            cands[key] = Candidate(key, chunk, position=self.index.chunks.position(key))
        for (key, rank, contribution), score in zip(
            rrf_contributions(dense.keys.tolist(), dense_weight, fusion.rrf_k), dense.scores.tolist(), strict=True
        ):
            c = cands[key]
            c.dense_rank, c.dense_score = rank, float(score)
            c.score += contribution
        for (key, rank, contribution), score in zip(
            rrf_contributions(lexical.keys.tolist(), lexical_weight, fusion.rrf_k), lexical.scores.tolist(),
            strict=True,
        ):
            c = cands[key]
            c.lexical_rank, c.lexical_score = rank, float(score)
            c.score += contribution
        if query.years:
            for c in cands.values():
                if query.report_years:  # the year of the report itself, not of its figures
                    doc = self.index.documents.get(c.chunk.doc_id)
                    own = doc.year if doc is not None else c.chunk.year
                    c.year_affinity = fusion.year_in_text if own in query.years else 0.0
                else:
                    c.year_affinity = year_affinity(c.chunk.years, self._doc_years(c.chunk), query.years,
                                                    in_text=fusion.year_in_text, in_report=fusion.year_in_report)
                c.score = with_year_prior(c.score, c.year_affinity, fusion.year_boost)
        ranked = sorted(cands.values(), key=lambda c: (-c.score, c.position))
        timings["fusion_ms"] = (time.perf_counter() - t) * 1000
        return Retrieval(query, query_vector, ranked, timings)
