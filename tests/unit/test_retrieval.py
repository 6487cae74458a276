"""Specification of hybrid retrieval (reportqa.rank.retrieval) over the tiny index.

`weights_for` picks the (dense, lexical) fusion weights by the kind of query, reading them from
`FusionSettings`. `Retriever.retrieve` hands a report or year filter to the stores themselves,
fuses both legs' rankings by weighted reciprocal rank, applies the year prior, breaks ties by
corpus position, and leaves each candidate's ranks in each leg on it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from reportqa.index.base import NO_FILTER, Filter, Hits, SearchIndex
from reportqa.models import Chunk
from reportqa.query.analyze import analyze
from reportqa.rank.retrieval import Retriever, weights_for
from reportqa.settings import FusionSettings
from tests.unit.conftest import QUESTION_2023, QUESTION_2024, RetrieveFn, chunk_with, vector_of

#: Distinct numbers, so a test can tell which pair of weights was read.
CUSTOM = FusionSettings(dense=0.9, lexical=0.2, keyword_dense=0.4, keyword_lexical=1.7,
                        english_dense=1.3, english_lexical=0.05)


# --- weights_for ------------------------------------------------------------------------------------

def test_a_chinese_question_gets_the_plain_weights() -> None:
    assert weights_for(analyze("松江区全年新增发明专利授权多少件？"), CUSTOM) == (0.9, 0.2)


def test_a_short_keyword_query_leans_lexical() -> None:
    assert weights_for(analyze("模速空间"), CUSTOM) == (0.4, 1.7)


def test_an_english_question_leans_dense() -> None:
    assert weights_for(analyze("How many unicorn enterprises does Shanghai have?"), CUSTOM) == (1.3, 0.05)


def test_the_default_weights_come_from_fusion_settings() -> None:
    defaults = FusionSettings()
    assert weights_for(analyze(QUESTION_2024), defaults) == (defaults.dense, defaults.lexical)
    assert weights_for(analyze("模速空间"), defaults) == (defaults.keyword_dense, defaults.keyword_lexical)


# --- filters are pushed down into the stores ----------------------------------------------------------

class Recording:
    """Wraps a store and records the `where` of every search it is asked."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.filters: list[Filter] = []

    def search(self, query: Any, k: int, *, where: Filter = NO_FILTER) -> Hits:
        self.filters.append(where)
        return self.store.search(query, k, where=where)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_the_filter_is_handed_to_both_stores(tiny_index: SearchIndex) -> None:
    vectors, lexical = Recording(tiny_index.vectors), Recording(tiny_index.lexical)
    index = dataclasses.replace(tiny_index, vectors=vectors, lexical=lexical)
    where = Filter(doc="r2023", year=2023)
    Retriever(index).retrieve(analyze(QUESTION_2023), vector_of(QUESTION_2023), where=where)
    assert vectors.filters == [where] and lexical.filters == [where]


def test_a_report_filter_admits_only_that_reports_passages(retrieve: RetrieveFn) -> None:
    cands = retrieve(QUESTION_2024, where=Filter(doc="r2023")).candidates
    assert cands and {c.chunk.doc_id for c in cands} == {"r2023"}


def test_a_year_filter_admits_only_that_years_passages(retrieve: RetrieveFn) -> None:
    cands = retrieve(QUESTION_2023, where=Filter(year=2024)).candidates
    assert cands and {c.chunk.year for c in cands} == {2024}
    assert {c.chunk.doc_id for c in cands} == {"r2024", "reply2024"}


def test_a_filter_admitting_few_passages_loses_none_of_them(retrieve: RetrieveFn, all_chunks: list[Chunk]) -> None:
    # The reply has two chunks out of sixteen; a shallow search must still find both.
    shallow = FusionSettings(depth=1, exhaustive_below=0)
    cands = retrieve(QUESTION_2023, where=Filter(doc="reply2024"), k=2, fusion=shallow).candidates
    assert sorted(c.chunk.id for c in cands) == sorted(c.id for c in all_chunks if c.doc_id == "reply2024")


def test_a_filter_admitting_nothing_gives_no_candidates(retrieve: RetrieveFn) -> None:
    assert retrieve(QUESTION_2024, where=Filter(doc="r2023", year=2024)).candidates == []


# --- fusion and the year prior ------------------------------------------------------------------------

