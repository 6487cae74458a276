"""The command line: inspect any report file, ask, evaluate; bad input gets one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures_docs import make_docx, make_html, make_pdf
from tests.server_utils import run_cli

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PARAGRAPHS = ["全市技术合同成交额5200.73亿元，同比增长7.2%。", "有效期内高新技术企业达到2.5万家。"]


def assert_one_line_error(result) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir() if p.suffix in {".md", ".txt"}))
def test_sections_prints_the_tree_of_each_corpus_report(name):
    result = run_cli("sections", str(CORPUS / name))
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "paragraphs" in result.stdout


def test_sections_shows_chapter_8_subsections_with_counts():
    out = run_cli("sections", str(CORPUS / "2024-ch8-open-innovation-network.txt")).stdout
    assert "[2] 8.1 全域创新空间格局进一步优化" in out
    assert "[3] 长宁区  (1 paragraphs, 1 chunks)" in out


def test_sections_reads_a_generated_pdf(tmp_path):
    pdf = make_pdf(tmp_path / "report.pdf", "科技创新综述", PARAGRAPHS)
    result = run_cli("sections", str(pdf))
    assert result.returncode == 0, result.stderr
    assert "科技创新综述" in result.stdout


def test_sections_reads_a_generated_docx(tmp_path):
    docx = make_docx(tmp_path / "report.docx", "科技创新综述", "一、服务国家战略", PARAGRAPHS)
    out = run_cli("sections", str(docx)).stdout
    assert "[1] 科技创新综述" in out and "[2] 一、服务国家战略" in out


def test_sections_reads_a_generated_html(tmp_path):
    html = make_html(tmp_path / "report.html", "科技创新综述", "一、服务国家战略", PARAGRAPHS)
    out = run_cli("sections", str(html)).stdout
    assert "[1] 科技创新综述" in out and "[2] 一、服务国家战略" in out


def test_chunks_json_prints_chunks_with_spans_and_paths():
    result = run_cli("chunks", str(CORPUS / "2024-overview.txt"), "--json")
    chunks = json.loads(result.stdout)
    target = next(c for c in chunks if "5200.73亿元" in c["text"])
    source = (CORPUS / "2024-overview.txt").read_text(encoding="utf-8")
    assert target["section_path"] == ["综述"]
    assert all(source[p["start"]:p["end"]] in target["text"] for p in target["pieces"])


def test_gb18030_file_is_read(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("# 综述\n\n全市技术合同成交额5200.73亿元。\n".encode("gb18030"))
    result = run_cli("sections", str(path))
    assert result.returncode == 0 and "[1] 综述" in result.stdout


def test_file_without_headings_is_one_front_matter_section(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("全市技术合同成交额5200.73亿元，同比增长7.2%。\n", encoding="utf-8")
    result = run_cli("sections", str(path))
    assert result.returncode == 0
    assert "(front matter)" in result.stdout


def test_empty_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "empty.md"
    path.write_text("", encoding="utf-8")
    assert_one_line_error(run_cli("sections", str(path)))


def test_binary_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert_one_line_error(run_cli("sections", str(path)))


def test_missing_path_is_a_one_line_error(tmp_path):
    result = run_cli("sections", str(tmp_path / "nope.md"))
    assert_one_line_error(result)
    assert "nope.md" in result.stderr


@pytest.mark.slow
def test_ask_prints_answer_and_citation(built_index):
    result = run_cli("ask", "2024年全市技术合同成交额是多少？", "--index", str(built_index))
    assert result.returncode == 0, result.stderr
    assert "5200.73亿元" in result.stdout
    assert "上海科技进步报告2024" in result.stdout


@pytest.mark.slow
def test_ask_json_prints_the_api_response(built_index):
    result = run_cli("ask", "2018年上海全社会研发经费支出占GDP的比例是多少？", "--json", "--index", str(built_index))
    body = json.loads(result.stdout)
    assert body["no_answer"] is True and body["results"]


@pytest.mark.slow
def test_eval_reports_metrics_per_kind(built_index, tmp_path):
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "a", "q": "2024年全市技术合同成交额是多少？", "kind": "number", "answers": ["5200.73亿元"]},
        {"id": "b", "q": "2020年和2024年上海科学家在《细胞》《自然》《科学》上发表的论文分别有多少篇？",
         "kind": "cross_doc", "answers": ["论文124篇", "论文158篇"], "all_required": True},
        {"id": "c", "q": "2018年上海全社会研发经费支出占GDP的比例是多少？", "kind": "unanswerable", "answers": []},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = run_cli("eval", str(questions), "--json", "--index", str(built_index))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["overall"]["hit@5"] == 1.0
    assert report["overall"]["abstain_unanswerable"] == 1.0
    assert report["by_kind"]["number"]["answer_acc"] == 1.0
    assert set(report["by_kind"]) == {"number", "cross_doc", "unanswerable"}


def test_eval_of_a_missing_question_file_is_a_one_line_error(tmp_path):
    assert_one_line_error(run_cli("eval", str(tmp_path / "none.jsonl"), "--index", str(tmp_path)))
