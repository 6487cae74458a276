"""What the system knows about each language a question may be asked in, in one place.

The reports are Chinese; questions come in Chinese or English. Each language
is a `LanguageProfile`: the characters that identify it, the words that only
make a sentence a question, the cues of a "how many" or "what is it called"
question, what in it is worth searching for, a bridge of its terms to Chinese
when it needs one, and how much each retrieval leg counts for it. Adding a
language means adding a profile (and, for a language the encoder and BM25
cannot bridge, a glossary like query/glossary_en.py).

Any other script (Japanese kana, Hangul, Cyrillic, Arabic, Thai, Greek…) is
refused with a clear message instead of being searched as noise: no profile
can read it, and its Han characters alone (Japanese) would be mistaken for a
Chinese question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from reportqa.errors import InvalidQueryError
from reportqa.query.glossary_en import chinese_terms, renderings
from reportqa.query.rendering import Rendering
from reportqa.settings import FusionSettings
from reportqa.text.zh import HAN, clean_text

UNSUPPORTED_LANGUAGE = "only Chinese and English questions are supported (仅支持中文和英文问题)"


LegSettings = tuple[str, str]
"""The names of the `fusion.*` settings holding a language's (dense, lexical) leg weights.

The numbers live in settings.py with every other weight (one place to tune, `--set` to try
a grid point); a profile only says which of them apply to its questions.
"""


@dataclass(frozen=True)
class LanguageProfile:
    """One question language: how to recognise it and how retrieval treats it."""

    code: str
    name: str
    # The characters detection counts for this language.
    letters: re.Pattern[str]
    # Words that make a sentence a question; a passage containing them is no better an answer.
    question_words: frozenset[str]
    # A "how many / how much / what share" question: the answer holds a figure.
    quantity_cue: re.Pattern[str]
    # A "what is it called" question: the answer holds a name.
    name_cue: re.Pattern[str]
    # Something a report could contain, in this language's terms.
    searchable: re.Pattern[str]
    # Fusion weights for a question in this language (names of `fusion.*` settings).
    legs: LegSettings
    # Fusion weights for a short keyword query; None: this language has no keyword mode.
    keyword_legs: LegSettings | None = None
    # Chinese terms for a question in this language, when BM25 cannot match its own words.
    bridge: Callable[[str], list[str]] | None = None
    # The bridge word by word: each phrase of the question it renders, with its Chinese terms.
    render: Callable[[str], list[Rendering]] | None = None
    # Detection, for a language other than the default: it claims a question when it has at
    # least `min_letters` letters and more than `dominance` times the default language's.
    min_letters: int = 0
    dominance: float = 1.0

    def count(self, text: str) -> int:
        """How many of this language's letters the text holds."""
        return len(self.letters.findall(text))

    def leg_weights(self, fusion: FusionSettings, keyword: bool = False) -> tuple[float, float]:
        """The (dense, lexical) fusion weights for a question (a keyword query when `keyword`)."""
        dense, lexical = self.keyword_legs if keyword and self.keyword_legs is not None else self.legs
        return float(getattr(fusion, dense)), float(getattr(fusion, lexical))


ZH = LanguageProfile(
    code="zh",
    name="Chinese",
    letters=re.compile(f"[{HAN}]"),
    question_words=frozenset(
        "多少 什么 哪些 哪个 哪里 哪一年 哪年 几个 几家 几项 是否 如何 怎么 怎样 分别 "
        "是多少 有多少 叫什么 名字 第几 排名 情况 主要 哪 几 吗 呢".split()
    ),
    quantity_cue=re.compile(r"多少|几[个家项篇位名次件人所亿万]?|多大|比例|比重|占比|增长|排名|第几"),
    name_cue=re.compile(r"叫什么|什么名字|名称|称为|品牌"),
    searchable=re.compile(rf"[{HAN}]|\d"),
    # BM25 on jieba tokens is a strong second opinion for a Chinese question, and the main
    # one for a short keyword query (weights tuned on the dev set; see settings.py).
    legs=("dense", "lexical"),
    keyword_legs=("keyword_dense", "keyword_lexical"),
)

