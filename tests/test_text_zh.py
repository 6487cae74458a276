"""The shared Chinese text rules, on sentences taken from the bundled reports."""

from __future__ import annotations

from reportqa.text.sentences import sentence_bounds, sentence_spans
from reportqa.text.zh import (
    FIGURE,
    HAN_CHAR,
    bare_years,
    clean_text,
    fold_for_matching,
    has_control_chars,
    text_years,
)

# corpus/2024-reply-deputy-suggestion-0671.md
PROGRESS = ("**2023年以来主要工作进展：**一是创新投入稳步增长，全社会研发经费支出相当于全市生产总值的比例达4.4%左右，"
            "较2022年的4.2%进一步提升，其中基础研究经费支出占全社会研发经费支出的比重预计达10%左右；"
            "全市财政科技支出528.1亿元、增长36.7%，其中市级财政支出265.3亿元，基础研究支出占比达23.6%。")
# corpus/2024-overview.txt
TURNOVER = "2024年全市技术合同成交额5200.73亿元，同比增长7.2%。"


def test_a_passage_is_dated_by_every_year_it_writes_with_nian():
    assert text_years(PROGRESS) == [2023, 2022]


def test_the_most_mentioned_year_comes_first():
    assert text_years("2022年增长，2024年新增，2024年累计") == [2024, 2022]


def test_a_year_without_nian_does_not_date_a_passage():
    assert text_years("《上海市科技进步条例》2024修订") == []


def test_a_question_names_a_year_with_or_without_nian():
    assert bare_years("R&D spending 2024 vs 2023年") == (2024, 2023)


def test_a_decimal_or_a_percentage_is_not_a_year_in_a_question():
    assert bare_years("增长2024.5亿元，占比2030%") == ()


def test_a_figure_is_a_number_that_is_not_a_year():
    assert FIGURE.findall(TURNOVER) == ["5200.73", "7.2"]


def test_a_year_before_nian_is_never_a_figure():
    assert FIGURE.findall("2024年") == [] and FIGURE.findall("1921年") == []


def test_han_characters_include_extension_a():
    assert HAN_CHAR.findall("上海R&D㐀") == ["上", "海", "㐀"]


def test_semicolons_and_full_stops_end_sentences_for_the_chunker():
    pieces = [PROGRESS[a:b] for a, b in sentence_bounds(PROGRESS)]
    assert len(pieces) == 2
    assert pieces[0].endswith("10%左右；") and pieces[1].endswith("23.6%。")
    assert "".join(pieces) == PROGRESS


def test_the_chunker_ignores_line_breaks_but_quotes_do_not():
    text = "1月\n沪港创新合作论坛成功举办。全市技术合同成交额5200.73亿元。"
    assert len(sentence_bounds(text)) == 2
    quoted = [text[a:b] for a, b in sentence_spans(text)]
    assert quoted == ["1月\n沪港创新合作论坛成功举办。", "全市技术合同成交额5200.73亿元。"]


def test_a_closing_bold_marker_ends_with_its_sentence():
    text = "**重大原创成果持续涌现。**坚持“四个面向”战略方向。"
    assert [text[a:b] for a, b in sentence_bounds(text)] == ["**重大原创成果持续涌现。**", "坚持“四个面向”战略方向。"]


def test_nul_and_escape_are_control_characters():
    assert has_control_chars("上海\x00科技") and has_control_chars("上海\x1b[31m科技")


def test_tabs_and_line_breaks_are_not_control_characters():
    assert not has_control_chars("2024年\t全市技术合同成交额\r\n是多少")


def test_clean_text_narrows_full_width_and_drops_the_invisible():
    assert clean_text("２０２４年ＰＣＴ\u200b国际专利　申请量 ") == "2024年PCT 国际专利 申请量"


def test_clean_text_keeps_case():
    assert clean_text("PCT") == "PCT"


def test_fold_for_matching_folds_width_and_case_only():
    assert fold_for_matching("ＧＤＰ　５２００.73亿元\n") == "gdp 5200.73亿元\n"
