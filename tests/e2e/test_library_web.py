"""The library page (/library, issue 12): list, upload, edit, delete reports and rebuild, in a real Chromium.

A user adds a Word file and a PDF from the browser (one through the file picker, one dropped on
the drop zone), rebuilds with live progress, asks `/` a question only the new Word file answers,
renames it and sees the citation change, deletes it and sees it gone from the answers. Around that
flow: the read-only page of a server without REPORTQA_ADMIN_TOKEN, a wrong token, a refused file,
and axe-core (issue 16) over the page's states, read-only and writable.

The writes run against one server of this module with the admin token set, over private copies of
the session's index (with its embedding cache, so a rebuild embeds only the new texts) and of the
corpus. The read-only checks reuse the session's server, which has no token. Rebuilds are the slow
part, so the write flow is one test whose steps each need the rebuild before them.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Route, expect
from tests.e2e.test_accessibility import DESKTOP, FOCUS_RING, PHONE, assert_accessible, axe_context_page
from tests.fixtures_docs import make_docx, make_pdf
from tests.server_utils import REPO, start_server

from reportqa.ingest.corpus import report_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOKEN = "library-page-test-token-5f1c"
TOKEN_KEY = "reportqa.adminToken"  # the page's sessionStorage key
FACT = "2025年临港新片区测试园区共认定新型研发机构37家。"
FIGURE = "37家"
QUESTION = "2025年临港新片区测试园区共认定了多少家新型研发机构？"
PDF_FACT = "2025年临港新片区测试园区新增孵化器面积12.5万平方米。"
NEW_TITLE = "临港新片区测试园区创新发展报告（修订版）"
REBUILD_TIMEOUT_MS = 240_000  # a rebuild reads the corpus and embeds the new texts on 2 busy cores
BUNDLED_REPORTS = len(report_files(REPO / "corpus"))


@dataclass
class Admin:
    """The module's server with writes enabled, and its corpus folder."""

    base_url: str
    corpus: Path


