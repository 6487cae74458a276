"""`reportqa eval`: score the system on a question file.

A passage answers when it contains one of the expected strings after NFKC,
whitespace and `*` removal (the reports' Markdown bold is not part of the
answer). For `all_required` questions the top k passages together must hold
every string. Unanswerable questions (no answers) score by abstaining.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportqa.errors import ReportQAError
from reportqa.schemas import SearchResponse
from reportqa.service import QAService
from reportqa.settings import Settings

_STRIP = re.compile(r"[\s*]+")


def norm(text: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Question:
    id: str
    q: str
    kind: str
    lang: str
    answers: tuple[str, ...]
    all_required: bool


@dataclass
class Outcome:
    question: Question
    first_hit: int | None  # 1-based rank at which the question is answered, None if never in top k
    answer_ok: bool
    abstained: bool
    answer_text: str | None
    # The weakest confidence among the answers given ("high", "medium", "low"), None when abstaining.
    confidence: str | None = None


@dataclass
class Report:
    mode: str
    k: int
    outcomes: list[Outcome] = field(default_factory=list)
    # Settings that differ from their defaults (`--set`, REPORTQA_*): which grid point these numbers belong to.
    settings: dict[str, Any] = field(default_factory=dict)

    def metrics(self, outcomes: list[Outcome] | None = None) -> dict[str, float | int | None]:
        outs = self.outcomes if outcomes is None else outcomes
        answerable = [o for o in outs if o.question.answers]
        unanswerable = [o for o in outs if not o.question.answers]

        def rate(items: list[Outcome], pred) -> float | None:  # type: ignore[no-untyped-def]
            return round(sum(1 for o in items if pred(o)) / len(items), 3) if items else None

        return {
            "n": len(outs),
            "hit@1": rate(answerable, lambda o: o.first_hit is not None and o.first_hit <= 1),
            "hit@3": rate(answerable, lambda o: o.first_hit is not None and o.first_hit <= 3),
            "hit@5": rate(answerable, lambda o: o.first_hit is not None and o.first_hit <= 5),
            "mrr@10": round(sum(1 / o.first_hit for o in answerable if o.first_hit and o.first_hit <= 10)
                            / len(answerable), 3) if answerable else None,
            "answer_acc": rate(answerable, lambda o: o.answer_ok),
            "abstain_unanswerable": rate(unanswerable, lambda o: o.abstained),
            "false_abstain": rate(answerable, lambda o: o.abstained),
        }

    def by_kind(self) -> dict[str, dict[str, float | int | None]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes:
            groups[o.question.kind].append(o)
        return {kind: self.metrics(items) for kind, items in sorted(groups.items())}

    def calibration(self) -> dict[str, dict[str, float | int | None]]:
        """Per confidence label: answers given, and the share of them that quote a correct answer.

        An answer to an unanswerable question is a wrong answer; an abstention has no label.
        What the README's calibration table is made of ("high" must be ≥ 95% correct).
        """
        table: dict[str, dict[str, float | int | None]] = {}
        for label in ("high", "medium", "low"):
            given = [o for o in self.outcomes if not o.abstained and o.confidence == label]
            right = sum(1 for o in given if o.question.answers and o.answer_ok)
            table[label] = {"answers": len(given), "correct": right,
                            "share_correct": round(right / len(given), 3) if given else None}
        return table

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "k": self.k, "settings": self.settings, "overall": self.metrics(),
            "by_kind": self.by_kind(), "calibration": self.calibration(),
            "questions": [
                {"id": o.question.id, "kind": o.question.kind, "first_hit": o.first_hit, "answer_ok": o.answer_ok,
                 "abstained": o.abstained, "answer": o.answer_text,
                 "confidence": o.confidence}
                for o in self.outcomes
            ],
        }


def load_questions(path: Path) -> list[Question]:
    """Read a JSONL question file; a malformed line is reported with its number."""
    if not path.is_file():
        raise ReportQAError(f"question file not found: {path.name}")
    out: list[Question] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Question(id=str(d.get("id", n)), q=d["q"], kind=d.get("kind", "other"),
                                lang=d.get("lang", ""), answers=tuple(d.get("answers") or ()),
                                all_required=bool(d.get("all_required", False))))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ReportQAError(f"{path.name} line {n} is not a question object ({exc})") from None
    if not out:
        raise ReportQAError(f"{path.name} holds no questions")
    return out


def first_hit(question: Question, texts: list[str]) -> int | None:
    """The rank (1-based) at which the passages answer the question."""
    wanted = [norm(a) for a in question.answers]
    if question.all_required:
        missing = set(wanted)
        for rank, text in enumerate(texts, 1):
            t = norm(text)
            missing -= {a for a in missing if a in t}
            if not missing:
                return rank
        return None
    for rank, text in enumerate(texts, 1):
        t = norm(text)
        if any(a in t for a in wanted):
            return rank
    return None


def score(question: Question, response: SearchResponse) -> Outcome:
    """Outcome of one response; a question needing every string is answered only when every part is quoted."""
    texts = [r.text for r in response.results]
    quoted = [norm(a.text) for a in (response.answers or ([response.answer] if response.answer else []))]
    wanted = [norm(a) for a in question.answers]
    if question.all_required:
        answer_ok = bool(quoted) and all(any(w in q for q in quoted) for w in wanted)
    else:
        answer_ok = any(w in q for w in wanted for q in quoted)
    answer = " ‖ ".join(a.text for a in response.answers) if response.answers else (
        response.answer.text if response.answer else None)
    levels = [a.confidence for a in response.answers] or ([response.answer.confidence] if response.answer else [])
    confidence = min(levels, key=["low", "medium", "high"].index) if levels else None
    return Outcome(question, first_hit(question, texts) if question.answers else None, answer_ok,
                   response.no_answer, answer, confidence)


def evaluate(service: QAService, questions: list[Question], *, mode: str = "hybrid", k: int = 10,
             settings: Settings | None = None) -> Report:
    """Ask every question; `settings` (those the service was built with) are recorded, not applied here."""
    if mode not in ("hybrid", "dense", "lexical"):
        raise ReportQAError(f"unknown mode '{mode}': use hybrid, dense or lexical")
    report = Report(mode=mode, k=k, settings=settings.changed() if settings is not None else {})
    for q in questions:
        report.outcomes.append(score(q, service.search(q.q, k=k, mode=mode)))
    return report


def format_report(report: Report, *, verbose: bool = False) -> str:
    cols = ["n", "hit@1", "hit@3", "hit@5", "mrr@10", "answer_acc", "abstain_unanswerable", "false_abstain"]
    widths = [max(8, len(c) + 2) for c in cols]
    head = f"{'':<20}" + "".join(f"{c:>{w}}" for c, w in zip(cols, widths, strict=True))

    def row(name: str, m: dict[str, float | int | None]) -> str:
        cells = ("-" if m[c] is None else m[c] for c in cols)
        return f"{name:<20}" + "".join(f"{v:>{w}}" for v, w in zip(cells, widths, strict=True))

    changed = "".join(f" {name}={value}" for name, value in report.settings.items())
    lines = [f"mode={report.mode} k={report.k}{changed}", head, row("overall", report.metrics())]
    lines += [row(kind, m) for kind, m in report.by_kind().items()]
    lines += ["", f"{'confidence':<20}{'answers':>9}{'correct':>9}{'share':>8}"]
    for label, cell in report.calibration().items():
        share = "-" if cell["share_correct"] is None else cell["share_correct"]
        lines.append(f"{label:<20}{cell['answers']!s:>9}{cell['correct']!s:>9}{share!s:>8}")
    if verbose:
        lines.append("")
        for o in report.outcomes:
            mark = "ABSTAIN" if o.abstained else ("ok " if o.answer_ok else "bad")
            lines.append(f"{o.question.id:<6} hit={o.first_hit!s:<5} {mark:<8} {o.confidence or '-':<7} "
                         f"{o.question.q[:40]} → "
                         f"{(o.answer_text or '')[:60]}")
    return "\n".join(lines)
