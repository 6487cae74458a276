"""Fixtures for the browser tests: a live reportqa server and a headless Chromium.

The server is either the one named by ``REPORTQA_TEST_SERVER_URL`` (for developing the page
against another server) or a real one: the corpus is indexed into a temporary folder and
``reportqa serve`` is started on a free port for the whole session.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEALTH_TIMEOUT_S = 180.0
BUILD_TIMEOUT_S = 1800.0
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

_shots_dir: Path | None = None

# The first search against a real server may load the embedding model; give the page time.
EXPECT_TIMEOUT_MS = 30_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _shots_dir is not None and any(_shots_dir.iterdir()):
        terminalreporter.write_sep("-", "reportqa screenshots")
        terminalreporter.write_line(f"screenshots saved in {_shots_dir}")


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> str:
    """Base URL of the server under test.

    `REPORTQA_TEST_SERVER_URL` points the page tests at another server (for
    working on the page); otherwise they use the session's real server over
    the real index (tests/conftest.py).
    """
    external = os.environ.get("REPORTQA_TEST_SERVER_URL")
    if external:
        return external.rstrip("/")
    return str(request.getfixturevalue("real_server"))


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    """Folder for the screenshots the tests take; its path is printed at the end of the run."""
    global _shots_dir
    if _shots_dir is None:
        _shots_dir = Path(tempfile.mkdtemp(prefix="reportqa-shots-"))
        print(f"\nreportqa screenshots go to {_shots_dir}", file=sys.__stderr__)
    return _shots_dir


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _new_page(browser: Browser, viewport: dict[str, int]) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[arg-type]
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop-sized page (1280×900)."""
    yield from _new_page(browser, DESKTOP)


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized page (375×812)."""
    yield from _new_page(browser, PHONE)
