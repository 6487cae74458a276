"""Chunks never cross a section, fit the encoder, and point back at their source."""

from __future__ import annotations

import re

from reportqa.ingest.chunking import chunk_report
from reportqa.ingest.sections import is_noise_line, parse_report
from reportqa.models import ReportMeta
from reportqa.settings import ChunkingSettings

MAX_CHARS = ChunkingSettings().max_chars


def all_chunks(reports):
    return [c for r in reports.values() for c in chunk_report(r)]


def test_every_chunk_is_its_source_spans_joined(reports):
    for report in reports.values():
        for c in chunk_report(report):
            rebuilt = "".join(report.text[p.start:p.end] for p in c.pieces)
            assert c.text.replace("\n", "") == rebuilt.replace("\n", "")


def test_chunk_span_holds_only_its_text_and_removed_noise(reports):
    """The property: source[start:end] minus whitespace and noise lines equals the chunk text."""
    for report in reports.values():
        for c in chunk_report(report):
            assert c.start == c.pieces[0].start and c.end == c.pieces[-1].end
            covered = set()
            for p in c.pieces:
                covered.update(range(p.start, p.end))
            outside = "".join(ch for i, ch in enumerate(report.text[c.start:c.end], c.start) if i not in covered)
            for line in outside.split("\n"):
                assert not line.strip() or is_noise_line(line), (c.id, line)
            squeezed = re.sub(r"\s", "", c.text)
            source = "".join(report.text[p.start:p.end] for p in c.pieces)
            assert squeezed == re.sub(r"\s", "", source)


def test_chunks_never_cross_a_section(reports):
    for report in reports.values():
        sections = [(tuple(s.path), [(p.start, p.end) for p in s.paragraphs]) for s in report.root.walk()]
        for c in chunk_report(report):
            # Two sections may share a title (and so a path): one of them must hold every piece.
            assert any(
                path == c.section_path
                and all(any(a <= x.start and x.end <= b for a, b in spans) for x in c.pieces)
                for path, spans in sections
            ), c.id


def test_chunks_fit_the_encoder(reports):
    assert max(len(c.text) for c in all_chunks(reports)) <= MAX_CHARS + 2


def test_no_chunk_is_a_lone_page_number(reports):
    for c in all_chunks(reports):
        assert not c.text.strip().isdigit()


def test_chunk_ids_are_deterministic_and_unique(reports):
    first = [c.id for c in all_chunks(reports)]
    second = [c.id for c in all_chunks(reports)]
    assert first == second
    assert len(set(first)) == len(first)


def test_chunks_carry_citation_metadata(reports):
    chunk = next(c for c in chunk_report(reports["2024-overview"]) if "5200.73亿元" in c.text)
    assert chunk.title.startswith("上海科技进步报告2024")
    assert chunk.year == 2024
    assert chunk.section_path == ("综述",)


def test_district_passage_carries_its_district_in_the_section_path(reports):
    chunk = next(c for c in chunk_report(reports["2024-ch8"]) if "大零号湾" in c.text and "闵行区" in c.section_path)
    assert chunk.section_path[-1] == "闵行区"


def test_bold_lead_in_is_kept_as_the_chunk_topic(reports):
    chunk = next(c for c in chunk_report(reports["2020-overview"]) if "技术合同成交额1815.3亿元" in c.text)
    assert chunk.topic == "技术转移渠道和网络加快构建"


def test_chunk_years_come_from_the_passage_text(reports):
    chunk = next(c for c in chunk_report(reports["2024-reply-0671"]) if "较2022年的4.2%" in c.text)
    assert 2022 in chunk.years and 2023 in chunk.years


def test_long_section_is_split_at_sentence_ends():
    sentence = "上海全社会研发经费支出相当于全市生产总值的比例达到4.4%左右，基础研究投入占比预计11%左右。"
    text = "# 综述\n\n" + sentence * 20
    report = parse_report(text, ReportMeta(id="x", file="x.md", title="测试", year=2024))
    chunks = chunk_report(report)
    assert len(chunks) > 1
    assert all(c.text.endswith("。") for c in chunks)
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
