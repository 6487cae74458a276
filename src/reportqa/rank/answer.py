"""Pick the sentence that answers, or say that none does. No generative model.

The answer is a verbatim sentence of one of the top passages, chosen by its
meaning (e5 similarity to the question), the question's words it contains
(IDF-weighted), and, for "how many" questions, whether it holds a figure.
The same evidence re-ranks the passages, so the passage shown first is the
one the answer comes from. The system abstains when the best evidence is
weak, or when the question pins a year or a number (`2018年`, `第18届`) that no
candidate passage speaks of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from reportqa.index.base import SearchIndex
from reportqa.ingest.boilerplate import asks_record, dates_the_document, record_named
from reportqa.models import Chunk
from reportqa.query.analyze import QueryInfo
from reportqa.query.dictionary_en import ordinary_words
from reportqa.query.languages import QUESTION_WORDS
from reportqa.rank.retrieval import Candidate, Retrieval
from reportqa.rank.verify import BOILERPLATE_KINDS, Asked, quoted_names, read_asked, value_beside_measure, why_not
from reportqa.settings import AnswerSettings
from reportqa.text.places import ALL_PLACES, DISTRICTS, PLACES, ZONES, place_names
from reportqa.text.zh import FIGURE as _FIGURE
from reportqa.text.zh import bare_years, chinese_numeral, text_years, to_simplified

# A kind of document a question says its answer comes from, and the word its title has.
_SOURCE_WORDS = {"答复": "答复", "reply": "答复"}
_SOURCE_KIND = re.compile(r"答复|\breply\b", re.IGNORECASE)
# A sentence that names something: a quoted name or a title.
_NAMED = re.compile(r"“[^”]{2,}”|《[^》]{2,}》")
@dataclass
class SentenceChoice:
    """The answering sentence: offsets inside its chunk's text."""

    candidate: Candidate
    start: int
    end: int
    score: float
    dense: float
    coverage: float

    @property
    def text(self) -> str:
        return self.candidate.chunk.text[self.start:self.end]


@dataclass
class AnswerResult:
    """Re-ranked passages, the best sentence and whether to trust it."""

    ranked: list[Candidate]
    choice: SentenceChoice | None
    no_answer: bool
    confidence: str
    # Why the system abstained, in the words shown to the user.
    reason: str


def _coverage(tokens: list[str], text: str, idf: dict[str, float], context: str, context_credit: float,
              substitutes: dict[str, tuple[str, ...]] | None = None) -> float:
    """IDF-weighted share of the question's tokens in a sentence; partial credit for its section titles.

    A token the reports never use counts where one of their words for it (`substitutes`) is.
    """
    if not tokens:
        return 0.0
    text, context = text.lower(), context.lower()
    subs = substitutes or {}

    def within(t: str, where: str) -> bool:
        return t in where or any(s in where for s in subs.get(t, ()))

    total = sum(idf.get(t, 1.0) for t in tokens)
    hit = sum(idf.get(t, 1.0) * (1.0 if within(t, text) else context_credit if within(t, context) else 0.0)
              for t in tokens)
    return hit / total if total else 0.0


def _year_conflict(text: str, query: QueryInfo) -> bool:
    """A sentence that dates itself to other years than the ones asked about.

    Not when the years name reports (`2020年的报告说…`): the 2020 report's sentence about
    2019's awards is what was asked.
    """
    if not query.years or query.report_years:
        return False
    # A year right after a publishing verb names what was published (`发布2023年…青年创业榜单`, out in
    # 2024), not when the sentence happened.
    # A plan's span (`（2024—2026年）`, `2021—2035年…规划`) is the plan's period, not the sentence's date.
    named = set(text_years(_YEAR_SPAN.sub(" ", _EDITION_YEAR.sub(r"\1", text))))
    return bool(named) and not named & set(query.years)


_EDITION_YEAR = re.compile(r"(发布|公布|印发|推出|出台|编制|编写)(?:了)?\s*[《“]?\s*(?:19|20)\d\d\s*年度?")
_YEAR_SPAN = re.compile(r"(?:19|20)\d\d\s*年?\s*[—–\-~～至到]\s*(?:19|20)\d\d\s*年?")


# A question naming an edition (`第17届`, `第10届`): what the infographic runs' head panels are titled by.
_EDITION = re.compile(r"第\s*(\d+)\s*届")


