"""Real-shaped reports in, exact places out (issue 11), plus the corpus limits of issue 13.

Every file is generated the way real ones are made (reportlab with a CJK font,
python-docx, a gov.cn-style page template): a DOCX with a table, a two-page PDF
with a title line, numbered headings, a ruled table, a running header and page
footers, a semantic HTML page and a gov.cn-style page. These tests need no
model: loaders, sections and chunks, the build with the fake embedder, and the
API in-process. The answers with the real model are in test_real_reports_answers.py.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reportqa.index.build import build_index
from reportqa.ingest.chunking import chunk_report, page_at
from reportqa.ingest.corpus import SkippedFileWarning, iter_corpus, parse_file, safe_id
from reportqa.models import Chunk, ReportMeta
from reportqa.rank.tables import match_row, matched_column
from reportqa.settings import ChunkingSettings
from reportqa.text.zh import to_simplified
from reportqa.web.app import AppSettings, create_app
from tests.fakes import FakeEmbedder, write_tiny_corpus
from tests.fixtures_docs import (
    GOV_CHROME,
    PDF_TITLE,
    RUNNING_HEADER,
    TABLE_CAPTION,
    make_gov_html,
    make_report_pdf,
    make_scanned_pdf,
    make_semantic_html,
    make_table_docx,
)

CONTRACT_ROW = "指标: 技术合同成交额（亿元） · 2022年: 650.2 · 2023年: 777.7"
WAIT_S = 10.0


def chunks_of(path: Path) -> list[Chunk]:
    return chunk_report(parse_file(path))


def table_chunk(chunks: list[Chunk]) -> Chunk:
    return next(c for c in chunks if CONTRACT_ROW in c.text)


# ---------------------------------------------------------------- tables


def test_a_docx_table_row_is_one_line_naming_its_columns(tmp_path: Path) -> None:
    chunk = table_chunk(chunks_of(make_table_docx(tmp_path / "公报.docx")))
    assert chunk.text.split("\n")[0] == TABLE_CAPTION
    assert CONTRACT_ROW in chunk.text.split("\n")


def test_a_table_is_chunked_by_rows_with_its_caption_repeated(tmp_path: Path) -> None:
    report = parse_file(make_table_docx(tmp_path / "公报.docx"))
    chunks = [c for c in chunk_report(report, ChunkingSettings(max_chars=80)) if "指标: " in c.text]
    assert len(chunks) == 3  # one row per chunk at this size
    assert all(c.text.startswith(TABLE_CAPTION + "\n指标: ") for c in chunks)
    for chunk in chunks:  # the repeated caption still points at the source
        assert "\n".join(report.text[p.start:p.end] for p in chunk.pieces) == chunk.text


def test_an_html_table_header_is_not_a_section(tmp_path: Path) -> None:
    chunks = chunks_of(make_semantic_html(tmp_path / "公报.html"))
    assert table_chunk(chunks).section_path[-1] == "一、创新主体"
    assert not any("指标" in title for c in chunks for title in c.section_path)


def test_a_table_answer_names_the_column_the_question_asks_about() -> None:
    row = match_row(f"{TABLE_CAPTION}\n{CONTRACT_ROW}", CONTRACT_ROW, "2023年技术合同成交额是多少？")
    assert row is not None
    assert (row.caption, row.columns, row.values) == (TABLE_CAPTION, ["指标", "2022年", "2023年"],
                                                      ["技术合同成交额（亿元）", "650.2", "777.7"])
    assert row.columns[row.matched_column or 0] == "2023年"


def test_no_column_is_claimed_when_the_question_names_none() -> None:
    assert matched_column(["指标", "2022年", "2023年"], "技术合同成交额是多少？") is None


def test_a_prose_sentence_is_not_a_table_row() -> None:
    assert match_row("全市技术合同成交额5200.73亿元。", "全市技术合同成交额5200.73亿元。", "成交额") is None


# ---------------------------------------------------------------- PDF pages


@pytest.fixture(scope="module")
def pdf_chunks(tmp_path_factory: pytest.TempPathFactory) -> list[Chunk]:
    return chunks_of(make_report_pdf(tmp_path_factory.mktemp("pdf") / "海洋.pdf"))


def test_a_pdf_is_titled_by_its_large_title_line(pdf_chunks: list[Chunk]) -> None:
    assert pdf_chunks[0].title == PDF_TITLE


def test_pdf_headings_come_from_font_size_and_numbering(pdf_chunks: list[Chunk]) -> None:
    paths = {c.section_path for c in pdf_chunks}
    assert (PDF_TITLE, "一、海洋科技创新") in paths
    assert (PDF_TITLE, "二、海洋科技人才") in paths


def test_every_pdf_chunk_carries_its_page(pdf_chunks: list[Chunk]) -> None:
    talent = next(c for c in pdf_chunks if "高层次人才326名" in c.text)
    assert talent.page == 2 and page_at(talent, talent.start) == 2
    assert table_chunk(pdf_chunks).page == 1


def test_running_headers_and_page_footers_are_dropped(pdf_chunks: list[Chunk]) -> None:
    for chunk in pdf_chunks:
        assert RUNNING_HEADER not in chunk.text and "页" not in chunk.text


def test_a_pdf_table_becomes_named_rows(pdf_chunks: list[Chunk]) -> None:
    assert table_chunk(pdf_chunks).text.startswith(TABLE_CAPTION)


def test_the_pdf_title_metadata_names_a_report_without_a_title_line(tmp_path: Path) -> None:
    from tests.fixtures_docs import make_pdf

    path = make_pdf(tmp_path / "plain.pdf", "综述", ["全市技术合同成交额5200.73亿元，同比增长7.2%。"])
    assert parse_file(path).meta.title == "综述"


def test_a_tool_file_name_in_pdf_metadata_is_not_a_title(tmp_path: Path) -> None:
    path = make_report_pdf(tmp_path / "r.pdf", pdf_title="Microsoft Word - 报告.docx")
    assert parse_file(path).meta.title == PDF_TITLE


@pytest.mark.slow  # its load time is printed by bench/build.py (pages/s), not asserted here
def test_a_100_page_pdf_is_read_to_its_last_page(tmp_path: Path) -> None:
    path = make_report_pdf(tmp_path / "long.pdf", extra_pages=98)
    assert max(c.page or 0 for c in chunk_report(parse_file(path))) == 100


# ---------------------------------------------------------------- web pages


@pytest.fixture(scope="module")
def gov_chunks(tmp_path_factory: pytest.TempPathFactory) -> list[Chunk]:
    return chunks_of(make_gov_html(tmp_path_factory.mktemp("gov") / "zj.html"))


def test_no_site_chrome_in_any_chunk_of_a_gov_page(gov_chunks: list[Chunk]) -> None:
    for chunk in gov_chunks:
        for chrome in GOV_CHROME:
            assert chrome not in " ".join([*chunk.section_path, chunk.text]), (chrome, chunk.text)


def test_a_gov_page_is_titled_without_the_site_suffix(gov_chunks: list[Chunk]) -> None:
    assert gov_chunks[0].title == "杭州市2023年科技创新工作总结"


def test_a_gov_page_keeps_its_article_headings_and_table(gov_chunks: list[Chunk]) -> None:
    assert table_chunk(gov_chunks).section_path[-1] == "一、创新主体持续壮大"


def test_a_semantic_page_drops_its_header_nav_and_footer(tmp_path: Path) -> None:
    chunks = chunks_of(make_semantic_html(tmp_path / "公报.html"))
    assert chunks[0].title == "2023年科技创新统计公报"
    text = " ".join(c.text for c in chunks)
    assert "互动交流" not in text and "ICP" not in text and "孵化器12家" in text


# ---------------------------------------------------------------- Traditional questions


def test_taiwan_phrases_become_mainland_ones() -> None:
    assert to_simplified("上海積體電路產業規模") == "上海集成电路产业规模"


def test_simplified_words_shared_with_taiwan_usage_are_left_alone() -> None:
    assert to_simplified("关键核心技术新增建立") == "关键核心技术新增建立"


# ---------------------------------------------------------------- a build survives bad files


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny reports, the four generated ones, a random-bytes .docx and an image-only PDF."""
    corpus = write_tiny_corpus(tmp_path_factory.mktemp("mixed") / "corpus")
    make_report_pdf(corpus / "海洋.pdf")
    make_table_docx(corpus / "公报.docx")
    make_gov_html(corpus / "zj.html")
    (corpus / "broken.docx").write_bytes(random.Random(7).randbytes(4096))
    make_scanned_pdf(corpus / "scan.pdf")
    return corpus


