"""Indicator timelines: every year's figure for one measure, each one quoted and cited.

The reports track the same indicators year after year (R&D spending as a share of GDP,
technology-contract turnover, papers in 《细胞》《自然》《科学》), but each year's figure sits in
a different report, sometimes in a report about another year (the 2024 reply gives 2023's
figures). A timeline collects them:

1. **Candidate sentences.** The lexical leg searches the whole corpus with the measure's
   text; every sentence of those passages is a candidate. The dense leg is not used: a
   measure is named by its words, and a figure's sentence that does not share them is
   exactly the near-but-wrong sentence the answer checks (rank/verify.py) refuse.
2. **The measure's clause.** A sentence often states several figures (`…比例预计4.5%左右，
   其中基础研究投入占…比例预计12%左右`), so the figure is read from the clause that names
   the measure (IDF-weighted share of its words, `has_word`: a divisor like 每万人口 does
   not count) and must be of the asked kind (a share, an amount, a count with its counter).
3. **The figure's year** is the year the sentence is about: its own `2023年…` or `截至2024年
   1月底`, not a comparison (`较2022年`), a start (`2023年以来`) or a target (`到2025年`, the
   sentence is then no figure at all); else its report's content year. A clean comparison
   clause right after the figure (`较2022年的4.2%`) is a point for that year too.
4. **Merging.** Figures are normalised to one unit per measure (万亿元 → 亿元, 万家 → 家);
   the same year's figures that agree are one point with several citations, and differing
   ones are a conflict, shown, with the preferred value (a final one over a 预计 one, the
   report about that year over a later look-back) as the point.

Nothing here knows a particular measure, year or figure.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reportqa.index.base import Filter, SearchIndex
from reportqa.query.analyze import analyze
from reportqa.rank.verify import COUNTER_ALIASES, Asked, has_word, kind_fits, read_asked
from reportqa.text.sentences import sentence_spans
from reportqa.text.zh import YEAR_DIGITS

# --- Values -------------------------------------------------------------------------------------

_MULTIPLIERS = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3}
_UNITS = ("%", "‰", "美元", "元", "人次", "家次", "篇", "家", "个", "件", "项", "人", "名", "位", "次", "所", "座",
          "台", "套", "条", "种", "吨", "张", "部", "批", "户", "辆", "起", "倍")
_FIGURE_RE = re.compile(
    r"(?<![\d.第])(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s*(?P<yu1>余|多)?\s*"
    rf"(?P<mult>{'|'.join(_MULTIPLIERS)})?\s*(?P<yu2>余|多)?\s*"
    rf"(?P<unit>{'|'.join(map(re.escape, _UNITS))})?(?P<post>左右)?"
)
# Words just before a figure that qualify it (`预计4.5%`, `超过1.7万家`, `近2200万人次`), with the
# linking verbs that may sit between them and the number (`预计达10%`, `比例预计为4.1%`).
_PRE_RE = re.compile(r"(预计|约|超过|超|逾|将近|接近|近|不到|不足|达到|达|为|共|累计|突破|\s)*$")
_QUALIFIER_WORDS = {"预计": "预计", "约": "约", "超过": "超过", "超": "超过", "逾": "超过", "突破": "超过",
                    "将近": "近", "接近": "近", "近": "近", "不到": "不足", "不足": "不足"}


@dataclass(frozen=True)
class Value:
    """One figure as written: its number, unit (`亿元`, `万家`, `%`) and qualifiers.

    `base` is the value in the unit without a multiplier (元, 家, %), so figures written
    in 亿元 and 万亿元 compare; `start`/`end` are its offsets in the text it was read from.
    """

    number: float
    unit: str
    base_unit: str
    base: float
    qualifiers: tuple[str, ...]
    text: str
    start: int
    end: int


def parse_values(text: str) -> list[Value]:
    """Every figure of a text (numbers with a unit or a multiplier), in order; years and ordinals are not figures."""
    out: list[Value] = []
    for m in _FIGURE_RE.finditer(text):
        mult, unit = m.group("mult") or "", m.group("unit") or ""
        if not mult and not unit:
            continue  # a bare number (`2023年`, `12月`, a code): not a figure
        number = float(m.group("num").replace(",", ""))
        qualifiers: list[str] = []
        pre = _PRE_RE.search(text[: m.start()])
        pre_text = pre.group(0) if pre else ""
        for word in re.findall("|".join(sorted(_QUALIFIER_WORDS, key=len, reverse=True)), pre_text):
            qualifiers.append(_QUALIFIER_WORDS[word])
        if m.group("yu1") or m.group("yu2"):
            qualifiers.append("余")
        if m.group("post"):
            qualifiers.append("左右")
        start = m.start() - len(pre_text.lstrip("达到为共累计 ")) if qualifiers and pre_text else m.start()
        out.append(Value(number=number, unit=f"{mult}{unit}", base_unit=unit or "",
                         base=number * _MULTIPLIERS.get(mult, 1), qualifiers=tuple(dict.fromkeys(qualifiers)),
                         text=text[start: m.end()].strip(),
                         start=start, end=m.end()))
    return out


def parse_value(text: str) -> Value | None:
    """The first figure of a text (`超过1.7万家` → 1.7, 万家, qualifier 超过), or None."""
    values = parse_values(text)
    return values[0] if values else None


def in_unit(base: float, unit: str) -> float:
    """A base value (元, 家, %) expressed in a unit with a multiplier (`亿元` → base / 1e8), rounded sanely."""
    for prefix, factor in _MULTIPLIERS.items():
        if unit.startswith(prefix):  # longest prefixes first: 万亿元 is not 万
            return round(base / factor, 6)
    return round(base, 6)


# --- Years --------------------------------------------------------------------------------------

_YEAR_RE = re.compile(rf"(?<!\d)({YEAR_DIGITS})\s*年")
# A year after these is a comparison, not the year the figure is about.
_COMPARED = ("较", "比", "同比", "相比", "与", "和", "对比")
# A year before these is a start (`2023年以来`), not the figure's year.
_SINCE = re.compile(r"\s*年?(?:度)?(?:以来|起|至今|开始)")
# A year after these is a target: the sentence states a plan, not a figure.
_TARGET = re.compile(r"(?:(?<!截)(?<!截止)到|(?<!截)至|力争|争取|目标)\s*$")


def sentence_year(sentence: str, before: int, report_year: int | None) -> int | None:
    """The year a sentence's figure (at `before`) is about; None for a target (`到2025年…达到…`).

    The last own year before the figure wins (`2023年，上海科学家…发表论文120篇`), then the
    first one after it, else the report's content year.
    """
    own_before: list[int] = []
    own_after: list[int] = []
    for m in _YEAR_RE.finditer(sentence):
        head = sentence[: m.start()]
        if _TARGET.search(head[-4:]):
            return None
        if head.rstrip().endswith(_COMPARED) or _SINCE.match(sentence, m.end() - 1):
            continue
        (own_before if m.start() < before else own_after).append(int(m.group(1)))
    if own_before:
        return own_before[-1]
    if own_after:
        return own_after[0]
    return report_year


# --- Matching the measure -----------------------------------------------------------------------

_CLAUSE_END = re.compile(r"[，,；;：:。！？!?]|其中")
_COMPARISON = re.compile(rf"^\s*(?:较|比)\s*({YEAR_DIGITS})\s*年(?:底|末)?(?:的)?\s*")


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the clauses of a sentence: a figure belongs to the measure its own clause names."""
    out, start = [], 0
    for m in _CLAUSE_END.finditer(sentence):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end() if m.group() != "其中" else m.start()
    if start < len(sentence):
        out.append((start, len(sentence)))
    return out


