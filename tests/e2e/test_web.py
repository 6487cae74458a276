"""End-to-end tests of the web page (web/) in a real headless Chromium against a live server.

The page's hooks these tests rely on: #q (search box), #filter-year, #answer (answer card, the
answer sentence in a <mark>), .citation (opens the passage in context), #no-answer, #results
(li.passage items), #query-echo, #error / #error-detail, #context (the context dialog) and
#context-body (the report text: .is-passage paragraphs, <mark> for the answer sentence).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import Dialog, Page, Response, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TECH_CONTRACT_Q = "2024年全市技术合同成交额是多少？"
FOREIGN_RD_Q = "How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?"
UNANSWERABLE_Q = "2018年上海全社会研发经费支出占GDP的比例是多少？"
XSS_Q = "<img src=x onerror=alert(1)>"
PAPERS_BY_YEAR_Q = "2020年和2024年上海科学家在《细胞》《自然》《科学》上发表的论文分别有多少篇？"
STAR_MARKET_BY_YEAR_Q = "2020年、2023年和2025年上海科创板上市企业分别有多少家？"
CONTRACTS_2018_2024_Q = "2018年和2024年全市技术合同成交额分别是多少？"
OUTCOME = "#answer:not([hidden]), #no-answer:not([hidden]), #error:not([hidden])"


def open_home(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    expect(page.locator("#q")).to_be_focused()


def ask(page: Page, question: str) -> None:
    """Types the question into the search box, presses Enter and waits for the outcome."""
    box = page.locator("#q")
    box.fill(question)
    box.press("Enter")
    wait_for_outcome(page, question)


def wait_for_outcome(page: Page, question: str | None = None) -> None:
    page.locator(OUTCOME).first.wait_for(state="visible")
    expect(page.locator("#main")).to_have_attribute("aria-busy", "false")
    if question is not None and page.locator("#error").is_hidden():
        expect(page.locator("#query-echo")).to_have_text(question)


def url_params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"


def server_detail(response: Response) -> str:
    """The human-readable part of a 4xx body: `detail` as a string, or the first `msg` of a list."""
    body = json.loads(response.text())
    detail = body.get("detail")
    if isinstance(detail, list) and detail:
        return str(detail[0].get("msg", ""))
    return str(detail or "")


def test_chinese_question_shows_answer_with_citation(page: Page, live_server: str, shots_dir: Path) -> None:
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)

    answer = page.locator("#answer")
    expect(answer).to_be_visible()
    expect(answer.locator("mark").first).to_contain_text("5200.73亿元")
    citation = answer.locator(".citation")
    expect(citation).to_contain_text("2024")
    expect(page.locator("#results li.passage").first).to_be_visible()
    page.screenshot(path=str(shots_dir / "desktop-answer.png"))


def test_clicking_citation_shows_highlighted_passage_in_its_section(
    page: Page, live_server: str, shots_dir: Path
) -> None:
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)

    page.locator("#answer .citation").click()
    context = page.locator("#context")
    expect(context).to_be_visible()
    expect(page.locator("#context-title")).to_contain_text("2024")
    highlighted = page.locator("#context-body mark, #context-body .is-passage").filter(has_text="5200.73")
    expect(highlighted.first).to_be_visible()
    expect(highlighted.first).to_be_in_viewport()
    expect(page.locator("#context-body .doc-section.is-current")).to_have_count(1)
    page.screenshot(path=str(shots_dir / "desktop-context.png"))

    page.keyboard.press("Escape")
    expect(context).to_be_hidden()


def test_english_question_gets_chinese_answer(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    ask(page, FOREIGN_RD_Q)

    answer = page.locator("#answer")
    expect(answer).to_be_visible()
    expect(answer.locator("mark").first).to_contain_text("30家")


def test_unanswerable_question_shows_no_answer_with_related_passages(
    page: Page, live_server: str, shots_dir: Path
) -> None:
    open_home(page, live_server)
    ask(page, UNANSWERABLE_Q)

    expect(page.locator("#no-answer")).to_be_visible()
    expect(page.locator("#no-answer")).to_contain_text("没有找到可靠答案")
    expect(page.locator("#answer")).to_be_hidden()
    expect(page.locator("#results-heading")).to_have_text("相关段落")
    assert page.locator("#results li.passage").count() >= 1
    page.screenshot(path=str(shots_dir / "desktop-no-answer.png"), full_page=True)


def test_markup_in_query_is_shown_as_text_and_never_executed(page: Page, live_server: str) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    open_home(page, live_server)
    ask(page, XSS_Q)

    expect(page.locator("#query-echo")).to_have_text(XSS_Q)
    assert page.locator("#main img").count() == 0
    assert page.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_loading_a_search_url_runs_that_search(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/?q={quote(TECH_CONTRACT_Q)}")
    wait_for_outcome(page, TECH_CONTRACT_Q)

    expect(page.locator("#q")).to_have_value(TECH_CONTRACT_Q)
    expect(page.locator("#answer mark").first).to_contain_text("5200.73亿元")


def test_year_filter_goes_into_url_and_back_restores_previous_query(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    ask(page, "大零号湾")
    assert url_params(page).get("q") == ["大零号湾"]

    page.locator("#filter-year").select_option("2024")
    page.wait_for_url(re.compile(r"[?&]year=2024"))
    wait_for_outcome(page, "大零号湾")
    assert url_params(page).get("q") == ["大零号湾"]

    ask(page, TECH_CONTRACT_Q)
    assert url_params(page).get("q") == [TECH_CONTRACT_Q]
    assert url_params(page).get("year") == ["2024"]

    page.go_back()
    expect(page.locator("#q")).to_have_value("大零号湾")
    expect(page.locator("#query-echo")).to_have_text("大零号湾")
    expect(page.locator("#filter-year")).to_have_value("2024")

    page.go_back()
    expect(page.locator("#filter-year")).to_have_value("")
    assert "year" not in url_params(page)
    expect(page.locator("#q")).to_have_value("大零号湾")

    page.go_forward()
    expect(page.locator("#filter-year")).to_have_value("2024")


def test_phone_width_has_no_horizontal_scroll(phone_page: Page, live_server: str, shots_dir: Path) -> None:
    page = phone_page
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)
    expect(page.locator("#answer")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(shots_dir / "phone-answer.png"))
    page.screenshot(path=str(shots_dir / "phone-answer-full.png"), full_page=True)

    page.locator("#answer .citation").click()
    expect(page.locator("#context-body mark, #context-body .is-passage").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(shots_dir / "phone-context.png"))


def test_server_rejection_message_is_shown_for_too_long_query(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    too_long = "上海科技创新" * 100  # 600 characters; the server accepts at most 500
    box = page.locator("#q")
    box.fill(too_long)
    with page.expect_response(lambda r: "/api/search" in r.url) as info:
        box.press("Enter")
    response: Response = info.value
    assert 400 <= response.status < 500
    detail = server_detail(response)
    assert "the limit is 500" in detail  # the API keeps its English message; the page says it in Chinese

    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-detail")).to_have_text("问题有 600 个字符，超过了 500 个字符的上限，请缩短后再试。")
    expect(page.locator("#answer")).to_be_hidden()


def test_empty_query_is_not_sent(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/search" in r.url else None)
    page.locator("#q").press("Enter")
    expect(page.locator("#status")).to_contain_text("请输入")
    page.wait_for_timeout(200)
    assert requests == []


def test_slash_key_focuses_the_search_box(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    page.locator("#filter-year").focus()
    page.locator("body").click(position={"x": 5, "y": 600})
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value("")


def test_network_failure_shows_cannot_connect(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    page.route("**/api/search**", lambda route: route.abort("connectionrefused"))
    page.locator("#q").fill(TECH_CONTRACT_Q)
    page.locator("#q").press("Enter")

    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-title")).to_have_text("无法连接服务器")
    expect(page.locator("#error-retry")).to_be_visible()
    expect(page.locator("#main")).to_have_attribute("aria-busy", "false")


def test_comparison_two_year_question_shows_one_row_per_year_with_its_figure(
    page: Page, live_server: str, shots_dir: Path
) -> None:
    open_home(page, live_server)
    ask(page, PAPERS_BY_YEAR_Q)

    table = page.locator("#answer table#answer-parts")
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_have_text("分项答案")
    expect(table.locator('thead th[scope="col"]')).to_have_count(3)
    expect(page.locator("#answer-sentence")).to_have_count(0)
    rows = table.locator("tbody tr")
    expect(rows.locator('th[scope="row"]')).to_have_text(["2020年", "2024年"])
    expect(rows.nth(0).locator("td mark")).to_have_text("124篇")
    expect(rows.nth(1).locator("td mark")).to_have_text("158篇")
    expect(table).not_to_contain_text("**")
    table.screenshot(path=str(shots_dir / "desktop-comparison-table.png"))
    page.screenshot(path=str(shots_dir / "desktop-comparison.png"))


def test_comparison_each_citation_opens_its_own_passage(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    ask(page, PAPERS_BY_YEAR_Q)

    rows = page.locator("#answer-parts tbody tr")
    for row_index, (year, figure) in enumerate([("2020", "124篇"), ("2024", "158篇")]):
        rows.nth(row_index).locator(".citation").click()
        expect(page.locator("#context")).to_be_visible()
        expect(page.locator("#context-title")).to_contain_text(year)
        highlighted = page.locator("#context-body mark").filter(has_text=figure)
        expect(highlighted.first).to_be_visible()
        expect(highlighted.first).to_be_in_viewport()
        page.keyboard.press("Escape")
        expect(page.locator("#context")).to_be_hidden()



def test_comparison_three_year_question_keeps_the_years_in_the_order_asked(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    ask(page, STAR_MARKET_BY_YEAR_Q)

    rows = page.locator("#answer-parts tbody tr")
    expect(rows.locator('th[scope="row"]')).to_have_text(["2020年", "2023年", "2025年"])
    expect(rows.locator("td mark")).to_have_count(3)


def test_comparison_part_without_an_answer_shows_its_reason_in_its_row(
    page: Page, live_server: str, shots_dir: Path
) -> None:
    open_home(page, live_server)
    ask(page, CONTRACTS_2018_2024_Q)

    rows = page.locator("#answer-parts tbody tr")
    expect(rows.locator('th[scope="row"]')).to_have_text(["2018年", "2024年"])
    expect(rows.nth(0)).to_contain_text("没有找到可靠答案：")
    expect(rows.nth(0).locator(".citation")).to_have_count(0)
    expect(rows.nth(1).locator("td mark")).to_have_text("5200.73亿元")
    expect(rows.nth(1).locator(".citation")).to_be_visible()
    page.locator("#answer").screenshot(path=str(shots_dir / "desktop-comparison-missing-part.png"))

def test_comparison_table_fits_phone_width(phone_page: Page, live_server: str, shots_dir: Path) -> None:
    page = phone_page
    open_home(page, live_server)
    ask(page, PAPERS_BY_YEAR_Q)

    rows = page.locator("#answer-parts tbody tr")
    expect(rows).to_have_count(2)
    assert_no_horizontal_scroll(page)
    table_box = page.locator("#answer-parts").bounding_box()
    assert table_box is not None and table_box["x"] + table_box["width"] <= 375
    page.locator("#answer").screenshot(path=str(shots_dir / "phone-comparison-table.png"))
    page.screenshot(path=str(shots_dir / "phone-comparison.png"))