def test_unreadable_files_are_skipped_with_a_warning_naming_them(mixed_corpus: Path) -> None:
    skipped: list = []
    with pytest.warns(SkippedFileWarning, match=r"broken\.docx"):
        reports = list(iter_corpus(mixed_corpus, skipped=skipped))
    assert {r.meta.file for r in reports} >= {"海洋.pdf", "公报.docx", "zj.html", "r2023.md"}
    reasons = {s.file: s.reason for s in skipped}
    assert set(reasons) == {"broken.docx", "scan.pdf"}
    assert "not a valid Word .docx" in reasons["broken.docx"]
    assert "no text layer" in reasons["scan.pdf"]


def test_strict_mode_stops_at_the_first_unreadable_file(mixed_corpus: Path) -> None:
    from reportqa.errors import UnsupportedFileError

    with pytest.raises(UnsupportedFileError, match=r"broken\.docx"):
        list(iter_corpus(mixed_corpus, strict=True))


def test_a_file_over_the_size_limit_is_skipped_with_the_setting_to_raise(tmp_path: Path) -> None:
    corpus = write_tiny_corpus(tmp_path / "corpus")
    (corpus / "huge.txt").write_text("全市技术合同成交额持续增长。" * 100_000, encoding="utf-8")
    skipped: list = []
    with pytest.warns(SkippedFileWarning):
        reports = list(iter_corpus(corpus, skipped=skipped, max_file_mb=1))
    assert len(reports) == 2
    assert skipped[0].file == "huge.txt" and "over the 1 MB limit" in skipped[0].reason
    assert "chunking.max_file_mb" in skipped[0].reason