def _value_fits(asked: Asked, value: Value) -> bool:
    """Whether a figure is of the asked kind: a share in %, an amount in 元, a count with the asked counter."""
    if asked.kind == "share":
        return value.base_unit in ("%", "‰")
    if asked.kind == "amount":
        return value.base_unit.endswith("元")
    if asked.kind == "count" and asked.counter:
        return bool(value.base_unit) and value.base_unit[0] in COUNTER_ALIASES.get(asked.counter, asked.counter)
    return True


@dataclass(frozen=True)
class Found:
    """A figure for the measure in one sentence, with where the sentence is and when it is about."""

    year: int
    value: Value
    sentence: str
    chunk: Any
    start: int  # the sentence's offsets inside the chunk text
    end: int
    # Whether the year comes from the report rather than the sentence (a weaker dating).
    dated_by_report: bool = False
    # Read from a comparison clause (`较2022年的4.2%`): a look-back, weaker than a report's own figure.
    compared: bool = False


class MeasureMatcher:
    """Finds the measure's figures in sentences: the clause that names it, and its figure of the asked kind."""

    def __init__(self, asked: Asked, tokenize: Callable[[str], list[str]], idf: Callable[[str], float],
                 min_share: float) -> None:
        self.asked = asked
        self.tokenize = tokenize
        self.weights = {w: max(idf(w), 0.0) for w in asked.measure}
        self.total = sum(self.weights.values())
        self.min_share = min_share
        # The rarest word must be in the sentence's text: a cheap filter before tokenising it.
        self.rarest = max(self.weights, key=lambda w: self.weights[w]) if self.weights else ""

    def share(self, clause: str) -> float:
        """IDF-weighted share of the measure's words the clause names, as words."""
        if not self.total:
            return 0.0
        folded = clause.lower()  # the tokenizer folds case (`PCT` → `pct`), so the text is matched folded too
        tokens = set(self.tokenize(clause))
        return sum(wt for w, wt in self.weights.items() if has_word(w, tokens, folded)) / self.total

    def figures(self, sentence: str, report_year: int | None) -> list[tuple[int, Value, bool, bool]]:
        """(year, figure, dated by report, from a comparison) for the measure in one sentence."""
        if not self.rarest or self.rarest not in sentence.lower() or not any(ch.isdigit() for ch in sentence):
            return []
        if not kind_fits(self.asked, sentence):
            return []
        clauses = _clauses(sentence)
        for i, (a, b) in enumerate(clauses):
            clause = sentence[a:b]
            values = [v for v in parse_values(clause) if _value_fits(self.asked, v)]
            named = self.share(clause)
            if not values and named >= self.min_share and i + 1 < len(clauses):
                # The measure in one clause, its figure in the next (`…发表论文，共计180篇`), which names nothing else.
                na, nb = clauses[i + 1]
                nxt = sentence[na:nb]
                if self.share(nxt) == 0:
                    values = [v for v in parse_values(nxt) if _value_fits(self.asked, v)]
                    a, clause = na, nxt
            if not values or named < self.min_share:
                continue
            if "分别" in clause and len(values) > 1:
                return []  # `A、B累计分别达到962家和563家`: which figure is whose is not this step's to guess
            value = values[0]
            shifted = Value(value.number, value.unit, value.base_unit, value.base, value.qualifiers, value.text,
                            value.start + a, value.end + a)
            year = sentence_year(sentence, shifted.start, None)
            if year is None and _TARGET_ANYWHERE.search(sentence[: shifted.start]):
                return []
            out = [(year or report_year or 0, shifted, year is None, False)]
            # `…达4.4%左右，较2022年的4.2%进一步提升`: the look-back is a point for 2022, when clean.
            if i + 1 < len(clauses):
                na, nb = clauses[i + 1]
                m = _COMPARISON.match(sentence[na:nb])
                rest = sentence[na + m.end(): nb] if m else ""
                old = parse_value(rest) if m else None
                if m and old is not None and old.start == 0 and old.unit == value.unit:
                    out.append((int(m.group(1)), Value(old.number, old.unit, old.base_unit, old.base,
                                                       old.qualifiers, old.text, na + m.end() + old.start,
                                                       na + m.end() + old.end), False, True))
            return [f for f in out if f[0]]
        return []