def _missing_place(question_tokens: set[str], chunk: Chunk) -> str | None:
    """A place the question names (other than Shanghai: a city, a province, a district or a zone of
    Shanghai) that the answering passage never mentions.

    The question's words, not its substrings: `上海南部` names 上海, not the province 海南.
    """
    haystack = " ".join([*chunk.section_path, chunk.text])
    # A district is asked as 嘉定区 or 嘉定, 浦东新区 or 浦东.
    asked = question_tokens | {re.sub(r"新?区$", "", t) for t in question_tokens}
    for place in (*PLACES, *DISTRICTS, *ZONES):
        if place in asked and place not in haystack:
            return place
    return None


def _constraints_met(chunk: Chunk, numbers: tuple[str, ...], lead: str = "", ordinals: tuple[str, ...] = ()) -> bool:
    """Whether a passage contains every number the question pins (`第18届` → 18), an edition or batch
    as one (`第9届`, `第九届`, `(第9届)`: the 9 of `9月` is not the 9th fair).

    A framing passage (a document number, a sign-off) is read with its report's title: the
    number line says which document it is only through the title (`第0671号代表建议的答复`).
    """
    title = [chunk.title] if chunk.boilerplate else []
    haystack = " ".join([*title, *chunk.section_path, chunk.text, lead]).replace("**", "")
    return all(re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", haystack) for n in numbers) and all(
        re.search(rf"第\s*(?:{re.escape(n)}|{chinese_numeral(int(n))})\s*[届次批个期]", haystack) for n in ordinals)


def _context(chunk: Chunk) -> str:
    """What a passage's sentences are read with: its two nearest section titles, and for a framing
    passage (a document number, a sign-off) its report's title, the only thing that names it."""
    return " ".join([*chunk.section_path[-2:], *([chunk.title] if chunk.boilerplate else [])])


def _content_first(ranked: list[Candidate]) -> list[Candidate]:
    """Framing passages (`Chunk.boilerplate`) after every content passage, each group in its order."""
    return [*(c for c in ranked if not c.chunk.boilerplate), *(c for c in ranked if c.chunk.boilerplate)]


