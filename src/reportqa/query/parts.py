"""Split a question that asks for several years or places into one question per part.

Analysts compare an indicator across years (`2020年和2024年…分别有多少`) or places
(`松江区…？同年全市…？`); one quoted sentence cannot answer that, and the best single
sentence would silently drop a part. Each part becomes its own question, answered and
verified on its own, in the order asked. The rules are about the shape of a question
(several question marks; a list of years joined by 和/与/、/and; a list of measures asked
together, `A、B和C各有多少`), never about its topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from textwrap import shorten

from reportqa.text.places import DISTRICTS
from reportqa.text.zh import bare_years

_YEAR = r"(?:19|20)\d\d"
_JOIN = r"(?:\s*(?:年度|年)?\s*(?:和|与|及|以及|、|,|，|;|；)?\s*(?:and\s+)?(?:in\s+)?(?:the\s+)?)"
# A list of two or more years written together: `2024年和2025年`, `2020, in 2023 and in 2025`.
_YEAR_LIST = re.compile(rf"(?<!\d){_YEAR}(?:{_JOIN}{_YEAR}(?!\d))+(?:\s*(?:年度|年))?")
_ONE_YEAR = re.compile(rf"(?<!\d)({_YEAR})(?!\d)(?:\s*(?:年度|年))?")
_CLAUSE_END = re.compile(r"[？?]+")
# Words that refer back to the year of the previous clause.
_SAME_YEAR = re.compile(r"同年|当年|同期|the same year")
# A clause's topic: the text before its first year, when it ends with a comma or colon.
_TOPIC = re.compile(rf"^(.{{2,30}}?[，,：:])\s*(?=.*{_YEAR})")
_MIN_CLAUSE = 4
# Years that do not make parts: inside a title (《…（2024—2026年）》) or a range (2024—2026).
_NOT_ASKED = re.compile(rf"《[^》]*》|{_YEAR}\s*年?\s*[—–\-~～至到]+\s*{_YEAR}")
# Places a question may compare: Shanghai's districts, the whole city, the regions around it.
_PLACE = re.compile(
    rf"(?:{'|'.join(sorted({*DISTRICTS, '浦东新'}, key=lambda p: (-len(p), p)))})区?"
    r"|长三角G60科创走廊|G60科创走廊|临港新片区|全市|全国|长三角"
)
# A list of measures asked together after a comma: `…奖中，自然科学奖、技术发明奖和科技进步奖各有多少项`.
_ITEM_LIST = re.compile(r"(?P<context>^.*[，,：:])\s*(?P<items>[^，,：:？?]{5,80}?)"
                        r"\s*(?:分别|各自|各)(?P<ask>(?:有|是|为|达到?)?(?:多少|几).*)$")
# The joining word before a list's last item, most telling first: 及 may sit inside a word (普及).
_LAST_JOIN = ("和", "以及", "与", "及")
_MIN_ITEM = 2
# A follow-up clause this short (`2024年又新建了多少家`) borrows the previous clause's words.
_SHORT_CLAUSE = 16


def asked_years(text: str) -> tuple[int, ...]:
    """The years a question asks about: not those inside a title or a range."""
    return bare_years(_NOT_ASKED.sub(" ", text))


@dataclass(frozen=True)
class Part:
    """One asked part: its label as the user wrote it (`2020年`, `松江区`) and its own question."""

    label: str
    text: str


def _year_label(year: int, english: bool) -> str:
    return str(year) if english else f"{year}年"


def _split_years(text: str, english: bool) -> list[Part]:
    """One part per distinct year of a clause that names several (the others removed)."""
    years = asked_years(text)
    if len(years) < 2:
        return []
    parts = []
    for year in years:
        own = _year_label(year, english)
        single = _YEAR_LIST.sub(own, text, count=1)
        # Years left outside the list (`in 2023, and how large in 2025`): drop the others.
        single = _ONE_YEAR.sub(lambda m, y=year: m.group(0) if int(m.group(1)) == y else "", single)
        parts.append(Part(own, re.sub(r"\s{2,}", " ", single).strip()))
    return parts


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_END.split(text) if len(c.strip()) >= _MIN_CLAUSE]


# What a clause says beyond its year, place and asking: `又有多少家` says nothing of its own.
_NOT_CONTENT = re.compile(r"多少|几|哪[项个些家份一种部条所]?|什么|是|有|又|还|呢|那|的|了|分别|各|吗|[？?，,。\s]")
# A clause naming its own place with this much of its own is a question by itself, however short
# (`奉贤区又修订发布了哪项产业政策`).
_OWN_WORDS = 4


# A clause naming its own edition or a quoted name (`同年第10届上交会又吸引了多少观众`) asks about that.
_OWN_NAME = re.compile(r"第\s*\d+\s*[届期批次]|“[^”]{2,}”|《[^》]{2,}》")


def _elliptical(clause: str) -> bool:
    """Whether a later clause leans on the one before for its measure: short (`2025年呢？`,
    `全球排名第几？`), unless it names an edition or a quoted name of its own (`同年第10届上交会又吸引了多少
    观众`), or a place of its own and more than its asking (`同年全市又有多少家？` leans;
    `奉贤区又修订发布了哪项产业政策？` does not)."""
    rest = _ONE_YEAR.sub("", clause)
    if len(rest) >= _SHORT_CLAUSE or _OWN_NAME.search(rest):
        return False
    return not _PLACE.search(rest) or len(_NOT_CONTENT.sub("", _PLACE.sub("", rest))) < _OWN_WORDS


def _place(clause: str) -> str | None:
    match = _PLACE.search(clause)
    return match.group(0) if match else None


def _list_items(items: str) -> list[str]:
    """`A、B和C` → [A, B, C]: split at 、, then the last piece at its joining word; [] if not a list."""
    pieces = items.split("、")
    last = pieces.pop()
    for join in _LAST_JOIN:
        head, _, tail = last.rpartition(join)
        if len(head) >= _MIN_ITEM and len(tail) >= _MIN_ITEM:
            pieces += [head, tail]
            break
    else:
        if not pieces:
            return []
        pieces.append(last)
    return pieces if len(pieces) >= 2 and all(len(p) >= _MIN_ITEM for p in pieces) else []


def _split_items(text: str) -> list[Part]:
    """One part per measure of a list asked together (`A、B和C各有多少项`), each with the shared context."""
    match = _ITEM_LIST.match(text.strip())
    if match is None:
        return []
    ask = match.group("ask")
    ask = ask if ask.startswith(("有", "是", "为", "达")) else f"有{ask}"
    return [Part(item, f"{match.group('context')}{item}{ask}") for item in _list_items(match.group("items"))]


# Two or more places asked together (`普陀区和青浦区各自…`), and the word that says each is asked.
_PLACE_LIST = re.compile(rf"(?:{_PLACE.pattern})(?:\s*(?:和|与|及|以及|、)\s*(?:{_PLACE.pattern}))+")
_EACH = re.compile(r"各自|分别|各")


def _split_places(text: str) -> list[Part]:
    """One part per place of a list asked each (`2024年普陀区和青浦区各自发布了什么方案？`), the
    others and the `各自` removed: each place's answer is its own sentence."""
    match = _PLACE_LIST.search(text)
    if match is None or not _EACH.search(text[match.end():]):
        return []
    places = list(dict.fromkeys(m.group(0) for m in _PLACE.finditer(match.group(0))))
    rest = _EACH.sub("", text[match.end():], count=1)
    return [Part(place, f"{text[:match.start()]}{place}{rest}") for place in places] if len(places) > 1 else []


