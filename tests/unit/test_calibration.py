"""Specification of the evaluation's calibration table: per confidence label, answers given and how many are right.

An answer to an unanswerable question is a wrong answer; an abstention has no label and is not counted.
"""

from __future__ import annotations

from reportqa.evaluation import Outcome, Question, Report, format_report


def outcome(answers: tuple[str, ...], ok: bool, confidence: str | None) -> Outcome:
    question = Question("q", "2024年全市技术合同成交额是多少？", "number", "zh", answers, False)
    return Outcome(question, 1 if ok else None, ok, confidence is None, "全市技术合同成交额5200.73亿元" if ok else None,
                   confidence)


def test_each_label_counts_its_answers_and_the_correct_ones() -> None:
    report = Report("hybrid", 10, [outcome(("5200.73亿元",), True, "high"), outcome(("5200.73亿元",), False, "high"),
                                   outcome(("5200.73亿元",), True, "medium")])
    table = report.calibration()
    assert table["high"] == {"answers": 2, "correct": 1, "share_correct": 0.5}
    assert table["medium"] == {"answers": 1, "correct": 1, "share_correct": 1.0}
    assert table["low"] == {"answers": 0, "correct": 0, "share_correct": None}


def test_an_answer_to_an_unanswerable_question_is_counted_wrong() -> None:
    report = Report("hybrid", 10, [outcome((), True, "high")])
    assert report.calibration()["high"] == {"answers": 1, "correct": 0, "share_correct": 0.0}


def test_abstentions_are_not_in_the_table() -> None:
    report = Report("hybrid", 10, [outcome(("5200.73亿元",), False, None)])
    assert all(cell["answers"] == 0 for cell in report.calibration().values())


def test_the_printed_report_shows_the_table() -> None:
    text = format_report(Report("hybrid", 10, [outcome(("5200.73亿元",), True, "high")]))
    assert "confidence" in text and any(line.split()[:4] == ["high", "1", "1", "1.0"] for line in text.splitlines())