class AnswerExtractor:
    """Chooses the answer sentence among the top passages of a retrieval."""

    def __init__(self, index: SearchIndex, weights: AnswerSettings | None = None) -> None:
        self.index = index
        self.weights = weights or AnswerSettings()

    def _idf(self, tokens: list[str]) -> dict[str, float]:
        return {t: self.index.lexical.idf(t) for t in tokens}

    def answer(self, retrieval: Retrieval) -> AnswerResult:
        w = self.weights
        query = retrieval.query
        cands = retrieval.candidates
        if not cands:
            return AnswerResult([], None, True, "none", "没有检索到相关段落")
        tokens = self._question_tokens(query)
        idf = self._idf(tokens)
        substitutes = self._substitutes(query, tokens)
        top_score = cands[0].score or 1.0
        pool = cands[: w.top_passages]
        if query.years:
            # The answer must come from a passage about the year asked, if any candidate is.
            dated = [c for c in cands[: w.dated_pool_factor * w.top_passages] if c.year_affinity > 0][: w.top_passages]
            pool = dated or pool
        # A name the question quotes (`“3+365”`) must be in the answer; a passage that has it is read
        # whatever its rank (a long passage of a district report ranks low on one rare term).
        quoted = quoted_names(query)
        if quoted and w.quoted_extra_passages:
            read = {c.key for c in pool}
            pool = [*pool, *(c for c in cands if c.key not in read and any(q in c.chunk.text for q in quoted))
                    ][: len(pool) + w.quoted_extra_passages]
        # An edition asked (`第17届浦江创新论坛线下来了多少人`) may be answered by a later panel of the run its
        # head panel titles (`创新格局再扩大` under `浦江创新论坛（第17届）`), which ranks low on the question.
        # (An English question's edition is its ordinal: `the 17th Pujiang Innovation Forum`.)
        editions = [f"第{n}届" for n in dict.fromkeys(
            [*(m.group(1) for m in _EDITION.finditer(query.normalized)), *query.ordinals])]
        if editions and w.panel_extra_passages:
            read = {c.key for c in pool}
            pool = [*pool, *(c for c in cands if c.key not in read and any(
                e in re.sub(r"\s", "", f"{c.chunk.section_path[-1] if c.chunk.section_path else ''}"
                                        f"{self._lead_title(c.chunk)}") for e in editions))
                ][: len(pool) + w.panel_extra_passages]
        choices: list[SentenceChoice] = []
        query_vector = retrieval.query_vector.astype(np.float32)
        # A framing passage (a document number, a courtesy close, a sign-off) answers only a
        # question about the document's own number or date, or one naming its record line's
        # label (`联系人是谁？`, `抄送了哪些部门？`).
        asked = read_asked(query, self.index.tokenize, self.index.is_word)
        framing_answers = asked.kind in BOILERPLATE_KINDS and (asked.kind == "docnum"
                                                                or dates_the_document(query.normalized))
        for cand in pool:
            # Otherwise only the record lines it asks for (`联系人姓名：田春芝` for `联系人是谁？`).
            records_only = cand.chunk.boilerplate and not framing_answers
            if records_only and not record_named(query.normalized, cand.chunk.text):
                continue
            sentences = self.index.sentences.scores(cand.key, query_vector)
            if sentences is None:
                continue
            meets = self._pins_met(cand.chunk, query.numbers, query.ordinals)
            # The section titles are every sentence's context (`获奖项目294项` under `2019年度…科学技术奖`).
            context = self._titles(cand.chunk, query)
            for a, b, sim in zip(sentences.starts.tolist(), sentences.ends.tolist(), sentences.sims.tolist(),
                                 strict=True):
                # Matched in Simplified, as the question is (a Traditional report is quoted as written).
                text = to_simplified(cand.chunk.text[a:b].replace("**", ""))
                asks = cand.chunk.boilerplate and asks_record(query.normalized, text)
                if records_only and not asks:
                    continue
                coverage = _coverage(tokens, text, idf, context, w.section_title_credit, substitutes)
                score = (w.dense * sim + w.lexical * coverage
                         + w.retrieval * (cand.score / top_score) * w.retrieval_scale
                         + (w.figure if query.asks_quantity and _FIGURE.search(text) else 0.0)
                         + (w.name if query.asks_name and _NAMED.search(text) else 0.0)
                         + w.year * cand.year_affinity
                         - (w.year_conflict if _year_conflict(text, query) else 0.0)
                         - (0.0 if meets else w.missing_number)
                         + (w.record_label if asks else 0.0))
                choices.append(SentenceChoice(cand, int(a), int(b), score, float(sim), coverage))
        # Stable on ties: the first-seen (higher-ranked passage, earlier sentence) wins, as before.
        choices.sort(key=lambda c: -c.score)
        best, failure = self._verified(query, asked, choices)
        ranked = _content_first([*pool, *(c for c in cands if c not in pool)])
        no_lexical_match = all(c.lexical_score <= 0 for c in cands)
        # The question-level reasons (no word of it in the reports, a year no passage covers…)
        # come first; then a sentence that is close but does not carry what was asked.
        result = self._verdict(ranked, best or (choices[0] if choices else None), query, asked, no_lexical_match)
        if not result.no_answer and best is None and failure:
            return AnswerResult(ranked, choices[0], True, "none", failure)
        if not result.no_answer and best is not None:
            # The passage the answer is quoted from leads, so the first result is the one cited.
            result.ranked = [best.candidate, *(c for c in result.ranked if c is not best.candidate)]
        return result

    def _verified(self, query: QueryInfo, asked: Asked, choices: list[SentenceChoice]
                  ) -> tuple[SentenceChoice | None, str]:
        """The best-scored sentence that carries what was asked, or None and why the best one does not."""
        w = self.weights
        if not w.verify or not choices:
            return (choices[0] if choices else None), ""
        first_failure = ""
        question_tokens = set(self.index.tokenize(query.normalized))
        if (place := self._unmentioned_place(question_tokens)) is not None:
            return None, f"报告中没有提到{place}"
        source = self._asked_source(query)
        for choice in choices[: w.verify_candidates]:
            chunk = choice.candidate.chunk
            text = to_simplified(choice.text.replace("**", ""))
            # The measure may be named by the paragraph's lead-in or a short heading (`2019年度…科学技术奖`),
            # not by a long section title that merely lists topics.
            context = to_simplified(" ".join([chunk.topic or "",
                                              *(t for t in chunk.section_path[-1:] if len(t) <= w.heading_chars)]))
            if asked.renderings or _EDITION.search(query.normalized):
                # An infographic panel's subject may be its run's head panel (`浦江创新论坛（第17届）`, then
                # `创新格局再扩大`): an English question's phrase for it is looked for there too, and a
                # Chinese question's naming an edition (`第17届浦江创新论坛`), as the head panel's title does.
                context = f"{context} {to_simplified(self._lead_title(chunk))}"
            if chunk.boilerplate:  # a document number or sign-off is named only by its report's title
                context = f"{context} {to_simplified(chunk.title)}"
            if asked.kind in ("date", "day", "year") and chunk.boilerplate:
                # A date line (`2024年6月21日` under a sign-off) names no measure: its passage does. Only
                # there: in a content passage, a line with a year (`2023 年以来主要工作进展`) is not the
                # date of whatever the passage below it names (the project's start is not its completion).
                context = f"{context} {to_simplified(chunk.text)}"
            reason = why_not(asked, text, context, self.index.tokenize, self.index.lexical.idf, w.min_measure,
                             w.measure_idf, w.english_min_measure, w.english_min_question)
            # A question asking which year (`…指数是哪一个年度的？`) is answered by a sentence naming another.
            if reason is None and query.years and (choice.candidate.year_affinity == 0
                                                   or (asked.kind != "year" and _year_conflict(text, query))):
                reason = f"报告中没有{'、'.join(f'{y}年' for y in query.years)}的相关数据"
            if reason is None and source is not None and source not in self._title(chunk):
                reason = f"相关句子不是出自问题所说的{source}"
            if reason is None and (place := self._other_place(query, chunk, text)):
                reason = f"相关句子出自关于{place}的报告"
            if reason is None and (place := _missing_place(question_tokens, chunk)):
                reason = f"相关段落没有涉及{place}"
            if reason is None and not self._pins_met(chunk, query.numbers, query.ordinals):
                reason = f"报告中没有与“{'、'.join(query.numbers)}”相符的段落"
            if reason is None:
                return choice, ""
            first_failure = first_failure or reason
        return None, first_failure

    def _unmentioned_place(self, question_tokens: set[str]) -> str | None:
        """A place the question names that no indexed report mentions (`六安`, `加拿大`): none of its
        sentences can be about it. Words the corpus never uses are few, so the place list (jieba's
        `ns` words) is read only when the question has one."""
        idf = self.index.lexical.idf
        unseen = idf("\uffff")
        novel = [t for t in question_tokens if len(t) > 1 and idf(t) >= unseen]
        if not novel:
            return None
        places = place_names()
        # jieba tags some ordinary words as places (`扎根上海的…`): the dictionary glosses those in lower case.
        named = [t for t in novel if t in places]
        named = [t for t in named if t not in ordinary_words()] if named else []
        return max(named, key=len) if named else None

    def _pins_met(self, chunk: Chunk, numbers: tuple[str, ...], ordinals: tuple[str, ...] = ()) -> bool:
        """`_constraints_met` with the preceding panel's title; nothing to look up when no number is pinned."""
        return not numbers or _constraints_met(chunk, numbers, self._lead_title(chunk), ordinals)

    def _lead_title(self, chunk: Chunk) -> str:
        """The title of the section just before the passage's, under the same parent: what a pinned
        number (`第17届`) may be named by.

        An infographic page splits one topic into sibling panels: `浦江创新论坛(第17届)` with the
        dates and venues, then `创新格局再扩大` with the attendance; the second panel is about the
        17th forum although only the first one's title says so. The panel may be the third of its
        run (`交易会(第10届)`, `丰富配套活动`, `满足供需对接`): the nearest earlier sibling whose title
        carries a number is the run's head, and is read too.
        """
        doc = self.index.documents.get(chunk.doc_id)
        sections = getattr(doc, "sections", None)
        if not sections or not chunk.section_path:
            return ""
        path = tuple(chunk.section_path)
        previous, head = "", ""
        for section in sections:
            if tuple(section.path) == path:
                return f"{previous} {head}".strip() if head != previous else previous
            if tuple(section.path[:-1]) == path[:-1] and len(section.path) == len(path):
                previous = section.title
                head = section.title if re.search(r"\d", section.title) else head
        return ""

    def _asked_source(self, query: QueryInfo) -> str | None:
        """The kind of document the question says its answer is from (`市科委在答复中说…` → 答复), by the
        word its title has, when some indexed report is one; None otherwise.

        A reply to a deputy and a yearly report both speak of the same programmes: asked what the
        reply said, the yearly report's sentence is another document's words.
        """
        # In a question with years, the source word speaks for its own clause's year only (`2023年答复说…，
        # 2025年又…`): a part borrowing the other clause's words is not about the reply.
        clauses = [c for c in re.split(r"[，,？?；;。]|\band\b", query.normalized)
                   if not query.years or bare_years(c)]
        match = next((m for c in clauses if (m := _SOURCE_KIND.search(c))), None)
        if match is None:
            return None
        word = _SOURCE_WORDS[match.group().lower()]
        titles = (to_simplified(getattr(doc, "title", "") or "") for doc in self.index.documents.values())
        return word if any(word in t for t in titles) else None

    def _title(self, chunk: Chunk) -> str:
        """The title of the passage's report (its chunk's, where the report is not listed)."""
        doc = self.index.documents.get(chunk.doc_id)
        return to_simplified(getattr(doc, "title", "") or chunk.title)

    def _other_place(self, query: QueryInfo, chunk: Chunk, sentence: str = "") -> str | None:
        """A place the passage's report is about (by its title) when the question asks about another.

        A Suzhou report's figure does not answer a question about Shanghai, whatever its words
        share; a question that names no place may be answered by any report.
        """
        asked = set(self.index.tokenize(query.normalized)) & set(ALL_PLACES)
        # A sentence naming every place asked speaks of them (`建设太仓、无锡、昆山等8个创新服务驿站`),
        # whichever report it is in.
        if not asked or all(p in sentence for p in asked):
            return None
        title = self._title(chunk)
        return next((p for p in ALL_PLACES if p in title and p not in asked), None)

    def _sure(self, query: QueryInfo, asked: Asked, best: SentenceChoice) -> bool:
        """What "high" needs beyond word coverage (calibrated on the public question sets, see README).

        A Chinese question (an English one's measure words are not checked), not a bare keyword
        query (it asks no value to verify), and the asked value beside the asked measure.
        """
        if query.profile.bridge is not None or query.keyword:
            return False
        return value_beside_measure(asked, best.text, self.index.tokenize, self.index.lexical.idf,
                                    self.weights.high_clause_measure)

    def _passage_coverage(self, query: QueryInfo, cand: Candidate) -> float:
        """The question's words in the whole passage: a date or sign-off line shares none itself."""
        tokens = self._question_tokens(query)
        return _coverage(tokens, to_simplified(cand.chunk.text.replace("**", "")), self._idf(tokens),
                         self._titles(cand.chunk, query), self.weights.section_title_credit,
                         self._substitutes(query, tokens))

    def _titles(self, chunk: Chunk, query: QueryInfo) -> str:
        """A passage's section titles, and for a question naming an edition its run's head panel's title
        (`浦江创新论坛(第17届)` over `创新格局再扩大`): what the question's words are credited in."""
        context = _context(chunk)
        return f"{context} {self._lead_title(chunk)}" if _EDITION.search(query.normalized) else context

    def _substitutes(self, query: QueryInfo, tokens: list[str]) -> dict[str, tuple[str, ...]]:
        """The question's tokens the reports never use → the reports' words for them (`高科技` → 高新技术)."""
        unseen = self.index.lexical.idf("\uffff")
        out = {t: tuple(w for e in query.equivalents if t in e.word for w in e.corpus)
               for t in tokens if self.index.lexical.idf(t) >= unseen}
        return {t: words for t, words in out.items() if words}

    def _question_tokens(self, query: QueryInfo) -> list[str]:
        # An English question's words never occur in the reports; its Chinese terms do.
        token_source = query.bridge_text if query.profile.bridge else (query.lexical_text or query.normalized)
        return [t for t in dict.fromkeys(self.index.tokenize(token_source))
                if t not in QUESTION_WORDS and (len(t) > 1 or t.isdigit())
                and not (t.isdigit() and int(t) in query.years)]

    def _verdict(self, ranked: list[Candidate], best: SentenceChoice | None, query: QueryInfo, asked: Asked,
                 no_lexical_match: bool) -> AnswerResult:
        w = self.weights
        if best is None:
            return AnswerResult(ranked, None, True, "none", "没有可引用的句子")
        if no_lexical_match:
            return AnswerResult(ranked, best, True, "none", "报告中没有出现问题里的任何词语")
        if query.years and all(c.year_affinity == 0 for c in ranked[: w.top_passages]):
            years = "、".join(f"{y}年" for y in query.years)
            return AnswerResult(ranked, best, True, "none", f"报告中没有关于{years}的内容")
        if not self._pins_met(best.candidate.chunk, query.numbers, query.ordinals):
            return AnswerResult(ranked, best, True, "none", f"报告中没有与“{'、'.join(query.numbers)}”相符的段落")
        missing_place = _missing_place(set(self.index.tokenize(query.normalized)), best.candidate.chunk)
        if missing_place:
            return AnswerResult(ranked, best, True, "none", f"报告没有涉及{missing_place}")
        if best.coverage < w.min_coverage and self._passage_coverage(query, best.candidate) < w.min_coverage:
            return AnswerResult(ranked, best, True, "none", "最接近的句子与问题没有共同的关键词")
        confidence = ("high" if best.coverage >= w.high_confidence
                      else "medium" if best.coverage >= w.medium_confidence else "low")
        if confidence == "high" and not self._sure(query, asked, best):
            confidence = "medium"
        return AnswerResult(ranked, best, False, confidence, "")
