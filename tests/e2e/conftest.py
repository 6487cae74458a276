"""Fixtures for the browser tests: a live reportqa server and a headless Chromium.

The server is either the one named by ``REPORTQA_TEST_SERVER_URL`` (for developing the page
against another server) or a real one: the corpus is indexed into a temporary folder and
``reportqa serve`` is started on a free port for the whole session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
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


def _reportqa_command() -> list[str]:
    """The `reportqa` console script next to this interpreter, else `python -m reportqa.cli`."""
    script = Path(sys.executable).with_name("reportqa")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "reportqa.cli"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _health_ok(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/api/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, TimeoutError):
        return False


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def _build_index(index_dir: Path) -> None:
    command = [*_reportqa_command(), "build", "--corpus", str(REPO / "corpus"), "--index", str(index_dir)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, env=_server_env(), check=False
    )
    if result.returncode != 0:
        print(result.stdout, file=sys.__stderr__)
        print(result.stderr, file=sys.__stderr__)
        pytest.fail(f"`{' '.join(command)}` failed with exit status {result.returncode}", pytrace=False)


def _start_server(index_dir: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        *_reportqa_command(),
        "serve",
        "--index",
        str(index_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=_server_env())
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _health_ok(base_url):
            return process, base_url
        time.sleep(0.5)
    _stop(process)
    print(f"--- reportqa serve output ({log_path}) ---", file=sys.__stderr__)
    print(log_path.read_text(encoding="utf-8", errors="replace"), file=sys.__stderr__)
    pytest.fail(
        f"reportqa serve did not answer {base_url}/api/health within {HEALTH_TIMEOUT_S:.0f} s", pytrace=False
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL (no trailing slash) of a reportqa server that serves the page and the API."""
    external = os.environ.get("REPORTQA_TEST_SERVER_URL")
    if external:
        yield external.rstrip("/")
        return
    workdir = Path(tempfile.mkdtemp(prefix="reportqa-e2e-"))
    try:
        index_dir = workdir / "index"
        _build_index(index_dir)
        process, base_url = _start_server(index_dir, workdir / "serve.log")
        try:
            yield base_url
        finally:
            _stop(process)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


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
