"""The JSON shapes of the API (and of `reportqa ask --json`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, computed_field


def plain_text(text: str) -> str:
    """`text` without its Markdown `**` emphasis markers, for people to read.

    `text` itself stays verbatim: it is the quote, and every offset (`start`, `source_start`,
    `answer_span`) slices to it exactly. The markers mean nothing to a JSON or CLI reader
    (`突破**120亿元**` reads `突破120亿元`), so the display form drops them all, as the page does.
    """
    return text.replace("**", "")


class TableRow(BaseModel):
    """An answer quoted from a table: its row as cells, and the column the question asked about."""

    caption: str | None = Field(None, description="The table's caption, when it has one.")
    columns: list[str] = Field(description="The column headers, in order.")
    values: list[str] = Field(description="The row's cells, one per column.")
    matched_column: int | None = Field(None, description="Index of the column the question names (a year, a "
                                                         "header word); null when none stands out.")


class Answer(BaseModel):
    """The answering sentence, quoted verbatim, with its citation."""

    text: str = Field(description="The sentence, exactly as in the passage (`start`/`end` and "
                                  "`source_start`/`source_end` slice to it; it may hold Markdown `**` markers).")
    chunk_id: str
    doc_id: str
    title: str
    year: int | None
    section_path: list[str]
    start: int = Field(description="Offset of the sentence inside the passage text.")
    end: int
    source_start: int = Field(description="Offset of the sentence in the report's source text.")
    source_end: int
    score: float
    confidence: Literal["high", "medium", "low"]
    part: str | None = Field(None, description="The asked year or place this answer is for, as written "
                                               "(`2020年`, `松江区`); null for a single-part question.")
    page: int | None = Field(None, description="The page of the original PDF the sentence is on (null: no pages).")
    table: TableRow | None = Field(None, description="Set when the sentence is a table row.")

    @computed_field(description="The sentence for display: `text` without Markdown `**` emphasis markers.")
    @property
    def plain_text(self) -> str:
        return plain_text(self.text)


class Passage(BaseModel):
    """A ranked passage; `text` is the chunk exactly as cited."""

    chunk_id: str
    doc_id: str
    title: str
    year: int | None
    section_path: list[str]
    text: str
    start: int = Field(description="Start of the passage in the report's source text.")
    end: int
    score: float
    answer_span: list[int] | None = Field(
        None, description="[start, end] of the answer sentence inside `text`, on the answering passage."
    )
    page: int | None = Field(None, description="The page of the original PDF the passage starts on.")

    @computed_field(description="The passage for display: `text` without Markdown `**` emphasis markers.")
    @property
    def plain_text(self) -> str:
        return plain_text(self.text)


class MissingPart(BaseModel):
    """An asked part (a year or a place) that no verified sentence answers."""

    part: str
    reason: str


class SearchResponse(BaseModel):
    query: str
    normalized_query: str
    no_answer: bool
    no_answer_reason: str | None = Field(None, description="Why no answer was given, for the user.")
    answer: Answer | None = Field(description="The first answer (equal to `answers[0]`), or null.")
    answers: list[Answer] = Field(default_factory=list, description=(
        "One verified answer per asked part, in the order asked (one item for a single question)."))
    missing_parts: list[MissingPart] = Field(default_factory=list, description=(
        "Asked parts with no verified sentence, and why."))
    results: list[Passage]
    timings_ms: dict[str, float]
    timeline: IndicatorResponse | None = Field(None, description=(
        "Every year's figure for the asked measure, when the question names one without a year or asks "
        "for a trend (历年、变化、趋势) and the reports state it; null otherwise."))


class DocumentSummary(BaseModel):
    id: str
    title: str
    year: int | None
    publisher: str
    kind: str
    section_count: int


class ParagraphOut(BaseModel):
    text: str
    start: int
    end: int
    topic: str | None


class SectionOut(BaseModel):
    id: str
    title: str
    level: int
    path: list[str]
    number: str | None
    paragraphs: list[ParagraphOut]


class DocumentDetail(DocumentSummary):
    sections: list[SectionOut]


class Health(BaseModel):
    status: str
    index_version: str | None = None
    chunk_count: int | None = None
    detail: str | None = None


class SkippedFileOut(BaseModel):
    """A corpus file the last build left out, and why."""

    file: str
    reason: str


class ErrorBody(BaseModel):
    detail: str


class TimelineCitation(BaseModel):
    """One sentence stating a timeline point, with where it is (as an answer's citation)."""

    text: str = Field(description="The sentence, as in the passage (bold markers removed).")
    doc_id: str
    chunk_id: str
    title: str
    year: int | None = Field(description="The report's year (the point's own year is the point's `year`).")
    section_path: list[str]
    start: int = Field(description="Offset of the sentence inside the passage text.")
    end: int
    passage_start: int = Field(description="The passage's offsets in the report's source text.")
    passage_end: int
    source_start: int = Field(description="The sentence's offsets in the report's source text.")
    source_end: int
    page: int | None = None


class TimelinePoint(BaseModel):
    """One year's figure for a measure; `citations` holds every report sentence that states it."""

    year: int = Field(description="The year the figure is about (not the report's publication year).")
    value: float = Field(description="The figure in the timeline's `unit`.")
    unit: str
    qualifier: str | None = Field(None, description="Qualifiers as written, joined by 、 (预计、左右); null for none.")
    qualifiers: list[str] = Field(default_factory=list, description="预计, 左右, 超过, 近, 约, 余, 不足.")
    value_text: str = Field(description="The figure as written in the first citation (`超过1.7万家`).")
    conflict: bool = Field(False, description="Other reports give another figure for this year; see `conflicts`.")
    text: str = Field(description="The first citation's sentence.")
    doc_id: str
    chunk_id: str
    title: str
    report_year: int | None
    section_path: list[str]
    start: int
    end: int
    passage_start: int
    passage_end: int
    source_start: int
    source_end: int
    page: int | None = None
    citations: list[TimelineCitation] = Field(description="Every sentence stating this figure for this year.")


class TimelineConflict(BaseModel):
    """A year for which reports give different figures: all of them, the one shown as the point first."""

    year: int
    points: list[TimelinePoint]


class IndicatorResponse(BaseModel):
    """Every year's figure for one measure, oldest first, each one cited."""

    measure: str = Field(description="The measure as searched (the question without its years).")
    unit: str | None = Field(description="The unit every point is given in; null when there are no points.")
    kind: Literal["level", "count"] | None = Field(
        None, description="`count` (家, 篇, 项…: drawn as bars) or `level` (ratios and amounts: a line).")
    points: list[TimelinePoint]
    conflicts: list[TimelineConflict] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)


