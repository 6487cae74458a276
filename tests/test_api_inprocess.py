"""The HTTP API in-process, over a tiny index built with the fake embedder: seconds, no model.

The slow tests drive a real `reportqa serve` with the real model; these check the same
contract (status codes, one-line `detail`, security headers, admin access, the page)
through `TestClient` so a change to a router or a dependency is caught on every run.
The lifespan runs (the client is a context manager), so the app loads its index in
its background thread exactly as the server does.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from reportqa.errors import ReportQAError
from reportqa.index.build import build_index
from reportqa.web.app import AppSettings, create_app
from tests.fakes import FakeEmbedder, write_tiny_corpus

QUESTION = "2024年全市技术合同成交额是多少？"
TOKEN = "secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
WAIT_S = 10.0


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, whose passage embedding (what a rebuild does) can be held until released."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def embed_passages(self, texts: Sequence[str], *, batch_size: int = 32,
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.hold.set()
        self.release.wait(WAIT_S)
        return super().embed_passages(texts, batch_size=batch_size, progress=progress)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index root) of the two tiny reports; read-only for the tests that share it."""
    root = tmp_path_factory.mktemp("tiny")
    corpus = write_tiny_corpus(root / "corpus")
    build_index(corpus, root / "index", FakeEmbedder())
    return corpus, root / "index"


def wait_until(client: TestClient, path: str, status: int) -> Response:
    """Poll `path` until it answers `status` (the loader thread needs a moment)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        response = client.get(path)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.02)


@contextlib.contextmanager
def running_app(settings: AppSettings) -> Iterator[TestClient]:
    """A client of the app, its lifespan running and its index loaded."""
    with TestClient(create_app(settings)) as client:
        health = wait_until(client, "/api/health", 200)
        assert health.status_code == 200, health.text
        yield client


@pytest.fixture(scope="module")
def client(tiny: tuple[Path, Path]) -> Iterator[TestClient]:
    """The app as `reportqa serve` runs it by default: no admin token, no CORS origin."""
    corpus, index = tiny
    with running_app(AppSettings(index_root=index, corpus_dir=corpus, load_embedder=FakeEmbedder,
                                 reload_interval_s=0.1)) as c:
        yield c


@pytest.fixture(scope="module")
def admin(tiny: tuple[Path, Path],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, GatedEmbedder, Path]]:
    """(client, embedder, corpus) of an app with an admin token over its own copies of corpus and index.

    Shared by the admin tests: each holds whatever version it finds, so their order does not matter.
    """
    root = tmp_path_factory.mktemp("admin")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(tiny[0], corpus)
    shutil.copytree(tiny[1], index, ignore=shutil.ignore_patterns(".build.lock"))
    embedder = GatedEmbedder()
    with running_app(AppSettings(index_root=index, corpus_dir=corpus, load_embedder=lambda: embedder,
                                 reload_interval_s=0.1, admin_token=TOKEN)) as client:
        yield client, embedder, corpus


def detail_of(response: Response, status: int) -> str:
    """The one-line `detail` of an error response with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail"}, body
    detail = body["detail"]
    assert isinstance(detail, str) and detail.strip() and "\n" not in detail, body
    return detail


def wait_job(client: TestClient, job_id: str) -> dict[str, object]:
    """Poll a rebuild job until it is no longer running; its final status."""
    deadline = time.monotonic() + WAIT_S
    while True:
        job = client.get(f"/api/index/rebuild/{job_id}", headers=AUTH).json()
        if job["state"] != "running" or time.monotonic() > deadline:
            return dict(job)
        time.sleep(0.02)


def model_loading_until(ready: threading.Event) -> Callable[[], FakeEmbedder]:
    """A model loader that blocks until `ready`, then fails: the app stays "loading" for the whole test."""

    def load() -> FakeEmbedder:
        ready.wait(WAIT_S)
        raise ReportQAError("the test is over")  # no index load left running behind the next tests

    return load


# --- health, the page, answers ---------------------------------------------------------------------

def test_health_is_200_with_the_index_version(client: TestClient, tiny: tuple[Path, Path]) -> None:
    body = client.get("/api/health").json()
    published = (tiny[1] / "CURRENT").read_text(encoding="utf-8").strip()
    assert body["status"] == "ok" and body["index_version"] == published and body["chunk_count"] > 0


def test_health_is_503_loading_until_the_index_is_ready(tiny: tuple[Path, Path]) -> None:
    corpus, index = tiny
    ready = threading.Event()
    with TestClient(create_app(AppSettings(index_root=index, corpus_dir=corpus,
                                           load_embedder=model_loading_until(ready)))) as c:
        loading = c.get("/api/health")
        ready.set()
    assert loading.status_code == 503
    assert loading.json()["status"] == "loading"


def test_search_while_loading_is_503_saying_so(tiny: tuple[Path, Path]) -> None:
    corpus, index = tiny
    ready = threading.Event()
    with TestClient(create_app(AppSettings(index_root=index, corpus_dir=corpus,
                                           load_embedder=model_loading_until(ready)))) as c:
        response = c.get("/api/search", params={"q": QUESTION})
        ready.set()
    assert "still loading" in detail_of(response, 503)


