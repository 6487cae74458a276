"""The page for everyone (issue 16, WCAG 2.1 AA / GB/T 37668): axe-core finds nothing, and what it cannot check.

axe-core is the project's own pinned copy (tests/e2e/package.json, installed by `make test` with
`npm ci --prefix tests/e2e`), injected into the page by Playwright and run with the WCAG 2.1 A/AA
rules over every state the page has: empty, an answer, a multi-part answer, no answer, the context
dialog open, and phone width. Any violation fails the test. The library page's states are checked
the same way in test_library_web.py.

By hand, as a screen-reader and keyboard user would: the outcome of a search is read from a polite
live region outside the aria-busy <main>; focus moves to the outcome; the dialog's text scrolls with
PageDown; the focus ring is at least 3:1 against what surrounds it, computed from the page's styles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TECH_CONTRACT_Q = "2024年全市技术合同成交额是多少？"
FOREIGN_RD_Q = "How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?"
UNANSWERABLE_Q = "2018年上海全社会研发经费支出占GDP的比例是多少？"
PAPERS_BY_YEAR_Q = "2020年和2024年上海科学家在《细胞》《自然》《科学》上发表的论文分别有多少篇？"
# The window sizes of conftest's `page` and `phone_page`; 1280×900 at 200% zoom is 640×450 CSS pixels.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
ZOOM_200 = {"width": 640, "height": 450}
EXPECT_TIMEOUT_MS = 30_000  # the first search may still be loading the model


def axe_context_page(browser: Browser, viewport: dict[str, int]) -> Iterator[Page]:
    """A page of its own browser context that axe-core can be injected into (the library tests use it too)."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE} is missing): run `make test`, "
                    "or `npm ci --prefix tests/e2e` once")
    # The page's CSP (script-src 'self') would refuse the injected axe script; the test turns it off.
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)  # type: ignore[arg-type]
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page (1280×900) that axe-core can be injected into."""
    yield from axe_context_page(browser, DESKTOP)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized page (375×812) that axe-core can be injected into."""
    yield from axe_context_page(browser, PHONE)


@pytest.fixture
def zoomed(browser: Browser) -> Iterator[Page]:
    """The desktop window at 200% zoom (640×450 CSS pixels)."""
    yield from axe_context_page(browser, ZOOM_200)


# ---------- helpers ----------


def open_home(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    expect(page.locator("#doc-list li").first).to_be_visible()  # the reports have loaded


def ask(page: Page, question: str) -> dict[str, Any]:
    """Types the question, presses Enter, waits for the outcome; the API's answer (JSON)."""
    box = page.locator("#q")
    box.fill(question)
    with page.expect_response(lambda r: "/api/search" in r.url) as info:
        box.press("Enter")
    expect(page.locator("#main")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#query-echo")).to_have_text(question)
    body: dict[str, Any] = info.value.json()
    return body


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (after transitions settle)."""
    page.wait_for_timeout(400)  # the results fade in (0.2 s); contrast is measured on the final colours
    page.add_script_tag(path=str(AXE))
    result: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                     resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")} — ${n.failureSummary}`),
            }));
        }""",
        WCAG21_AA,
    )
    return result


def assert_accessible(page: Page, state: str, shots_dir: Path) -> None:
    page.screenshot(path=str(shots_dir / f"a11y-{state}.png"))
    violations = axe_violations(page)
    report = "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
                       for v in violations)
    assert not violations, f"axe-core found WCAG 2.1 AA violations on the {state} page:\n{report}"


def plain(text: str) -> str:
    return text.replace("**", "")


def announced(page: Page) -> str:
    return page.locator("#announce").inner_text()


# ---------- axe-core over every state of the page ----------


def test_empty_page_has_no_wcag_violations(desk: Page, live_server: str, shots_dir: Path) -> None:
    open_home(desk, live_server)
    assert_accessible(desk, "empty", shots_dir)


def test_answer_page_has_no_wcag_violations(desk: Page, live_server: str, shots_dir: Path) -> None:
    open_home(desk, live_server)
    ask(desk, TECH_CONTRACT_Q)
    expect(desk.locator("#answer")).to_be_visible()
    assert_accessible(desk, "answer", shots_dir)


