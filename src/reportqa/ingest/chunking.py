"""Cut a parsed report into retrievable chunks that never cross a section.

A chunk must fit the encoder (XLM-R tokens ≈ 0.8 × Chinese characters, and
inputs past 512 tokens are silently truncated), so long paragraphs are split
at sentence ends; tiny paragraphs of one section (infographic lines, figures)
are merged so a chunk carries enough context to be found.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from reportqa.models import Chunk, Paragraph, ParsedReport, Section, Span
from reportqa.settings import ChunkingSettings
from reportqa.text.sentences import sentence_bounds
from reportqa.text.zh import text_years

CHUNKER_VERSION = "3"


@dataclass
class _Unit:
    """A run of source text that can be placed in a chunk whole."""

    text: str
    pieces: list[Span]
    topic: str | None = None
    starts_topic: bool = False


def _piece_offsets(paragraph: Paragraph) -> list[tuple[int, Span]]:
    """Where each source piece begins inside the paragraph's text."""
    sep = 1 if paragraph.is_list else 0
    out: list[tuple[int, Span]] = []
    pos = 0
    for piece in paragraph.pieces:
        out.append((pos, piece))
        pos += piece.end - piece.start + sep
    return out


def _slice_spans(paragraph: Paragraph, a: int, b: int) -> list[Span]:
    """The source spans holding paragraph.text[a:b]."""
    spans: list[Span] = []
    for offset, piece in _piece_offsets(paragraph):
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


def _units(paragraph: Paragraph, max_chars: int) -> Iterator[_Unit]:
    if len(paragraph.text) <= max_chars:
        yield _Unit(paragraph.text, list(paragraph.pieces), paragraph.topic, paragraph.topic is not None)
        return
    for i, (a, b) in enumerate(_split_long(paragraph.text, max_chars)):
        # Leading whitespace stays out so the text matches its spans exactly.
        while a < b and paragraph.text[a] in " \n":
            a += 1
        yield _Unit(paragraph.text[a:b], _slice_spans(paragraph, a, b), paragraph.topic, i == 0 and
                    paragraph.topic is not None)


def _group(units: list[_Unit], settings: ChunkingSettings) -> list[list[_Unit]]:
    """Merge small neighbouring units; a new topic (bold lead-in) starts a new chunk."""
    groups: list[list[_Unit]] = []
    for unit in units:
        if groups:
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


def _section_chunks(section: Section, settings: ChunkingSettings) -> Iterator[tuple[str, list[Span], str | None]]:
    units = [u for p in section.paragraphs for u in _units(p, settings.max_chars)]
    for group in _group(units, settings):
        text = "\n".join(u.text for u in group)
        spans = [s for u in group for s in u.pieces]
        topic = next((u.topic for u in group if u.topic), None)
        yield text, spans, topic


def chunk_report(report: ParsedReport, settings: ChunkingSettings | None = None) -> list[Chunk]:
    """All chunks of a report, in document order (sizes from the `chunking.*` settings)."""
    settings = settings or ChunkingSettings()
    meta = report.meta
    chunks: list[Chunk] = []
    seen: Counter[str] = Counter()
    for section in report.root.walk():
        path = tuple(section.path)
        for text, spans, topic in _section_chunks(section, settings):
            base = chunk_id(meta.id, path, text, 0)
            seen[base] += 1
            cid = base if seen[base] == 1 else chunk_id(meta.id, path, text, seen[base] - 1)
            years = text_years(" ".join([*path, text]))
            chunks.append(
                Chunk(
                    id=cid,
                    doc_id=meta.id,
                    title=meta.title,
                    year=meta.year,
                    section_path=path,
                    text=text,
                    start=spans[0].start,
                    end=spans[-1].end,
                    pieces=tuple(spans),
                    topic=topic,
                    years=tuple(years),
                    ordinal=len(chunks),
                )
            )
    return chunks
