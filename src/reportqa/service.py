"""Question in, cited answer out: the pipeline the CLI and the API share.

It also owns the loaded index and swaps in a newer published version when
one appears, so a long-running server follows `reportqa build` without a
restart and without failing requests already in flight (each request keeps
the engine it started with).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reportqa.embedding.base import Embedder
from reportqa.embedding.batching import QueryBatcher
from reportqa.errors import BackendUnavailableError, InvalidQueryError
from reportqa.index.base import Catalog, Filter, SearchIndex
from reportqa.index.factory import open_catalog
from reportqa.ingest.chunking import page_at
from reportqa.models import Chunk
from reportqa.query.analyze import QueryInfo, analyze
from reportqa.query.dictionary_en import EnglishDictionary
from reportqa.query.equivalents import Equivalents
from reportqa.query.glossary_en import uncovered
from reportqa.query.languages import SEARCHABLE as _SEARCHABLE
from reportqa.query.languages import check_language
from reportqa.query.parts import split_parts
from reportqa.query.rendering import Equivalent, Rendering
from reportqa.query.spelling import Speller
from reportqa.rank.answer import AnswerExtractor, AnswerResult
from reportqa.rank.retrieval import LegWeights, Retriever
from reportqa.rank.tables import match_row
from reportqa.rank.timeline import Found, Point, Timeline, asks_trend, build_timeline
from reportqa.schemas import (
    Answer,
    DocumentDetail,
    DocumentSummary,
    IndicatorResponse,
    MissingPart,
    Passage,
    SearchResponse,
    SkippedFileOut,
    TableRow,
    TimelineCitation,
    TimelineConflict,
    TimelinePoint,
)
from reportqa.settings import FusionSettings, ServeSettings, Settings
from reportqa.text.zh import clean_text, has_control_chars

# The defaults, for the API's schema; a service enforces its own settings' values.
MAX_QUERY_CHARS = ServeSettings().max_query_chars
MAX_K = ServeSettings().max_k
# The evaluation's one-leg modes: (dense, lexical) weights.
LEG_ONLY: dict[str, LegWeights] = {"dense": (1.0, 0.0), "lexical": (0.0, 1.0)}


@dataclass
class Engine:
    """One loaded index with its retriever and extractor; immutable once built."""

    index: SearchIndex
    retriever: Retriever
    extractor: AnswerExtractor
    speller: Speller
    # Chinese words an English word is bridged to (settings `fusion.english_terms_per_word`).
    terms_per_word: int = FusionSettings().english_terms_per_word
    # Read on the first English question (0.17 s), not at load: most engines never see one.
    _dictionary: EnglishDictionary | None = field(default=None, repr=False)
    _dictionary_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _equivalents: Equivalents | None = field(default=None, repr=False)

    @classmethod
    def load(cls, catalog: Catalog, model_checksum: str, settings: Settings) -> Engine:
        index = catalog.open(model_checksum=model_checksum)
        return cls(index, Retriever(index, settings.fusion), AnswerExtractor(index, settings.answer),
                   Speller(index.lexical.vocabulary(), index.is_word), settings.fusion.english_terms_per_word)

    def analyze(self, text: str) -> QueryInfo:
        """A question as this engine reads it: typos fixed against its corpus, English words
        bridged to its corpus's Chinese words."""
        return analyze(text, correct=self.speller.correct, expand=self.english_terms, render=self.english_renderings,
                       equate=self.chinese_equivalents)

    def chinese_equivalents(self, text: str) -> list[Equivalent]:
        """The corpus's words for a Chinese question's words it never uses (`高科技` → 高新技术)."""
        with self._dictionary_lock:
            if self._equivalents is None:
                self._equivalents = Equivalents(self.index.lexical.vocabulary(), self.index.tokenize)
            equivalents = self._equivalents
        return equivalents.of(text)

    def english_terms(self, english: str) -> list[str]:
        """The corpus's Chinese words for an English question's words the glossary does not cover."""
        return self.dictionary().terms(uncovered(english))

    def english_renderings(self, english: str) -> list[Rendering]:
        """Those words one by one, each with every corpus word the dictionary gives it (the answer
        check asks for any one of them, so a wider rendering only makes it more lenient)."""
        return self.dictionary().renderings(uncovered(english),
                                            per_word=self.extractor.weights.english_check_terms)

    def dictionary(self) -> EnglishDictionary:
        """The English dictionary kept to this index's words, read on first use."""
        with self._dictionary_lock:
            if self._dictionary is None:
                lexical = self.index.lexical
                self._dictionary = EnglishDictionary(lexical.vocabulary(), lexical.idf, per_word=self.terms_per_word)
            return self._dictionary