def test_the_year_prior_puts_the_passage_about_the_asked_year_first(retrieve: RetrieveFn) -> None:
    assert "4850.21亿元" in retrieve(QUESTION_2023).candidates[0].chunk.text
    assert "5200.73亿元" in retrieve(QUESTION_2024).candidates[0].chunk.text


def test_without_the_year_prior_the_other_years_passage_would_lead(retrieve: RetrieveFn) -> None:
    # The 2024 passage is the dense leg's first for the 2023 question: only the prior reorders them.
    top = retrieve(QUESTION_2023, fusion=FusionSettings(year_boost=0.0)).candidates[0]
    assert "5200.73亿元" in top.chunk.text and top.dense_rank == 0


def test_year_affinity_is_full_for_a_passage_naming_the_year(retrieve: RetrieveFn) -> None:
    cand = next(c for c in retrieve(QUESTION_2023).candidates if "4850.21亿元" in c.chunk.text)
    assert cand.year_affinity == FusionSettings().year_in_text


def test_year_affinity_is_partial_for_a_passage_whose_report_covers_the_year(retrieve: RetrieveFn) -> None:
    cands = retrieve(QUESTION_2023).candidates
    undated_2023 = next(c for c in cands if c.chunk.doc_id == "r2023" and not c.chunk.years)
    # The 2024 reply is about 2023 (content_years), so its passages count for 2023 too.
    reply = next(c for c in cands if c.chunk.doc_id == "reply2024")
    assert undated_2023.year_affinity == reply.year_affinity == FusionSettings().year_in_report


def test_a_report_about_an_earlier_year_does_not_count_for_its_publication_year(retrieve: RetrieveFn) -> None:
    """The 2024 reply reports 2023's progress: an undated passage of it is not about 2024."""
    cands = retrieve(QUESTION_2024).candidates
    reply = [c for c in cands if c.chunk.doc_id == "reply2024" and 2024 not in c.chunk.years]
    assert reply and all(c.year_affinity == 0.0 for c in reply)


def test_year_affinity_is_zero_for_a_passage_of_another_year(retrieve: RetrieveFn) -> None:
    cand = next(c for c in retrieve(QUESTION_2023).candidates if "5200.73亿元" in c.chunk.text)
    assert cand.year_affinity == 0.0


def test_the_year_prior_multiplies_the_fused_score(retrieve: RetrieveFn) -> None:
    fusion = FusionSettings()
    with_prior = {c.key: c for c in retrieve(QUESTION_2023).candidates}
    without = {c.key: c.score for c in retrieve(QUESTION_2023, fusion=FusionSettings(year_boost=0.0)).candidates}
    for key, cand in with_prior.items():
        assert cand.score == pytest.approx(without[key] * (1 + fusion.year_boost * cand.year_affinity))


def test_without_its_document_record_a_passage_is_dated_by_its_reports_year(tiny_index: SearchIndex) -> None:
    bare = dataclasses.replace(tiny_index, documents={})
    cands = Retriever(bare).retrieve(analyze(QUESTION_2023), vector_of(QUESTION_2023)).candidates
    undated_2023 = next(c for c in cands if c.chunk.doc_id == "r2023" and not c.chunk.years)
    reply = next(c for c in cands if c.chunk.doc_id == "reply2024")  # its content year 2023 is unknown now
    assert undated_2023.year_affinity == FusionSettings().year_in_report and reply.year_affinity == 0.0


def test_a_question_without_a_year_gets_no_year_prior(retrieve: RetrieveFn) -> None:
    assert all(c.year_affinity == 0.0 for c in retrieve("全市技术合同成交额").candidates)


def test_the_fused_score_is_the_sum_of_both_legs_weighted_reciprocal_ranks(retrieve: RetrieveFn) -> None:
    fusion = FusionSettings()
    query = analyze("市级财政支出")
    dense_w, lexical_w = weights_for(query, fusion)
    for c in retrieve("市级财政支出").candidates:
        expected = 0.0
        if c.dense_rank is not None:
            expected += dense_w / (fusion.rrf_k + c.dense_rank + 1)
        if c.lexical_rank is not None:
            expected += lexical_w / (fusion.rrf_k + c.lexical_rank + 1)
        assert c.score == pytest.approx(expected)