@pytest.fixture(scope="module")
def admin(built_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    """A `reportqa serve` with REPORTQA_ADMIN_TOKEN over copies of the session index and the corpus."""
    root = tmp_path_factory.mktemp("library-admin")
    index, corpus = root / "index", root / "corpus"
    shutil.copytree(built_index, index, ignore=shutil.ignore_patterns(".build.lock"))
    shutil.copytree(REPO / "corpus", corpus)
    with start_server(index, corpus_dir=corpus, REPORTQA_ADMIN_TOKEN=TOKEN) as server:
        yield Admin(server.base_url, corpus)


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page that axe-core can be injected into."""
    yield from axe_context_page(browser, DESKTOP)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized page that axe-core can be injected into."""
    yield from axe_context_page(browser, PHONE)


# ---------- helpers ----------


def open_library(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/library")
    expect(page.locator("#reports-body tr").first).to_be_visible()  # the listing has loaded


def enter_token(page: Page, token: str = TOKEN) -> None:
    page.locator("#token-input").fill(token)
    page.locator("#token-save").click()


def open_library_as_admin(page: Page, admin: Admin) -> None:
    open_library(page, admin.base_url)
    enter_token(page)
    expect(page.locator("#token-saved")).to_be_visible()


def row(page: Page, file: str) -> Locator:
    """The table row of the report stored as `file`."""
    return page.locator("#reports-body tr").filter(has=page.locator(".report-file", has_text=file))


def drop_file(page: Page, path: Path, mime: str) -> None:
    """Drops the file on the drop zone, as dragging it from the desktop would."""
    transfer = page.evaluate_handle(
        """([name, data, type]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type}));
            return transfer;
        }""",
        [path.name, base64.b64encode(path.read_bytes()).decode("ascii"), mime],
    )
    page.dispatch_event("#dropzone", "dragenter", {"dataTransfer": transfer})
    expect(page.locator("#dropzone")).to_have_class("dropzone is-dragover")
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


def pick_file(page: Page, path: Path) -> None:
    """Chooses the file through the "选择文件…" button's file picker."""
    with page.expect_file_chooser() as chooser:
        page.locator("#pick-files").click()
    chooser.value.set_files(str(path))


def upload_outcome(page: Page, name: str) -> Locator:
    return page.locator("#upload-results li").filter(has=page.locator(".upload-name", has_text=name))


def record_progress(page: Page) -> None:
    """Keeps every text the progress line shows in `window.progressSeen` (polls are 0.5 s apart)."""
    page.evaluate("""() => {
        window.progressSeen = [];
        const text = document.getElementById('rebuild-text');
        new MutationObserver(() => window.progressSeen.push(text.textContent))
            .observe(text, {childList: true, characterData: true, subtree: true});
    }""")


def rebuild(page: Page) -> list[str]:
    """Clicks 重建索引 and waits for it to succeed; the progress lines shown meanwhile."""
    record_progress(page)
    page.locator("#rebuild-btn").click()
    expect(page.locator("#rebuild-progress-box")).to_be_visible()
    result = page.locator("#rebuild-result")
    expect(result).to_be_visible(timeout=REBUILD_TIMEOUT_MS)
    expect(result).to_have_class("rebuild-result is-ok")
    expect(page.locator("#rebuild-live")).to_have_text(result.locator(".rebuild-result-text").inner_text())
    seen: list[str] = page.evaluate("() => window.progressSeen")
    return seen


def ask_home(page: Page, base_url: str, question: str) -> dict[str, Any]:
    """Asks `/` the question; the search API's answer (JSON)."""
    page.goto(f"{base_url}/")
    box = page.locator("#q")
    box.fill(question)
    with page.expect_response(lambda r: "/api/search" in r.url) as info:
        box.press("Enter")
    expect(page.locator("#main")).to_have_attribute("aria-busy", "false")
    body: dict[str, Any] = info.value.json()
    return body


def csp_errors(page: Page) -> list[str]:
    """Collects the console's Content-Security-Policy complaints (an inline script or style would cause one)."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    return errors


def stored_token(page: Page) -> str | None:
    token: str | None = page.evaluate(f"() => sessionStorage.getItem('{TOKEN_KEY}')")
    return token


# ---------- the page, its link from `/`, and the read-only state ----------


def test_question_page_header_links_to_the_library_and_back(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    page.get_by_role("navigation", name="页面").get_by_role("link", name="资料库").click()
    expect(page).to_have_url(f"{live_server}/library")
    expect(page.locator("h1")).to_have_text("报告资料库")
    expect(page.get_by_role("link", name="资料库")).to_have_attribute("aria-current", "page")
    page.get_by_role("navigation", name="页面").get_by_role("link", name="问答").click()
    expect(page).to_have_url(f"{live_server}/")


def test_library_lists_every_report_with_its_details_and_status(
    page: Page, live_server: str, shots_dir: Path
) -> None:
    open_library(page, live_server)
    rows = page.locator("#reports-body tr")
    expect(rows).to_have_count(BUNDLED_REPORTS)
    overview = row(page, "2024-overview.txt")
    expect(overview.locator(".report-title")).to_have_text("上海科技进步报告2024 · 综述")
    expect(overview.locator("td[data-label='年份']")).to_have_text("2024")
    expect(overview.locator("td[data-label='格式']")).to_have_text("纯文本")
    assert int(overview.locator("td[data-label='节']").inner_text()) > 0
    assert int(overview.locator("td[data-label='段落']").inner_text()) > 0
    expect(overview.locator(".status-badge")).to_have_text("已索引")
    expect(page.locator("#reports-summary")).to_contain_text(f"共 {BUNDLED_REPORTS} 份报告")
    page.screenshot(path=str(shots_dir / "library-read-only.png"), full_page=True)


def test_without_admin_token_the_library_is_read_only_and_says_how_to_enable_it(
    page: Page, live_server: str
) -> None:
    open_library(page, live_server)
    note = page.locator("#readonly-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("只读")
    expect(note).to_contain_text("设置环境变量 REPORTQA_ADMIN_TOKEN 后重启服务")
    expect(page.locator("#token-input")).to_be_hidden()
    expect(page.locator("#pick-files")).to_be_disabled()
    expect(page.locator("#rebuild-btn")).to_be_disabled()
    for button in page.locator("#reports-body button").all():
        expect(button).to_be_disabled()


# ---------- the admin token ----------


def test_a_wrong_token_is_refused_in_chinese_and_not_kept(page: Page, admin: Admin) -> None:
    open_library(page, admin.base_url)
    enter_token(page, "not-the-token")
    expect(page.locator("#token-message")).to_contain_text("管理令牌不正确")
    assert stored_token(page) is None
    expect(page.locator("#pick-files")).to_be_disabled()
    expect(page.locator("#rebuild-btn")).to_be_disabled()


def test_a_stored_token_that_the_server_refuses_is_cleared_with_a_chinese_message(
    page: Page, admin: Admin
) -> None:
    page.add_init_script(f"sessionStorage.setItem('{TOKEN_KEY}', 'a-token-from-before-a-restart')")
    open_library(page, admin.base_url)
    expect(page.locator("#rebuild-btn")).to_be_enabled()  # the page trusts the stored token until told
    page.locator("#rebuild-btn").click()
    expect(page.locator("#rebuild-result")).to_contain_text("管理令牌不正确，已清除本页保存的令牌")
    expect(page.locator("#token-input")).to_be_visible()
    assert stored_token(page) is None
    expect(page.locator("#rebuild-btn")).to_be_disabled()


def test_the_right_token_is_kept_for_the_tab_and_enables_the_controls(page: Page, admin: Admin) -> None:
    open_library_as_admin(page, admin)
    assert stored_token(page) == TOKEN
    expect(page.locator("#pick-files")).to_be_enabled()
    expect(page.locator("#rebuild-btn")).to_be_enabled()
    page.reload()
    expect(page.locator("#token-saved")).to_be_visible()  # entered once: a reload keeps it
    page.locator("#token-clear").click()
    assert stored_token(page) is None
    expect(page.locator("#pick-files")).to_be_disabled()


# ---------- uploads the server refuses ----------


def test_each_refused_file_gets_its_own_chinese_reason_and_nothing_is_added(
    page: Page, admin: Admin, tmp_path: Path
) -> None:
    fake_pdf = tmp_path / "伪装的报告.pdf"
    fake_pdf.write_text("这不是 PDF，只是一段文字。", encoding="utf-8")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00")
    open_library_as_admin(page, admin)
    before = page.locator("#reports-body tr").count()
    with page.expect_file_chooser() as chooser:
        page.locator("#pick-files").click()
    chooser.value.set_files([str(fake_pdf), str(program)])
    expect(upload_outcome(page, fake_pdf.name)).to_contain_text("文件类型不受支持")  # sniffed by the server
    expect(upload_outcome(page, fake_pdf.name)).to_have_class("upload-item is-failed")
    expect(upload_outcome(page, program.name)).to_contain_text("文件类型不受支持：只能上传")
    expect(page.locator("#announce")).to_contain_text("失败 2 个")
    expect(page.locator("#reports-body tr")).to_have_count(before)


# ---------- rebuild progress, as the page shows it ----------


def job(stage: str, **fields: Any) -> dict[str, Any]:
    """A RebuildStatus as `GET /api/index/rebuild/{id}` reports it."""
    state = {"done": "succeeded", "failed": "failed"}.get(stage, "running")
    return {"job_id": "job-under-test", "state": state, "stage": stage, "started_at": 1_700_000_000.0,
            "finished_at": 1_700_000_012.5 if state != "running" else None, "embedded": 0, "to_embed": 0,
            "files_read": 0, "files_total": 0, "version": None, "chunk_count": None, "up_to_date": False,
            "error": None, "warnings": [], "skipped": [], **fields}


def test_rebuild_progress_shows_the_stage_files_read_and_texts_embedded(page: Page, admin: Admin) -> None:
    # The server's job is replaced by a scripted one, so every stage is seen, whatever the machine's speed.
    statuses = [
        job("loading_model", files_total=7),
        job("reading", files_read=3, files_total=7),
        job("embedding", files_read=7, files_total=7, embedded=10, to_embed=40),
        job("embedding", files_read=7, files_total=7, embedded=40, to_embed=40),
        job("done", files_read=7, files_total=7, embedded=40, to_embed=40, version="v-test", chunk_count=163),
    ]
    page.route("**/api/index/rebuild", lambda route: route.fulfill(
        status=202, content_type="application/json", body=json.dumps(job("queued"))))
    page.route("**/api/index/rebuild/job-under-test", lambda route: route.fulfill(
        content_type="application/json", body=json.dumps(statuses.pop(0) if len(statuses) > 1 else statuses[0])))
    open_library_as_admin(page, admin)
    announced: list[str] = []

    def heard(text: str) -> None:
        announced.append(text)

    page.expose_function("heard", heard)
    page.evaluate("""() => {
        const live = document.getElementById('rebuild-live');
        new MutationObserver(() => window.heard(live.textContent)).observe(live, {childList: true, subtree: true});
    }""")
    seen = rebuild(page)

    assert "阶段：读取文件 · 已读文件 3/7" in seen, seen
    assert "阶段：嵌入文本 · 已读文件 7/7 · 已嵌入 10/40" in seen, seen
    expect(page.locator("#rebuild-text")).to_have_text("阶段：完成 · 已读文件 7/7 · 已嵌入 40/40")
    expect(page.locator("#rebuild-bar")).to_have_attribute("value", "100")
    expect(page.locator("#rebuild-result")).to_contain_text("重建完成：索引版本 v-test，共 163 个段落，用时 12.5 秒")
    # Stage changes are read out (not every counter tick), then the outcome.
    stages = ["排队中", "加载模型", "读取文件", "嵌入文本"]
    assert announced[:4] == [f"重建索引：{stage}…" for stage in stages], announced
    assert announced[-1].startswith("重建完成"), announced


def test_a_reloaded_page_picks_up_the_running_rebuild(page: Page, admin: Admin) -> None:
    open_library_as_admin(page, admin)
    running = job("embedding", files_read=7, files_total=7, embedded=5, to_embed=40)

    def listing_with_a_running_rebuild(route: Route) -> None:
        body = route.fetch().json()
        route.fulfill(content_type="application/json", body=json.dumps({**body, "rebuild": running}))

    page.route("**/api/library", listing_with_a_running_rebuild)
    page.route("**/api/index/rebuild/job-under-test", lambda route: route.fulfill(
        content_type="application/json", body=json.dumps(running)))
    page.reload()
    expect(page.locator("#rebuild-text")).to_have_text("阶段：嵌入文本 · 已读文件 7/7 · 已嵌入 5/40")
    expect(page.locator("#rebuild-btn")).to_have_text("正在重建…")
    expect(page.locator("#rebuild-btn")).to_be_disabled()
    expect(page.locator("#pick-files")).to_be_disabled()  # the server refuses changes while it rebuilds


# ---------- the whole write flow: upload, rebuild, ask, rename, rebuild, delete, rebuild ----------


def test_upload_rebuild_ask_rename_and_delete_a_report_from_the_browser(
    page: Page, admin: Admin, tmp_path: Path, shots_dir: Path
) -> None:
    csp = csp_errors(page)
    filler = [f"测试园区第{i}批项目围绕集成电路、人工智能和生物医药开展联合攻关，形成了一批阶段性成果。"
              for i in range(1, 6)]
    docx = make_docx(tmp_path / "临港测试园区报告.docx", "临港新片区测试园区创新发展报告", "总体情况",
                     [FACT, *filler])
    # Long enough for two pages: a one-page PDF has no page numbers to count.
    pdf = make_pdf(tmp_path / "临港测试园区载体建设.pdf", "临港新片区测试园区载体建设情况",
                   [PDF_FACT, *(filler * 6)])

    # 1. Upload: the Word file through the file picker, the PDF dropped on the drop zone.
    open_library_as_admin(page, admin)
    pick_file(page, docx)
    expect(upload_outcome(page, docx.name)).to_contain_text("已添加")
    drop_file(page, pdf, "application/pdf")
    expect(upload_outcome(page, pdf.name)).to_contain_text("已添加")
    for name in (docx.name, pdf.name):
        expect(row(page, name).locator(".status-badge")).to_have_text("待重建")
        expect(row(page, name).locator(".status-reason")).to_contain_text("新文件")
    expect(page.locator("#pending-note")).to_contain_text("有 2 份报告待重建")
    assert (admin.corpus / docx.name).is_file() and (admin.corpus / pdf.name).is_file()
    page.screenshot(path=str(shots_dir / "library-uploaded.png"), full_page=True)

    # 2. Rebuild with live progress; both files are then indexed.
    seen = rebuild(page)
    expect(page.locator("#rebuild-result")).to_contain_text("重建完成")
    assert any(line.startswith("阶段：") for line in seen), seen
    expect(page.locator("#rebuild-bar")).to_have_attribute("value", "100")
    expect(page.locator("#rebuild-text")).to_contain_text("阶段：完成")
    for name in (docx.name, pdf.name):
        expect(row(page, name).locator(".status-badge")).to_have_text("已索引")
    assert int(row(page, pdf.name).locator("td[data-label='页数']").inner_text()) >= 2
    title = row(page, docx.name).locator(".report-title").inner_text()
    page.screenshot(path=str(shots_dir / "library-rebuilt.png"), full_page=True)

    # 3. `/` answers the question from the new Word file, citing it.
    body = ask_home(page, admin.base_url, QUESTION)
    assert body["answer"] and FIGURE in body["answer"]["text"], body["answer"]
    expect(page.locator("#answer .answer-passage, #answer .answer-sentence").first).to_contain_text(FIGURE)
    expect(page.locator("#answer .citation-title")).to_have_text(title)
    page.screenshot(path=str(shots_dir / "library-answer-from-upload.png"), full_page=True)

    # 4. Rename it on /library, rebuild: the citation carries the new title.
    open_library(page, admin.base_url)
    row(page, docx.name).get_by_role("button", name="编辑").click()
    dialog = page.locator("#edit-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#edit-title-input")).to_have_value(title)
    page.locator("#edit-title-input").fill(NEW_TITLE)
    page.locator("#edit-year").fill("2025")
    page.screenshot(path=str(shots_dir / "library-edit-dialog.png"))
    page.locator("#edit-save").click()
    expect(dialog).to_be_hidden()
    expect(row(page, docx.name).locator(".report-title")).to_have_text(NEW_TITLE)
    expect(row(page, docx.name).locator(".status-badge")).to_have_text("待重建")
    expect(row(page, docx.name).get_by_role("button", name="编辑")).to_be_focused()
    rebuild(page)
    expect(row(page, docx.name).locator(".status-badge")).to_have_text("已索引")
    body = ask_home(page, admin.base_url, QUESTION)
    assert body["answer"] and FIGURE in body["answer"]["text"], body["answer"]
    expect(page.locator("#answer .citation-title")).to_have_text(NEW_TITLE)

    # 5. Delete it after confirming, rebuild: gone from the answers (its file kept in .trash/).
    open_library(page, admin.base_url)
    row(page, docx.name).get_by_role("button", name="删除").click()
    expect(page.locator("#delete-dialog")).to_be_visible()
    expect(page.locator("#delete-text")).to_contain_text(NEW_TITLE)
    page.locator("#delete-confirm").click()
    expect(page.locator("#delete-dialog")).to_be_hidden()
    expect(row(page, docx.name)).to_have_count(0)
    assert not (admin.corpus / docx.name).exists() and (admin.corpus / ".trash" / docx.name).exists()
    rebuild(page)
    body = ask_home(page, admin.base_url, QUESTION)
    cited = [body["answer"]] if body["answer"] else []
    assert all(FIGURE not in item["text"] for item in [*cited, *body["results"]]), body
    assert all(item.get("title") != NEW_TITLE for item in [*cited, *body["results"]]), body
    page.screenshot(path=str(shots_dir / "library-after-delete.png"), full_page=True)
    assert not csp, csp


# ---------- axe-core (issue 16) over the library page's states ----------


def test_read_only_library_page_has_no_wcag_violations(desk: Page, live_server: str, shots_dir: Path) -> None:
    open_library(desk, live_server)
    expect(desk.locator("#readonly-note")).to_be_visible()
    expect(desk.locator("h1")).to_have_count(1)
    assert_accessible(desk, "library-read-only", shots_dir)


def test_library_page_at_phone_width_has_no_wcag_violations(phone: Page, live_server: str, shots_dir: Path) -> None:
    open_library(phone, live_server)
    widths = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"
    assert_accessible(phone, "library-phone", shots_dir)


def test_writable_library_page_and_its_dialogs_have_no_wcag_violations(
    desk: Page, admin: Admin, shots_dir: Path, tmp_path: Path
) -> None:
    open_library(desk, admin.base_url)
    assert_accessible(desk, "library-token-form", shots_dir)
    enter_token(desk, "wrong-token")
    expect(desk.locator("#token-message")).to_be_visible()
    assert_accessible(desk, "library-wrong-token", shots_dir)
    enter_token(desk)
    expect(desk.locator("#token-saved")).to_be_visible()
    refused = tmp_path / "说明.html"
    refused.write_text("没有任何标记的纯文字", encoding="utf-8")
    pick_file(desk, refused)
    expect(upload_outcome(desk, refused.name)).to_have_class("upload-item is-failed")
    assert_accessible(desk, "library-writable", shots_dir)
    first = desk.locator("#reports-body tr").first
    first.get_by_role("button", name="编辑").click()
    expect(desk.locator("#edit-dialog")).to_be_visible()
    assert_accessible(desk, "library-edit-dialog", shots_dir)
    desk.keyboard.press("Escape")
    expect(first.get_by_role("button", name="编辑")).to_be_focused()  # focus goes back to what opened it
    first.get_by_role("button", name="删除").click()
    expect(desk.locator("#delete-cancel")).to_be_focused()  # the safe choice first
    assert_accessible(desk, "library-delete-dialog", shots_dir)
    desk.locator("#delete-cancel").click()
    expect(desk.locator("#delete-dialog")).to_be_hidden()


def test_rebuild_progress_and_outcome_have_no_wcag_violations(desk: Page, admin: Admin, shots_dir: Path) -> None:
    open_library(desk, admin.base_url)
    enter_token(desk)
    expect(desk.locator("#token-saved")).to_be_visible()
    expect(desk.locator("#rebuild-live")).to_have_attribute("aria-live", "polite")
    rebuild(desk)
    assert_accessible(desk, "library-rebuilt", shots_dir)


def test_every_library_control_is_reached_by_tab_with_a_visible_focus_ring(desk: Page, admin: Admin) -> None:
    open_library(desk, admin.base_url)
    enter_token(desk)
    expect(desk.locator("#token-saved")).to_be_visible()
    open_library(desk, admin.base_url)  # the token is kept; focus starts at the top of the page
    expect(desk.locator("#pick-files")).to_be_enabled()
    seen: list[str] = []
    for _ in range(120):  # skip link, header, token, upload, rebuild, the table and its buttons, footer
        desk.keyboard.press("Tab")
        name = desk.evaluate("() => document.activeElement === document.body ? '' : "
                             "`${document.activeElement.tagName}#${document.activeElement.id}"
                             "[${document.activeElement.getAttribute('aria-label') || "
                             "document.activeElement.textContent.trim().slice(0, 20)}]`")
        if not name or name in seen[:1]:
            break
        ring = desk.evaluate(f"() => ({FOCUS_RING})(document.activeElement)")
        assert ring["style"] != "none" and ring["width"] >= 2, f"{name}: no visible focus ring ({ring})"
        assert ring["ratio"] >= 3, f"{name}: focus ring {ring['ring']} on {ring['around']} is {ring['ratio']:.2f}:1"
        seen.append(name)
    reached = " ".join(seen)
    for control in ("#token-clear", "#pick-files", "#rebuild-btn", "#reports-scroll", "[编辑：", "[删除："):
        assert control in reached, f"{control} not reached by Tab: {seen}"
