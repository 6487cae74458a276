"""The page over real-shaped reports (issue 11): a table answer drawn as a table, a PDF citation with its page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tests.fixtures_docs import generated_corpus_index

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def generated_server(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from tests.server_utils import start_server

    corpus, index = generated_corpus_index(tmp_path_factory.mktemp("generated-web"), embedder)
    with start_server(index, corpus_dir=corpus) as server:
        yield server.base_url


def ask(page: Page, base_url: str, question: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("#q", question)
    page.keyboard.press("Enter")


def test_a_table_answer_is_a_small_table_with_the_cell_highlighted(page: Page, generated_server: str,
                                                                  shots_dir: Path) -> None:
    ask(page, generated_server, "2023年技术合同成交额是多少？")
    table = page.locator(".answer-table")
    expect(table).to_be_visible()
    expect(table.locator("td.cell-match")).to_have_text("777.7")
    expect(table.locator("th.cell-match")).to_have_text("2023年")
    page.screenshot(path=str(shots_dir / "table-answer.png"))


def test_a_pdf_citation_shows_its_page_and_links_to_it(page: Page, generated_server: str) -> None:
    ask(page, generated_server, "全市新引进海洋领域高层次人才多少名？")
    cite = page.locator(".answer-cite .citation")
    expect(cite.locator(".citation-page")).to_have_text("第2页")
    cite.click()
    link = page.locator("#context .ctx-file")
    expect(link).to_have_attribute("href", "/api/documents/%E6%B5%B7%E6%B4%8B/file#page=2")
