"""The Chinese text rules every stage shares, written once.

Which characters are Chinese, what a year and a figure look like, where a
sentence ends, which characters no person types, and the two normalisations
(one for reading a question, one for matching words). Chunking, query
analysis, the answer step and the tokenizer used to carry their own copies;
copies drift, and a year the chunker dates a passage by must be the year the
answer step checks a sentence against.

Where a stage needs a rule that differs on purpose, the variant lives here
next to the rule it differs from, with the reason, instead of being merged.
Two are left where they are: jieba's own Han range (`\u4E00-\u9FD5`, in
index/tokenizer.py: a user term must match jieba's block regex exactly) and
the loaders' wider CJK class and line-end marks (ingest/loaders.py: they
decide how PDF lines are re-joined, which is about layout, not language).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any

# --- Chinese characters -------------------------------------------------------------------------
# Character-class bodies (no brackets), to compose into larger classes.

#: CJK Unified Ideographs plus Extension A: what counts as a Chinese character in a question.
HAN = r"\u3400-\u9fff"
#: The Unified Ideographs block alone. Kept where it was already the rule, because widening it
#: changes stored results: report ids (ingest/corpus.py and the web app's id check must agree with
#: ids in built indexes), the section parser's title test (hence chunk ids) and the speller's terms.
HAN_BASIC = r"\u4e00-\u9fff"

HAN_CHAR = re.compile(f"[{HAN}]")

# --- Years and figures --------------------------------------------------------------------------

#: The four digits of a year a report can speak of: 1950–2099. `[0-9]`, not `\d`: ASCII digits only.
YEAR_DIGITS = r"(?:19[5-9]|20[0-9])\d"
#: A year as the reports write it, `2023年` (`2023 年` too): how a passage is dated.
DATED_YEAR = re.compile(rf"(?<!\d)({YEAR_DIGITS})(?=\s*年)")
#: A year as a question may write it, with or without `年` (`R&D spending 2024`), but not a
#: decimal or a percentage (`2024.5`, `2030%`).
BARE_YEAR = re.compile(rf"(?<![\d.])({YEAR_DIGITS})(?![\d.%])")
#: A figure is a number that is not a year: `17244家`, `4.4%`, `5200.73亿元`, not `2024年`.
#: Its year test is deliberately wider than YEAR_DIGITS (any 19xx/20xx before `年`): a date is never
#: the figure a "how many" question wants, even one too early to date a passage by (`1921年`).
FIGURE = re.compile(r"(?<![\d.])(?!(?:19|20)\d\d\s*年)\d+(?:\.\d+)?")


def text_years(text: str) -> list[int]:
    """Years a passage speaks of (`2023年`), most mentioned first."""
    counts = Counter(int(y) for y in DATED_YEAR.findall(text))
    return [y for y, _ in counts.most_common()]


def bare_years(text: str) -> tuple[int, ...]:
    """Years a question names, `年` or not, in order of first mention, each once."""
    return tuple(dict.fromkeys(int(y) for y in BARE_YEAR.findall(text)))


#: A year written with two digits, as people say it (`24年`, `23、24、25这三年`): the digits and what
#: follows them. Not a span of years (`20年来`, `近10年`, `连续15年`, `10年间`), not an edition
#: (`第18届`), not part of a longer number.
_SHORT_YEAR_RUN = re.compile(
    r"(?<![\d.第])(?<!近)(?<!过去)(?<!连续)(?<!最近)(?<!超过)(?<!长达)(?<!用了)(?<!历时)(?<!每)(?<!这)(?<!满)(?<!前)(?<!后)"
    r"(\d{2}(?:\s*[、,，和与及至到-]\s*\d{2})*)"
    r"(?=\s*(?:年(?!来|以来|间|内|之内|多|余|左右|以上|以下|时间|期间|前|后|里|的时间)|这[两三四五几]年|[两三四五]年))")
_SHORT_YEAR_FIRST, _SHORT_YEAR_LAST = 15, 39


def expand_short_years(text: str) -> str:
    """`24年` → `2024年`, `23、24、25这三年` → `2023、2024、2025这三年`: the years a question means.

    Only two digits from 15 to 39 (2015–2039, the reports' years and the plans they name); `10年`
    is as likely ten years as 2010, and is left alone, as is every span (`20年来`, `近10年`).
    """
    def expand(match: re.Match[str]) -> str:
        run = match.group(1)
        years = re.findall(r"\d{2}", run)
        if not all(_SHORT_YEAR_FIRST <= int(y) <= _SHORT_YEAR_LAST for y in years):
            return run
        return re.sub(r"\d{2}", lambda m: f"20{m.group()}", run)

    return _SHORT_YEAR_RUN.sub(expand, text)


# --- Sentence ends ------------------------------------------------------------------------------

#: Marks that end a sentence. The semicolon is one: the reports chain whole facts with `；`,
#: and each clause is quotable alone.
SENTENCE_END = "。！？；!?;"
#: Closing marks that belong to the sentence they follow (`…基金会。”`).
CLOSING_QUOTES = "”’」』）)"

# --- Characters no person types -----------------------------------------------------------------

#: Invisible and control characters a normalised text turns into spaces: C0 controls but tab and
#: newline, DEL, C1 controls, and the zero-width spaces, direction marks, line/paragraph separators
#: and byte-order mark that arrive with copy-paste.
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ufeff]")
#: Control characters that make a query invalid rather than merely untidy: C0 controls and DEL,
#: except tab, newline and carriage return (a pasted multi-line question). Narrower than
#: _INVISIBLE on purpose: C1 controls and format characters are cleaned away, not refused.
_TYPED_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]")
_SPACES = re.compile(r"\s+")


def has_control_chars(text: str) -> bool:
    """True when the text holds characters no person types (NUL, escapes…); newlines and tabs are fine."""
    return bool(_TYPED_CONTROL.search(text))


# --- Normalisation ------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """The text as a person meant it: NFKC (full-width → half-width), no invisible characters, single spaces.

    Applied to questions: users type full-width digits, stray spaces and zero-width characters.
    Case is kept, so an acronym (`PCT`) still reads as one.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def fold_for_matching(text: str) -> str:
    """NFKC-fold (full-width digits and letters become ASCII) and lowercase.

    Applied to everything the lexical leg indexes or looks up, reports and questions alike, so
    `５２００` matches `5200` and `gdp` matches `GDP`. Whitespace is left alone: the tokenizer's
    offsets and jieba's cuts depend on it.
    """
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # loaded on first use: building the converter costs tens of milliseconds

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _tw2sp() -> Any:
    import opencc

    return opencc.OpenCC("tw2sp")


@lru_cache(maxsize=65_536)
def to_simplified(text: str) -> str:
    """Traditional → Simplified with Taiwan phrases (`積體電路` → `集成电路`); identity on Simplified text.

    OpenCC's phrase-level `tw2sp` alone would also rewrite words that read the
    same in both scripts (`核心` → `内核`, `新增` → `添加`, `建立` → `创建`), so a
    phrase change is kept only where the input really was Traditional: where
    the character-level `t2s` changed every character it replaces (a pure
    insertion or a change of shared characters is refused). Simplified text
    therefore comes back exactly as `t2s` gives it, i.e. unchanged.
    """
    chars = str(_t2s().convert(text))
    if chars == text or len(chars) != len(text):
        return chars
    phrases = str(_tw2sp().convert(text))
    if phrases == chars:
        return chars
    traditional = [a != b for a, b in zip(text, chars, strict=True)]
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, chars, phrases, autojunk=False).get_opcodes():
        keep_phrase = op != "equal" and i2 > i1 and all(traditional[i1:i2])
        out.append(phrases[j1:j2] if keep_phrase else chars[i1:i2])
    return "".join(out)


_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """An edition's number as the reports may write it in Chinese: 3 → 三, 10 → 十, 17 → 十七, 26 → 二十六.

    Editions and batches (`第三届`, `第十一届`) run from 1 to a few dozen; these lines cover 1–99 (and
    give the digits back beyond), which is all a pinned ordinal needs — not worth a dependency such
    as cn2an, whose range and options are for amounts.
    """
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return f"{_DIGITS[tens] if tens > 1 else ''}{'十' if tens else ''}{_DIGITS[ones] if ones else ''}"
