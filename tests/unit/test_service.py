"""Specification of `QAService.search` (reportqa.service) over the tiny index with the fake embedder.

A query is checked before anything is searched (empty, too long, control characters, an
unsupported script, nothing searchable, k out of range, an unknown report or year, each with a
one-line message that says what is valid); `--set`-style settings reach the ranking; the
evaluation's one-leg modes rank by one leg alone; and an answer's source offsets point at the
sentence in the report file itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.errors import InvalidQueryError, SettingsError
from reportqa.models import Chunk
from reportqa.schemas import Passage
from reportqa.service import QAService, source_offset
from reportqa.settings import FusionSettings, Settings
from tests.unit.conftest import QUESTION_2024, ServiceFactory

# --- validation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "the query is empty"),
        ("   ", "the query is empty"),
        ("\u200b\u200b", "the query is empty"),
        ("科" * 501, "the query is 501 characters long; the limit is 500"),
        ("上海\x1b[31m科技", "the query contains control characters"),
        ("模速\x00空间", "the query contains control characters"),
        ("？？？", "nothing to search for"),
        ("今日はいい天気ですね", "only Chinese and English questions are supported"),
    ],
    ids=["empty", "blank", "invisible", "too-long", "escape", "nul", "punctuation", "japanese"],
)
def test_a_bad_query_is_refused_with_a_one_line_reason(service: QAService, query: str, message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message) as caught:
        service.search(query)
    assert "\n" not in str(caught.value)


def test_no_query_at_all_is_empty(service: QAService) -> None:
    with pytest.raises(InvalidQueryError, match="the query is empty"):
        service.search(None)


def test_the_length_limit_follows_the_settings(make_service: ServiceFactory) -> None:
    short = make_service("serve.max_query_chars=8")
    assert short.search("模速空间").results
    with pytest.raises(InvalidQueryError, match="the limit is 8"):
        short.search("2024年全市技术合同成交额")


def test_a_newline_in_a_pasted_question_is_accepted(service: QAService) -> None:
    assert service.search("2024年\n全市技术合同成交额是多少？").answer is not None


@pytest.mark.parametrize("k", [0, -1, 51])
def test_k_outside_one_to_max_k_is_refused(service: QAService, k: int) -> None:
    with pytest.raises(InvalidQueryError, match="k must be between 1 and 50"):
        service.search(QUESTION_2024, k=k)


def test_k_limits_the_passages_returned(service: QAService) -> None:
    assert len(service.search(QUESTION_2024, k=3).results) == 3


def test_an_unknown_report_is_refused_listing_the_valid_ids(service: QAService) -> None:
    with pytest.raises(InvalidQueryError) as caught:
        service.search(QUESTION_2024, doc="r2019")
    assert str(caught.value) == "unknown document 'r2019'; valid ids: r2023, r2024, reply2024"


def test_an_unknown_year_is_refused_listing_the_valid_years(service: QAService) -> None:
    with pytest.raises(InvalidQueryError) as caught:
        service.search(QUESTION_2024, year=2019)
    assert str(caught.value) == "no report for year 2019; valid years: 2023, 2024"


def test_a_known_report_and_year_filter_the_passages(service: QAService) -> None:
    results = service.search(QUESTION_2024, doc="r2024", year=2024).results
    assert results and {(p.doc_id, p.year) for p in results} == {("r2024", 2024)}


# --- the answer ----------------------------------------------------------------------------------------

def test_the_answer_is_cited_with_its_report_and_sections(service: QAService) -> None:
    response = service.search(QUESTION_2024)
    answer = response.answer
    assert answer is not None and not response.no_answer and response.no_answer_reason is None
    assert answer.text == "全市技术合同成交额5200.73亿元，同比增长7.2%。"
    assert (answer.doc_id, answer.year, answer.title) == ("r2024", 2024, "上海科技进步报告2024")
    assert answer.section_path == ["上海科技进步报告2024", "一、创新投入"]
    assert answer.confidence == "high"


def test_the_first_passage_carries_the_answer_span(service: QAService) -> None:
    response = service.search(QUESTION_2024)
    first, answer = response.results[0], response.answer
    assert answer is not None and first.chunk_id == answer.chunk_id
    assert first.answer_span == [answer.start, answer.end]
    assert first.text[answer.start:answer.end] == answer.text
    assert all(p.answer_span is None for p in response.results[1:])


def test_an_abstention_has_a_reason_and_no_answer(service: QAService) -> None:
    response = service.search("2019年全市技术合同成交额是多少？")
    assert response.no_answer and response.answer is None
    assert response.no_answer_reason == "报告中没有关于2019年的内容"
    assert response.results, "the passages are still listed"


def test_a_typo_is_corrected_before_searching(service: QAService) -> None:
    response = service.search("独脚兽企业有多少家？")
    assert response.query == "独脚兽企业有多少家？"
    assert response.normalized_query == "独角兽企业有多少家?"
    assert response.answer is not None and "67家" in response.answer.text


def test_an_english_question_is_answered_in_chinese(service: QAService) -> None:
    response = service.search("How much was the technology contract turnover in 2024?")
    assert response.answer is not None and "5200.73亿元" in response.answer.text


def test_the_timings_cover_every_stage(service: QAService) -> None:
    timings = service.search(QUESTION_2024).timings_ms
    assert {"embed_ms", "dense_ms", "lexical_ms", "fusion_ms", "answer_ms", "total_ms"} <= set(timings)


# --- source offsets ------------------------------------------------------------------------------------

def source_text(corpus: Path, doc_id: str) -> str:
    return (corpus / f"{doc_id}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        (QUESTION_2024, "全市技术合同成交额5200.73亿元，同比增长7.2%。"),
        # The second paragraph of a merged chunk: the blank line between them is in the source only.
        ("2024年全年新增科技小巨人企业多少家？", "全年新增科技小巨人企业150家，专精特新中小企业超过1万家。"),
    ],
    ids=["first-paragraph", "merged-paragraph"],
)
def test_source_offsets_slice_the_report_file_to_the_answer(service: QAService, tiny_corpus: Path,
                                                            question: str, sentence: str) -> None:
    answer = service.search(question).answer
    assert answer is not None and answer.text == sentence
    assert source_text(tiny_corpus, answer.doc_id)[answer.source_start:answer.source_end] == sentence


def test_every_passage_offset_slices_its_report_to_its_pieces(service: QAService, tiny_corpus: Path) -> None:
    for passage in service.search("高新技术企业", k=20).results:
        source = source_text(tiny_corpus, passage.doc_id)
        assert source[passage.start:passage.end].replace("\n\n", "\n") == passage.text


def test_every_line_of_every_passage_maps_back_to_its_source(all_chunks: list[Chunk], tiny_corpus: Path) -> None:
    for chunk in all_chunks:
        source = source_text(tiny_corpus, chunk.doc_id)
        start = 0
        for line in chunk.text.split("\n"):
            end = start + len(line)
            assert source[source_offset(chunk, start):source_offset(chunk, end, end=True)] == line
            start = end + 1


# --- settings and modes --------------------------------------------------------------------------------

QUESTION_RATIO = "基础研究经费支出的比重是多少？"


def ranking(results: list[Passage]) -> list[str]:
    return [p.chunk_id for p in results]


def test_a_set_override_changes_the_ranking(service: QAService, make_service: ServiceFactory) -> None:
    default = ranking(service.search(QUESTION_RATIO).results)
    no_lexical = ranking(make_service("fusion.lexical=0").search(QUESTION_RATIO).results)
    assert no_lexical != default


def test_lexical_weight_zero_ranks_a_chinese_question_like_dense_mode(service: QAService,
                                                                      make_service: ServiceFactory) -> None:
    no_lexical = make_service("fusion.lexical=0").search(QUESTION_RATIO).results
    assert ranking(no_lexical) == ranking(service.search(QUESTION_RATIO, mode="dense").results)


def test_an_override_reaches_the_retriever_and_the_extractor(make_service: ServiceFactory) -> None:
    engine = make_service("fusion.rrf_k=30", "answer.top_passages=2").engine
    assert engine.retriever.fusion.rrf_k == 30.0 and engine.extractor.weights.top_passages == 2


def test_a_bad_override_is_refused_naming_the_setting() -> None:
    with pytest.raises(SettingsError, match=r"fusion\.lexcal"):
        Settings().with_overrides(["fusion.lexcal=0"])


def test_dense_mode_scores_each_passage_by_its_dense_rank_alone(service: QAService) -> None:
    rrf_k = FusionSettings().rrf_k
    scores = sorted((p.score for p in service.search(QUESTION_RATIO, mode="dense").results), reverse=True)
    assert scores == pytest.approx([round(1 / (rrf_k + r + 1), 6) for r in range(len(scores))])


def test_lexical_mode_scores_exactly_the_passages_holding_a_question_word(service: QAService) -> None:
    words = set(service.engine.index.tokenize(QUESTION_RATIO))
    for passage in service.search(QUESTION_RATIO, mode="lexical", k=20).results:
        holds = any(w in " ".join([*passage.section_path, passage.text]) for w in words)
        assert (passage.score > 0) == holds, passage.text


def test_the_documents_are_listed(service: QAService) -> None:
    assert {(d.id, d.year, d.kind) for d in service.documents()} == {
        ("r2023", 2023, "annual report"), ("r2024", 2024, "annual report"), ("reply2024", 2024, "reply")}
