"""Specification of answer extraction (reportqa.rank.answer) over the tiny index.

The answer is a verbatim sentence of one of the top passages, and the passage it is quoted
from is listed first. The extractor abstains, with a reason in the user's words, when no
passage shares a word with the question, when the question's year, pinned number or place is
not in any candidate, or when the best sentence covers too little of the question. Confidence
is the best sentence's word coverage against `AnswerSettings`' thresholds; a "how many"
question favours a sentence with a figure, and a word found only in the passage's section
titles earns part credit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from reportqa.index.base import Filter, SearchIndex, SentenceScores
from reportqa.query.analyze import analyze
from reportqa.rank.answer import AnswerExtractor, _coverage, _year_conflict
from reportqa.settings import AnswerSettings
from reportqa.text.zh import FIGURE
from tests.unit.conftest import QUESTION_2023, QUESTION_2024, AnswerFn, RetrieveFn


def settings(**changes: float) -> AnswerSettings:
    return dataclasses.replace(AnswerSettings(), **changes)


# Tests of one scoring knob turn the answer verification off, so only that knob decides
# (verification has its own tests in test_verify.py and test_multipart.py).
UNVERIFIED = {"verify": False}


# --- the answer and its passage ------------------------------------------------------------------------

def test_the_answer_is_the_sentence_holding_the_asked_figure(answer: AnswerFn) -> None:
    result = answer(QUESTION_2024)
    assert not result.no_answer and result.reason == ""
    assert result.choice is not None and result.choice.text == "全市技术合同成交额5200.73亿元，同比增长7.2%。"


def test_the_answer_is_an_exact_slice_of_its_passage(answer: AnswerFn) -> None:
    choice = answer(QUESTION_2024).choice
    assert choice is not None
    assert choice.candidate.chunk.text[choice.start:choice.end] == choice.text
    assert 0 <= choice.start < choice.end <= len(choice.candidate.chunk.text)


def test_the_asked_year_picks_the_answer_from_that_years_report(answer: AnswerFn) -> None:
    choice = answer(QUESTION_2023).choice
    assert choice is not None and "4850.21亿元" in choice.text and choice.candidate.chunk.doc_id == "r2023"


def test_the_passage_the_answer_is_quoted_from_is_listed_first(answer: AnswerFn, retrieve: RetrieveFn) -> None:
    # For this keyword query retrieval ranks G60's 技术合同成交额 (松江区) first; the answer is the city's.
    question = "全市技术合同成交额"
    assert "G60" in retrieve(question).candidates[0].chunk.text
    result = answer(question)
    assert result.choice is not None and "5200.73亿元" in result.choice.text
    assert result.ranked[0] is result.choice.candidate


def test_the_ranked_passages_keep_every_candidate_once(answer: AnswerFn, retrieve: RetrieveFn) -> None:
    ranked = answer(QUESTION_2024).ranked
    assert sorted(c.key for c in ranked) == sorted(c.key for c in retrieve(QUESTION_2024).candidates)


def test_an_english_question_is_answered_through_its_glossary_terms(answer: AnswerFn) -> None:
    result = answer("How much was the technology contract turnover in 2024?")
    assert not result.no_answer and result.choice is not None and "5200.73亿元" in result.choice.text


# --- abstentions ---------------------------------------------------------------------------------------

def test_no_question_word_in_the_reports_abstains(answer: AnswerFn) -> None:
    result = answer("天气怎么样")
    assert result.no_answer and result.confidence == "none"
    assert result.reason == "报告中没有出现问题里的任何词语"


def test_a_year_no_report_covers_abstains_naming_it(answer: AnswerFn) -> None:
    result = answer("2019年全市技术合同成交额是多少？")
    assert result.no_answer and result.reason == "报告中没有关于2019年的内容"


def test_several_missing_years_are_all_named(answer: AnswerFn) -> None:
    assert answer("2018年和2019年全市技术合同成交额是多少？").reason == "报告中没有关于2018年、2019年的内容"


def test_a_pinned_number_no_passage_holds_abstains(answer: AnswerFn) -> None:
    result = answer("第18届浦江创新论坛的主题是什么？")
    assert result.no_answer and result.reason == "报告中没有与“18”相符的段落"


def test_a_pinned_number_the_passage_holds_is_answered(answer: AnswerFn) -> None:
    result = answer("松江区新增12家科创板上市企业是哪一年？", settings=settings(**UNVERIFIED))
    assert not result.no_answer and result.choice is not None and "12家" in result.choice.text


def test_a_place_the_passage_never_mentions_abstains(answer: AnswerFn) -> None:
    result = answer("北京2024年技术合同成交额是多少？")
    assert result.no_answer and result.reason == "报告没有涉及北京"


def test_a_place_name_inside_another_word_is_not_a_place(answer: AnswerFn) -> None:
    result = answer("上海南部的闵行区“大零号湾”新增硬科技企业多少家？")
    assert result.reason != "报告没有涉及海南"
    assert not result.no_answer and result.choice is not None and "200余家" in result.choice.text


def test_a_question_of_question_words_only_abstains(answer: AnswerFn) -> None:
    result = answer("是多少？")
    assert result.no_answer and result.reason == "报告中没有出现问题里的任何词语"


def test_a_sentence_sharing_almost_no_word_abstains(answer: AnswerFn) -> None:
    result = answer("上海交响乐团演出")
    assert result.choice is not None and result.choice.coverage < AnswerSettings().min_coverage
    assert result.no_answer and result.reason == "最接近的句子与问题没有共同的关键词"


def test_a_min_coverage_above_what_sentence_and_passage_share_abstains(answer: AnswerFn) -> None:
    # The sentence's words, or its whole passage's for a line like a date that shares none itself.
    question = "松江区新增科创板上市企业多少家？"
    assert not answer(question, settings=settings(**UNVERIFIED)).no_answer
    result = answer(question, settings=settings(min_coverage=1.01, **UNVERIFIED))
    assert result.no_answer and result.reason == "最接近的句子与问题没有共同的关键词"


def test_no_candidate_passage_abstains(answer: AnswerFn) -> None:
    result = answer(QUESTION_2024, where=Filter(doc="r2023", year=2024))
    assert result.no_answer and result.ranked == [] and result.reason == "没有检索到相关段落"


class NoSentences:
    """A sentence store holding no sentence for any chunk."""

    def best_similarity(self, keys: np.ndarray, vector: np.ndarray) -> np.ndarray:
        return np.zeros(len(keys), np.float32)

    def scores(self, key: int, vector: np.ndarray) -> SentenceScores | None:
        return None


def test_passages_without_a_quotable_sentence_abstain(tiny_index: SearchIndex, retrieve: RetrieveFn) -> None:
    index = dataclasses.replace(tiny_index, sentences=NoSentences())
    result = AnswerExtractor(index).answer(retrieve(QUESTION_2024))
    assert result.no_answer and result.choice is None and result.reason == "没有可引用的句子"


# --- confidence ----------------------------------------------------------------------------------------

QUESTION_PARTIAL = "松江区新增科创板上市企业多少家？"


@pytest.fixture(scope="module")
def partial_coverage(answer: AnswerFn) -> float:
    """The coverage of the best sentence for a question it only partly covers (松江区 is a title)."""
    choice = answer(QUESTION_PARTIAL).choice
    assert choice is not None and 0.3 < choice.coverage < 1.0
    return choice.coverage


def test_coverage_at_the_high_threshold_is_high_confidence(answer: AnswerFn, partial_coverage: float) -> None:
    assert answer(QUESTION_PARTIAL, settings=settings(high_confidence=partial_coverage)).confidence == "high"


def test_coverage_between_the_thresholds_is_medium_confidence(answer: AnswerFn, partial_coverage: float) -> None:
    moved = settings(high_confidence=partial_coverage + 0.01, medium_confidence=partial_coverage)
    assert answer(QUESTION_PARTIAL, settings=moved).confidence == "medium"


def test_coverage_below_the_medium_threshold_is_low_confidence(answer: AnswerFn, partial_coverage: float) -> None:
    moved = settings(high_confidence=partial_coverage + 0.02, medium_confidence=partial_coverage + 0.01)
    result = answer(QUESTION_PARTIAL, settings=moved)
    assert not result.no_answer and result.confidence == "low"


def test_a_fully_covered_question_is_high_confidence_by_default(answer: AnswerFn) -> None:
    result = answer(QUESTION_2024)
    assert result.choice is not None and result.choice.coverage == pytest.approx(1.0)
    assert result.confidence == "high"


# --- what the score rewards ----------------------------------------------------------------------------

def test_a_how_many_question_adds_the_figure_bonus_to_a_sentence_with_a_figure(answer: AnswerFn) -> None:
    question = "2024年高新技术企业数量达到多少？"
    without, bonus = answer(question, settings=settings(figure=0.0)).choice, answer(question).choice
    assert without is not None and bonus is not None and FIGURE.search(bonus.text)
    assert (without.start, without.end) == (bonus.start, bonus.end)
    assert bonus.score - without.score == pytest.approx(AnswerSettings().figure)


def test_the_figure_bonus_can_decide_the_answer_of_a_how_many_question(answer: AnswerFn) -> None:
    # Without it the bold lead-in 高新技术企业持续壮大 wins on word overlap alone.
    question = "高新技术企业有多少家？"
    plain = answer(question, settings=settings(figure=0.0, **UNVERIFIED)).choice
    favoured = answer(question, settings=settings(figure=0.3, **UNVERIFIED)).choice
    assert plain is not None and not FIGURE.search(plain.text)
    assert favoured is not None and FIGURE.search(favoured.text) and "高新技术企业" in favoured.text


def test_a_question_not_asking_how_many_gets_no_figure_bonus(answer: AnswerFn) -> None:
    question = "科技小巨人企业"
    plain = answer(question, settings=settings(figure=0.0)).choice
    other = answer(question, settings=settings(figure=1.0)).choice
    assert plain is not None and other is not None and FIGURE.search(plain.text)
    assert other.score == pytest.approx(plain.score)


def test_a_what_is_it_called_question_adds_the_name_bonus_to_a_quoted_name(answer: AnswerFn) -> None:
    question = "大模型创新生态社区叫什么名字？"
    without = answer(question, settings=settings(name=0.0)).choice
    bonus = answer(question, settings=settings(name=0.3)).choice
    assert without is not None and bonus is not None and "“模速空间”" in bonus.text
    assert bonus.score - without.score == pytest.approx(0.3)


def test_a_question_word_in_the_section_title_earns_part_credit(answer: AnswerFn) -> None:
    # 松江区 is the section's title, not in the sentence G60科创走廊新增科创板上市企业12家。
    coverages = {credit: answer(QUESTION_PARTIAL, settings=settings(section_title_credit=credit)).choice
                 for credit in (0.0, 0.5, 1.0)}
    assert all(c is not None and "松江区" not in c.text and "松江区" in c.candidate.chunk.section_path
               for c in coverages.values())
    none, half, full = (coverages[k].coverage for k in (0.0, 0.5, 1.0))  # type: ignore[union-attr]
    assert none < half < full == pytest.approx(1.0)
    assert half - none == pytest.approx((full - none) / 2)


def test_verification_skips_a_close_sentence_without_the_asked_count(answer: AnswerFn) -> None:
    """With verification on, the bold lead-in without a figure cannot answer a how-many question."""
    choice = answer("高新技术企业有多少家？").choice
    assert choice is not None and FIGURE.search(choice.text) and "家" in choice.text


@pytest.mark.parametrize(("sentence", "conflict"), [
    ("发布《武宁创新共同体建设三年行动方案（2024—2026年）》。", False),
    ("建成2026年重点任务分工方案所列项目。", True),
    ("发布2023年长三角G60科创走廊青年创业榜单U30。", False),  # the 2023 list, out in 2024
    ("开展2021—2035年上海中长期科技发展规划编制工作。", False),
])
def test_a_plans_span_or_a_published_editions_year_is_no_other_date(sentence: str, conflict: bool) -> None:
    assert _year_conflict(sentence, analyze("2024年普陀区发布了什么行动方案？")) is conflict


def test_a_passage_holding_a_quoted_name_is_read_whatever_its_rank(answer: AnswerFn) -> None:
    """`“模速空间”…` must be answered from a passage that has the name: it is read beyond top_passages."""
    question = "“模速空间”入驻了多少家企业？"
    assert answer(question, settings=settings(top_passages=1, quoted_extra_passages=0)).no_answer
    result = answer(question, settings=settings(top_passages=1, quoted_extra_passages=2))
    assert result.choice is not None and not result.no_answer
    assert result.choice.text == "建成全国首个大模型创新生态社区“模速空间”，百余家大模型企业入驻。"


def test_a_question_about_what_the_reply_said_is_answered_from_the_reply(answer: AnswerFn) -> None:
    result = answer("市科委的答复说，基础研究支出的比重是多少？")
    assert result.choice is not None and result.choice.candidate.chunk.doc_id == "reply2024"


def test_a_question_about_what_the_reply_said_is_not_answered_from_another_report(answer: AnswerFn) -> None:
    """Kept to the annual report by a filter, the reply's words cannot be quoted: abstain, saying why."""
    result = answer("市科委的答复说，基础研究支出的比重是多少？", where=Filter(doc="r2024"))
    assert result.no_answer and result.reason == "相关句子不是出自问题所说的答复"
    assert not answer("基础研究支出的比重是多少？", where=Filter(doc="r2024")).no_answer


def test_a_question_word_the_reports_never_use_covers_a_sentence_with_their_word_for_it() -> None:
    """高科技 is nowhere in the reports: a sentence with 高新技术, their word for it, covers it."""
    tokens, idf = ["高科技", "减免"], {"高科技": 5.0, "减免": 3.0}
    sentence = "支持3060家高新技术企业减免所得税248.84亿元。"
    assert _coverage(tokens, sentence, idf, "", 0.5) == 3.0 / 8.0
    assert _coverage(tokens, sentence, idf, "", 0.5, {"高科技": ("高新技术",)}) == 1.0
