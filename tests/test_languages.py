"""Language profiles: which questions are Chinese, which English, which refused, and what each language cues."""

from __future__ import annotations

import dataclasses

import pytest

from reportqa.errors import InvalidQueryError
from reportqa.query.analyze import analyze
from reportqa.query.languages import (
    EN,
    PROFILES,
    UNSUPPORTED_LANGUAGE,
    ZH,
    check_language,
    detect_language,
    profile,
)
from reportqa.service import validate_query
from reportqa.settings import FusionSettings

JAPANESE = "上海の研究開発費はいくらですか"
RUSSIAN = "Сколько центров исследований и разработок в Шанхае?"


def test_a_chinese_question_is_chinese():
    assert detect_language("2024年全市入库的科技型中小企业有多少家？") == "zh"


def test_a_chinese_question_with_an_acronym_stays_chinese():
    assert detect_language("2024年上海PCT国际专利申请量是多少？") == "zh"


def test_an_english_question_with_digits_is_english():
    assert detect_language("How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?") == "en"


def test_an_english_question_quoting_a_chinese_term_stays_english():
    assert detect_language("What is the 张江 science city?") == "en"


def test_digits_alone_are_read_as_chinese():
    assert detect_language("2024") == "zh"


def test_a_greek_letter_in_a_chinese_term_is_not_a_foreign_question():
    assert detect_language("α-突触核蛋白研究有哪些进展？") == "zh"


def test_a_japanese_question_is_not_chinese():
    assert detect_language(JAPANESE) is None


def test_a_russian_question_is_not_english():
    assert detect_language(RUSSIAN) is None


@pytest.mark.parametrize("question", [JAPANESE, RUSSIAN, "상하이의 연구개발비는 얼마입니까?"])
def test_a_question_in_another_language_gets_the_clear_error(question):
    with pytest.raises(InvalidQueryError, match=r"only Chinese and English questions are supported"):
        validate_query(question)


def test_check_language_accepts_chinese_and_english():
    check_language("2024年全市技术合同成交额是多少？")
    check_language("What was the technology contract turnover in 2024?")


def test_the_error_message_is_one_line_in_both_languages():
    assert "\n" not in UNSUPPORTED_LANGUAGE and "仅支持中文和英文" in UNSUPPORTED_LANGUAGE


def test_profiles_are_registered_by_code():
    assert profile("zh") is ZH and profile("en") is EN and set(PROFILES) == {"zh", "en"}


def test_chinese_quantity_cue():
    assert ZH.quantity_cue.search("全市技术合同成交额是多少") and not EN.quantity_cue.search("全市技术合同成交额是多少")


def test_english_quantity_cue():
    assert EN.quantity_cue.search("How many unicorns") and not ZH.quantity_cue.search("How many unicorns")


def test_name_cues():
    assert ZH.name_cue.search("这个基金会叫什么") and EN.name_cue.search("What is the name of the fund?")


def test_question_words_are_the_language_own():
    assert "多少" in ZH.question_words and "which" in EN.question_words and "which" not in ZH.question_words


def test_english_bridges_to_chinese_terms():
    info = analyze("How many high-tech enterprises did Shanghai have in 2024?")
    assert info.lang == "en" and info.english and info.profile is EN
    assert "高新技术企业" in info.bridge_text.split() and "2024" in info.bridge_text.split()


def test_chinese_has_no_bridge():
    info = analyze("2024年上海PCT国际专利申请量是多少？")
    assert info.lang == "zh" and not info.english and info.bridge_text == ""


def test_only_chinese_has_a_keyword_mode():
    assert analyze("独角兽").keyword and not analyze("unicorns").keyword


def test_each_language_reads_its_leg_weights_from_the_fusion_settings():
    fusion = FusionSettings()
    assert ZH.leg_weights(fusion) == (fusion.dense, fusion.lexical)
    assert ZH.leg_weights(fusion, keyword=True) == (fusion.keyword_dense, fusion.keyword_lexical)
    assert EN.leg_weights(fusion) == (fusion.english_dense, fusion.english_lexical)


def test_english_has_no_keyword_mode():
    fusion = FusionSettings()
    assert EN.leg_weights(fusion, keyword=True) == EN.leg_weights(fusion)


def test_a_changed_setting_changes_the_language_weights():
    fusion = dataclasses.replace(FusionSettings(), english_lexical=0.0)
    assert EN.leg_weights(fusion) == (fusion.english_dense, 0.0)


def test_a_decimal_figure_in_a_question_is_a_number_not_a_crash():
    from reportqa.query.analyze import analyze

    assert "18.7" in analyze("2024年技术合同成交额同比增长18.7%吗？").numbers
