"""What goes over the wire for the page (issue 16): gzip, caching headers, versioned assets, a favicon.

In-process (`TestClient`) over the tiny fake index, so it runs in the fast layer. The page's
script and style sheet are named with a content hash (`app.js?v=…`), which lets a browser keep
them for a year; the page itself and the API are `no-cache` (revalidated on every use), so a
new version of the page is seen at once.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reportqa.index.build import build_index
from reportqa.web.app import WEB_DIR, AppSettings, create_app
from reportqa.web.assets import REVALIDATE, VERSIONED
from tests.fakes import FakeEmbedder, write_tiny_corpus

GZIP = {"Accept-Encoding": "gzip"}
ASSET_URL = re.compile(r'(?:src|href)="((?:app\.js|style\.css|favicon\.svg|favicon\.ico)\?v=[0-9a-f]+)"')


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("wire")
    corpus = write_tiny_corpus(root / "corpus")
    build_index(corpus, root / "index", FakeEmbedder())
    with TestClient(create_app(AppSettings(index_root=root / "index", corpus_dir=corpus,
                                           load_embedder=FakeEmbedder))) as c:
        yield c


def asset_urls(client: TestClient) -> dict[str, str]:
    """The page's own asset URLs, by file name: {"app.js": "app.js?v=…", …}."""
    html = client.get("/").text
    return {url.split("?")[0]: url for url in ASSET_URL.findall(html)}


def test_the_page_names_its_script_style_and_icons_with_a_content_hash(client: TestClient) -> None:
    assert set(asset_urls(client)) == {"app.js", "style.css", "favicon.svg", "favicon.ico"}


def test_the_page_comes_back_gzip_compressed_and_revalidated(client: TestClient) -> None:
    response = client.get("/", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == REVALIDATE
    assert "etag" in response.headers


@pytest.mark.parametrize("name", ["app.js", "style.css"])
def test_versioned_script_and_style_come_back_gzip_compressed_and_cached_for_a_year(
        client: TestClient, name: str) -> None:
    with client.stream("GET", f"/{asset_urls(client)[name]}", headers=GZIP) as response:
        on_the_wire = b"".join(response.iter_raw())
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == VERSIONED
    assert gzip.decompress(on_the_wire) == (WEB_DIR / name).read_bytes()
    assert len(on_the_wire) < (WEB_DIR / name).stat().st_size / 2


@pytest.mark.parametrize("name", ["app.js", "style.css"])
def test_an_asset_without_its_version_is_revalidated(client: TestClient, name: str) -> None:
    response = client.get(f"/{name}", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["cache-control"] == REVALIDATE


def test_the_hash_changes_with_the_file(tmp_path: Path) -> None:
    from reportqa.web.assets import PageFiles

    (tmp_path / "app.js").write_text("one", encoding="utf-8")
    files = PageFiles(directory=tmp_path)
    before = files.render_page('<script src="app.js"></script>')
    (tmp_path / "app.js").write_text("two!", encoding="utf-8")
    assert files.render_page('<script src="app.js"></script>') != before


def test_favicon_ico_is_served_not_404(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO signature


def test_api_answers_are_gzip_compressed_and_not_cached_stale(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "2024年全市技术合同成交额是多少？"}, headers=GZIP)
    assert response.status_code in (200, 503), response.text  # 503 while the tiny index still loads
    assert response.headers["cache-control"] == REVALIDATE
    if len(response.content) >= 500:
        assert response.headers["content-encoding"] == "gzip"


def test_the_library_page_is_served_at_slash_library_with_its_script_hashed(client: TestClient) -> None:
    response = client.get("/library", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["cache-control"] == REVALIDATE
    assert "<h1" in response.text and "报告资料库" in response.text
    script = re.search(r'src="(library\.js\?v=[0-9a-f]+)"', response.text)
    assert script and re.search(r'href="style\.css\?v=[0-9a-f]+"', response.text)
    asset = client.get(f"/{script[1]}", headers=GZIP)
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == VERSIONED
    assert asset.headers["content-encoding"] == "gzip"
