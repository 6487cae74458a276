"""Specification of the speller (reportqa.query.spelling): one-character typos fixed against the corpus.

A run of three to six Chinese characters that the vocabulary does not know, one substitution
away from exactly one known term, is replaced by that term. A window holding a known word of
two characters or more is an ordinary phrase and is left alone, and so is a typo with two
equally close terms; a particle (了, 的) is written as meant and never replaced.
"""

from __future__ import annotations

from reportqa.index.base import SearchIndex
from reportqa.query.spelling import Speller

VOCABULARY = ["独角兽", "企业", "模速空间", "技术合同", "成交额", "新增"]


def test_a_one_character_typo_is_fixed_towards_the_known_term() -> None:
    assert Speller(VOCABULARY).correct("独脚兽企业有多少家") == "独角兽企业有多少家"


def test_a_typo_in_a_four_character_term_is_fixed() -> None:
    assert Speller(VOCABULARY).correct("模数空间") == "模速空间"


def test_a_known_term_is_left_alone() -> None:
    assert Speller(VOCABULARY).correct("独角兽企业新增多少家") == "独角兽企业新增多少家"


def test_a_window_holding_a_known_word_is_not_corrected() -> None:
    # 独脚 is a word of this vocabulary, so 独脚兽 is read as 独脚 + 兽, not as a typo.
    assert Speller([*VOCABULARY, "独脚"]).correct("独脚兽") == "独脚兽"


def test_a_typo_with_two_equally_close_terms_is_left_alone() -> None:
    assert Speller(["独角兽", "独眼兽"]).correct("独脚兽") == "独脚兽"


def test_two_character_words_are_never_corrected() -> None:
    assert Speller(["企业"]).correct("企叶") == "企叶"


def test_two_substitutions_away_is_too_far() -> None:
    assert Speller(VOCABULARY).correct("读脚兽") == "读脚兽"


def test_text_without_chinese_is_unchanged() -> None:
    assert Speller(VOCABULARY).correct("unicorn 2024") == "unicorn 2024"


def test_the_corpus_vocabulary_fixes_a_typo_of_one_of_its_terms(tiny_index: SearchIndex) -> None:
    speller = Speller(tiny_index.lexical.vocabulary())
    assert speller.correct("独脚兽企业有多少家？") == "独角兽企业有多少家？"


def test_a_word_of_the_dictionary_is_no_typo() -> None:
    """数理化 (maths, physics, chemistry) is a word, though the reports only say 数字化."""
    dictionary = {"数理化", "上海", "以外"}.__contains__
    assert Speller(["数字化"], dictionary).correct("数理化生这几门学科") == "数理化生这几门学科"


def test_a_window_starting_inside_a_dictionary_word_is_not_corrected() -> None:
    """`海以外` of 上海以外 starts inside 上海: it is no typo of the corpus's 海内外."""
    dictionary = {"上海", "以外", "地区"}.__contains__
    assert Speller(["海内外"], dictionary).correct("卖给上海以外地区的") == "卖给上海以外地区的"


def test_a_typo_is_still_fixed_beside_the_dictionary() -> None:
    dictionary = {"上海", "企业"}.__contains__
    assert Speller(VOCABULARY, dictionary).correct("上海独脚兽企业") == "上海独角兽企业"


def test_a_particle_is_never_read_as_a_mistyped_character() -> None:
    """`新加了什么领域` adds a field: 了 is the verb's particle, not a typo of 新加坡's 坡."""
    assert Speller([*VOCABULARY, "新加坡"]).correct("之外新加了什么领域") == "之外新加了什么领域"
    assert Speller([*VOCABULARY, "新加坡"]).correct("新加玻有几家") == "新加坡有几家"


def test_a_demonstrative_is_never_read_as_a_mistyped_character() -> None:
    """`认定这件事` is about that matter: 这 is no typo of the reports' `一件事` reform."""
    assert Speller([*VOCABULARY, "一件事"]).correct("认定这件事：") == "认定这件事："