# Named things asked the same attribute each: `第17届浦江创新论坛和第10届…交易会的主题分别是什么`.
_NAMED_LIST = re.compile(r"(?P<context>^(?:.*[，,：:])?)\s*(?P<items>[^，,：:？?]{5,80}?)"
                         r"的(?P<attribute>[\u4e00-\u9fff]{1,6}?)(?:分别|各自|各)(?P<ask>(?:是|叫|为).*)$")


def _split_named(text: str) -> list[Part]:
    """One part per named thing of a list asked the same attribute each (`A和B的主题分别是什么`):
    one sentence gives one thing's theme."""
    match = _NAMED_LIST.match(text.strip())
    if match is None:
        return []
    items = _list_items(match.group("items"))
    return [Part(item, f"{match.group('context')}{item}的{match.group('attribute')}{match.group('ask')}")
            for item in items]


# An English question asking a second thing (`…, and how many were signed at …?`, `…, and with which …?`).
_EN_SECOND_ASK = re.compile(r",?\s+and\s+(?=(?:(?:with|in|at|for|to|from|by|on|of)\s+)?"
                            r"(?:how many|how much|how large|how big|what|which|where|when|who)\b)", re.IGNORECASE)
# A follow-up English clause this short (`and how many by the end of 2024?`) borrows the first one's words.
_EN_SHORT_CLAUSE = 40
# A date phrase of an English clause: `by the end of January 2024`, `in March`.
_EN_DATE = re.compile(r"\b(?:(?:by|at|in|as of)\s+)?(?:the\s+)?(?:end\s+of\s+)?(?:January|February|March|April|May|"
                      r"June|July|August|September|October|November|December)\b,?", re.IGNORECASE)
