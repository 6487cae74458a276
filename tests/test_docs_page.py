"""`/docs` is Swagger UI served from the package: no CDN, no inline script, under the app's strict CSP."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from reportqa.web.app import WEB_DIR, AppSettings, create_app
from tests.fakes import FakeEmbedder


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The app without its lifespan: the docs need neither a model nor an index."""
    root = tmp_path_factory.mktemp("docs")
    return TestClient(create_app(AppSettings(index_root=root / "index", corpus_dir=root / "corpus",
                                             load_embedder=FakeEmbedder)))


def scripts_and_styles(html: str) -> list[str]:
    return re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', html)


def test_docs_is_an_html_page(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="swagger-ui">' in response.text


def test_docs_has_no_inline_script_and_no_outside_address(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "<script>" not in html and "http" not in html
    assert all(url.startswith("/docs/") for url in scripts_and_styles(html))


def test_docs_keeps_the_apps_strict_content_security_policy(client: TestClient) -> None:
    policy = client.get("/docs").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_every_file_the_docs_name_is_served_and_cached_by_its_content_hash(client: TestClient) -> None:
    for url in scripts_and_styles(client.get("/docs").text):
        assert re.search(r"\?v=[0-9a-f]{10}$", url), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert "immutable" in response.headers["cache-control"]


def test_the_swagger_ui_bundle_is_vendored_in_the_package() -> None:
    static = WEB_DIR / "docs"
    assert (static / "swagger-ui-bundle.js").stat().st_size > 1_000_000
    assert "Apache License" in (static / "LICENSE").read_text(encoding="utf-8")


def test_the_docs_start_swagger_ui_on_the_apps_own_openapi(client: TestClient) -> None:
    script = client.get("/docs/docs.js").text
    assert 'url: "/openapi.json"' in script and "validatorUrl: null" in script


def test_fastapis_cdn_pages_are_gone(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
    assert "/docs" not in client.get("/openapi.json").json()["paths"]
