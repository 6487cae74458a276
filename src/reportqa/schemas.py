"""The JSON shapes of the API (and of `reportqa ask --json`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


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


class SearchResponse(BaseModel):
    query: str
    normalized_query: str
    no_answer: bool
    no_answer_reason: str | None = Field(None, description="Why no answer was given, for the user.")
    answer: Answer | None
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


class ErrorBody(BaseModel):
    detail: str
