"""Specification of the rank-fusion arithmetic (reportqa.rank.fusion): pure functions, no index.

A leg's rank r (0-based) adds weight / (rrf_k + r + 1) to a passage; the legs' additions are
summed; a passage about the asked year is then multiplied by 1 + year_boost × affinity, where
the affinity is `in_text` when the passage names the year, `in_report` when only its report
covers it, and 0 otherwise.
"""

from __future__ import annotations

import pytest

from reportqa.rank.fusion import rrf_contributions, weighted_rrf, with_year_prior, year_affinity


def test_each_rank_contributes_weight_over_rrf_k_plus_rank_plus_one() -> None:
    assert rrf_contributions([7, 3, 9], 1.0, 10.0) == [
        (7, 0, pytest.approx(1 / 11)),
        (3, 1, pytest.approx(1 / 12)),
        (9, 2, pytest.approx(1 / 13)),
    ]


def test_a_contribution_scales_with_the_leg_weight() -> None:
    (_, _, full), = rrf_contributions([42], 1.0, 10.0)
    (_, _, third), = rrf_contributions([42], 0.3, 10.0)
    assert third == pytest.approx(0.3 * full)


def test_a_zero_weight_leg_contributes_nothing() -> None:
    assert all(c == 0.0 for _, _, c in rrf_contributions([1, 2, 3], 0.0, 10.0))


def test_rrf_k_zero_makes_the_first_rank_worth_the_whole_weight() -> None:
    assert rrf_contributions([5], 0.6, 0.0)[0][2] == pytest.approx(0.6)


def test_an_empty_ranking_contributes_nothing() -> None:
    assert rrf_contributions([], 1.0, 10.0) == []


def test_fused_score_is_the_sum_of_each_legs_contribution() -> None:
    fused = weighted_rrf([([100, 200], 1.0), ([200, 300], 0.3)], rrf_k=10.0)
    assert fused == {
        100: pytest.approx(1.0 / 11),
        200: pytest.approx(1.0 / 12 + 0.3 / 11),
        300: pytest.approx(0.3 / 12),
    }


def test_a_passage_both_legs_rank_beats_one_only_one_leg_ranks_just_above_it() -> None:
    fused = weighted_rrf([([1, 2], 1.0), ([2], 1.0)], rrf_k=10.0)
    assert fused[2] > fused[1]


def test_fusing_no_legs_gives_no_scores() -> None:
    assert weighted_rrf([], rrf_k=10.0) == {}


def test_year_affinity_is_in_text_when_the_passage_names_the_asked_year() -> None:
    assert year_affinity([2023], [2023], [2023], in_text=1.0, in_report=0.7) == 1.0


def test_year_affinity_is_in_report_when_only_the_report_covers_the_asked_year() -> None:
    assert year_affinity([], [2024, 2023], [2023], in_text=1.0, in_report=0.7) == 0.7


def test_year_affinity_prefers_the_text_over_the_report() -> None:
    assert year_affinity([2024], [2023], [2024, 2023], in_text=1.0, in_report=0.7) == 1.0


def test_year_affinity_is_zero_when_neither_text_nor_report_is_about_the_year() -> None:
    assert year_affinity([2022], [2023], [2024], in_text=1.0, in_report=0.7) == 0.0


def test_year_affinity_is_zero_when_no_year_is_asked() -> None:
    assert year_affinity([2024], [2024], [], in_text=1.0, in_report=0.7) == 0.0


def test_any_of_several_asked_years_counts() -> None:
    assert year_affinity([2023], [2023], [2024, 2023], in_text=0.9, in_report=0.5) == 0.9


def test_the_year_prior_multiplies_by_one_plus_boost_times_affinity() -> None:
    assert with_year_prior(0.2, 1.0, 0.5) == pytest.approx(0.2 * 1.5)
    assert with_year_prior(0.2, 0.7, 0.5) == pytest.approx(0.2 * 1.35)


def test_the_year_prior_leaves_a_passage_of_no_affinity_unchanged() -> None:
    assert with_year_prior(0.2, 0.0, 0.5) == 0.2


def test_a_zero_boost_turns_the_year_prior_off() -> None:
    assert with_year_prior(0.2, 1.0, 0.0) == 0.2


def test_the_year_prior_cannot_lift_a_passage_no_leg_ranked() -> None:
    assert with_year_prior(0.0, 1.0, 0.5) == 0.0
