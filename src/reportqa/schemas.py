"""The JSON shapes of the API (and of `reportqa ask --json`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TableRow(BaseModel):
    """An answer quoted from a table: its row as cells, and the column the question asked about."""

    caption: str | None = Field(None, description="The table's caption, when it has one.")
    columns: list[str] = Field(description="The column headers, in order.")
    values: list[str] = Field(description="The row's cells, one per column.")
    matched_column: int | None = Field(None, description="Index of the column the question names (a year, a "
                                                         "header word); null when none stands out.")


class Answer(BaseModel):
    """The answering sentence, quoted verbatim, with its citation."""

    text: str = Field(description="The sentence, exactly as in the passage.")
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