SearchResponse.model_rebuild()  # `timeline` refers to a model defined after it


# --------------------------------------------------------------------------- the library (corpus folder) API


class LibraryEntry(BaseModel):
    """A report file of the corpus folder, as the library page lists it."""

    id: str = Field(description="The report id (/api/documents/{id}); stays the same when metadata changes.")
    file: str = Field(description="The file's name in the corpus folder.")
    title: str | None = Field(description="From reports.toml; for an undescribed file the title the build guessed "
                                          "(null until it is indexed).")
    year: int | None
    publisher: str | None
    kind: str | None
    content_years: list[int] = Field(description="Years the report's figures speak of when they differ from `year`.")
    format: Literal["pdf", "docx", "html", "md", "txt"]
    size_bytes: int
    sections: int | None = Field(description="Sections in the serving index (null: not indexed).")
    chunks: int | None = Field(description="Passages in the serving index (null: not indexed, or not countable).")
    pages: int | None = Field(description="PDF pages the indexed text spans (null: not a PDF or not indexed).")
    added_at: str | None = Field(description="When the file was added or last changed (its mtime), ISO 8601.")
    indexed_at: str | None = Field(description="When the serving index that holds this report was built, ISO 8601.")
    status: Literal["indexed", "pending", "skipped"] = Field(
        description="`indexed`: served as it is; `pending`: new or changed since the serving index was built "
                    "(rebuild to serve it); `skipped`: the last build left it out, see `reason`.")
    reason: str | None = Field(description="Why the report is pending or skipped (Chinese, for the page).")


class LibraryAdded(BaseModel):
    """The reports an upload added (pending until the next rebuild)."""

    added: list[LibraryEntry]


class LibraryDeleted(BaseModel):
    """The id of the report whose file was moved to the corpus folder's `.trash/`."""

    deleted: str


class MetadataUpdate(BaseModel):
    """Metadata to set on a report: an absent field is left as it is, `null` clears it."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    year: StrictInt | None = Field(None, ge=1900, le=2100)
    publisher: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = Field(None, min_length=1, max_length=200,
                             description="Free text, e.g. `annual report chapter` or `official reply`.")
    content_years: list[Annotated[StrictInt, Field(ge=1900, le=2100)]] | None = Field(None, max_length=50)
