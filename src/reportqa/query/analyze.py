"""Query clean-up and the facts retrieval reads off a question.

Users type full-width digits, Traditional characters, stray spaces and control
characters; the index speaks Simplified Chinese with half-width digits. The
original query is kept for display; only the normalised one is searched.
The language knowledge (cues, question words, glossary, fusion weights) is in
query/languages.py; the text rules (years, normalisation) in text/zh.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reportqa.query.languages import LanguageProfile, asks_name, asks_quantity, closest_language, profile
from reportqa.query.rendering import Equivalent, Rendering
from reportqa.text.zh import bare_years, clean_text, expand_short_years, to_simplified

# A number the question pins: `18`, `4.5`, `10,000` (one number, read without its commas).
_NUMBER = re.compile(r"(?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\d])")
# A divisor is not pinned (`per 10,000 residents`, `每10万人`): the reports write 每万人口, no digits.
_DIVISOR = re.compile(r"(?:\bper\s+|每)$", re.IGNORECASE)
_ORDINAL = re.compile(r"第\s*(\d+)\s*[届次批个期]|\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
# What a keyword query's length is measured without: spaces and sentence punctuation.
_NOT_COUNTED = re.compile(r"[\s?？!！。,，]")
KEYWORD_MAX_CHARS = 8
# A year that names a report, not the year its figures are about: `2020年的报告说…`,
# `2024年上海科技进步报告中`, `according to the 2020 report`, `Shanghai's 2020 and 2024 … reports`.
_REPORT_YEAR = re.compile(
    r"(?:19|20)\d\d\s*年?\s*(?:的|版|度)?\s*[\u4e00-\u9fff]{0,10}?(?:报告|年报|白皮书)"
    r"|(?:19|20)\d\d(?:\s*(?:,|and)\s*(?:the\s+)?(?:19|20)\d\d)*\s+(?:[a-z&'-]+\s+){0,5}?(?:reports?|editions?)\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class QueryInfo:
    """A question as retrieval sees it."""

    original: str
    normalized: str
    years: tuple[int, ...]
    numbers: tuple[str, ...]
    # The question's language, a key of reportqa.query.languages.PROFILES ("zh" or "en").
    lang: str
    keyword: bool
    asks_quantity: bool
    asks_name: bool = False
    # What the lexical leg searches: the normalised query, plus Chinese terms for an English one.
    lexical_text: str = ""
    # An English question's Chinese terms (and years): a second, Chinese view of it for the encoder.
    bridge_text: str = ""
    # The pinned numbers that are an edition or a batch (`第9届`, `7th`): matched as one, not as any 9.
    ordinals: tuple[str, ...] = ()
    # The years name reports (`2020年的报告说…`): a passage answers for its report's year, whatever
    # year its figures are about (the 2020 report gives 2019's awards).
    report_years: bool = False
    # A bridged (English) question's words and phrases with the corpus's Chinese words for each:
    # what the answer check requires of a sentence, word by word.
    renderings: tuple[Rendering, ...] = ()
    # A Chinese question's words the reports never use, with the reports' words for each
    # (`高科技` → 高新技术): the answer check accepts those in their place.
    equivalents: tuple[Equivalent, ...] = ()

    @property
    def english(self) -> bool:
        """Whether the question is English (read-only; kept for code that predates `lang`)."""
        return self.lang == "en"

    @property
    def profile(self) -> LanguageProfile:
        """The question's language profile."""
        return profile(self.lang)


def analyze(query: str, correct: Callable[[str], str] | None = None,
            expand: Callable[[str], list[str]] | None = None,
            render: Callable[[str], list[Rendering]] | None = None,
            equate: Callable[[str], list[Equivalent]] | None = None) -> QueryInfo:
    """Normalise a query (and fix its typos with `correct`), then read off its years, numbers and type.

    `expand` gives more Chinese terms for a question in a bridged language (English): the
    engine's dictionary, kept to the corpus's words, for what the glossary does not cover.
    `render` gives the same dictionary's renderings word by word, for the answer check.
    `equate` gives, for a Chinese question, the corpus's words for its words the corpus never uses.

    The language is always Chinese or English here (the nearer one): a question in another
    script is refused before analysis, by languages.check_language.
    """
    # `24年` is 2024 as people write it: read as the reports date their figures.
    normalized = expand_short_years(to_simplified(clean_text(query)))
    if correct is not None:
        normalized = correct(normalized)
    lang = closest_language(normalized)
    prof = profile(lang)
    years = bare_years(normalized)
    ordinals = [a or b for a, b in _ORDINAL.findall(normalized)]
    numbers = tuple(dict.fromkeys(
        [*ordinals, *(n for n in (m.group().replace(",", "") for m in _NUMBER.finditer(normalized)
                                  if not _DIVISOR.search(normalized[:m.start()]))
                      if not (len(n) == 4 and n.isdigit() and int(n) in years))]
    ))
    quantity = asks_quantity(normalized)
    stripped = _NOT_COUNTED.sub("", normalized)
    keyword = prof.keyword_legs is not None and len(stripped) <= KEYWORD_MAX_CHARS and not quantity
    lexical_text, bridge_text = normalized, ""
    renderings: list[Rendering] = []
    if prof.bridge is not None:
        renderings = [*(prof.render(normalized) if prof.render is not None else []),
                      *(render(normalized) if render is not None else [])]
        terms = prof.bridge(normalized)
        if expand is not None:
            terms += [t for t in expand(normalized) if t not in terms]
        lexical_text = " ".join([normalized, *terms])
        bridge_text = " ".join([*terms, *map(str, years)]) if terms else ""
    equivalents = equate(normalized) if equate is not None and prof.bridge is None else []
    return QueryInfo(
        original=query,
        lexical_text=lexical_text,
        bridge_text=bridge_text,
        normalized=normalized,
        years=years,
        numbers=numbers,
        lang=lang,
        keyword=keyword,
        asks_quantity=quantity,
        asks_name=asks_name(normalized),
        report_years=bool(years) and _REPORT_YEAR.search(normalized) is not None,
        renderings=tuple(renderings),
        equivalents=tuple(equivalents),
        ordinals=tuple(dict.fromkeys(ordinals)),
    )
