"""The page's indicator timelines (issue 15): a chart and a table, each point opening its citation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.test_accessibility import DESKTOP, PHONE, axe_context_page, axe_violations

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TREND = "上海科学家在《细胞》《自然》《科学》上发表论文的历年变化"


def ask(page: Page, base_url: str, question: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("#q", question)
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_have_attribute("aria-busy", "false")


def test_a_trend_question_shows_a_chart_and_the_table_beneath(page: Page, live_server: str, shots_dir: Path) -> None:
    ask(page, live_server, TREND)
    card = page.locator("#timeline")
    expect(card).to_be_visible()
    expect(card.locator("svg.timeline-chart .tl-bar")).to_have_count(4)  # 篇 are counts: bars
    rows = card.locator("#timeline-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first.locator("th")).to_have_text("2020年")
    expect(rows.first.locator(".tl-number")).to_have_text("124篇")
    page.screenshot(path=str(shots_dir / "timeline-desktop.png"), full_page=True)


def test_the_chart_has_a_text_alternative_listing_every_point(page: Page, live_server: str) -> None:
    ask(page, live_server, TREND)
    label = page.locator("svg.timeline-chart").get_attribute("aria-label") or ""
    assert all(f"{year}年" in label for year in (2020, 2023, 2024, 2025)) and "124篇" in label


def test_a_point_opens_its_citation_in_the_context_dialog(page: Page, live_server: str, shots_dir: Path) -> None:
    ask(page, live_server, TREND)
    page.locator('svg.timeline-chart .tl-point[data-year="2024"] .tl-hit').click()
    dialog = page.locator("#context")
    expect(dialog).to_be_visible()
    expect(dialog.locator("mark").first).to_contain_text("158篇")
    page.screenshot(path=str(shots_dir / "timeline-citation.png"))


def test_qualifiers_are_marked_on_a_level_line(page: Page, live_server: str, shots_dir: Path) -> None:
    ask(page, live_server, "全社会研发经费支出相当于全市生产总值的比例历年变化")
    card = page.locator("#timeline")
    expect(card.locator("svg.timeline-chart polyline.tl-line")).to_have_count(1)  # a ratio is a level: a line
    expect(card.locator('tr[data-year="2025"] .tl-qualifier')).to_have_text(["预计", "左右"])
    expect(card.locator("svg .tl-point.is-estimate").first).to_be_attached()
    page.screenshot(path=str(shots_dir / "timeline-ratio.png"), full_page=True)


def test_a_single_year_answer_offers_the_other_years(page: Page, live_server: str) -> None:
    ask(page, live_server, "2024年全市技术合同成交额是多少？")
    offer = page.locator("#timeline-offer")
    expect(offer).to_have_text("历年数据")
    expect(page.locator("#timeline")).to_be_hidden()
    offer.click()
    expect(page.locator("#timeline #timeline-table tbody tr")).to_have_count(3)


def test_the_timeline_fits_a_phone(phone_page: Page, live_server: str, shots_dir: Path) -> None:
    ask(phone_page, live_server, TREND)
    expect(phone_page.locator("#timeline svg.timeline-chart")).to_be_visible()
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    phone_page.screenshot(path=str(shots_dir / "timeline-phone.png"), full_page=True)


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    """A desktop page that axe-core can be injected into (the CSP is bypassed for the test only)."""
    yield from axe_context_page(browser, DESKTOP)


@pytest.fixture
def axe_phone(browser: Browser) -> Iterator[Page]:
    yield from axe_context_page(browser, PHONE)


@pytest.mark.parametrize("question", [TREND, "全社会研发经费支出相当于全市生产总值的比例历年变化"])
def test_the_timeline_has_no_wcag_violations(axe_page: Page, live_server: str, question: str) -> None:
    ask(axe_page, live_server, question)
    expect(axe_page.locator("#timeline")).to_be_visible()
    assert axe_violations(axe_page) == []


def test_the_timeline_at_phone_width_has_no_wcag_violations(axe_phone: Page, live_server: str) -> None:
    ask(axe_phone, live_server, TREND)
    expect(axe_phone.locator("#timeline")).to_be_visible()
    assert axe_violations(axe_phone) == []
