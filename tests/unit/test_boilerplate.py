"""Specification of boilerplate flagging (reportqa.ingest.boilerplate) and what the answer step does with it.

An official reply's document number, record lines, courtesy close and sign-off frame the
document; they are kept in chunks of their own, flagged, never quoted for a question about
the content, and listed after the content passages. A question about the document's own
number or date is the one thing they answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.index.base import SearchIndex
from reportqa.index.build import lexical_input
from reportqa.ingest.boilerplate import (
    asks_record,
    dates_the_document,
    is_boilerplate,
    is_boilerplate_line,
    record_labels,
)
from reportqa.ingest.chunking import chunk_report
from reportqa.ingest.corpus import iter_corpus
from reportqa.models import Chunk
from reportqa.rank.answer import AnswerResult
from tests.unit.conftest import answer_in, index_of, write_corpus

REPLY = """# 上海市科学技术委员会

办理结果：解决采纳

沪科建复〔2024〕34号

## 对市十六届人大二次会议第0671号代表建议的答复

### 一、办理概述

2023年，上海新认定高新技术企业超8000家，全市技术合同成交额4850.21亿元。

2023年，上海科学家在《科学》《自然》《细胞》上发表论文120篇，占全国总数的26.2%。

感谢您对本市科技工作的关心和支持。

上海市科学技术委员会

2024年6月21日
"""

MANIFEST = """[[report]]
id = "reply"
file = "reply.md"
title = "对市十六届人大二次会议第0671号代表建议的答复"
year = 2024
content_years = [2023]
publisher = "上海市科学技术委员会"
kind = "reply"
"""


@pytest.mark.parametrize("line", [
    "沪科建复〔2024〕34号",
    "国办发[2023]12号",
    "办理结果：解决采纳",
    "公开属性：主动公开·全文",
    "感谢您对本市科技工作的关心和支持。",
    "特此答复。",
    "2024年6月21日",
])
def test_framing_lines_are_boilerplate(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize("line", [
    "全市技术合同成交额5200.73亿元，同比增长7.2%。",
    "推进一体化建设布局",
    "感谢您对上海国际科技创新中心建设的关心支持。建议提出上海建设具有国际影响力的科技创新中心所面临着在前沿性、"
    "标志性的原创成果方面还需要加强突破；关键核心技术突破仍有不足。",
    "2024年6月21日，第17届浦江创新论坛开幕。",
])
def test_content_lines_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate_line(line)


def test_a_bodys_name_is_boilerplate_only_beside_another_framing_line() -> None:
    assert is_boilerplate("上海市科学技术委员会\n2024年6月21日")
    assert not is_boilerplate("上海市科学技术委员会")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("reply") / "corpus", {"reply.md": REPLY}, MANIFEST)


@pytest.fixture(scope="module")
def chunks(corpus: Path) -> list[Chunk]:
    (report,) = list(iter_corpus(corpus))
    return chunk_report(report)


@pytest.fixture(scope="module")
def index(corpus: Path) -> SearchIndex:
    return index_of(corpus)


def answer(index: SearchIndex, question: str) -> AnswerResult:
    return answer_in(index, question)


def test_framing_lines_get_chunks_of_their_own_flagged_as_boilerplate(chunks: list[Chunk]) -> None:
    flagged = [c.text for c in chunks if c.boilerplate]
    assert "沪科建复〔2024〕34号" in " ".join(flagged)
    assert "感谢您对本市科技工作的关心和支持。\n上海市科学技术委员会\n2024年6月21日" in flagged
    assert all("4850.21亿元" not in text and "120篇" not in text for text in flagged)


def test_content_chunks_are_not_flagged(chunks: list[Chunk]) -> None:
    content = [c for c in chunks if "4850.21亿元" in c.text or "120篇" in c.text]
    assert content and not any(c.boilerplate for c in content)


def test_a_flagged_chunk_still_maps_to_its_source_text(chunks: list[Chunk]) -> None:
    for chunk in chunks:
        if chunk.boilerplate:
            assert "".join(REPLY[p.start:p.end] for p in chunk.pieces) == chunk.text.replace("\n", "")


def test_the_lexical_index_knows_a_document_number_line_as_a_document_number(chunks: list[Chunk]) -> None:
    number = next(c for c in chunks if "沪科建复" in c.text)
    assert "文号" in lexical_input(number)


def test_a_content_question_is_never_answered_from_the_sign_off(index: SearchIndex) -> None:
    result = answer(index, "2023年上海科技工作的关心和支持情况如何？")
    assert result.choice is None or not result.choice.candidate.chunk.boilerplate


def test_boilerplate_passages_are_listed_after_every_content_passage(index: SearchIndex) -> None:
    ranked = answer(index, "上海市科学技术委员会2023年科技工作").ranked
    flags = [c.chunk.boilerplate for c in ranked]
    assert True in flags and flags == sorted(flags)


def test_a_question_for_the_document_number_is_answered_by_the_number_line(index: SearchIndex) -> None:
    result = answer(index, "第0671号代表建议的答复的文号是什么？")
    assert not result.no_answer and result.choice is not None
    assert result.choice.text == "沪科建复〔2024〕34号"


def test_a_question_for_the_issue_date_may_quote_the_sign_off(index: SearchIndex) -> None:
    result = answer(index, "第0671号代表建议的答复是哪一天印发的？")
    assert not result.no_answer and result.choice is not None and "2024年6月21日" in result.choice.text


FOOTER_REPLY = REPLY + """
联系人姓名：田春芝

