"""Query clean-up and the facts retrieval reads off a question.

Users type full-width digits, Traditional characters, stray spaces and control
characters; the index speaks Simplified Chinese with half-width digits. The
original query is kept for display; only the normalised one is searched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from reportqa.query.glossary_en import chinese_terms

_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"(?<![\d.])((?:19[5-9]|20[0-9])\d)(?![\d.%])")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ORDINAL = re.compile(r"第\s*(\d+)\s*[届次批个期]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_QUANTITY_WORDS = re.compile(
    r"多少|几[个家项篇位名次件人所亿万]?|多大|比例|比重|占比|增长|排名|第几|how many|how much|what share|"
    r"percentage|proportion|rate|rank|number of",
    re.IGNORECASE,
)


_NAME_WORDS = re.compile(r"叫什么|什么名字|名称|称为|品牌|what is the name|called", re.IGNORECASE)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified; identity on text that is already Simplified."""
    return _t2s().convert(text)


def normalize_text(text: str) -> str:
    """NFKC (full-width → half-width), no control characters, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def has_control_chars(text: str) -> bool:
    """True when the text holds characters no person types (NUL, escapes…); newlines and tabs are fine."""
    return bool(re.search(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]", text))


@dataclass(frozen=True)
class QueryInfo:
    """A question as retrieval sees it."""

    original: str
    normalized: str
    years: tuple[int, ...]
    numbers: tuple[str, ...]
    english: bool
    keyword: bool
    asks_quantity: bool
    asks_name: bool = False
    # What the lexical leg searches: the normalised query, plus Chinese terms for an English one.
    lexical_text: str = ""
    # An English question's Chinese terms (and years): a second, Chinese view of it for the encoder.
    bridge_text: str = ""


def analyze(query: str, correct: Callable[[str], str] | None = None) -> QueryInfo:
    """Normalise a query (and fix its typos with `correct`), then read off its years, numbers and type."""
    normalized = to_simplified(normalize_text(query))
    if correct is not None:
        normalized = correct(normalized)
    cjk = len(_CJK.findall(normalized))
    latin = sum(len(w) for w in _LATIN_WORD.findall(normalized))
    english = latin > 2 * cjk and latin >= 6
    years = tuple(dict.fromkeys(int(y) for y in _YEAR.findall(normalized)))
    ordinals = _ORDINAL.findall(normalized)
    numbers = tuple(dict.fromkeys(
        [*ordinals, *(n for n in _NUMBER.findall(normalized) if not (len(n) == 4 and int(n) in years))]
    ))
    stripped = re.sub(r"[\s?？!！。,，]", "", normalized)
    keyword = not english and len(stripped) <= 8 and not _QUANTITY_WORDS.search(normalized)
    lexical_text, bridge_text = normalized, ""
    if english:
        terms = chinese_terms(normalized)
        lexical_text = " ".join([normalized, *terms])
        bridge_text = " ".join([*terms, *map(str, years)]) if terms else ""
    return QueryInfo(
        original=query,
        lexical_text=lexical_text,
        bridge_text=bridge_text,
        normalized=normalized,
        years=years,
        numbers=numbers,
        english=english,
        keyword=keyword,
        asks_quantity=bool(_QUANTITY_WORDS.search(normalized)),
        asks_name=bool(_NAME_WORDS.search(normalized)),
    )