def validate_query(q: str | None, max_chars: int = MAX_QUERY_CHARS) -> str:
    """The query's checks, shared by the CLI and the API.

    The length limit holds for the text as typed and again for the text that is
    searched: NFKC expands some single characters (U+FDFA is 18 letters), so a
    500-character query could otherwise become 9,000 characters of work.
    """
    if q is None or not q.strip():
        raise InvalidQueryError("the query is empty: type a question or keywords")
    if len(q) > max_chars:
        raise InvalidQueryError(f"the query is {len(q)} characters long; the limit is {max_chars}")
    normalized = clean_text(q)
    if len(normalized) > max_chars:
        raise InvalidQueryError(f"the query is {len(normalized)} characters long once normalised (compatibility "
                                f"characters expanded); the limit is {max_chars}")
    if not normalized:  # only invisible characters (zero-width spaces, direction marks): nothing to search
        raise InvalidQueryError("the query is empty: type a question or keywords")
    if has_control_chars(q):
        raise InvalidQueryError("the query contains control characters")
    check_language(q)
    if not _SEARCHABLE.search(normalized):
        raise InvalidQueryError("the query has nothing to search for: use Chinese words, English words or numbers")
    return q


class QAService:
    """Answers questions from the current index of an index root."""

    def __init__(self, root: Path, embedder: Embedder, *, catalog: Catalog | None = None,
                 settings: Settings | None = None) -> None:
        self.root = root
        self.embedder = embedder
        self.settings = settings or Settings()
        self.catalog = catalog or open_catalog(root, self.settings.index.backend)
        self._lock = threading.Lock()
        self._engine = Engine.load(self.catalog, embedder.checksum, self.settings)
        self._batcher = QueryBatcher(embedder, self.settings.serve)
        self._timelines: dict[tuple[str, str, str | None], IndicatorResponse] = {}

    @property
    def engine(self) -> Engine:
        return self._engine

    # The version (or the damaged pointer's error) whose load failed last; see reload_if_changed.
    _failed: str | None = None

    def reload_if_changed(self) -> bool:
        """Swap in a newer published version; a broken one is refused and the old one kept.

        A version that fails to load raises once (the poller logs it) and is then remembered, so
        a server does not re-read a broken version every second; the next version published (a
        new name) is tried again. A damaged `CURRENT` is remembered the same way, by its error.
        """
        try:
            latest = self.catalog.current_version()
        except Exception as exc:
            if self._failed == f"{type(exc).__name__}: {exc}":
                return False
            self._failed = f"{type(exc).__name__}: {exc}"
            raise
        if latest is None or latest in (self._engine.index.version, self._failed):
            return False
        with self._lock:
            if self.catalog.current_version() == self._engine.index.version:
                return False
            try:
                self._engine = Engine.load(self.catalog, self.embedder.checksum, self.settings)
            except BackendUnavailableError:  # the engine is away for now, the version may be fine: retry
                raise
            except Exception:
                self._failed = latest
                raise
            self._failed = None
        return True

    def documents(self) -> list[DocumentSummary]:
        return [
            DocumentSummary(id=d.id, title=d.title, year=d.year, publisher=d.publisher, kind=d.kind,
                            section_count=d.section_count)
            for d in self._engine.index.documents.values()
        ]

    def document(self, doc_id: str) -> DocumentDetail | None:
        d = self._engine.index.documents.get(doc_id)
        if d is None:
            return None
        return DocumentDetail.model_validate({
            "id": d.id, "title": d.title, "year": d.year, "publisher": d.publisher, "kind": d.kind,
            "section_count": d.section_count,
            "sections": [
                {"id": s.id, "title": s.title, "level": s.level, "path": list(s.path), "number": s.number,
                 "paragraphs": [p.__dict__ for p in s.paragraphs]}
                for s in d.sections
            ],
        })

    def skipped(self) -> list[SkippedFileOut]:
        """Files the serving version's build left out (ingest/corpus.py), from its manifest."""
        try:
            rows = (self.catalog.current_manifest() or {}).get("skipped", [])
        except Exception:  # a damaged manifest is reported by health and search, not here
            rows = []
        return [SkippedFileOut(file=str(r.get("file", "")), reason=str(r.get("reason", "")))
                for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []

    def check_filters(self, doc: str | None, year: int | None) -> None:
        """Unknown filter values are the user's to fix: say which values exist."""
        index = self._engine.index
        if doc is not None and doc not in index.documents:
            raise InvalidQueryError(f"unknown document '{doc}'; valid ids: {', '.join(sorted(index.documents))}")
        if year is not None and year not in index.years:
            raise InvalidQueryError(f"no report for year {year}; valid years: "
                                    f"{', '.join(map(str, index.years))}")

    def search(self, q: str | None, k: int = 10, doc: str | None = None, year: int | None = None,
               *, mode: str = "hybrid") -> SearchResponse:
        """Answer one question; `mode` (dense or lexical alone) exists for the evaluation's comparisons."""
        started = time.perf_counter()
        serve = self.settings.serve
        q = validate_query(q, serve.max_query_chars)
        if not 1 <= k <= serve.max_k:
            raise InvalidQueryError(f"k must be between 1 and {serve.max_k}")
        engine = self._engine  # one engine for the whole request, even if a reload lands meanwhile
        self.check_filters(doc, year)
        query = engine.analyze(q)
        where, legs = Filter(doc, year), LEG_ONLY.get(mode)
        parts = split_parts(query.normalized, english=query.english)
        answer_settings = self.settings.answer
        # Each part is a full search: a question made of dozens of parts would cost dozens of searches.
        parts, too_many = parts[: answer_settings.max_parts], parts[answer_settings.max_parts:]
        timings: dict[str, float] = {}
        if not parts:
            outcomes = [(None, self._answer_one(engine, query, k, where, legs, timings))]
        else:
            outcomes = [(part.label, self._answer_one(engine, engine.analyze(part.text),
                                                      k, where, legs, timings)) for part in parts]
            outcomes = _one_part_per_sentence(engine.index, outcomes)
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        response = _response(query.original, query.normalized, outcomes, k, timings)
        response.missing_parts += [MissingPart(part=p.label, reason=f"一次最多回答{answer_settings.max_parts}个分项")
                                   for p in too_many]
        if wants_timeline(query):
            # Only for these questions: an ordinary dated question pays nothing for timelines.
            t = time.perf_counter()
            timeline = self._timeline(engine, query.normalized, doc)
            response.timeline = timeline if timeline.points else None
            response.timings_ms["timeline_ms"] = round((time.perf_counter() - t) * 1000, 2)
        return response

    def timeline(self, q: str | None, doc: str | None = None) -> IndicatorResponse:
        """Every year's figure the reports give for the measure `q` names, each point cited."""
        started = time.perf_counter()
        q = validate_query(q, self.settings.serve.max_query_chars)
        engine = self._engine
        self.check_filters(doc, None)
        response = self._timeline(engine, engine.analyze(q).normalized, doc)
        response.timings_ms["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return response

    def _timeline(self, engine: Engine, text: str, doc: str | None) -> IndicatorResponse:
        """The timeline of one index version, cached: the same measure is asked again and again."""
        key = (engine.index.version, text, doc)
        cached = self._timelines.get(key)
        if cached is None:
            answer = self.settings.answer
            cached = _indicator(build_timeline(engine.index, text, doc=doc,
                                                             passages=answer.timeline_passages,
                                                             min_share=answer.timeline_min_measure))
            with self._lock:
                if len(self._timelines) >= _TIMELINE_CACHE:
                    self._timelines.pop(next(iter(self._timelines)))
                self._timelines[key] = cached
        return cached.model_copy(deep=True)

    def _answer_one(self, engine: Engine, query: QueryInfo, k: int, where: Filter, legs: LegWeights | None,
                    timings: dict[str, float]) -> AnswerResult:
        """Retrieve and answer one (part of a) question; stage timings add up across parts."""
        t = time.perf_counter()
        vector = self._batcher.embed(query.normalized)
        if query.bridge_text:
            # An English question is also embedded through its Chinese terms: the mean of the two
            # views lands nearer the Chinese passages than the English question alone.
            vector = vector + self._batcher.embed(query.bridge_text)
            vector = vector / np.linalg.norm(vector)
        _add(timings, "embed_ms", (time.perf_counter() - t) * 1000)
        retrieval = engine.retriever.retrieve(query, vector, k=k, where=where, legs=legs)
        for key, value in retrieval.timings_ms.items():
            _add(timings, key, value)
        t = time.perf_counter()
        result = engine.extractor.answer(retrieval)
        _add(timings, "answer_ms", (time.perf_counter() - t) * 1000)
        return result


def _one_part_per_sentence(index: SearchIndex, outcomes: list[tuple[str | None, AnswerResult]]
                           ) -> list[tuple[str | None, AnswerResult]]:
    """A sentence quoted for two asked years answers the one its report is about, not both.

    `…发表论文124篇…获2019年度国家科学技术奖` names 2019 and 2020; in the 2020 report it is the
    2020 figure, so a 2019 part must not reuse it.
    """
    owners: dict[tuple[str, int], str | None] = {}
    for part, result in outcomes:
        if result.no_answer or result.choice is None:
            continue
        choice = result.choice
        doc = index.documents.get(choice.candidate.chunk.doc_id)
        report_years = {y for y in (getattr(doc, "year", None), *getattr(doc, "content_years", ())) if y}
        key = (choice.candidate.chunk.id, choice.start)
        if key not in owners or (part and any(str(y) in part for y in report_years)):
            owners[key] = part
    out: list[tuple[str | None, AnswerResult]] = []
    for part, result in outcomes:
        choice = result.choice
        if not result.no_answer and choice is not None and owners[(choice.candidate.chunk.id, choice.start)] != part:
            result = AnswerResult(result.ranked, choice, True, "none",
                                  f"唯一相符的句子回答的是{owners[(choice.candidate.chunk.id, choice.start)]}")
        out.append((part, result))
    return out


# Timelines kept per (index version, measure, report): a few hundred small responses.
_TIMELINE_CACHE = 256


def wants_timeline(query: QueryInfo) -> bool:
    """A question that asks for a trend (历年、变化、趋势), or asks a figure without naming a year."""
    return asks_trend(query.normalized) or (not query.years and query.asks_quantity)


def _citation(found: Found) -> TimelineCitation:
    chunk, start, end = found.chunk, found.start, found.end
    return TimelineCitation(
        text=found.sentence, doc_id=chunk.doc_id, chunk_id=chunk.id, title=chunk.title, year=chunk.year,
        section_path=list(chunk.section_path), start=start, end=end, passage_start=chunk.start,
        passage_end=chunk.end, source_start=source_offset(chunk, start),
        source_end=source_offset(chunk, end, end=True), page=page_at(chunk, source_offset(chunk, start)))


def _point(p: Point) -> TimelinePoint:
    cites = [_citation(f) for f in p.found]
    first = cites[0]
    return TimelinePoint(
        year=p.year, value=p.value, unit=p.unit, qualifier="、".join(p.qualifiers) or None,
        qualifiers=list(p.qualifiers), value_text=p.found[0].value.text, conflict=p.conflict, text=first.text,
        doc_id=first.doc_id, chunk_id=first.chunk_id, title=first.title, report_year=first.year,
        section_path=first.section_path, start=first.start, end=first.end, passage_start=first.passage_start,
        passage_end=first.passage_end, source_start=first.source_start, source_end=first.source_end,
        page=first.page, citations=cites)


def _indicator(timeline: Timeline) -> IndicatorResponse:
    """The API's shape of a timeline: each point with its citations (the first one flattened into it).

    Ratios and amounts are levels (a line); 家, 篇, 项… are counts (bars).
    """
    unit = timeline.unit
    kind = None if unit is None else "level" if unit.endswith(("%", "‰", "元", "倍")) else "count"
    return IndicatorResponse(measure=timeline.measure, unit=unit, kind=kind,
                             points=[_point(p) for p in timeline.points],
                             conflicts=[TimelineConflict(year=y, points=[_point(p) for p in ps])
                                        for y, ps in timeline.conflicts])


def _add(timings: dict[str, float], key: str, ms: float) -> None:
    timings[key] = timings.get(key, 0.0) + ms


def _answer(result: AnswerResult, part: str | None) -> Answer | None:
    choice = None if result.no_answer else result.choice
    if choice is None:
        return None
    chunk = choice.candidate.chunk
    return Answer(
        text=choice.text, chunk_id=chunk.id, doc_id=chunk.doc_id, title=chunk.title, year=chunk.year,
        section_path=list(chunk.section_path), start=choice.start, end=choice.end,
        source_start=source_offset(chunk, choice.start), source_end=source_offset(chunk, choice.end, end=True),
        score=round(choice.score, 4), confidence=result.confidence,  # type: ignore[arg-type]
        part=part,
    )


def _located(answer: Answer, result: AnswerResult, question: str) -> Answer:
    """Add where the answer sits in the original: its PDF page, and the row and column when it is a table row."""
    chunk = result.choice.candidate.chunk if result.choice is not None else None
    if chunk is None:
        return answer
    answer.page = page_at(chunk, answer.source_start)
    row = match_row(chunk.text, answer.text, answer.part or question)
    if row is not None:
        answer.table = TableRow(caption=row.caption, columns=row.columns, values=row.values,
                                matched_column=row.matched_column)
    return answer


def _response(original: str, normalized: str, outcomes: list[tuple[str | None, AnswerResult]], k: int,
              timings: dict[str, float]) -> SearchResponse:
    """One response for all parts: answers in the order asked, passages interleaved part by part."""
    answers = [_located(a, r, normalized) for part, r in outcomes if (a := _answer(r, part)) is not None]
    missing = [MissingPart(part=part, reason=result.reason or "没有找到可靠答案")
               for part, result in outcomes if part is not None and _answer(result, part) is None]
    spans = {a.chunk_id: [a.start, a.end] for a in reversed(answers)}
    seen: set[str] = set()
    ranked = []
    for rank in range(max((len(r.ranked) for _, r in outcomes), default=0)):
        for _, result in outcomes:
            if rank < len(result.ranked) and (c := result.ranked[rank]).chunk.id not in seen:
                seen.add(c.chunk.id)
                ranked.append(c)
    results = [
        Passage(
            chunk_id=c.chunk.id, doc_id=c.chunk.doc_id, title=c.chunk.title, year=c.chunk.year,
            section_path=list(c.chunk.section_path), text=c.chunk.text, start=c.chunk.start, end=c.chunk.end,
            score=round(c.score, 6), answer_span=spans.get(c.chunk.id), page=c.chunk.page,
        )
        for c in ranked[:k]
    ]
    reasons = [r.reason for _, r in outcomes if r.no_answer and r.reason]
    no_answer = not answers
    return SearchResponse(query=original, normalized_query=normalized, no_answer=no_answer,
                          no_answer_reason=("；".join(dict.fromkeys(reasons)) or None) if no_answer else None,
                          answer=answers[0] if answers else None, answers=answers, missing_parts=missing,
                          results=results, timings_ms={key: round(v, 2) for key, v in timings.items()})


def source_offset(chunk: Chunk, offset: int, *, end: bool = False) -> int:
    """Map an offset inside a chunk's text to the report's source text.

    The chunk text is its source pieces joined by single newlines or nothing;
    walk the pieces to find where the offset falls.
    """
    text = chunk.text
    pos = 0
    for i, piece in enumerate(chunk.pieces):
        length = piece.end - piece.start
        if offset <= pos + length and (offset < pos + length or end or i == len(chunk.pieces) - 1):
            return piece.start + max(0, offset - pos)
        pos += length
        if pos < len(text) and text[pos] == "\n":
            pos += 1
    return chunk.end
