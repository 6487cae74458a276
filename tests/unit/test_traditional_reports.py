"""A report written in Traditional Chinese is found by Simplified questions and quoted as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.index.build import build_index
from reportqa.service import QAService
from tests.fakes import FakeEmbedder

REPORT = """# 半導體產業發展報告2024

## 一、產業規模

2024年，積體電路產業規模達到3200億元，同比增長8.5%。

## 二、人才培養

全年培養積體電路專業人才1.2萬人。
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    root = tmp_path_factory.mktemp("traditional")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "semiconductor.md").write_text(REPORT, encoding="utf-8")
    (corpus / "reports.toml").write_text(
        '[[report]]\nid = "semi"\nfile = "semiconductor.md"\ntitle = "半導體產業發展報告2024"\nyear = 2024\n',
        encoding="utf-8")
    build_index(corpus, root / "index", FakeEmbedder())
    return QAService(Path(root / "index"), FakeEmbedder())


def test_a_simplified_question_finds_the_traditional_sentence_and_quotes_it_verbatim(service: QAService) -> None:
    response = service.search("2024年集成电路产业规模是多少亿元？")
    assert response.answer is not None
    assert response.answer.text == "2024年，積體電路產業規模達到3200億元，同比增長8.5%。"


def test_a_traditional_question_with_taiwan_phrasing_finds_it_too(service: QAService) -> None:
    response = service.search("2024年積體電路產業規模是多少億元？")
    assert response.answer is not None and "3200億元" in response.answer.text
