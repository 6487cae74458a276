"""Indicator timelines on the real reports (issue 15): every year's figure for a measure, each one cited."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow

PAPERS = "上海科学家在《细胞》《自然》《科学》上发表论文"
RD_RATIO = "全社会研发经费支出相当于全市生产总值的比例"


def test_papers_in_cell_nature_science_have_a_point_per_year_each_with_its_own_citation(qa_service):
    timeline = qa_service.timeline(PAPERS)
    by_year = {p.year: p for p in timeline.points}
    assert by_year[2020].value == 124 and by_year[2024].value == 158 and by_year[2025].value == 180
    assert timeline.unit == "篇" and timeline.kind == "count"
    assert by_year[2020].doc_id == "2020-overview" and by_year[2024].doc_id == "2024-overview"
    assert "124篇" in by_year[2020].text and "158篇" in by_year[2024].text


def test_a_figure_in_a_report_about_another_year_is_dated_by_that_year(qa_service):
    """The 2024 reply gives 2023's figures: its 120 papers are a 2023 point, not a 2024 one."""
    by_year = {p.year: p for p in qa_service.timeline(PAPERS).points}
    assert by_year[2023].value == 120 and by_year[2023].doc_id == "2024-reply-0671"


def test_the_rd_to_gdp_ratio_has_at_least_three_years_with_their_qualifiers(qa_service):
    timeline = qa_service.timeline(RD_RATIO)
    by_year = {p.year: p for p in timeline.points}
    assert len(by_year) >= 3 and timeline.unit == "%" and timeline.kind == "level"
    assert (by_year[2020].value, by_year[2020].qualifiers) == (4.1, ["预计"])
    assert (by_year[2025].value, by_year[2025].qualifiers) == (4.5, ["预计", "左右"])
    assert (by_year[2024].value, by_year[2024].qualifier) == (4.4, "左右")


def test_a_comparison_clause_gives_the_earlier_year_its_point(qa_service):
    """`…比例达4.4%左右，较2022年的4.2%进一步提升`: 2022 is 4.2%, quoted from the same sentence."""
    point = next(p for p in qa_service.timeline(RD_RATIO).points if p.year == 2022)
    assert point.value == 4.2 and "较2022年的4.2%" in point.text


def test_a_figure_is_read_from_the_clause_naming_the_measure_not_a_neighbouring_one(qa_service):
    """`…比例预计4.5%左右，其中基础研究投入占…比例预计12%左右`: the ratio is 4.5, not 12."""
    assert all(p.value < 10 for p in qa_service.timeline(RD_RATIO).points)


def test_amounts_in_one_unit(qa_service):
    timeline = qa_service.timeline("技术合同成交额")
    assert timeline.unit == "亿元"
    assert {p.year: p.value for p in timeline.points} == {2020: 1815.3, 2024: 5200.73, 2025: 6496.79}


def test_a_measure_stated_once_gives_one_point(qa_service):
    timeline = qa_service.timeline("每万人口高价值发明专利数")
    assert [(p.year, p.value, p.unit) for p in timeline.points] == [(2025, 65, "件")]


def test_an_unknown_measure_gives_no_points(qa_service):
    assert qa_service.timeline("火星移民人数").points == []


def test_a_trend_question_gets_a_timeline_in_search(qa_service):
    response = qa_service.search("历年技术合同成交额的变化")
    assert response.timeline is not None and len(response.timeline.points) == 3


def test_a_dated_question_pays_nothing_for_timelines(qa_service):
    response = qa_service.search("2024年全市技术合同成交额是多少？")
    assert response.timeline is None and "timeline_ms" not in response.timings_ms


def test_a_question_about_an_unknown_measure_gets_no_timeline(qa_service):
    assert qa_service.search("上海火星移民人数有多少？").timeline is None


def test_indicator_api_returns_points_with_their_citations(real_server):
    """Its warm latency is printed by bench/search.py --indicator, not asserted here."""
    body = httpx.get(f"{real_server}/api/indicator", params={"q": RD_RATIO}, timeout=60).json()
    assert body["unit"] == "%" and len(body["points"]) >= 3
    point = body["points"][0]
    assert {"year", "value", "unit", "qualifier", "text", "doc_id", "chunk_id", "title", "section_path", "start",
            "end", "page", "citations"} <= point.keys()


def test_indicator_api_refuses_an_unknown_report_with_a_clear_message(real_server):
    response = httpx.get(f"{real_server}/api/indicator", params={"q": "技术合同成交额", "doc": "no-such-report"},
                         timeout=60)
    assert response.status_code == 422 and "unknown document" in response.json()["detail"]


def test_indicator_api_can_keep_to_one_report(real_server):
    body = httpx.get(f"{real_server}/api/indicator", params={"q": PAPERS, "doc": "2024-reply-0671"},
                     timeout=60).json()
    assert [p["year"] for p in body["points"]] == [2023]