_TARGET_ANYWHERE = re.compile(rf"(?:(?<!截)到|力争|争取)\s*{YEAR_DIGITS}\s*年")


# --- Points and conflicts -----------------------------------------------------------------------


@dataclass
class Point:
    """One year's figure for the measure, with every sentence that states it."""

    year: int
    value: float
    unit: str
    qualifiers: tuple[str, ...]
    found: list[Found] = field(default_factory=list)
    conflict: bool = False


@dataclass
class Timeline:
    """A measure's points, oldest first, and the years whose reports disagree."""

    measure: str
    unit: str | None
    points: list[Point]
    conflicts: list[tuple[int, list[Point]]]


def _preference(found: Found) -> tuple[int, int, int, int]:
    """Which of a year's differing figures is shown as the point (the rest are listed as the conflict).

    A final figure over a 预计 one; a report's own figure over a look-back from a comparison
    clause; a sentence dated by its own text over one dated by its report; then the newer report.
    """
    year = getattr(found.chunk, "year", None) or 0
    return ("预计" in found.value.qualifiers, found.compared, found.dated_by_report, -year)  # type: ignore[return-value]


def merge(found: Iterable[Found], measure: str) -> Timeline:
    """Group figures by year in one unit: agreeing ones are one point, differing ones a conflict.

    The unit is the measure's most common base unit (a stray figure in another unit is
    dropped) shown with its most common multiplier (亿元, 万家).
    """
    items = list(found)
    if not items:
        return Timeline(measure, None, [], [])
    base_unit = Counter(f.value.base_unit for f in items).most_common(1)[0][0]
    items = [f for f in items if f.value.base_unit == base_unit]
    unit = Counter(f.value.unit for f in items).most_common(1)[0][0]
    by_year: dict[int, list[Point]] = {}
    seen: set[tuple[str, int, int]] = set()
    for f in items:
        key = (f.chunk.doc_id, f.chunk.start + f.start, f.value.start)
        if key in seen:  # the same sentence reached through two passages
            continue
        seen.add(key)
        value = in_unit(f.value.base, unit)
        points = by_year.setdefault(f.year, [])
        same = next((p for p in points if math.isclose(p.value, value, rel_tol=1e-9, abs_tol=1e-9)), None)
        if same is None:
            points.append(Point(f.year, value, unit, f.value.qualifiers, [f]))
        else:
            same.found.append(f)
            same.qualifiers = tuple(dict.fromkeys([*same.qualifiers, *f.value.qualifiers]))
    out, conflicts = [], []
    for year in sorted(by_year):
        variants = by_year[year]
        for p in variants:
            p.found.sort(key=_preference)
            p.qualifiers = p.found[0].value.qualifiers
        variants.sort(key=lambda p: _preference(p.found[0]))
        best = variants[0]
        if len(variants) > 1:
            best.conflict = True
            conflicts.append((year, variants))
        out.append(best)
    return Timeline(measure, unit, out, conflicts)


