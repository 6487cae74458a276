"""Cut a parsed report into retrievable chunks that never cross a section.

A chunk must fit the encoder (XLM-R tokens ≈ 0.8 × Chinese characters, and
inputs past 512 tokens are silently truncated), so long paragraphs are split
at sentence ends; tiny paragraphs of one section (infographic lines, figures)
are merged so a chunk carries enough context to be found.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from reportqa.ingest.boilerplate import is_boilerplate, may_be_boilerplate
from reportqa.ingest.tables import parse_row
from reportqa.models import Chunk, Paragraph, ParsedReport, Section, Span
from reportqa.settings import ChunkingSettings
from reportqa.text.sentences import sentence_bounds
from reportqa.text.zh import text_years

CHUNKER_VERSION = "6"  # 4: tables chunked by rows under their caption; PDF pages. 5: boilerplate flagged.
# 6: a reply's contact and distribution footer kept (flagged), not dropped


@dataclass
class _Unit:
    """A run of source text that can be placed in a chunk whole."""

    text: str
    pieces: list[Span]
    topic: str | None = None
    starts_topic: bool = False
    # Rows of a table: kept in chunks of their own, never merged with the prose around them.
    table: bool = False
    # Document-number, courtesy and sign-off lines (ingest/boilerplate.py): never merged with content either.
    boilerplate: bool = False


def _piece_offsets(paragraph: Paragraph) -> list[tuple[int, Span]]:
    """Where each source piece begins inside the paragraph's text."""
    sep = 1 if paragraph.is_list else 0
    out: list[tuple[int, Span]] = []
    pos = 0
    for piece in paragraph.pieces:
        out.append((pos, piece))
        pos += piece.end - piece.start + sep
    return out


def _slice_spans(paragraph: Paragraph, a: int, b: int,
                 offsets: list[tuple[int, Span]] | None = None) -> list[Span]:
    """The source spans holding paragraph.text[a:b].

    `offsets` (from `_piece_offsets`) can be computed once per paragraph: a long
    paragraph of many lines is sliced once per window, and recomputing them for
    every window made chunking quadratic in the paragraph's length.
    """
    offsets = _piece_offsets(paragraph) if offsets is None else offsets
    # The first piece that ends after `a`: every piece before it lies wholly before the slice.
    first = max(0, bisect.bisect_right(offsets, a, key=lambda item: item[0]) - 1)
    spans: list[Span] = []
    for i in range(first, len(offsets)):  # by index: slicing `offsets` would copy its tail per window
        offset, piece = offsets[i]
        if offset >= b:
            break
        length = piece.end - piece.start
        lo, hi = max(a, offset), min(b, offset + length)
        if lo < hi:
            spans.append(Span(piece.start + lo - offset, piece.start + hi - offset))
    return spans


def _split_long(text: str, limit: int) -> list[tuple[int, int]]:
    """Pack sentences (reportqa.text.sentences.sentence_bounds) into windows of at most `limit` characters."""
    windows: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for a, b in sentence_bounds(text):
        while b - a > limit:  # one sentence longer than a chunk: cut at a comma, else hard
            cut = max(text.rfind("，", a, a + limit), text.rfind(",", a, a + limit))
            cut = cut + 1 if cut > a else a + limit
            if cur:
                windows.append(cur)
                cur = None
            windows.append((a, cut))
            a = cut
        if cur and b - cur[0] <= limit:
            cur = (cur[0], b)
        else:
            if cur:
                windows.append(cur)
            cur = (a, b)
    if cur:
        windows.append(cur)
    return windows


def _table_units(paragraph: Paragraph, max_chars: int) -> Iterator[_Unit]:
    """A table in runs of whole rows, each run under the table's caption (rows name their own columns)."""
    lines = list(zip(paragraph.text.split("\n"), paragraph.pieces, strict=True))
    caption = lines[0] if parse_row(lines[0][0]) is None else None
    rows = lines[1:] if caption else lines
    group: list[tuple[str, Span]] = []

    def unit() -> _Unit:
        head = [caption] if caption else []
        return _Unit("\n".join(text for text, _ in head + group), [span for _, span in head + group], table=True)

    size = len(caption[0]) + 1 if caption else 0
    for row in rows:
        if group and size + sum(len(text) + 1 for text, _ in group) + len(row[0]) > max_chars:
            yield unit()
            group = []
        group.append(row)
    if group:
        yield unit()


