"""One verified answer per asked year, in the order asked; parts nothing answers are listed as missing."""

from __future__ import annotations

from reportqa.evaluation import Question, score
from tests.unit.conftest import ServiceFactory


def test_a_two_year_question_gets_one_answer_per_year_from_that_years_report(make_service: ServiceFactory) -> None:
    response = make_service().search("2023年和2024年全市技术合同成交额分别是多少？")
    assert [a.part for a in response.answers] == ["2023年", "2024年"]
    assert "4850.21亿元" in response.answers[0].text and response.answers[0].year == 2023
    assert "5200.73亿元" in response.answers[1].text and response.answers[1].year == 2024
    assert response.answer == response.answers[0] and not response.missing_parts


def test_a_part_with_no_verified_sentence_is_a_missing_part_with_its_reason(make_service: ServiceFactory) -> None:
    response = make_service().search("2019年和2024年全市技术合同成交额分别是多少？")
    assert [a.part for a in response.answers] == ["2024年"]
    assert [m.part for m in response.missing_parts] == ["2019年"]
    assert "2019年" in response.missing_parts[0].reason


def test_both_answers_passages_are_marked_in_the_results(make_service: ServiceFactory) -> None:
    response = make_service().search("2023年和2024年全市技术合同成交额分别是多少？")
    spans = {p.chunk_id for p in response.results if p.answer_span is not None}
    assert spans == {a.chunk_id for a in response.answers}


def test_a_single_question_has_one_answer_without_a_part(make_service: ServiceFactory) -> None:
    response = make_service().search("2024年全市技术合同成交额是多少？")
    assert len(response.answers) == 1 and response.answers[0].part is None


def test_the_evaluation_counts_a_multi_part_question_only_when_every_part_is_quoted(
        make_service: ServiceFactory) -> None:
    response = make_service().search("2019年和2024年全市技术合同成交额分别是多少？")
    both = Question("t", "…", "cross_doc", "zh", ("4850.21亿元", "5200.73亿元"), all_required=True)
    one = Question("t", "…", "cross_doc", "zh", ("5200.73亿元",), all_required=True)
    assert score(both, response).answer_ok is False
    assert score(one, response).answer_ok is True
