"""Answers from real-shaped reports with the real model (issue 11): table cells, PDF pages, Traditional questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.service import QAService
from tests.fixtures_docs import PDF_TITLE, generated_corpus_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, embedder) -> QAService:  # type: ignore[no-untyped-def]
    _, index = generated_corpus_index(tmp_path_factory.mktemp("generated"), embedder)
    return QAService(index, embedder)


def test_a_question_about_one_cell_is_answered_by_its_row_and_column(service: QAService) -> None:
    answer = service.search("2023年技术合同成交额是多少？", doc="公报").answer
    assert answer is not None and answer.table is not None
    assert answer.text == "指标: 技术合同成交额（亿元） · 2022年: 650.2 · 2023年: 777.7"
    table = answer.table
    assert table.matched_column is not None and table.columns[table.matched_column] == "2023年"
    assert table.values[table.matched_column] == "777.7"


def test_a_pdf_answer_cites_its_title_headings_and_page(service: QAService) -> None:
    answer = service.search("全市新引进海洋领域高层次人才多少名？").answer
    assert answer is not None
    assert answer.title == PDF_TITLE
    assert answer.section_path == [PDF_TITLE, "二、海洋科技人才"]
    assert answer.page == 2


def test_a_gov_page_answer_is_cited_under_its_article_heading(service: QAService) -> None:
    answer = service.search("杭州全年新认定高新技术企业多少家？", doc="zj").answer
    assert answer is not None and "2376家" in answer.text
    assert answer.section_path[-1] == "一、创新主体持续壮大"


def test_a_taiwan_phrased_question_finds_the_mainland_answer(qa_service: QAService) -> None:
    traditional = qa_service.search("上海積體電路產業規模")
    simplified = qa_service.search("上海集成电路产业规模")
    assert traditional.normalized_query == simplified.normalized_query
    assert traditional.answer is not None and simplified.answer is not None
    assert traditional.answer.chunk_id == simplified.answer.chunk_id
    assert traditional.answer.text == simplified.answer.text


def test_cli_build_ends_with_a_summary_of_skipped_files(tmp_path: Path) -> None:
    import random

    from tests.fakes import write_tiny_corpus
    from tests.fixtures_docs import make_scanned_pdf
    from tests.server_utils import run_cli

    corpus = write_tiny_corpus(tmp_path / "corpus")
    (corpus / "broken.docx").write_bytes(random.Random(3).randbytes(2048))
    make_scanned_pdf(corpus / "scan.pdf")
    done = run_cli("build", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert done.returncode == 0, done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("2 reports indexed, 2 skipped: broken.docx — ")
    assert "scan.pdf — scan.pdf has no text layer" in summary
    strict = run_cli("build", "--strict", "--corpus", str(corpus), "--index", str(tmp_path / "index2"))
    assert strict.returncode != 0 and strict.stderr.strip().splitlines()[-1].startswith("error: ")
