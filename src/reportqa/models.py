"""The data passed between the pipeline's stages.

Offsets are always character offsets into the report's decoded source text,
so any passage can be shown and highlighted in its original context.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) in a report's source text."""

    start: int
    end: int


@dataclass(frozen=True)
class ReportMeta:
    """What the manifest (or inference) says about one report."""

    id: str
    file: str
    title: str
    year: int | None
    publisher: str = ""
    kind: str = ""
    original_file: str = ""
    # Years the report's figures speak of when they differ from `year`
    # (a 2024 reply reporting 2023 progress).
    content_years: tuple[int, ...] = ()
    inferred: bool = False


@dataclass
class Paragraph:
    """One paragraph of a section.

    A paragraph broken by the page layout is rejoined: `pieces` then holds
    more than one span and `text` is their concatenation.
    """

    text: str
    pieces: list[Span]
    # The bold lead-in or `一是…` phrase that states the paragraph's topic.
    topic: str | None = None
    is_list: bool = False
    # A table block (reportqa.ingest.tables): one piece per line, the caption first if there is one.
    is_table: bool = False

    @property
    def start(self) -> int:
        return self.pieces[0].start

    @property
    def end(self) -> int:
        return self.pieces[-1].end


@dataclass
class Section:
    """A node of a report's section tree; the root (level 0) is the report itself."""

    title: str
    level: int
    path: list[str]
    heading_span: Span | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    # The heading's numbering, e.g. "8.1", "一", "（一）", "1"; None for plain titles.
    number: str | None = None

    def walk(self) -> list[Section]:
        """This section and all its descendants in document order."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass
class ParsedReport:
    """A report's text and its section tree."""

    meta: ReportMeta
    text: str
    root: Section

    def sections(self) -> list[Section]:
        """All sections below the root, in document order."""
        return self.root.walk()[1:]


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: never crosses a section, carries its citation."""

    id: str
    doc_id: str
    title: str
    year: int | None
    section_path: tuple[str, ...]
    text: str
    start: int
    end: int
    # Spans of the source that make up `text`, in order (noise lines between them were dropped).
    pieces: tuple[Span, ...]
    topic: str | None = None
    # Years the passage's own text (and section titles) name, most mentioned first.
    years: tuple[int, ...] = ()
    ordinal: int = 0
    # The page the passage starts on (PDFs; None for text without page breaks), and where in the
    # source the next page begins when the passage runs onto it.
    page: int | None = None
    page_break: int | None = None
    # A passage that only frames the document (its number, a courtesy close, the sign-off:
    # ingest/boilerplate.py): it answers only a question about the document's number or date,
    # and ranks below content.
    boilerplate: bool = False
