"""Specification of what a passage is read with beyond its own words: its report's year and its neighbour panel.

- A question whose year names a report (`2020年的报告说…`, `according to the 2020 report`) is
  answered from that report, even where the sentence dates its figure to another year (the
  2020 report gives 2019's awards); a question about a year's figures is not.
- An infographic page splits a topic into sibling panels (`浦江创新论坛（第17届）`, then
  `创新格局再扩大`); a pinned number (`第17届`) named by the preceding panel's title holds for
  the next panel too, and for a later panel of the same run (the nearest earlier panel title
  holding a number heads the run); a number no panel names still makes the system abstain.
- A pinned edition (`第9届`, `the 9th`) is matched as an edition (`第9届`, `第九届`, `（第9届）`), not as
  any 9 of the passage (`9月`).
- A question about one district of Shanghai (`奉贤区`) is not answered by a passage about another, nor one
  about a development zone (`张江高新区`) by a passage that never names it, and
  a question about a place no report mentions (`六安`) is not answered at all.
"""

from __future__ import annotations

import pytest

from reportqa.index.base import SearchIndex
from reportqa.query.analyze import analyze
from reportqa.rank.answer import AnswerResult
from tests.unit.conftest import answer_in, index_of, write_corpus

REPORT_2020 = """# 2020上海科技进步报告

## 综述

上海科学家在《自然》《科学》《细胞》发表论文124篇；获2019年度国家科学技术奖52项，占全国总数的16.9%。

## 国际合作

### 浦江创新论坛（第17届）

时间：9月7—10日

境外主宾国：匈牙利

### 创新格局再扩大

来自40个国家和地区300余位嘉宾参会。

线下参会人数超1.4万人，线上直播观看量6000万次。

### 中国（上海）国际技术进出口交易会（第10届）

时间：6月12—14日

### 丰富配套活动

举办开幕式1场、配套活动近40场。

### 满足供需对接

现场达成合作意向556项，吸引观众近5万人次。

## 各区进展

### 长宁区

全年认定7家硕博士创新实践基地，推动形成科技人才梯队。
"""

REPORT_2019 = """# 2019上海科技进步报告

## 综述

2019年，上海获国家科学技术奖41项，全市技术合同成交额1522亿元。
"""

