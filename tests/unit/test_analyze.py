"""Specification of query analysis (reportqa.query.analyze): what retrieval reads off a question.

The question is normalised the way the reports are written (NFKC half-width digits,
Simplified characters, no invisible characters), then its years, pinned numbers, language,
keyword-ness and the kind of answer it wants (a figure, a name) are read off it. An English
question also gets the Chinese terms of its glossary phrases, for BM25 and the answer step.
"""

from __future__ import annotations

import pytest

from reportqa.query.analyze import analyze
from reportqa.query.glossary_en import chinese_terms
from reportqa.query.spelling import Speller
from reportqa.text.zh import chinese_numeral

# --- normalisation -------------------------------------------------------------------------------------

def test_full_width_digits_become_ascii() -> None:
    info = analyze("２０２４年全市技术合同成交额是多少？")
    assert info.normalized == "2024年全市技术合同成交额是多少?"
    assert info.years == (2024,)


def test_traditional_characters_become_simplified() -> None:
    assert analyze("2024年全市技術合同成交額是多少？").normalized == "2024年全市技术合同成交额是多少?"


def test_the_original_question_is_kept_for_display() -> None:
    assert analyze("２０２４年全市技術合同成交額").original == "２０２４年全市技術合同成交額"


def test_invisible_characters_and_repeated_spaces_are_cleaned() -> None:
    assert analyze("  模速\u200b空间   企业 ").normalized == "模速 空间 企业"


def test_a_correction_function_sees_the_normalised_question() -> None:
    speller = Speller(["独角兽", "企业"])
    assert analyze("獨脚兽企业有多少家？", correct=speller.correct).normalized == "独角兽企业有多少家?"


# --- years and numbers ---------------------------------------------------------------------------------

def test_years_are_read_in_order_of_mention_each_once() -> None:
    assert analyze("2024年和2023年的独角兽企业，2024年新增多少？").years == (2024, 2023)


def test_a_year_without_nian_is_still_a_year() -> None:
    assert analyze("技术合同成交额 2024").years == (2024,)


def test_a_decimal_is_not_a_year() -> None:
    info = analyze("研发经费占比2024.5")
    assert info.years == () and info.numbers == ("2024.5",)


def test_a_year_is_not_a_pinned_number() -> None:
    assert analyze("2024年全市技术合同成交额是多少？").numbers == ()


def test_an_ordinal_pins_its_number() -> None:
    assert analyze("第18届浦江创新论坛的主题是什么？").numbers == ("18",)


def test_an_ordinal_with_spaces_and_full_width_digits_pins_its_number() -> None:
    assert analyze("第 １８ 届浦江创新论坛").numbers == ("18",)


def test_figures_in_the_question_are_pinned_too() -> None:
    assert analyze("5200.73亿元是哪一年的技术合同成交额？").numbers == ("5200.73",)


def test_a_number_with_thousands_separators_is_one_number() -> None:
    assert analyze("Which project raised 1,250 million yuan?").numbers == ("1250",)


@pytest.mark.parametrize("question", [
    "How many high-value invention patents did Shanghai have per 10,000 residents in 2025?",
    "2025年上海每10万人拥有多少件高价值发明专利？",
])
def test_a_divisor_is_not_a_pinned_number(question: str) -> None:
    assert analyze(question).numbers == ()


# --- language ------------------------------------------------------------------------------------------

def test_an_english_question_is_detected() -> None:
    info = analyze("How many unicorn enterprises were there in 2024?")
    assert info.lang == "en" and info.english and info.profile.code == "en"


def test_a_chinese_question_with_an_acronym_stays_chinese() -> None:
    info = analyze("PCT国际专利申请量是多少？")
    assert info.lang == "zh" and not info.english


def test_a_question_of_only_digits_is_chinese() -> None:
    assert analyze("2024").lang == "zh"


def test_an_english_question_gets_its_glossary_terms_for_bm25() -> None:
    info = analyze("How many unicorn enterprises were there in 2024?")
    assert "独角兽" in info.lexical_text.split() and "企业" in info.lexical_text.split()
    assert info.lexical_text.startswith(info.normalized)


def test_an_english_question_gets_a_chinese_view_with_its_years() -> None:
    info = analyze("What was the technology contract turnover in 2024?")
    assert info.bridge_text.split() == [*chinese_terms(info.normalized), "2024"]
    assert {"技术合同", "成交额"} <= set(info.bridge_text.split())


