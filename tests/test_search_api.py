"""Questions through the real HTTP server with the real model and index.

Each test asks what a user would ask and checks the answer the reports give.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow


def ask(base_url: str, q: str, **params: object) -> dict:
    response = httpx.get(f"{base_url}/api/search", params={"q": q, **params}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_answers_a_chinese_number_question_with_its_citation(live_server):
    body = ask(live_server, "2024年全市技术合同成交额是多少？")
    assert not body["no_answer"]
    answer = body["answer"]
    assert "5200.73亿元" in answer["text"]
    assert answer["year"] == 2024
    assert answer["title"].startswith("上海科技进步报告2024")
    assert answer["section_path"] == ["综述"]


def test_answer_span_points_at_the_exact_sentence(live_server):
    body = ask(live_server, "2024年全市技术合同成交额是多少？")
    answer, first = body["answer"], body["results"][0]
    assert first["chunk_id"] == answer["chunk_id"]
    assert first["answer_span"] == [answer["start"], answer["end"]]
    assert first["text"][answer["start"]:answer["end"]] == answer["text"]
    assert answer["text"] == "全市技术合同成交额5200.73亿元，同比增长7.2%。"


def test_answer_source_offsets_point_into_the_report(live_server, corpus_dir):
    answer = ask(live_server, "2024年全市技术合同成交额是多少？")["answer"]
    source = (corpus_dir / "2024-overview.txt").read_text(encoding="utf-8")
    assert source[answer["source_start"]:answer["source_end"]] == answer["text"]


def test_rd_ratio_for_2022_comes_from_the_reply_not_the_2024_overview(live_server):
    body = ask(live_server, "2022年上海全社会研发经费支出占GDP的比例是多少？")
    assert "较2022年的4.2%" in body["results"][0]["text"]
    assert "4.2%" in body["answer"]["text"]


def test_rd_ratio_for_2025_comes_from_the_2025_overview(live_server):
    body = ask(live_server, "2025年上海全社会研发经费支出占GDP的比例是多少？")
    assert body["results"][0]["year"] == 2025
    assert "4.5%左右" in body["answer"]["text"]


def test_technology_contract_turnover_is_given_for_the_year_asked(live_server):
    y2024 = ask(live_server, "2024年全市技术合同成交额是多少？")
    y2025 = ask(live_server, "2025年全市技术合同成交额是多少？")
    assert "5200.73亿元" in y2024["answer"]["text"]
    assert "6496.79亿元" in y2025["answer"]["text"]
    assert y2025["answer"]["year"] == 2025


def test_english_question_is_answered_from_a_chinese_passage(live_server):
    body = ask(live_server, "How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?")
    assert not body["no_answer"]
    assert "新认定30家" in body["answer"]["text"]


def test_traditional_chinese_question_is_answered(live_server):
    body = ask(live_server, "2025年上海瞪羚企業有多少家？")
    assert body["normalized_query"].startswith("2025年上海瞪羚企业")
    assert "瞪羚企业(73家)" in body["answer"]["text"]


def test_keyword_query_finds_the_named_programme(live_server):
    body = ask(live_server, "大零号湾")
    assert all("大零号湾" in r["text"] for r in body["results"][:3])


def test_typo_in_a_term_is_corrected(live_server):
    body = ask(live_server, "上海的独脚兽企业2025年有几家")
    assert "独角兽" in body["normalized_query"]
    assert "独角兽" in body["answer"]["text"]


def test_question_about_a_year_no_report_covers_abstains(live_server):
    body = ask(live_server, "2018年上海全社会研发经费支出占GDP的比例是多少？")
    assert body["no_answer"] is True
    assert body["answer"] is None
    assert body["results"], "the closest passages are still listed as related"
    assert "2018年" in body["no_answer_reason"]


def test_question_about_another_forum_edition_abstains(live_server):
    body = ask(live_server, "第18届浦江创新论坛的境外主宾国是哪个国家？")
    assert body["no_answer"] is True


def test_question_about_another_city_abstains(live_server):
    assert ask(live_server, "北京市2024年的GDP是多少？")["no_answer"] is True


def test_document_filter_restricts_results(live_server):
    body = ask(live_server, "技术合同成交额", doc="2020-overview")
    assert {r["doc_id"] for r in body["results"]} == {"2020-overview"}
    assert "1815.3亿元" in body["answer"]["text"]


def test_year_filter_restricts_results(live_server):
    body = ask(live_server, "技术合同成交额", year=2025)
    assert {r["year"] for r in body["results"]} == {2025}


def test_k_limits_the_number_of_passages(live_server):
    assert len(ask(live_server, "科技创新", k=3)["results"]) == 3


def test_timings_are_reported_per_stage(live_server):
    timings = ask(live_server, "2024年全市技术合同成交额是多少？")["timings_ms"]
    assert {"embed_ms", "dense_ms", "lexical_ms", "answer_ms", "total_ms"} <= set(timings)


def test_documents_lists_the_five_reports(live_server):
    docs = httpx.get(f"{live_server}/api/documents", timeout=30).json()
    assert {d["id"] for d in docs} == {"2024-overview", "2025-overview", "2024-ch8", "2020-overview",
                                       "2024-reply-0671"}
    ch8 = next(d for d in docs if d["id"] == "2024-ch8")
    assert ch8["year"] == 2024 and ch8["publisher"] == "上海市科学技术委员会" and ch8["section_count"] > 20


def test_document_detail_has_the_section_tree_with_text(live_server):
    doc = httpx.get(f"{live_server}/api/documents/2024-ch8", timeout=30).json()
    titles = [s["title"] for s in doc["sections"]]
    assert "8.1 全域创新空间格局进一步优化" in titles and "闵行区" in titles
    minhang = next(s for s in doc["sections"] if s["title"] == "闵行区")
    assert minhang["path"][-2:] == ["8.1 全域创新空间格局进一步优化", "闵行区"]
    assert "大零号湾" in minhang["paragraphs"][0]["text"]


def test_unknown_document_is_404_with_a_message(live_server):
    response = httpx.get(f"{live_server}/api/documents/nope", timeout=30)
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_health_reports_index_version_and_chunk_count(live_server):
    body = httpx.get(f"{live_server}/api/health", timeout=30).json()
    assert body["status"] == "ok" and body["index_version"].startswith("v-") and body["chunk_count"] > 100


def test_openapi_docs_are_served(live_server):
    assert httpx.get(f"{live_server}/docs", timeout=30).status_code == 200
    spec = httpx.get(f"{live_server}/openapi.json", timeout=30).json()
    assert "/api/search" in spec["paths"]