def test_multi_part_answer_page_has_no_wcag_violations(desk: Page, live_server: str, shots_dir: Path) -> None:
    open_home(desk, live_server)
    ask(desk, PAPERS_BY_YEAR_Q)
    expect(desk.locator("#answer-parts")).to_be_visible()
    assert_accessible(desk, "multi-part", shots_dir)


def test_no_answer_page_has_no_wcag_violations(desk: Page, live_server: str, shots_dir: Path) -> None:
    open_home(desk, live_server)
    ask(desk, UNANSWERABLE_Q)
    expect(desk.locator("#no-answer")).to_be_visible()
    assert_accessible(desk, "no-answer", shots_dir)


def test_context_dialog_has_no_wcag_violations(desk: Page, live_server: str, shots_dir: Path) -> None:
    open_home(desk, live_server)
    ask(desk, TECH_CONTRACT_Q)
    desk.locator("#answer .citation").click()
    expect(desk.locator("#context-body mark").first).to_be_visible()
    expect(desk.locator("#context-body")).to_have_attribute("aria-busy", "false")
    assert_accessible(desk, "context-dialog", shots_dir)


def test_phone_width_pages_have_no_wcag_violations(phone: Page, live_server: str, shots_dir: Path) -> None:
    open_home(phone, live_server)
    assert_accessible(phone, "phone-empty", shots_dir)
    ask(phone, TECH_CONTRACT_Q)
    expect(phone.locator("#answer")).to_be_visible()
    assert_accessible(phone, "phone-answer", shots_dir)


# ---------- what a screen reader hears, where keyboard focus goes ----------