def test_page_is_served_at_root(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower() and "app.js" in response.text


def test_search_answers_a_chinese_question_with_its_citation(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": QUESTION})
    assert response.status_code == 200, response.text
    answer = response.json()["answer"]
    assert "5200.73亿元" in answer["text"]
    assert answer["doc_id"] == "r2024" and answer["year"] == 2024


def test_search_timings_carry_the_total_the_page_shows(client: TestClient) -> None:
    timings = client.get("/api/search", params={"q": QUESTION}).json()["timings_ms"]
    assert timings["total_ms"] >= max(v for key, v in timings.items() if key != "total_ms")


def test_documents_lists_the_reports(client: TestClient) -> None:
    docs = client.get("/api/documents").json()
    assert {(d["id"], d["year"]) for d in docs} == {("r2023", 2023), ("r2024", 2024)}


def test_document_detail_has_its_sections(client: TestClient) -> None:
    detail = client.get("/api/documents/r2024").json()
    assert detail["title"] == "上海科技进步报告2024"
    assert "一、创新投入" in [s["title"] for s in detail["sections"]]


# --- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": ""}, "empty"),
        ({"q": "科" * 501}, "limit is 500"),
        ({"q": "上海\x1b[31m科技"}, "control characters"),
        ({"q": QUESTION, "k": "0"}, "k:"),
        ({"q": QUESTION, "k": "51"}, "k:"),
    ],
    ids=["empty", "501-chars", "control-chars", "k-0", "k-51"],
)
def test_unusable_search_is_422_with_one_line(client: TestClient, params: dict[str, str], expected: str) -> None:
    assert expected in detail_of(client.get("/api/search", params=params), 422)


def test_unknown_doc_filter_is_422_listing_the_valid_ids(client: TestClient) -> None:
    detail = detail_of(client.get("/api/search", params={"q": QUESTION, "doc": "nope"}), 422)
    assert "'nope'" in detail and "r2023" in detail and "r2024" in detail


def test_unknown_year_filter_is_422_listing_the_valid_years(client: TestClient) -> None:
    detail = detail_of(client.get("/api/search", params={"q": QUESTION, "year": 1999}), 422)
    assert "1999" in detail and "2023" in detail and "2024" in detail


def test_document_id_with_path_characters_is_400(client: TestClient) -> None:
    assert "invalid document id" in detail_of(client.get("/api/documents/a%5Cb"), 400)


def test_unknown_document_is_404_pointing_to_the_list(client: TestClient) -> None:
    assert "/api/documents" in detail_of(client.get("/api/documents/no-such-report"), 404)


def test_a_bug_is_a_500_without_internals(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("/secret/path in a traceback")

    monkeypatch.setattr(client.app.state.reportqa.service, "search", broken)  # type: ignore[attr-defined]
    response = client.get("/api/search", params={"q": QUESTION})
    assert detail_of(response, 500) == "internal error"
    assert response.headers["x-content-type-options"] == "nosniff"


# --- security defaults -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/api/health", 200), ("/api/documents", 200), ("/api/search?q=", 422),
     ("/api/documents/no-such-report", 404), ("/no-such-file.txt", 404)],
    ids=["page", "json", "json-list", "422", "404", "static-404"],
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    for key, value in SECURITY_HEADERS.items():
        assert response.headers[key] == value


def test_no_cors_header_by_default(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": QUESTION}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# --- admin: rebuilding through the API -------------------------------------------------------------

def test_rebuild_without_a_configured_token_is_403(client: TestClient) -> None:
    assert "REPORTQA_ADMIN_TOKEN" in detail_of(client.post("/api/index/rebuild", headers=AUTH), 403)


def test_rebuild_without_authorization_header_is_401(admin: tuple[TestClient, GatedEmbedder, Path]) -> None:
    response = admin[0].post("/api/index/rebuild")
    assert "bearer token" in detail_of(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_rebuild_with_a_wrong_token_is_403(admin: tuple[TestClient, GatedEmbedder, Path]) -> None:
    response = admin[0].post("/api/index/rebuild", headers={"Authorization": "Bearer wrong"})
    assert detail_of(response, 403) == (
        "管理令牌不正确：请在请求头 Authorization: Bearer <令牌> 中发送服务器设置的令牌")


def test_rebuild_with_the_token_is_202_and_succeeds(admin: tuple[TestClient, GatedEmbedder, Path]) -> None:
    client = admin[0]
    response = client.post("/api/index/rebuild", headers=AUTH)
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "running"
    assert wait_job(client, response.json()["job_id"])["state"] == "succeeded"


def test_second_rebuild_while_one_runs_is_409(admin: tuple[TestClient, GatedEmbedder, Path]) -> None:
    client, embedder, corpus = admin
    (corpus / "r2025.md").write_text("# 上海科技进步报告2025\n\n全市技术合同成交额6496.79亿元。\n", encoding="utf-8")
    embedder.release.clear()  # the first rebuild stops at embedding the new report until released
    try:
        first = client.post("/api/index/rebuild", headers=AUTH)
        assert first.status_code == 202, first.text
        assert embedder.hold.wait(WAIT_S)
        second = client.post("/api/index/rebuild", headers=AUTH)
    finally:
        embedder.release.set()
    job_id = first.json()["job_id"]
    assert job_id in detail_of(second, 409)
    assert wait_job(client, job_id)["state"] == "succeeded"


def test_unknown_rebuild_job_is_404(admin: tuple[TestClient, GatedEmbedder, Path]) -> None:
    assert "whatever" in detail_of(admin[0].get("/api/index/rebuild/whatever", headers=AUTH), 404)