EN = LanguageProfile(
    code="en",
    name="English",
    letters=re.compile(r"[A-Za-z]"),
    question_words=frozenset(
        "what which how many much is are was were the of in on for to a an and did does do there".split()
    ),
    # Substrings on purpose, as before: `rate` also fires inside `growth rate` and `ranked`.
    quantity_cue=re.compile(r"how many|how much|how large|how big|what share|percentage|proportion|rate|rank|"
                            r"number of",
                            re.IGNORECASE),
    name_cue=re.compile(r"what is the name|called", re.IGNORECASE),
    # A word of two letters or more: a lone `a` or `I` finds nothing.
    searchable=re.compile(r"[A-Za-z]{2,}|\d"),
    # BM25 on English words against Chinese text is noise (the glossary's Chinese terms help a
    # little): the dense leg, which bridges languages, leads.
    legs=("english_dense", "english_lexical"),
    bridge=chinese_terms,
    render=renderings,
    # Today's rule: English when its letters are at least 6 and more than twice the Chinese
    # characters, so a Chinese question with an acronym (`PCT`, `R&D`) stays Chinese.
    min_letters=6,
    dominance=2.0,
)

#: Every supported language; the first is the default, the language of the reports.
PROFILES: dict[str, LanguageProfile] = {p.code: p for p in (ZH, EN)}
DEFAULT = ZH.code

#: Question words of every language: a question may mix them (an English question quoting a
#: Chinese term), and a question word never helps a passage, whichever language it is in.
QUESTION_WORDS: frozenset[str] = frozenset().union(*(p.question_words for p in PROFILES.values()))
#: Something a report could contain in any supported language: a Chinese character, a number,
#: or a word of two letters or more.
SEARCHABLE = re.compile("|".join(p.searchable.pattern for p in PROFILES.values()))

# When letters of unsupported scripts make a question foreign (see detect_language). Kana get a
# rule of their own: a Japanese question is mostly Han characters, yet Chinese text has no kana.
_FOREIGN_SHARE = 0.25
_KANA_LIMIT = 2


def profile(code: str) -> LanguageProfile:
    """The profile of a language code (`zh`, `en`); KeyError for an unsupported one."""
    return PROFILES[code]


def _is_foreign_letter(ch: str) -> bool:
    """A letter of a script no profile reads (kana, Hangul, Cyrillic…); Han and Latin of any block are not."""
    if not unicodedata.category(ch).startswith("L") or ch.isascii():
        return False
    name = unicodedata.name(ch, "")
    return not name.startswith(("CJK ", "LATIN ", "FULLWIDTH LATIN ", "BOPOMOFO "))


def _is_kana(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("HIRAGANA ", "KATAKANA ", "HALFWIDTH KATAKANA "))


def closest_language(text: str) -> str:
    """Chinese or English, whichever the text is nearer to (Chinese by default); never None.

    The decision query analysis has always made: another language claims the text when
    its letters reach its `min_letters` and outnumber the default's by its `dominance`.
    """
    default = PROFILES[DEFAULT].count(text)
    for code, prof in PROFILES.items():
        if code == DEFAULT:
            continue
        own = prof.count(text)
        if own >= prof.min_letters and own > prof.dominance * default:
            return code
    return DEFAULT


def detect_language(text: str) -> str | None:
    """`zh` or `en` for a question in a supported language, None for one in another script.

    Mixed text keeps working: a Chinese question with an English acronym, an English question
    quoting a Chinese term, a Greek letter in a gene name. A text is foreign when it holds two
    kana or more (Japanese), or when letters of unsupported scripts are two or more and at least
    a quarter of its letters (Russian, Korean, Arabic…). A text with no letters (`2024`) is Chinese.
    """
    foreign = [ch for ch in text if _is_foreign_letter(ch)]
    if foreign:
        kana = sum(map(_is_kana, foreign))
        letters = len(foreign) + sum(p.count(text) for p in PROFILES.values())
        if kana >= _KANA_LIMIT or (len(foreign) >= 2 and len(foreign) >= _FOREIGN_SHARE * letters):
            return None
    return closest_language(text)


def check_language(text: str) -> None:
    """Refuse a question in a language no profile reads, with a message that says which are read."""
    if detect_language(clean_text(text)) is None:
        raise InvalidQueryError(UNSUPPORTED_LANGUAGE)


def asks_quantity(text: str) -> bool:
    """Whether a question asks for a figure, by the cues of any language it contains."""
    return any(p.quantity_cue.search(text) for p in PROFILES.values())


def asks_name(text: str) -> bool:
    """Whether a question asks for a name, by the cues of any language it contains."""
    return any(p.name_cue.search(text) for p in PROFILES.values())