def test_after_a_search_the_live_region_reads_the_answer_and_its_confidence(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    body = ask(desk, TECH_CONTRACT_Q)
    answer = body["answer"]
    expect(desk.locator("#announce")).to_contain_text(plain(answer["text"]))
    expect(desk.locator("#announce")).to_contain_text(desk.locator("#answer .confidence-label").inner_text())
    # Outside <main>, which is aria-busy while a search runs: a busy region's changes go unread.
    assert desk.locator("#main #announce, [aria-busy] #announce").count() == 0


def test_after_a_search_focus_is_on_the_answer_heading(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    ask(desk, TECH_CONTRACT_Q)
    expect(desk.locator("#answer-heading")).to_be_focused()


def test_live_region_reads_why_no_answer_was_found(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    body = ask(desk, UNANSWERABLE_Q)
    expect(desk.locator("#announce")).to_contain_text("没有找到可靠答案")
    if body.get("no_answer_reason"):
        expect(desk.locator("#announce")).to_contain_text(body["no_answer_reason"].rstrip("。."))
    expect(desk.locator("#no-answer-heading")).to_be_focused()


def test_live_region_summarises_a_multi_part_answer(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    ask(desk, PAPERS_BY_YEAR_Q)
    count = desk.locator("#answer .parts-count").inner_text()
    assert re.fullmatch(r"\d+ 项中找到 \d+ 项", count), count
    expect(desk.locator("#announce")).to_contain_text(count)
    for label in desk.locator("#answer-parts tbody th").all_inner_texts():
        expect(desk.locator("#announce")).to_contain_text(label)


def test_an_english_query_echo_is_marked_as_english(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    ask(desk, FOREIGN_RD_Q)
    expect(desk.locator("#query-echo")).to_have_attribute("lang", "en")


def test_every_state_has_one_h1(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    expect(desk.locator("h1")).to_have_count(1)
    ask(desk, TECH_CONTRACT_Q)
    expect(desk.locator("h1")).to_have_count(1)
    ask(desk, UNANSWERABLE_Q)
    expect(desk.locator("h1")).to_have_count(1)


def test_citation_buttons_are_named_by_their_visible_text(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    ask(desk, TECH_CONTRACT_Q)
    for button in desk.locator(".citation, .doc-card-btn").all():
        assert button.get_attribute("aria-label") is None


def test_context_dialog_text_scrolls_with_page_down_and_arrows(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    ask(desk, TECH_CONTRACT_Q)
    desk.locator("#answer .citation").click()
    body = desk.locator("#context-body")
    expect(body.locator("mark").first).to_be_visible()
    expect(body).to_be_focused()
    assert body.get_attribute("role") == "region" and body.get_attribute("aria-label")
    desk.keyboard.press("Home")
    desk.wait_for_function("() => document.getElementById('context-body').scrollTop === 0")
    desk.keyboard.press("PageDown")
    desk.wait_for_function("() => document.getElementById('context-body').scrollTop > 200")
    after_page_down = body.evaluate("el => el.scrollTop")
    desk.keyboard.press("ArrowDown")
    desk.wait_for_function(f"() => document.getElementById('context-body').scrollTop > {after_page_down}")


def test_next_section_is_announced(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    ask(desk, TECH_CONTRACT_Q)
    desk.locator("#answer .citation").click()
    label = desk.locator("#ctx-section-label")
    expect(label).to_have_attribute("aria-live", "polite")
    expect(label).not_to_be_empty()
    before = label.inner_text()
    button = desk.locator("#ctx-next") if desk.locator("#ctx-next").is_enabled() else desk.locator("#ctx-prev")
    button.focus()
    desk.keyboard.press("Enter")
    expect(label).not_to_have_text(before)


FOCUS_RING = """(el) => {
    const lum = (rgb) => {
        const [r, g, b] = rgb.map((c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const parse = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
    // The colour the ring is drawn on: the first opaque background from the element's parent up (from the
    // element itself when the ring is drawn inside it, a negative outline-offset).
    const style = getComputedStyle(el);
    let node = parseFloat(style.outlineOffset) < 0 ? el : el.parentElement, around = [255, 255, 255];
    for (; node; node = node.parentElement) {
        const bg = parse(getComputedStyle(node).backgroundColor);
        if (bg.length === 3 || (bg.length === 4 && bg[3] === 1)) { around = bg.slice(0, 3); break; }
    }
    const ring = parse(style.outlineColor).slice(0, 3);
    const [hi, lo] = [lum(ring), lum(around)].sort((a, b) => b - a);
    return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), ratio: (hi + 0.05) / (lo + 0.05),
            ring: style.outlineColor, around: `rgb(${around.join(", ")})`};
}"""


def test_focus_ring_contrast_is_at_least_3_to_1(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    ask(desk, TECH_CONTRACT_Q)
    desk.locator("#q").focus()
    seen: list[str] = []
    for _ in range(80):  # Tab through the page: button, filters, examples, citations, passages, to its end
        desk.keyboard.press("Tab")
        name = desk.evaluate("() => document.activeElement === document.body ? '' : "
                             "`${document.activeElement.tagName}#${document.activeElement.id}"
                             ".${document.activeElement.className}`")
        if not name or name in seen[:1]:
            break
        ring = desk.evaluate(f"() => ({FOCUS_RING})(document.activeElement)")
        assert ring["style"] != "none" and ring["width"] >= 2, f"{name}: no visible focus ring ({ring})"
        assert ring["ratio"] >= 3, f"{name}: focus ring {ring['ring']} on {ring['around']} is {ring['ratio']:.2f}:1"
        seen.append(name)
    assert len(seen) >= 10, seen


def test_expanding_a_passage_keeps_focus_on_its_button(desk: Page, live_server: str) -> None:
    open_home(desk, live_server)
    ask(desk, PAPERS_BY_YEAR_Q)
    toggles = desk.locator("#results .link-btn")
    if toggles.count() == 0:
        pytest.skip("no passage long enough to be shortened for this question")
    toggle = toggles.first
    toggle.focus()
    desk.keyboard.press("Enter")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_text("收起")


def test_at_200_percent_zoom_nothing_scrolls_sideways(zoomed: Page, live_server: str, shots_dir: Path) -> None:
    open_home(zoomed, live_server)
    ask(zoomed, PAPERS_BY_YEAR_Q)
    widths = zoomed.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    zoomed.screenshot(path=str(shots_dir / "a11y-zoom-200.png"), full_page=True)
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"


def test_with_reduced_motion_nothing_animates(desk: Page, live_server: str) -> None:
    desk.emulate_media(reduced_motion="reduce")
    open_home(desk, live_server)
    durations = desk.evaluate("""() => [...document.querySelectorAll('*')].flatMap((el) => {
        const s = getComputedStyle(el);
        return [s.transitionDuration, s.animationDuration].flatMap((d) => d.split(',').map(parseFloat));
    })""")
    assert max(durations) <= 0.01
