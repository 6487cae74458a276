"""Weighted reciprocal-rank fusion and the year prior, as pure functions.

Fusing by rank needs no calibration between a cosine similarity and a BM25 score,
which live on unrelated scales; a weight per leg lets the query decide how much
each counts (English leans dense, short keyword queries lean lexical). Kept free of
any store or model so that the arithmetic is tested in microseconds and every
backend ranks the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def rrf_contributions(keys: Iterable[int], weight: float, rrf_k: float) -> list[tuple[int, int, float]]:
    """(key, rank, weight / (rrf_k + rank + 1)) for each key of one leg's ranking, in order."""
    return [(key, rank, weight / (rrf_k + rank + 1)) for rank, key in enumerate(keys)]


def weighted_rrf(legs: Sequence[tuple[Sequence[int], float]], rrf_k: float) -> dict[int, float]:
    """Fused score of every key ranked by any leg: the sum of its legs' weighted reciprocal ranks."""
    fused: dict[int, float] = {}
    for keys, weight in legs:
        for key, _, contribution in rrf_contributions(keys, weight, rrf_k):
            fused[key] = fused.get(key, 0.0) + contribution
    return fused


def year_affinity(text_years: Sequence[int], doc_years: Sequence[int], asked: Sequence[int], *,
                  in_text: float, in_report: float) -> float:
    """How surely a passage speaks of one of the asked years.

    `in_text` when its own text names the year; `in_report` when only its report is
    about that year (a 2024 overview's figures are 2024's even where a passage omits
    the year); 0 otherwise, and 0 when no year was asked.
    """
    if not asked:
        return 0.0
    if any(y in asked for y in text_years):
        return in_text
    if any(y in asked for y in doc_years):
        return in_report
    return 0.0


def with_year_prior(score: float, affinity: float, boost: float) -> float:
    """A fused score raised by the year prior: ×(1 + boost · affinity)."""
    return score * (1.0 + boost * affinity)