def test_an_english_question_without_glossary_phrases_has_no_chinese_view() -> None:
    assert analyze("Where is the orchestra playing tonight?").bridge_text == ""


def test_longer_glossary_phrases_come_first() -> None:
    assert chinese_terms("invention patents granted")[:2] == ["发明专利", "授权"]


def test_a_chinese_question_has_no_bridge() -> None:
    info = analyze("2024年全市技术合同成交额是多少？")
    assert info.bridge_text == "" and info.lexical_text == info.normalized


# --- keyword queries -----------------------------------------------------------------------------------

def test_a_short_phrase_is_a_keyword_query() -> None:
    assert analyze("模速空间").keyword


def test_spaces_and_punctuation_do_not_count_towards_a_keywords_length() -> None:
    assert analyze("独角兽 企业？").keyword


def test_a_full_question_is_not_a_keyword_query() -> None:
    assert not analyze("上海科学家在国际顶尖期刊上发表论文的情况").keyword


def test_a_short_how_many_question_is_not_a_keyword_query() -> None:
    assert not analyze("独角兽有多少").keyword


def test_an_english_query_is_never_a_keyword_query() -> None:
    assert not analyze("unicorns").keyword


# --- what the question asks for ------------------------------------------------------------------------

def test_duoshao_asks_for_a_figure() -> None:
    assert analyze("独角兽企业有多少家？").asks_quantity


def test_a_share_asks_for_a_figure() -> None:
    assert analyze("基础研究经费占比").asks_quantity


def test_how_many_in_english_asks_for_a_figure() -> None:
    assert analyze("How many unicorn enterprises were there in 2024?").asks_quantity


def test_a_plain_topic_asks_for_no_figure() -> None:
    assert not analyze("大零号湾科技创新策源功能区").asks_quantity


def test_jiao_shenme_asks_for_a_name() -> None:
    info = analyze("大模型创新生态社区叫什么名字？")
    assert info.asks_name and not info.asks_quantity


def test_what_is_the_name_in_english_asks_for_a_name() -> None:
    assert analyze("What is the name of the large model community?").asks_name


def test_a_how_many_question_asks_for_no_name() -> None:
    assert not analyze("独角兽企业有多少家？").asks_name


@pytest.mark.parametrize(("question", "ordinals"), [
    ("第9届中国（上海）国际技术进出口交易会的境外主宾城是哪座城市？", ("9",)),
    ("How many scientists attended the 7th World Laureates Forum?", ("7",)),
    ("2024年上海技术合同成交额是多少？", ()),
])
def test_an_edition_or_batch_is_read_as_an_ordinal(question: str, ordinals: tuple[str, ...]) -> None:
    assert analyze(question).ordinals == ordinals


def test_an_edition_in_chinese_numerals_is_written_as_the_reports_write_it() -> None:
    assert [chinese_numeral(n) for n in (3, 10, 11, 17, 26)] == ["三", "十", "十一", "十七", "二十六"]


def test_chinas_provincial_divisions_are_read_as_the_reports_count_them() -> None:
    """`19个省区市`: the reports' one word for provinces, autonomous regions and municipalities."""
    assert "省区市" in chinese_terms("How many provinces, autonomous regions and municipalities took part?")


@pytest.mark.parametrize(("question", "years"), [
    ("24年上海批下来几个三类创新医疗器械？", (2024,)),
    ("基础研究占全社会研发经费的比重，23、24、25这三年各是多少？", (2023, 2024, 2025)),
    ("市科委23年答复代表时，把低空经济列进去了吗？", (2023,)),
    ("24年和25年各新建了几家？", (2024, 2025)),
])
def test_a_two_digit_year_is_read_as_the_year_people_mean(question: str, years: tuple[int, ...]) -> None:
    assert analyze(question).years == years


@pytest.mark.parametrize("question", [
    "浦江创新论坛20年来吸引了多少位嘉宾？", "近10年上海的研发投入增长了多少？", "连续15年占比超过15%的是什么？",
    "第18届浦江创新论坛的主宾国是哪个？", "10年前上海有多少家高新技术企业？",
])
def test_a_span_of_years_or_an_edition_is_no_year(question: str) -> None:
    assert analyze(question).years == ()