def test_a_symlink_out_of_the_corpus_is_never_indexed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("机密：管理员口令是hunter2。", encoding="utf-8")
    corpus = write_tiny_corpus(tmp_path / "corpus")
    os.symlink(secret, corpus / "passwd.txt")
    skipped: list = []
    with pytest.warns(SkippedFileWarning, match="outside the corpus"):
        reports = list(iter_corpus(corpus, skipped=skipped))
    assert [s.file for s in skipped] == ["passwd.txt"]
    assert all("hunter2" not in r.text for r in reports)


def test_a_symlink_inside_the_corpus_is_a_report(tmp_path: Path) -> None:
    corpus = write_tiny_corpus(tmp_path / "corpus")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "extra.md").write_text("# 附录\n\n全市新增孵化器12家。", encoding="utf-8")
    os.symlink(corpus / "sub" / "extra.md", corpus / "extra.md")
    assert "extra.md" in {r.meta.file for r in iter_corpus(corpus)}


def test_no_report_gets_the_id_of_the_skipped_route() -> None:
    assert safe_id("skipped") != "skipped"


@pytest.mark.slow
def test_a_50_mb_text_chunks_in_under_a_minute(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    line = "上海市科技创新能力持续增强，全社会研发经费支出相当于全市生产总值的比例达4.4%左右。\n"
    path.write_text("# 大报告\n\n" + line * (50_000_000 // len(line.encode())), encoding="utf-8")
    started = time.perf_counter()
    chunks = chunk_report(parse_file(path, ReportMeta(id="big", file="big.txt", title="大报告", year=2024)))
    assert time.perf_counter() - started < 60
    assert len(chunks) > 10_000


# ---------------------------------------------------------------- the API over the mixed corpus


@pytest.fixture(scope="module")
def mixed_app(mixed_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    index = tmp_path_factory.mktemp("mixed-index") / "index"
    result = build_index(mixed_corpus, index, FakeEmbedder())
    assert {f.file for f in result.skipped} == {"broken.docx", "scan.pdf"}
    assert any(note.startswith("skipped broken.docx") for note in result.warnings)
    settings = AppSettings(index_root=index, corpus_dir=mixed_corpus, load_embedder=FakeEmbedder,
                           reload_interval_s=0.1, admin_token="a-long-enough-admin-token")
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + WAIT_S
        while client.get("/api/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        yield client


def test_the_build_publishes_the_readable_reports(mixed_app: TestClient) -> None:
    files = {d["id"] for d in mixed_app.get("/api/documents").json()}
    assert {"海洋", "公报", "zj", "r2023", "r2024"} <= files


def test_api_documents_lists_the_skipped_files_with_reasons(mixed_app: TestClient) -> None:
    skipped = {s["file"]: s["reason"] for s in mixed_app.get("/api/documents/skipped").json()}
    assert set(skipped) == {"broken.docx", "scan.pdf"} and "no text layer" in skipped["scan.pdf"]


def test_the_rebuild_job_reports_the_skipped_files(mixed_app: TestClient) -> None:
    auth = {"Authorization": "Bearer a-long-enough-admin-token"}
    job = mixed_app.post("/api/index/rebuild", headers=auth).json()
    deadline = time.monotonic() + WAIT_S
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        job = mixed_app.get(f"/api/index/rebuild/{job['job_id']}", headers=auth).json()
    assert job["state"] == "succeeded", job
    assert {s["file"] for s in job["skipped"]} == {"broken.docx", "scan.pdf"}


def test_the_original_pdf_is_served(mixed_app: TestClient, mixed_corpus: Path) -> None:
    response = mixed_app.get("/api/documents/海洋/file")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == (mixed_corpus / "海洋.pdf").read_bytes()


def test_an_original_web_page_is_served_sandboxed(mixed_app: TestClient) -> None:
    response = mixed_app.get("/api/documents/zj/file")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("sandbox")


def test_the_original_docx_is_served_with_its_type(mixed_app: TestClient) -> None:
    response = mixed_app.get("/api/documents/公报/file")
    assert response.headers["content-type"].endswith("wordprocessingml.document")


def test_a_file_of_an_unknown_document_is_a_404(mixed_app: TestClient) -> None:
    assert mixed_app.get("/api/documents/nope/file").status_code == 404
    assert mixed_app.get("/api/documents/..%2F..%2Fetc%2Fpasswd/file").status_code in (400, 404)


def test_search_results_carry_the_pdf_page(mixed_app: TestClient) -> None:
    body = mixed_app.get("/api/search", params={"q": "海洋领域高层次人才", "doc": "海洋"}).json()
    pages = {p["page"] for p in body["results"] if "高层次人才326名" in p["text"]}
    assert pages == {2}