def test_candidates_carry_their_rank_and_score_in_each_leg(retrieve: RetrieveFn) -> None:
    top = retrieve("市级财政支出").candidates[0]
    assert "市级财政支出265.3亿元" in top.chunk.text
    assert top.dense_rank == 0 and top.lexical_rank == 0
    assert top.dense_score > 0 and top.lexical_score > 0


def test_a_passage_without_any_question_word_has_no_lexical_rank(retrieve: RetrieveFn) -> None:
    cand = next(c for c in retrieve("市级财政支出").candidates if "模速空间" in c.chunk.text)
    assert cand.lexical_rank is None and cand.lexical_score == 0.0 and cand.dense_rank is not None


def test_candidates_are_best_first(retrieve: RetrieveFn) -> None:
    scores = [c.score for c in retrieve(QUESTION_2024).candidates]
    assert scores == sorted(scores, reverse=True)


def test_every_chunk_is_a_candidate_of_a_small_index(retrieve: RetrieveFn, all_chunks: list[Chunk]) -> None:
    # Below fusion.exhaustive_below the dense leg scores every chunk.
    assert len(retrieve("模速空间").candidates) == len(all_chunks)


def test_the_dense_leg_adds_the_best_sentences_similarity(tiny_index: SearchIndex, retrieve: RetrieveFn) -> None:
    question = "模速空间"
    plain = {c.key: c.dense_score for c in retrieve(question, fusion=FusionSettings(sentence_weight=0.0)).candidates}
    mixed = retrieve(question, fusion=FusionSettings(sentence_weight=0.5)).candidates
    keys = np.array([c.key for c in mixed], dtype=np.int64)
    best = tiny_index.sentences.best_similarity(keys, vector_of(question))
    for cand, sentence in zip(mixed, best.tolist(), strict=True):
        assert cand.dense_score == pytest.approx(plain[cand.key] + 0.5 * sentence, abs=1e-5)


def test_above_exhaustive_below_the_dense_leg_reads_the_vector_stores_top(retrieve: RetrieveFn) -> None:
    # depth 3 × overfetch 2: six chunks scored densely, three kept.
    cands = retrieve("模速空间", k=3, fusion=FusionSettings(depth=3, exhaustive_below=0)).candidates
    assert sorted(c.dense_rank for c in cands if c.dense_rank is not None) == [0, 1, 2]


# --- the legs override, ties ---------------------------------------------------------------------------

def test_legs_one_zero_ranks_by_the_dense_leg_alone(retrieve: RetrieveFn) -> None:
    cands = retrieve("模速空间", legs=(1.0, 0.0)).candidates
    assert [c.dense_rank for c in cands] == list(range(len(cands)))
    rrf_k = FusionSettings().rrf_k
    assert [c.score for c in cands] == pytest.approx([1 / (rrf_k + r + 1) for r in range(len(cands))])


def test_legs_zero_one_ranks_by_the_lexical_leg_alone(retrieve: RetrieveFn) -> None:
    cands = retrieve("市级财政支出", legs=(0.0, 1.0)).candidates
    lexical = [c for c in cands if c.lexical_rank is not None]
    assert [c.lexical_rank for c in lexical] == list(range(len(lexical)))
    assert cands[: len(lexical)] == lexical
    assert all(c.score == 0.0 for c in cands[len(lexical):])


def test_equal_scores_are_ordered_by_corpus_position(retrieve: RetrieveFn, all_chunks: list[Chunk]) -> None:
    cands = retrieve("模速空间", legs=(0.0, 0.0)).candidates
    assert [c.chunk.id for c in cands] == [c.id for c in all_chunks]
    assert [c.position for c in cands] == list(range(len(all_chunks)))


def test_the_retrieval_reports_each_stages_time(retrieve: RetrieveFn) -> None:
    timings = retrieve(QUESTION_2024).timings_ms
    assert set(timings) == {"dense_ms", "lexical_ms", "fusion_ms"} and all(v >= 0 for v in timings.values())


def test_a_passage_is_found_by_its_district_section_title(retrieve: RetrieveFn, all_chunks: list[Chunk]) -> None:
    # "闵行区" is only in the section path; the lexical leg indexes section titles with the text.
    minhang = chunk_with(all_chunks, "大零号湾")
    assert "闵行区" not in minhang.text
    cands = retrieve("闵行区", legs=(0.0, 1.0)).candidates
    assert cands[0].chunk.id == minhang.id and cands[0].lexical_rank == 0
