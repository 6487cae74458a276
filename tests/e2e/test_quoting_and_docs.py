"""Quoting, sharing, export, Chinese messages and offline API docs, in a real Chromium against a live server."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from playwright.sync_api import Page, Route, expect
from tests.e2e.test_web import TECH_CONTRACT_Q, ask, open_home, wait_for_outcome

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ANSWER_SENTENCE = "全市技术合同成交额5200.73亿元，同比增长7.2%。"


def grant_clipboard(page: Page, base_url: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)


def test_copy_citation_puts_the_quote_its_source_and_a_link_on_the_clipboard(page: Page, live_server: str) -> None:
    grant_clipboard(page, live_server)
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)

    button = page.locator("#answer .quote-btn")
    button.click()
    expect(button).to_have_text("已复制")
    quote_line, link = page.evaluate("() => navigator.clipboard.readText()").split("\n")
    assert quote_line.startswith(f"“{ANSWER_SENTENCE}”（上海科技进步报告2024")
    assert "，2024年，综述）" in quote_line
    chunk_id = page.locator("#results li.passage").first.get_attribute("data-chunk-id")
    assert link == f"{live_server}/?q={quote(TECH_CONTRACT_Q)}#chunk={chunk_id}"


def test_every_passage_has_its_own_copy_citation_button(page: Page, live_server: str) -> None:
    grant_clipboard(page, live_server)
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)

    passages = page.locator("#results li.passage")
    expect(passages.locator(".quote-btn")).to_have_count(passages.count())
    second = passages.nth(1)
    second.locator(".quote-btn").click()
    text = page.evaluate("() => navigator.clipboard.readText()")
    assert text.startswith("“") and "**" not in text
    assert text.endswith(f"#chunk={second.get_attribute('data-chunk-id')}")


def test_an_opened_passage_is_in_the_address_and_leaves_it_when_closed(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)

    first = page.locator("#results li.passage").first
    first.locator(".citation").click()
    expect(page.locator("#context")).to_be_visible()
    # The address changes just after the dialog does: wait for it rather than read it at once.
    page.wait_for_function("h => location.hash === h", arg=f"#chunk={first.get_attribute('data-chunk-id')}")
    page.keyboard.press("Escape")
    expect(page.locator("#context")).to_be_hidden()
    page.wait_for_function("() => location.hash === ''")
    assert urlparse(page.url).fragment == ""


def test_a_shared_chunk_link_opens_the_passage_on_load(page: Page, live_server: str, shots_dir: Path) -> None:
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)
    chunk_id = page.locator("#results li.passage").nth(2).get_attribute("data-chunk-id")

    page.goto(f"{live_server}/?q={quote(TECH_CONTRACT_Q)}#chunk={chunk_id}")
    expect(page.locator("#context")).to_be_visible()
    expect(page.locator("#context-body .is-passage").first).to_be_visible()
    assert urlparse(page.url).fragment == f"chunk={chunk_id}"
    page.screenshot(path=str(shots_dir / "shared-chunk-link.png"))


def test_export_downloads_the_answer_and_passages_as_csv_with_citations(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)

    with page.expect_download() as info:
        page.locator(".export-btn[data-format=csv]").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["类型", "分项", "原文"]
    assert rows[1][0] == "答案" and rows[1][2] == ANSWER_SENTENCE
    assert rows[1][8].startswith(f"“{ANSWER_SENTENCE}”（上海科技进步报告2024")
    assert [row[0] for row in rows[2:]] == [f"段落{i}" for i in range(1, len(rows) - 1)]
    assert all("#chunk=" in row[9] for row in rows[1:])


def test_export_downloads_markdown_with_the_question_and_citations(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    ask(page, TECH_CONTRACT_Q)

    with page.expect_download() as info:
        page.locator(".export-btn[data-format=md]").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith(f"# 科技报告问答：{TECH_CONTRACT_Q}\n")
    assert f"> {ANSWER_SENTENCE}" in text
    assert "## 检索到的段落" in text and "[查看原文](" in text and "**" not in text


def test_an_unknown_year_is_explained_in_chinese_with_the_valid_years(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/?q={quote(TECH_CONTRACT_Q)}&year=2019")
    wait_for_outcome(page)

    expect(page.locator("#error-title")).to_have_text("无法完成这次检索")
    detail = page.locator("#error-detail")
    expect(detail).to_contain_text("没有 2019 年的报告；可选年份：")
    expect(detail).to_contain_text("2024")
    assert "valid" not in detail.inner_text()


def test_an_empty_question_in_the_address_is_explained_in_chinese(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/?q={quote('。。。')}")
    wait_for_outcome(page)
    expect(page.locator("#error-detail")).to_have_text("问题中没有可检索的内容：请使用中文、英文词语或数字。")


def test_a_busy_server_is_explained_in_chinese(page: Page, live_server: str) -> None:
    open_home(page, live_server)
    page.route("**/api/search**", lambda route: route.fulfill(
        status=429, content_type="application/json", headers={"Retry-After": "1"},
        body='{"detail": "too many searches at once from your address (limit 4); retry in 1 s"}'))
    page.locator("#q").fill(TECH_CONTRACT_Q)
    page.locator("#q").press("Enter")
    expect(page.locator("#error-title")).to_have_text("服务器正忙")
    expect(page.locator("#error-detail")).to_have_text("服务器正忙（同一地址同时发起的检索过多），请 1 秒后再试。")


def test_the_health_indicator_turns_red_when_the_server_goes_away(
    page: Page, live_server: str, shots_dir: Path
) -> None:
    open_home(page, live_server)
    health = page.locator("#health")
    expect(health).to_have_attribute("data-state", "ok")

    page.route("**/api/**", lambda route: route.abort("connectionrefused"))  # the server has gone
    page.locator("#q").fill(TECH_CONTRACT_Q)
    page.locator("#q").press("Enter")

    expect(page.locator("#error-title")).to_have_text("无法连接服务器")
    expect(health).to_have_attribute("data-state", "down")
    expect(health).to_have_text("无法连接服务器")
    dot = health.evaluate("(node) => getComputedStyle(node, '::before').backgroundColor")
    assert dot == "rgb(179, 38, 30)", dot  # --low, the page's red
    page.screenshot(path=str(shots_dir / "server-down.png"))


def test_the_api_docs_render_with_the_network_blocked(page: Page, live_server: str, shots_dir: Path) -> None:
    host = urlparse(live_server).netloc
    outside: list[str] = []

    def only_local(route: Route) -> None:
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("reportqa")
    expect(page.locator(".opblock-summary-path", has_text="/api/search").first).to_be_visible()
    assert page.locator(".opblock").count() >= 5
    assert outside == []
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.screenshot(path=str(shots_dir / "api-docs-offline.png"), full_page=False)
