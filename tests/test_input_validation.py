"""Bad input through the real front ends: the HTTP server and the `reportqa` CLI.

Every mistake a user (or a hostile client) can make must come back as a 4xx
with a one-line JSON `detail`, or as one `error: …` line and a non-zero exit:
never a 500, never a traceback, never an internal path. The security defaults
(loopback bind, CSP, nosniff, no CORS, JSON access log) are checked here too
because they are what a deployment inherits without configuring anything.
"""

from __future__ import annotations

import http.client
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.server_utils import REPO, run_cli

pytestmark = pytest.mark.slow

VALID_QUESTION = "2024年全市技术合同成交额是多少？"
# Fragments that only appear when internals leak: tracebacks and filesystem locations.
LEAK_MARKERS = ("Traceback", 'File "', f"{REPO.parent}/", "/tmp/", "/home/", "/root/", "site-packages", str(REPO))


@pytest.fixture(scope="module")
def client(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c


def assert_clean_client_error(response: httpx.Response, *, status: int | None = None) -> str:
    """A 4xx whose body is exactly `{"detail": "<one line>"}` with nothing internal; returns the detail."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"detail"}, body
    detail = body["detail"]
    assert isinstance(detail, str) and detail.strip(), body
    assert "\n" not in detail and "\r" not in detail, detail
    for marker in LEAK_MARKERS:
        assert marker not in response.text, f"{marker!r} leaked in {response.text!r}"
    return detail


# --- /api/search ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("\u200b\u200e\u202e", "empty"),
        ("科" * 501, "limit is 500"),
        ("上海\x00科技", "control characters"),
        ("上海\x1b[31m科技", "control characters"),
        ("x", "nothing to search"),
        ("？？！", "nothing to search"),
        ("\ufffd", "nothing to search"),
    ],
    ids=["empty", "whitespace", "invisible-only", "501-chars", "nul", "escape", "one-letter", "punctuation",
         "replacement-char"],
)
def test_search_rejects_unusable_query_with_422(client: httpx.Client, q: str, expected: str) -> None:
    detail = assert_clean_client_error(client.get("/api/search", params={"q": q}), status=422)
    assert expected in detail


def test_search_accepts_query_of_exactly_the_limit(client: httpx.Client) -> None:
    """The 500-character limit is inclusive: the longest allowed query still answers."""
    q = (VALID_QUESTION * 40)[:500]
    response = client.get("/api/search", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json()["query"] == q


@pytest.mark.parametrize("k", ["0", "51", "abc", "-1", "1.5"])
def test_search_rejects_k_outside_1_to_50(client: httpx.Client, k: str) -> None:
    detail = assert_clean_client_error(client.get("/api/search", params={"q": VALID_QUESTION, "k": k}),
                                       status=422)
    assert detail.startswith("k:"), detail


@pytest.mark.parametrize("k", ["1", "50"])
def test_search_accepts_k_at_both_bounds(client: httpx.Client, k: str) -> None:
    response = client.get("/api/search", params={"q": VALID_QUESTION, "k": k})
    assert response.status_code == 200, response.text
    assert 1 <= len(response.json()["results"]) <= int(k)


def test_search_without_q_names_the_missing_parameter(client: httpx.Client) -> None:
    detail = assert_clean_client_error(client.get("/api/search"), status=422)
    assert detail.startswith("q:") and "required" in detail.lower(), detail


def test_unknown_doc_filter_lists_the_valid_ids(client: httpx.Client) -> None:
    ids = [d["id"] for d in client.get("/api/documents").json()]
    assert len(ids) >= 2
    detail = assert_clean_client_error(client.get("/api/search", params={"q": VALID_QUESTION, "doc": "nope"}),
                                       status=422)
    assert "'nope'" in detail
    for doc_id in ids:
        assert doc_id in detail


def test_unknown_year_filter_lists_the_valid_years(client: httpx.Client) -> None:
    years = sorted({d["year"] for d in client.get("/api/documents").json() if d["year"] is not None})
    assert len(years) >= 2
    detail = assert_clean_client_error(client.get("/api/search", params={"q": VALID_QUESTION, "year": 1999}),
                                       status=422)
    assert "1999" in detail
    for year in years:
        assert str(year) in detail


def test_non_numeric_year_is_422(client: httpx.Client) -> None:
    detail = assert_clean_client_error(client.get("/api/search", params={"q": VALID_QUESTION, "year": "abc"}),
                                       status=422)
    assert detail.startswith("year:"), detail


# --- /api/documents/{id} and static files: path characters -------------------------------------------

def raw_get(base_url: str, raw_path: str) -> httpx.Response:
    """GET a path byte-for-byte (httpx would normalise dot segments and percent-escapes away)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", raw_path)
        raw = conn.getresponse()
        return httpx.Response(raw.status, headers=raw.getheaders(), content=raw.read())
    finally:
        conn.close()


@pytest.mark.parametrize(
    "raw_path",
    [
        "/api/documents/..%2F..%2Fetc%2Fpasswd",
        "/api/documents/a%5Cb",
        "/api/documents/..%5C..%5Cpyproject.toml",
        "/api/documents/%00",
    ],
)
def test_document_id_with_path_characters_is_a_clean_4xx(live_server: str, raw_path: str) -> None:
    response = raw_get(live_server, raw_path)
    assert_clean_client_error(response)
    assert "root:" not in response.text


@pytest.mark.parametrize(
    "raw_path",
    [
        "/..%2F..%2Fpyproject.toml",
        "/%2e%2e/%2e%2e/pyproject.toml",
        "/../pyproject.toml",
        "/..%2Fweb%2F..%2Fpyproject.toml",
    ],
)
def test_static_files_do_not_escape_the_web_folder(live_server: str, raw_path: str) -> None:
    response = raw_get(live_server, raw_path)
    assert_clean_client_error(response)
    assert "[project]" not in response.text


def test_unknown_document_is_404_pointing_to_the_list(client: httpx.Client) -> None:
    detail = assert_clean_client_error(client.get("/api/documents/no-such-report"), status=404)
    assert "/api/documents" in detail


# --- the CLI -----------------------------------------------------------------------------------------

def cli_cases(index: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Arguments of `reportqa` and the fragments its one-line error must contain."""
    from reportqa.index import local as store

    docs = store.load_documents(store.current_dir(index) / store.DOCUMENTS) if index.exists() else []
    ids = [d.id for d in docs]
    years = sorted({str(d.year) for d in docs if d.year is not None})
    idx = ["--index", str(index)]
    q = "技术合同成交额"  # a valid question, so only the argument under test is wrong
    return {
        "empty": (["ask", "", *idx], ["empty"]),
        "whitespace": (["ask", "   ", *idx], ["empty"]),
        "invisible-only": (["ask", "\u200b\u200b", *idx], ["empty"]),
        "501-chars": (["ask", "科" * 501, *idx], ["limit is 500"]),
        "control": (["ask", "上海\x1b科技", *idx], ["control characters"]),
        "nothing-to-search": (["ask", "？！", *idx], ["nothing to search"]),
        "k-0": (["ask", q, "--k", "0", *idx], ["between 1 and 50"]),
        "unknown-doc": (["ask", q, "--doc", "nope", *idx], ["'nope'", "valid ids", *ids]),
        "unknown-year": (["ask", q, "--year", "1999", *idx], ["1999", "valid years", *years]),
        "missing-index": (["ask", q, "--index", "/nonexistent"], ["reportqa build"]),
        "index-is-a-file": (["ask", q, "--index", str(REPO / "pyproject.toml")], ["reportqa build"]),
        "serve-missing-index": (["serve", "--index", "/nonexistent", "--port", "0"], ["reportqa build"]),
    }


@pytest.mark.parametrize("case", list(cli_cases(Path("/nonexistent"))))
def test_cli_rejects_bad_input_with_one_error_line(built_index: Path, case: str) -> None:
    args, expected = cli_cases(built_index)[case]
    result = run_cli(*args, timeout=180)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for fragment in expected:
        assert fragment in lines[0], (fragment, lines[0])


# --- security defaults ---------------------------------------------------------------------------

def test_serve_binds_loopback_by_default() -> None:
    from reportqa import cli

    assert inspect.signature(cli.serve).parameters["host"].default == "127.0.0.1"
    help_text = run_cli("serve", "--help", COLUMNS="200").stdout
    host_line = next(line for line in help_text.splitlines() if "--host" in line)
    assert "[default: 127.0.0.1]" in host_line


@pytest.mark.parametrize(
    "path",
    ["/", "/api/health", f"/api/search?q={VALID_QUESTION}", "/api/search?q=", "/api/documents",
     "/api/documents/no-such-report", "/openapi.json"],
)
def test_responses_carry_csp_and_nosniff(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers.get("x-content-type-options") == "nosniff"


def test_no_cors_header_by_default(client: httpx.Client) -> None:
    origin = {"Origin": "http://evil.example"}
    simple = client.get("/api/search", params={"q": VALID_QUESTION}, headers=origin)
    preflight = client.options("/api/search", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert simple.status_code == 200
    for response in (simple, preflight):
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers


def test_cors_header_only_for_a_configured_origin(tmp_path: Path) -> None:
    """In-process app (no model needed: CORS is middleware and answers while the index is unavailable)."""
    from fastapi.testclient import TestClient

    from reportqa.errors import ReportQAError
    from reportqa.web.app import AppSettings, create_app

    def no_model():  # type: ignore[no-untyped-def]
        raise ReportQAError("no model in this test")

    app = create_app(AppSettings(index_root=tmp_path, corpus_dir=tmp_path, load_embedder=no_model,
                                 cors_origins=["http://allowed.example"]))
    with TestClient(app) as test_client:
        allowed = test_client.get("/api/health", headers={"Origin": "http://allowed.example"})
        other = test_client.get("/api/health", headers={"Origin": "http://evil.example"})
    assert allowed.headers.get("access-control-allow-origin") == "http://allowed.example"
    assert "access-control-allow-origin" not in other.headers


def test_access_log_lines_are_json_with_method_path_status_ms(live_server: str, built_index: Path,
                                                             client: httpx.Client) -> None:
    marker = "/api/documents/access-log-probe-7f3a"
    assert client.get(marker).status_code == 404
    assert client.get("/api/search", params={"q": VALID_QUESTION}).status_code == 200
    port = urlsplit(live_server).port
    # start_server's documented default: the log (stdout and stderr) lies next to the index.
    log_text = (built_index.parent / f"server-{port}.log").read_text(encoding="utf-8")
    entries = []
    for line in log_text.splitlines():
        if not line.strip() or line.startswith("serving on http://"):
            continue
        entry = json.loads(line)  # a non-JSON line (a traceback, a stray print) fails here
        assert isinstance(entry, dict), line
        entries.append(entry)
    access = [e for e in entries if "path" in e]
    probe = [e for e in access if e["path"] == marker]
    assert len(probe) == 1
    assert probe[0]["method"] == "GET" and probe[0]["status"] == 404
    search = [e for e in access if e["path"] == "/api/search" and e["status"] == 200]
    assert search, "the search request was not logged"
    for entry in access:
        assert {"method", "path", "status", "ms"} <= set(entry), entry
        assert isinstance(entry["status"], int) and isinstance(entry["ms"], int | float) and entry["ms"] >= 0
        assert "?" not in entry["path"]  # queries (what users asked) stay out of the log