def _units(paragraph: Paragraph, max_chars: int) -> Iterator[_Unit]:
    if paragraph.is_table:
        yield from _table_units(paragraph, max_chars)
        return
    if len(paragraph.text) <= max_chars:
        yield _Unit(paragraph.text, list(paragraph.pieces), paragraph.topic, paragraph.topic is not None,
                    boilerplate=may_be_boilerplate(paragraph.text))
        return
    offsets = _piece_offsets(paragraph)
    for i, (a, b) in enumerate(_split_long(paragraph.text, max_chars)):
        # Leading whitespace stays out so the text matches its spans exactly.
        while a < b and paragraph.text[a] in " \n":
            a += 1
        yield _Unit(paragraph.text[a:b], _slice_spans(paragraph, a, b, offsets), paragraph.topic, i == 0 and
                    paragraph.topic is not None)


def _group(units: list[_Unit], settings: ChunkingSettings) -> list[list[_Unit]]:
    """Merge small neighbouring units; a new topic (bold lead-in) starts a new chunk."""
    groups: list[list[_Unit]] = []
    for unit in units:
        if groups and not unit.table and not groups[-1][0].table and unit.boilerplate == groups[-1][0].boilerplate:
            last = groups[-1]
            size = sum(len(u.text) + 1 for u in last)
            if (size < settings.merge_below and size + len(unit.text) <= settings.max_chars
                    and not (unit.starts_topic and last[0].topic != unit.topic
                             and size >= settings.new_topic_min_chars)):
                last.append(unit)
                continue
        groups.append([unit])
    return groups


def chunk_id(doc_id: str, path: tuple[str, ...], text: str, occurrence: int) -> str:
    """A stable id: the same text in the same place gets the same id on every rebuild."""
    key = "\x1f".join([doc_id, *path, text, str(occurrence)])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _section_chunks(section: Section, settings: ChunkingSettings
                    ) -> Iterator[tuple[str, list[Span], str | None, bool]]:
    units = [u for p in section.paragraphs for u in _units(p, settings.max_chars)]
    for group in _group(units, settings):
        text = "\n".join(u.text for u in group)
        spans = [s for u in group for s in u.pieces]
        topic = next((u.topic for u in group if u.topic), None)
        yield text, spans, topic, group[0].boilerplate and is_boilerplate(text)


def chunk_report(report: ParsedReport, settings: ChunkingSettings | None = None) -> list[Chunk]:
    """All chunks of a report, in document order (sizes from the `chunking.*` settings)."""
    settings = settings or ChunkingSettings()
    meta = report.meta
    chunks: list[Chunk] = []
    seen: Counter[str] = Counter()
    # PDF pages are separated by form feeds (ingest/loaders/pdf.py); text without them has no pages.
    breaks = [m.start() for m in re.finditer("\f", report.text)]
    for section in report.root.walk():
        path = tuple(section.path)
        for text, spans, topic, boilerplate in _section_chunks(section, settings):
            base = chunk_id(meta.id, path, text, 0)
            seen[base] += 1
            cid = base if seen[base] == 1 else chunk_id(meta.id, path, text, seen[base] - 1)
            years = text_years(" ".join([*path, text]))
            start, end = spans[0].start, spans[-1].end
            page = bisect.bisect_right(breaks, start) + 1 if breaks else None
            page_break = breaks[page - 1] if page is not None and page <= len(breaks) else None
            chunks.append(
                Chunk(
                    id=cid,
                    doc_id=meta.id,
                    title=meta.title,
                    year=meta.year,
                    section_path=path,
                    text=text,
                    start=start,
                    end=end,
                    pieces=tuple(spans),
                    topic=topic,
                    years=tuple(years),
                    ordinal=len(chunks),
                    page=page,
                    page_break=page_break if page_break is not None and page_break < end else None,
                    boilerplate=boilerplate,
                )
            )
    return chunks


def page_at(chunk: Chunk, source_offset: int) -> int | None:
    """The page a source offset inside a chunk lies on (None when the report has no pages)."""
    if chunk.page is None:
        return None
    return chunk.page + 1 if chunk.page_break is not None and source_offset >= chunk.page_break else chunk.page
