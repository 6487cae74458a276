"""Specification of the English→Chinese dictionary an English question is bridged through.

- An English word brings the corpus's Chinese words that CC-CEDICT glosses it with
  (visitors → 观众), words the corpus never uses are dropped, and plural or past forms are
  looked up by their base form (viewed → 观看).
- Function words (`in`, `and`) are never looked up; a phrase of several words wins over its
  words (first batch → 首批, not 首次); a sense listed first wins over a later one.
- A place glossed with a description (`Shenzhen subprovincial city in …`) is found by its name; the
  reports' own city (Shanghai), which every passage is about, is not looked up.
- The installed dictionary is the one read by default, and it bridges real question words.
- Its ordinary words (glossed in lower case: 扎根 "to take root") are told from names (六安, glossed by
  its name): jieba's dictionary tags some ordinary words as places.
"""

from __future__ import annotations

from reportqa.query.dictionary_en import EnglishDictionary, ordinary_words
from reportqa.query.rendering import Rendering

LINES = [
    "# CC-CEDICT test lines",
    "觀眾 观众 [guan1 zhong4] /spectators/audience/visitors (to an exhibition etc)/",
    "觀看 观看 [guan1 kan4] /to watch; to view/",
    "其中 其中 [qi2 zhong1] /among; in; included among these/",
    "首批 首批 [shou3 pi1] /first batch/",
    "首次 首次 [shou3 ci4] /first; first time/",
    "批量 批量 [pi1 liang4] /batch/lot/",
    "海外 海外 [hai3 wai4] /overseas; abroad/",
    "國外 国外 [guo2 wai4] /abroad; external (affairs); overseas; foreign/",
    "遊客 游客 [you2 ke4] /traveler; tourist; visitors/",
    "深圳 深圳 [Shen1 zhen4] /Shenzhen subprovincial city in Guangdong, special economic zone close to Hong Kong/",
    "上海 上海 [Shang4 hai3] /Shanghai municipality, central east China/",
]
VOCABULARY = {"观众", "观看", "其中", "首批", "首次", "批量", "海外", "国外", "深圳", "上海"}


def dictionary() -> EnglishDictionary:
    return EnglishDictionary(VOCABULARY, lines=LINES)


def test_an_english_word_brings_the_corpus_word_it_glosses() -> None:
    assert dictionary().terms("visitors") == ["观众"]


def test_a_dictionary_word_the_corpus_never_uses_is_dropped() -> None:
    assert "游客" not in dictionary().terms("how many visitors came")


def test_a_past_form_is_looked_up_by_its_base_form() -> None:
    assert dictionary().terms("how often was it viewed") == ["观看"]


def test_function_words_are_never_looked_up() -> None:
    assert dictionary().terms("in and of the") == []


def test_a_phrase_wins_over_its_words() -> None:
    assert dictionary().terms("the first batch of platforms") == ["首批"]


def test_a_sense_listed_first_comes_before_a_later_one() -> None:
    assert dictionary().terms("overseas")[0] == "海外"


def test_the_installed_dictionary_bridges_words_no_glossary_lists() -> None:
    real = EnglishDictionary({"直播", "海外", "贷款", "观众", "备案"})
    assert len(real) > 0
    assert "直播" in real.terms("livestream")
    assert "贷款" in real.terms("loan product")
    assert "备案" in real.terms("passed the national filing process")


def test_a_place_glossed_with_a_description_is_found_by_its_name() -> None:
    assert dictionary().terms("the fair in Shenzhen") == ["深圳"]


def test_the_reports_own_city_is_not_looked_up() -> None:
    assert dictionary().terms("Shanghai") == []


def test_renderings_keep_each_english_word_with_its_own_chinese_words() -> None:
    """The answer check asks word by word (is *visitors* in the sentence?), so the words stay apart."""
    assert dictionary().renderings("how many visitors watched the first batch") == [
        Rendering("first batch", ("首批",)), Rendering("visitors", ("观众",)), Rendering("watched", ("观看",))]


def test_renderings_may_keep_more_words_than_retrieval_does() -> None:
    """Retrieval takes one word per English word here; the check accepts any of a wider set."""
    narrow = EnglishDictionary(VOCABULARY, lines=LINES, per_word=1)
    assert narrow.terms("overseas") == ["海外"]
    assert narrow.renderings("overseas", per_word=3) == [Rendering("overseas", ("海外", "国外"))]


def test_an_ordinary_word_is_told_from_a_place_by_its_lower_case_gloss() -> None:
    """jieba tags 扎根 ("to take root") and 上市 as places; CC-CEDICT glosses places by their names."""
    assert {"扎根", "上市", "嘉宾"} <= ordinary_words()
    assert not {"六安", "昆士兰", "海南"} & ordinary_words()