# --- The whole step -----------------------------------------------------------------------------

_TREND = re.compile(
    r"历年|历次|逐年|每年|变化|趋势|增长情况|走势|over the years|trends?\b|each year|every year|year by year",
    re.IGNORECASE)
_YEARS_IN_TEXT = re.compile(rf"{YEAR_DIGITS}\s*年?度?")


def asks_trend(text: str) -> bool:
    """Whether a question asks how a measure moved over the years (历年、变化、趋势, `trend`)."""
    return bool(_TREND.search(text))


def measure_of(question: str, tokenize: Callable[[str], list[str]]) -> tuple[str, Asked]:
    """The measure a question or keyword names, without its years and trend words, and what is asked of it."""
    text = _TREND.sub("", _YEARS_IN_TEXT.sub("", question))
    text = re.sub(r"[的是多少有几呢吗?？。!！\s]+$", "", text).strip() or question
    query = analyze(text)
    asked = read_asked(query, tokenize)
    return query.normalized, asked


def build_timeline(index: SearchIndex, question: str, *, doc: str | None = None, passages: int = 80,
                   min_share: float = 0.7) -> Timeline:
    """Every figure the corpus (or one report) states for the question's measure, merged by year."""
    text, asked = measure_of(question, index.tokenize)
    measure = "".join(asked.measure) if asked.measure else text
    if not asked.measure:
        return Timeline(measure, None, [], [])
    matcher = MeasureMatcher(asked, index.tokenize, index.lexical.idf, min_share)
    hits = index.lexical.search(text, passages, where=Filter(doc=doc))
    if not len(hits):
        return Timeline(text, None, [], [])
    found: list[Found] = []
    for chunk in index.chunks.get([int(k) for k in hits.keys.tolist()]):
        report = index.documents.get(chunk.doc_id)
        content = tuple(getattr(report, "content_years", ()) or ())
        report_year = max(content) if content else (getattr(report, "year", None) or chunk.year)
        for a, b in sentence_spans(chunk.text):
            sentence = chunk.text[a:b].replace("**", "")  # bold markers are layout, not text
            for year, value, by_report, compared in matcher.figures(sentence, report_year):
                found.append(Found(year, value, sentence, chunk, a, b, by_report, compared))
    return merge(found, text)
