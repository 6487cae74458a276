"""Indicator timelines: reading a figure and its year from a sentence, and merging years (no model)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reportqa.rank.timeline import Found, asks_trend, merge, parse_value, sentence_year


@pytest.mark.parametrize(("text", "number", "unit", "qualifiers"), [
    ("5200.73亿元", 5200.73, "亿元", ()),
    ("2.5万家", 2.5, "万家", ()),
    ("4.4%左右", 4.4, "%", ("左右",)),
    ("超过1.7万家", 1.7, "万家", ("超过",)),
    ("近2200万人次", 2200, "万人次", ("近",)),
    ("124篇", 124, "篇", ()),
    ("比例预计为4.1%", 4.1, "%", ("预计",)),
    ("100余家", 100, "家", ("余",)),
])
def test_a_figure_is_read_with_its_unit_and_qualifiers(text, number, unit, qualifiers):
    value = parse_value(text)
    assert value is not None
    assert (value.number, value.unit, value.qualifiers) == (number, unit, qualifiers)


def test_a_year_or_an_ordinal_is_not_a_figure():
    assert parse_value("2023年全市") is None
    assert parse_value("第17届浦江创新论坛") is None


def test_units_with_multipliers_compare_in_base_units():
    assert parse_value("1.2万亿元").base == parse_value("12000亿元").base  # type: ignore[union-attr]


def test_a_figure_is_dated_by_its_own_year_before_its_reports():
    assert sentence_year("2023年，上海科学家发表论文120篇", 15, 2024) == 2023
    assert sentence_year("截至2024年1月底，外资研发中心达到563家", 15, 2023) == 2024


def test_a_comparison_or_a_start_year_does_not_date_the_figure():
    sentence = "2023年以来主要工作进展：比例达4.4%左右，较2022年的4.2%进一步提升"
    assert sentence_year(sentence, sentence.index("4.4"), 2023) == 2023


def test_a_target_sentence_has_no_year_and_gives_no_figure():
    assert sentence_year("到2025年，研发经费支出占比达到4.5%左右", 15, 2024) is None


def test_trend_words_ask_for_a_timeline():
    assert asks_trend("历年技术合同成交额")
    assert asks_trend("R&D spending over the years")
    assert not asks_trend("2024年全市技术合同成交额是多少？")


@dataclass(frozen=True)
class _Chunk:
    doc_id: str
    year: int
    start: int = 0


def _found(year: int, text: str, doc: str, report_year: int, *, by_report: bool = False) -> Found:
    value = parse_value(text)
    assert value is not None
    return Found(year, value, f"…{text}…", _Chunk(doc, report_year, start=len(doc) * 100), 0, 10, by_report)


def test_agreeing_reports_make_one_point_with_two_citations():
    timeline = merge([_found(2024, "30家", "2024-ch8", 2024), _found(2024, "30家", "2024-overview", 2024)], "m")
    assert [(p.year, p.value, len(p.found)) for p in timeline.points] == [(2024, 30, 2)]
    assert timeline.conflicts == []


def test_differing_reports_are_a_conflict_and_the_final_figure_is_shown():
    timeline = merge([_found(2023, "预计4.3%", "early", 2023), _found(2023, "4.4%", "late", 2024)], "m")
    assert [(p.year, p.value, p.conflict) for p in timeline.points] == [(2023, 4.4, True)]
    assert [(y, [p.value for p in ps]) for y, ps in timeline.conflicts] == [(2023, [4.4, 4.3])]


def test_units_are_normalised_within_one_measure():
    timeline = merge([_found(2020, "1.7万家", "a", 2020), _found(2024, "24000家", "b", 2024),
                      _found(2025, "2.5万家", "c", 2025)], "m")
    assert timeline.unit == "万家"
    assert [p.value for p in timeline.points] == [1.7, 2.4, 2.5]


def test_points_come_oldest_first():
    timeline = merge([_found(2025, "180篇", "c", 2025), _found(2020, "124篇", "a", 2020)], "m")
    assert [p.year for p in timeline.points] == [2020, 2025]