联系电话：23112526

联系地址：威海路48号

---

抄送：市政府办公厅建议提案处，市人大代表工作处。

---

上海市科委办公室

2024年6月21日印发
"""


@pytest.mark.parametrize("line", [
    "联系人姓名：田春芝", "联系电话：23112526", "联系地址：威海路48号",
    "抄送：市政府办公厅建议提案处，市人大代表工作处。", "2024年6月21日印发",
])
def test_contact_distribution_and_printing_lines_are_framing_lines(line: str) -> None:
    assert is_boilerplate_line(line)


def test_a_record_lines_label_is_read() -> None:
    assert record_labels("联系人姓名：田春芝\n联系电话：23112526\n上海市科委办公室") == ["联系人姓名", "联系电话"]


@pytest.mark.parametrize(("question", "line"), [
    ("市科委答复汪泓代表建议的联系人是谁？", "联系人姓名：田春芝"),
    ("这份答复抄送了哪些部门？", "抄送：市政府办公厅建议提案处，市人大代表工作处。"),
    ("What street address does the commission give for contact in its reply?", "联系地址：威海路48号"),
    ("Who is the contact person for the reply?", "联系人姓名：田春芝"),
])
def test_a_question_naming_a_record_lines_label_asks_for_it(question: str, line: str) -> None:
    assert asks_record(question, line)


def test_english_contact_alone_asks_no_person() -> None:
    assert not asks_record("What street address does the commission give for contact?", "联系人姓名：田春芝")


def test_a_question_giving_the_value_does_not_ask_for_the_line() -> None:
    assert not asks_record("答复汪泓代表建议的联系人田春芝，在市科委担任什么职务？", "联系人姓名：田春芝")


def test_only_the_documents_own_acts_are_dated_by_its_sign_off() -> None:
    assert dates_the_document("第0671号代表建议的答复是哪一天印发的？")
    assert not dates_the_document("市科委是哪一天收到汪泓代表第0671号建议的？")


@pytest.fixture(scope="module")
def footer_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    return index_of(write_corpus(tmp_path_factory.mktemp("footer") / "corpus", {"reply.md": FOOTER_REPLY}, MANIFEST))


def test_the_contact_person_is_answered_by_the_contact_line(footer_index: SearchIndex) -> None:
    result = answer(footer_index, "第0671号代表建议的答复里，联系人是谁？")
    assert not result.no_answer and result.choice is not None and result.choice.text == "联系人姓名：田春芝"


def test_the_distribution_is_answered_by_the_cc_line(footer_index: SearchIndex) -> None:
    result = answer(footer_index, "第0671号代表建议的答复抄送了哪些部门？")
    assert result.choice is not None and result.choice.text.startswith("抄送：")


def test_a_content_question_is_never_answered_from_the_footer(footer_index: SearchIndex) -> None:
    result = answer(footer_index, "2023年上海新认定高新技术企业多少家？")
    assert result.choice is not None and not result.choice.candidate.chunk.boilerplate


def test_the_day_a_proposal_was_received_is_not_the_sign_off_date(footer_index: SearchIndex) -> None:
    result = answer(footer_index, "市科委是哪一天收到第0671号代表建议的？")
    assert result.choice is None or "2024年6月21日" not in result.choice.text or result.no_answer
