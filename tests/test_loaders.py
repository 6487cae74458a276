"""Tests for `reportqa.ingest.loaders`: every supported format, every encoding, every way a file can be bad.

Files are generated in tmp_path by the tools that make real reports (reportlab,
python-docx, an HTML page), with Chinese text taken from the corpus.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportqa.errors import EmptyDocumentError, ReportQAError, UnsupportedFileError
from reportqa.ingest.loaders import SUPPORTED_SUFFIXES, decode_bytes, load_bytes, load_text, reflow_pdf_page
from tests.fixtures_docs import make_docx, make_html, make_pdf, make_scanned_pdf

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

HEADING = "综述"
SUBHEADING = "一、总体情况"
CONTRACTS = "全市技术合同成交额5200.73亿元，同比增长7.2%。"
OPENING = (
    "2024年，在市委、市政府的坚强领导下，上海科技创新工作聚焦“强化科技创新策源功能”主线，"
    "强化战略布局，持续深化改革，一以贯之抓落实，推动上海国际科技创新中心建设从“打基础”"
    "“建框架”向“强功能”加速跨越。"
)
RESEARCH = (
    "一是着眼“策源”，强化基础研究组织化实施。基础研究先行区启动建设，成立尚思自然科学研究院，"
    "建立战略科学家主导的选人选题机制，完成首批尚思系列学者的遴选。"
)
PARAGRAPHS = [OPENING, CONTRACTS, RESEARCH]


def assert_one_line_naming(error: pytest.ExceptionInfo[ReportQAError], path: Path) -> None:
    """The front ends print the message as is: one line, the file's name, no absolute path."""
    message = str(error.value)
    assert "\n" not in message
    assert path.name in message
    assert str(path.parent) not in message


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdf_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One generated PDF, loaded once: building it is the slowest step of this file."""
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    return load_text(make_pdf(path, HEADING, PARAGRAPHS))


def test_pdf_text_contains_the_chinese_heading_as_its_own_block(pdf_text: str) -> None:
    assert f"# {HEADING}" in pdf_text.split("\n\n")  # set larger than the body: a heading


def test_pdf_text_contains_the_chinese_paragraph(pdf_text: str) -> None:
    assert CONTRACTS in pdf_text


def test_pdf_lines_wrapped_by_the_layout_are_rejoined_without_spaces(pdf_text: str) -> None:
    assert OPENING in pdf_text.split("\n\n")


def test_pdf_footer_page_number_is_dropped(pdf_text: str) -> None:
    assert "1" not in pdf_text.splitlines()


def test_pdf_without_text_layer_raises_empty_document(tmp_path: Path) -> None:
    path = make_scanned_pdf(tmp_path / "scan.pdf")
    with pytest.raises(EmptyDocumentError, match="no text layer") as error:
        load_text(path)
    assert_one_line_naming(error, path)


def test_corrupt_pdf_raises_unsupported_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "broken.pdf", b"%PDF-1.7\n" + random.Random(1).randbytes(2048))
    with pytest.raises(UnsupportedFileError, match="could not read") as error:
        load_text(path)
    assert_one_line_naming(error, path)


# ---------------------------------------------------------------- PDF reflow rules


def test_reflow_joins_cjk_lines_without_a_space() -> None:
    raw = "上海科技创新工作聚焦强化科技创新策源功能主线强化战略布局\n持续深化改革。"
    assert reflow_pdf_page(raw) == "上海科技创新工作聚焦强化科技创新策源功能主线强化战略布局持续深化改革。"


def test_reflow_joins_latin_lines_with_a_space() -> None:
    raw = "Shanghai ranked fifth among the global science and technology\nclusters in 2024."
    assert (
        reflow_pdf_page(raw)
        == "Shanghai ranked fifth among the global science and technology clusters in 2024."
    )


def test_reflow_starts_a_paragraph_after_a_sentence_end() -> None:
    raw = "有效期内高新技术企业达到2.5万家。\n科技综合水平进一步增强。"
    assert reflow_pdf_page(raw) == "有效期内高新技术企业达到2.5万家。\n\n科技综合水平进一步增强。"


def test_reflow_keeps_a_short_heading_line_apart_from_the_paragraphs() -> None:
    raw = (
        "强化市区协同联动，聚焦主导特色产业优势，合力布局高能级创新平台推动创新成果\n"
        "全域创新空间格局进一步优化\n"
        "打造上海自主创新新高地，探索众筹科研新模式，降低单一企业研发风险并加快推进\n"
        "大企业开放创新中心计划。"
    )
    assert reflow_pdf_page(raw).split("\n\n") == [
        "强化市区协同联动，聚焦主导特色产业优势，合力布局高能级创新平台推动创新成果",
        "全域创新空间格局进一步优化",
        "打造上海自主创新新高地，探索众筹科研新模式，降低单一企业研发风险并加快推进大企业开放创新中心计划。",
    ]


def test_reflow_starts_a_paragraph_at_a_numbered_line() -> None:
    raw = "推进在沪全国重点实验室重组，实现14个领域全覆盖并保持数量全国\n（二）加快谋划培育未来产业"
    assert reflow_pdf_page(raw).split("\n\n") == [
        "推进在沪全国重点实验室重组，实现14个领域全覆盖并保持数量全国",
        "（二）加快谋划培育未来产业",
    ]


def test_reflow_drops_page_number_lines_at_top_and_bottom() -> None:
    assert reflow_pdf_page("- 12 -\n全市技术合同成交额持续增长。\n第 13 页") == "全市技术合同成交额持续增长。"


# ---------------------------------------------------------------- DOCX


def test_docx_heading_styles_become_markdown_headings(tmp_path: Path) -> None:
    text = load_text(make_docx(tmp_path / "report.docx", HEADING, SUBHEADING, PARAGRAPHS))
    assert text.split("\n\n") == [f"# {HEADING}", f"## {SUBHEADING}", *PARAGRAPHS]


def test_docx_table_rows_name_their_column_headers(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("主要指标")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("指标", "数值"), ("技术合同成交额", "5200.73亿元")], strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    path = tmp_path / "table.docx"
    document.save(str(path))
    assert load_text(path) == "主要指标\n\n指标: 技术合同成交额 · 数值: 5200.73亿元"


def test_corrupt_docx_raises_unsupported_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "broken.docx", random.Random(2).randbytes(2048))
    with pytest.raises(UnsupportedFileError, match="could not read") as error:
        load_text(path)
    assert_one_line_naming(error, path)


# ---------------------------------------------------------------- HTML


@pytest.fixture
def html_text(tmp_path: Path) -> str:
    return load_text(make_html(tmp_path / "report.html", HEADING, SUBHEADING, PARAGRAPHS))


def test_html_headings_and_paragraphs_become_blocks(html_text: str) -> None:
    assert html_text.split("\n\n") == [f"# {HEADING}", f"## {SUBHEADING}", *PARAGRAPHS]


def test_html_drops_script_style_and_navigation(html_text: str) -> None:
    for junk in ("should-not-appear", "font-family", "首页"):
        assert junk not in html_text


def test_html_title_is_used_only_when_there_is_no_h1(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text("<html><head><title>上海科技进步报告</title></head><body><p>正文</p></body></html>")
    assert load_text(path) == "# 上海科技进步报告\n\n正文"


def test_html_decodes_entities_and_joins_table_cells(tmp_path: Path) -> None:
    page = "<table><tr><th>R&amp;D投入</th><td>4.4%&nbsp;左右</td></tr></table><div>A &lt; B</div>"
    path = write_bytes(tmp_path, "table.html", page.encode("utf-8"))
    assert load_text(path) == "R&D投入 | 4.4% 左右\n\nA < B"


def test_html_meta_charset_gbk_is_honoured(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'
        f"<body><p>{CONTRACTS}</p></body></html>"
    )
    path = write_bytes(tmp_path, "gbk.html", page.encode("gbk"))
    assert load_text(path) == CONTRACTS


def test_html_drops_page_header_and_footer_but_keeps_the_article_header(tmp_path: Path) -> None:
    page = (
        "<body><header>网站导航栏</header><article><header><h1>上海科技进步报告</h1></header>"
        f"<p>{CONTRACTS}</p></article><footer>版权所有</footer></body>"
    )
    path = write_bytes(tmp_path, "page.html", page.encode("utf-8"))
    assert load_text(path) == f"# 上海科技进步报告\n\n{CONTRACTS}"


# ---------------------------------------------------------------- text encodings


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gb_encoded_text_is_decoded(tmp_path: Path, encoding: str) -> None:
    path = write_bytes(tmp_path, "gb.txt", CONTRACTS.encode(encoding))
    assert load_text(path) == CONTRACTS


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "bom.md", CONTRACTS.encode("utf-8-sig"))
    assert load_text(path) == CONTRACTS


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path: Path, encoding: str) -> None:
    data = CONTRACTS.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = write_bytes(tmp_path, "wide.txt", data)
    assert load_text(path) == CONTRACTS


def test_crlf_and_cr_newlines_become_lf() -> None:
    assert decode_bytes("综述\r\n\r\n正文\r结束".encode(), "x.txt") == "综述\n\n正文\n结束"


def test_suffix_is_matched_case_insensitively(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "REPORT.TXT", CONTRACTS.encode("utf-8"))
    assert load_text(path) == CONTRACTS


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*") if p.suffix in {".md", ".txt"}))
def test_corpus_text_files_load_unchanged(name: str) -> None:
    raw = (CORPUS / name).read_bytes().decode("utf-8-sig")
    assert load_text(CORPUS / name) == raw.replace("\r\n", "\n").replace("\r", "\n")


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs"), whitelist_characters="\n"),
        max_size=200,
    ).filter(lambda s: not s.startswith("\ufeff"))
)
def test_decode_bytes_round_trips_utf8_text(text: str) -> None:
    assert decode_bytes(text.encode("utf-8"), "x.txt") == text


# ---------------------------------------------------------------- bad input


def test_empty_file_raises_empty_document(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "empty.md", b"")
    with pytest.raises(EmptyDocumentError) as error:
        load_text(path)
    assert_one_line_naming(error, path)


def test_whitespace_only_file_raises_empty_document(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "blank.txt", " \n\t\r\n　\n".encode())
    with pytest.raises(EmptyDocumentError) as error:
        load_text(path)
    assert_one_line_naming(error, path)


def test_binary_file_with_txt_suffix_raises_unsupported_file(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(3).randbytes(1024)
    path = write_bytes(tmp_path, "image.txt", png)
    with pytest.raises(UnsupportedFileError, match="binary") as error:
        load_text(path)
    assert_one_line_naming(error, path)


def test_control_character_junk_without_nul_raises_unsupported_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "junk.md", bytes(range(1, 32)) * 20)
    with pytest.raises(UnsupportedFileError, match="binary") as error:
        load_text(path)
    assert_one_line_naming(error, path)


def test_unsupported_suffix_lists_supported_ones(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "data.xlsx", b"PK\x03\x04")
    with pytest.raises(UnsupportedFileError) as error:
        load_text(path)
    assert_one_line_naming(error, path)
    assert all(suffix in str(error.value) for suffix in SUPPORTED_SUFFIXES)


def test_missing_path_raises_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "absent.md"
    with pytest.raises(ReportQAError, match=r"file not found: absent\.md") as error:
        load_text(path)
    assert_one_line_naming(error, path)


def test_directory_raises_report_error(tmp_path: Path) -> None:
    path = tmp_path / "reports.md"
    path.mkdir()
    with pytest.raises(ReportQAError, match="folder") as error:
        load_text(path)
    assert_one_line_naming(error, path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_raises_report_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "locked.txt", CONTRACTS.encode())
    path.chmod(0)
    with pytest.raises(ReportQAError, match="cannot read") as error:
        load_text(path)
    assert_one_line_naming(error, path)


def test_load_bytes_reads_an_upload_by_its_name(tmp_path: Path) -> None:
    data = make_docx(tmp_path / "report.docx", HEADING, SUBHEADING, [CONTRACTS]).read_bytes()
    assert CONTRACTS in load_bytes(data, "upload.docx")


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=400), suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)))
def test_arbitrary_bytes_give_text_or_a_one_line_report_error(data: bytes, suffix: str) -> None:
    try:
        text = load_bytes(data, "upload" + suffix)
    except ReportQAError as error:
        assert "\n" not in str(error)
    else:
        assert text.strip()
