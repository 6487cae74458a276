"""Answers and passages carry a display form without Markdown `**` markers; `text` stays the verbatim quote."""

from __future__ import annotations

import json

from reportqa.schemas import Answer, Passage, SearchResponse, plain_text
from reportqa.service import QAService

BOLD_QUESTION = "2024年有效期内高新技术企业数量达到多少万家？"


def test_plain_text_drops_every_emphasis_marker() -> None:
    assert plain_text("突破**120亿元**，增长**7.2%**") == "突破120亿元，增长7.2%"


def test_a_passage_with_bold_keeps_its_markers_in_text_and_drops_them_in_plain_text(service: QAService) -> None:
    bold = [p for p in service.search("高新技术企业持续壮大", k=20).results if "**" in p.text]
    assert any("**高新技术企业持续壮大。**" in p.text for p in bold), "the tiny corpus has bold lead-in sentences"
    for passage in bold:
        assert "**" not in passage.plain_text
        assert passage.plain_text == passage.text.replace("**", "")


def test_the_answer_offsets_still_slice_the_verbatim_text(service: QAService) -> None:
    response = service.search(BOLD_QUESTION)
    answer = response.answer
    assert answer is not None and "2.5万家" in answer.plain_text
    first = next(p for p in response.results if p.chunk_id == answer.chunk_id)
    assert first.text[answer.start:answer.end] == answer.text
    assert "**" not in answer.plain_text


def test_the_json_of_a_response_carries_plain_text(service: QAService) -> None:
    body = json.loads(service.search("高新技术企业持续壮大", k=20).model_dump_json())
    assert all(p["plain_text"] == p["text"].replace("**", "") for p in body["results"])
    assert all("**" not in p["plain_text"] for p in body["results"])


def test_the_api_schema_declares_plain_text_as_read_only() -> None:
    schema = SearchResponse.model_json_schema(mode="serialization")["$defs"]
    for model in (Answer, Passage):
        field = schema[model.__name__]["properties"]["plain_text"]
        assert field["type"] == "string" and field["readOnly"] is True