# An English clause part is labelled by its opening words, cut at a word.
_EN_LABEL = 36


def _split_english_clauses(text: str) -> list[Part]:
    """One part per `…, and how many …` clause of an English question, each dated as asked.

    A clause without a year takes the first clause's (`In 2024, how many …, and how many …`); a
    short one borrows the first clause's words. Labelled by year when those differ, else by text.
    """
    clauses = [c.strip(" ,?") for c in _EN_SECOND_ASK.split(text) if c.strip(" ,?")]
    if len(clauses) < 2:
        return []
    first_years = asked_years(clauses[0])
    out = []
    for i, clause in enumerate(clauses):
        if i > 0:
            if len(clause) < _EN_SHORT_CLAUSE:
                # The first clause's words, less its date (`by the end of January 2024`): the short
                # clause asks its own (`and how many by the end of 2024`).
                borrowed = _EN_DATE.sub("", _ONE_YEAR.sub("", clauses[0])).strip(" ,")
                clause = f"{clause} {borrowed}"
            if not asked_years(clause) and first_years:
                clause = f"In {first_years[-1]}, {clause}"
        out.append((asked_years(clause), f"{clause}?"))
    years = [y[0] if len(y) == 1 else None for y, _ in out]
    by_year = None not in years and len(set(years)) == len(years)
    return [Part(str(year) if by_year else shorten(clause, _EN_LABEL, placeholder="…"), clause)
            for year, (_, clause) in zip(years, out, strict=True)]


# What makes a clause ask something: a clause without it only says which years (`2020年、2023年、
# 2024年的数都给我列一下`).
_ASKS = re.compile(r"多少|几|什么|哪|谁|是否|有没有|吗|怎么|如何|怎样|\b(?:how|what|which|when|where|who|whom)\b",
                   re.IGNORECASE)


def _with_requested_years(clauses: list[str], english: bool) -> list[str]:
    """A clause that asks nothing but names years (`上海高企到底有多少家？2020年、2023年、2024年的数都给我
    列一下`) gives its years to the asking clause before it: that clause is asked for each of them."""
    merged: list[str] = []
    for clause in clauses:
        years = asked_years(clause)
        if merged and years and not _ASKS.search(clause) and _ASKS.search(merged[-1]):
            previous = merged.pop()
            every = list(dict.fromkeys([*asked_years(previous), *years]))
            join = ", " if english else "、"
            merged.append(f"{join.join(_year_label(y, english) for y in every)} {_ONE_YEAR.sub('', previous).strip()}")
        else:
            merged.append(clause)
    return merged


def split_parts(text: str, *, english: bool = False) -> list[Part]:
    """The parts of a normalised question; a single-part question gives an empty list."""
    asked = _clauses(text)
    clauses = _with_requested_years(asked, english)
    if len(clauses) == 1 and len(asked) > 1:
        text = clauses[0]
    if len(clauses) >= 2:
        parts: list[Part] = []
        previous_year: int | None = None
        topic = ""
        for i, clause in enumerate(clauses):
            years = asked_years(clause)
            if i == 0:
                match = _TOPIC.match(clause)
                topic = match.group(1) if match and not bare_years(match.group(1)) else ""
            elif topic and not clause.startswith(topic):
                clause = topic + clause
            if not years and previous_year is not None:
                own = _year_label(previous_year, english)
                clause = _SAME_YEAR.sub(own, clause) if _SAME_YEAR.search(clause) else f"{own}{clause}"
                years = (previous_year,)
            if i > 0 and _elliptical(clause):
                clause = f"{clause} {_ONE_YEAR.sub('', clauses[i - 1])}"
            if len(years) >= 2:
                parts.extend(_split_years(clause, english))
            else:
                label = _year_label(years[0], english) if len(years) == 1 else clause[:12]
                parts.append(Part(label, clause))
            previous_year = years[-1] if years else previous_year
        labels = [p.label for p in parts]
        if len(set(labels)) < len(labels):  # the same year twice: label by place, else by the clause
            places = [_place(p.text) for p in parts]
            unique = all(places) and len(set(places)) == len(places)
            parts = [Part(place if unique and place else p.text[:16], p.text) for p, place in zip(parts, places,
                                                                                              strict=True)]
        return parts
    if english:
        # Clauses that each ask their own year (`how many … by 2020, and with which … in 2025`) are
        # parts as they stand: split by year alone, each part would keep the other clause's words.
        clauses = _split_english_clauses(text)
        if clauses and all(part.label.isdigit() for part in clauses):
            return clauses
        return _split_years(text, english) or clauses
    return _split_years(text, english) or _split_items(text) or _split_places(text) or _split_named(text)