MANIFEST = """[[report]]
id = "r2020"
file = "r2020.md"
title = "2020上海科技进步报告"
year = 2020
publisher = "上海市科学技术委员会"
kind = "annual report"

[[report]]
id = "r2019"
file = "r2019.md"
title = "2019上海科技进步报告"
year = 2019
publisher = "上海市科学技术委员会"
kind = "annual report"
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    files = {"r2020.md": REPORT_2020, "r2019.md": REPORT_2019}
    return index_of(write_corpus(tmp_path_factory.mktemp("context") / "corpus", files, MANIFEST))


def answer(index: SearchIndex, question: str) -> AnswerResult:
    return answer_in(index, question)


@pytest.mark.parametrize("question", [
    "2020年的报告说上海获国家科学技术奖多少项？",
    "2024年上海科技进步报告中技术合同成交额是多少？",
    "According to the 2020 report, how many National Science and Technology Awards did Shanghai win?",
    "According to Shanghai's 2020 and 2024 science and technology progress reports, how many awards?",
])
def test_a_year_that_names_a_report_is_read_as_the_reports_year(question: str) -> None:
    assert analyze(question).report_years


@pytest.mark.parametrize("question", [
    "2020年上海获国家科学技术奖多少项？",
    "How many new unicorn companies emerged in Shanghai in 2024?",
    "上海的报告说了什么？",
])
def test_a_year_of_figures_is_not_a_report_year(question: str) -> None:
    assert not analyze(question).report_years


def test_the_named_reports_sentence_answers_though_it_dates_its_figure_to_another_year(index: SearchIndex) -> None:
    result = answer(index, "2020年的报告说上海获国家科学技术奖多少项？")
    assert not result.no_answer and result.choice is not None
    assert result.choice.candidate.chunk.doc_id == "r2020" and "52项" in result.choice.text


def test_a_question_about_a_years_figures_is_answered_by_that_years_figure(index: SearchIndex) -> None:
    result = answer(index, "2019年上海获国家科学技术奖多少项？")
    assert result.choice is not None and not result.no_answer
    assert "41项" in result.choice.text or "52项" in result.choice.text  # both speak of 2019
    assert result.choice.candidate.chunk.doc_id in {"r2019", "r2020"}


def test_a_pinned_number_in_the_preceding_panels_title_holds_for_the_next_panel(index: SearchIndex) -> None:
    result = answer(index, "第17届浦江创新论坛线下参会人数有多少人？")
    assert not result.no_answer and result.choice is not None
    assert "1.4万人" in result.choice.text


def test_a_pinned_number_no_panel_names_still_abstains(index: SearchIndex) -> None:
    result = answer(index, "第18届浦江创新论坛线下参会人数有多少人？")
    assert result.no_answer and "18" in result.reason


def test_a_pinned_number_in_the_runs_head_panel_holds_for_its_third_panel(index: SearchIndex) -> None:
    result = answer(index, "第10届技术进出口交易会现场达成合作意向多少项？")
    assert not result.no_answer and result.choice is not None
    assert "556项" in result.choice.text


def test_a_later_runs_panel_does_not_take_an_earlier_runs_number(index: SearchIndex) -> None:
    result = answer(index, "第17届浦江创新论坛现场达成合作意向多少项？")
    assert result.no_answer or (result.choice is not None and "556项" not in result.choice.text)


def test_a_districts_figure_answers_a_question_about_that_district(index: SearchIndex) -> None:
    result = answer(index, "2020年长宁区认定了几家硕博士创新实践基地？")
    assert not result.no_answer and result.choice is not None and "7家" in result.choice.text


def test_another_districts_figure_does_not_answer_a_question_about_a_district(index: SearchIndex) -> None:
    result = answer(index, "2020年奉贤区认定了几家硕博士创新实践基地？")
    assert result.no_answer and "奉贤" in result.reason


def test_a_later_panel_of_the_asked_editions_run_answers_in_other_words(index: SearchIndex) -> None:
    """`线下来了多少人` shares only 线下 with the panel; its run's head panel names the 17th forum."""
    result = answer(index, "第17届浦江创新论坛线下来了多少人？")
    assert not result.no_answer and result.choice is not None and "1.4万人" in result.choice.text


def test_an_english_edition_reads_its_runs_head_panel(index: SearchIndex) -> None:
    result = answer(index, "On which dates was the 17th Pujiang Innovation Forum held?")
    assert not result.no_answer and result.choice is not None and "9月7—10日" in result.choice.text


def test_a_zones_figure_is_not_answered_by_a_passage_that_never_names_the_zone(index: SearchIndex) -> None:
    result = answer(index, "2020年张江高新区认定了几家硕博士创新实践基地？")
    assert result.no_answer and "张江" in result.reason


def test_an_edition_is_pinned_as_an_edition_not_as_any_number(index: SearchIndex) -> None:
    """The 17th forum's passage holds a 9 (`9月7—10日`), but it is not about the 9th forum."""
    result = answer(index, "第9届浦江创新论坛的境外主宾国是哪个国家？")
    assert result.no_answer and "9" in result.reason


def test_an_edition_written_in_chinese_numerals_is_the_same_edition(index: SearchIndex) -> None:
    result = answer(index, "第十七届浦江创新论坛线下参会人数有多少人？")
    assert not result.no_answer and result.choice is not None and "1.4万人" in result.choice.text


def test_a_place_no_report_mentions_is_not_answered_for(index: SearchIndex) -> None:
    """六安 appears in no report of the corpus: no sentence of it can be about 六安."""
    result = answer(index, "2020年六安认定了几家硕博士创新实践基地？")
    assert result.no_answer and "六安" in result.reason
