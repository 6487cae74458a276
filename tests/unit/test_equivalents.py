"""Specification of the reports' words for a Chinese question's words the reports never use.

- A word the corpus never uses is given the corpus words that share its first English gloss in
  CC-CEDICT, when that gloss is a phrase (高科技 "high tech" → 高新技术, 邮编 "zip code" → 邮政编码);
  a one-word gloss (题目 and 学科 are both "subject") gives nothing.
- A glossary term the corpus never uses is given the corpus terms of its phrase (税收优惠 → 减免,
  both `tax incentives`).
- A word the corpus uses is matched as itself: it gets no equivalents; nor does a part of a longer
  word of the question (主意 inside 拿主意).
- The question analysis carries them for a Chinese question, not for an English one.
- The answer check finds a word through them: the measure and the asked value's noun.
"""

from __future__ import annotations

from reportqa.index.tokenizer import ChineseTokenizer
from reportqa.query.analyze import analyze
from reportqa.query.equivalents import Equivalents
from reportqa.query.rendering import Equivalent
from reportqa.rank.verify import read_asked, why_not

TOKENIZER = ChineseTokenizer()
LINES = [
    "# CC-CEDICT test lines",
    "高科技 高科技 [gao1 ke1 ji4] /high tech; high technology/",
    "高新技術 高新技术 [gao1 xin1 ji4 shu4] /high tech/high technology/",
    "郵編 邮编 [you2 bian1] /zip code; postal code/",
    "郵政編碼 邮政编码 [you2 zheng4 bian1 ma3] /zip code; postal code/",
    "題目 题目 [ti2 mu4] /subject; title; topic/",
    "學科 学科 [xue2 ke1] /subject; branch of learning/",
    "主意 主意 [zhu3 yi5] /plan; idea; decision/CL:個|个[ge4]/",
    "方案 方案 [fang1 an4] /plan; program (for action etc); proposal/",
    "公司 公司 [gong1 si1] /company; firm; corporation/CL:家[jia1]/",
    "企業 企业 [qi3 ye4] /company; firm; enterprise; corporation/CL:家[jia1]/",
]
VOCABULARY = {"高新技术", "邮政编码", "学科", "方案", "公司", "企业", "减免", "所得税", "支持"}
GLOSSARY = {"tax incentives": ("税收优惠", "减免"), "company": ("企业", "公司")}


def equivalents() -> Equivalents:
    return Equivalents(VOCABULARY, TOKENIZER.tokenize, lines=LINES, glossary=GLOSSARY)


def test_a_word_the_reports_never_use_is_given_the_word_with_its_first_gloss() -> None:
    assert Equivalent("高科技", ("高新技术",)) in equivalents().of("高科技公司有多少家？")


def test_a_shared_gloss_of_one_word_gives_nothing() -> None:
    assert equivalents().of("建议的题目是什么？") == []


def test_a_glossary_term_the_reports_never_use_is_given_its_phrase_s_other_terms() -> None:
    assert equivalents().of("享受的税收优惠总额是多少？") == [Equivalent("税收优惠", ("减免",))]


def test_a_word_the_reports_use_gets_no_equivalents() -> None:
    assert equivalents().of("公司的邮政编码") == []


def test_part_of_a_longer_word_of_the_question_gets_no_equivalents() -> None:
    assert equivalents().of("谁来拿主意？") == []


def test_the_analysis_carries_them_for_a_chinese_question_only() -> None:
    eq = equivalents()
    assert analyze("答复的邮编是多少？", equate=eq.of).equivalents == (Equivalent("邮编", ("邮政编码",)),)
    assert analyze("What is the zip code of the reply?", equate=eq.of).equivalents == ()


def test_the_answer_check_finds_the_measure_and_its_value_noun_through_them() -> None:
    question = "2024年上海高科技公司享受的税收优惠总额是多少？"
    sentence = "支持3060家高新技术企业减免所得税248.84亿元。"
    with_them = read_asked(analyze(question, equate=equivalents().of), TOKENIZER.tokenize)
    without = read_asked(analyze(question), TOKENIZER.tokenize)
    unseen = 5.0

    def idf(word: str) -> float:
        return 3.0 if word in VOCABULARY else unseen

    assert why_not(with_them, sentence, "", TOKENIZER.tokenize, idf, 0.5, 2.0) is None
    assert why_not(without, sentence, "", TOKENIZER.tokenize, idf, 0.5, 2.0) is not None


def test_an_equivalent_does_not_make_another_measure_pass() -> None:
    """高科技 found as 高新技术 names the companies, not what they got: 营收 is not 税收优惠."""
    asked = read_asked(analyze("2024年上海高科技公司享受的税收优惠总额是多少？", equate=equivalents().of),
                       TOKENIZER.tokenize)

    def idf(word: str) -> float:
        return 3.0 if word in VOCABULARY else 5.0

    assert why_not(asked, "全市高新技术企业营收6272.59亿元。", "", TOKENIZER.tokenize, idf, 0.5, 2.0) is not None


def test_the_installed_dictionary_gives_real_equivalents() -> None:
    real = Equivalents({"高新技术", "邮政编码", "航母"}, TOKENIZER.tokenize)
    found = {e.word: e.corpus for e in real.of("国产航空母舰的邮编和高科技企业")}
    assert found == {"航空母舰": ("航母",), "邮编": ("邮政编码",), "高科技": ("高新技术",)}
