"""The library API in-process: list, upload, edit and delete reports of the corpus folder.

Each test gets its own copy of the tiny corpus (an app over the shared tiny index, with the
fake embedder), so writes never leak between tests; the whole module runs in seconds. What
is promised: every refused write (unsafe name, too large, content not matching its suffix,
duplicate, bad metadata, no or wrong token, a running rebuild, a failing disk) is a 4xx or
503 with a one-line `detail` and leaves the folder and `reports.toml` exactly as they were;
every accepted write changes both consistently; concurrent writes are serialised.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import shutil
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from reportqa.index.build import build_index
from reportqa.ingest import library as library_module
from reportqa.ingest.corpus import MetadataWarning, iter_corpus
from reportqa.ingest.library import UnsafeNameError, manifest_comments, sanitise_name, sniff, toml_text
from reportqa.settings import Settings
from reportqa.web.app import AppSettings, create_app
from reportqa.web.routes import library as library_routes
from reportqa.web.routes.library import SOURCE_FILES_KEY
from tests.fakes import FakeEmbedder, write_tiny_corpus
from tests.fixtures_docs import make_pdf
from tests.test_api_inprocess import GatedEmbedder, wait_until

REPO = Path(__file__).resolve().parents[1]
TOKEN = "library-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WAIT_S = 10.0
HEADER = "# 本文件夹中报告的元数据。\n# kind：年度报告或答复。\n"
KEY_NOTE = "# 报告发布于2024年。"
NEW_REPORT = "# 上海科技进步报告2025\n\n## 创新投入\n\n2025年，全市技术合同成交额6496.79亿元，同比增长24.9%。\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index root) of the two tiny reports, the manifest opening with a comment header."""
    root = tmp_path_factory.mktemp("library")
    corpus = write_tiny_corpus(root / "corpus")
    manifest = corpus / "reports.toml"
    text = manifest.read_text(encoding="utf-8").replace(
        'kind = "annual report"\n', 'kind = "annual report"\noriginal_file = "000_a.txt"\n', 1)
    manifest.write_text(HEADER + "\n" + text.replace("year = 2024\n", f"{KEY_NOTE}\nyear = 2024\n"), encoding="utf-8")
    build_index(corpus, root / "index", FakeEmbedder())
    return corpus, root / "index"


@dataclass
class Library:
    """A running app over its own corpus copy, and that corpus."""

    client: TestClient
    corpus: Path

    def snapshot(self) -> dict[str, bytes]:
        """Every file of the corpus folder and its bytes (the lock file aside): 'unchanged' means equal snapshots."""
        return {str(p.relative_to(self.corpus)): p.read_bytes() for p in sorted(self.corpus.rglob("*"))
                if p.is_file() and p.name != ".library.lock"}

    def manifest(self) -> dict[str, dict[str, Any]]:
        data = tomllib.loads((self.corpus / "reports.toml").read_text(encoding="utf-8"))
        return {entry["id"]: entry for entry in data.get("report", [])}

    def listing(self) -> dict[str, Any]:
        response = self.client.get("/api/library")
        assert response.status_code == 200, response.text
        return response.json()

    def report(self, doc_id: str) -> dict[str, Any]:
        return next(r for r in self.listing()["reports"] if r["id"] == doc_id)

    def upload(self, *files: tuple[str, bytes], headers: dict[str, str] | None = None) -> Response:
        return self.client.post("/api/documents", headers=AUTH if headers is None else headers,
                                files=[("files", (name, data)) for name, data in files])


@contextlib.contextmanager
def library_app(tiny: tuple[Path, Path], tmp_path: Path, *, token: str | None = TOKEN,
                embedder: Callable[[], FakeEmbedder] = FakeEmbedder, overrides: tuple[str, ...] = (),
                own_index: bool = False) -> Iterator[Library]:
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny[0], corpus)
    index = tiny[1]
    if own_index:  # a test that rebuilds writes into its index
        index = tmp_path / "index"
        shutil.copytree(tiny[1], index, ignore=shutil.ignore_patterns(".build.lock"))
    settings = AppSettings(index_root=index, corpus_dir=corpus, load_embedder=embedder, reload_interval_s=0.05,
                           admin_token=token, settings=Settings().with_overrides(overrides))
    with TestClient(create_app(settings)) as client:
        assert wait_until(client, "/api/health", 200).status_code == 200
        yield Library(client, corpus)


@pytest.fixture
def lib(tiny: tuple[Path, Path], tmp_path: Path) -> Iterator[Library]:
    with library_app(tiny, tmp_path) as app:
        yield app


def detail_of(response: Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"} and "\n" not in body["detail"], body
    return str(body["detail"])


def docx_bytes(heading: str, paragraphs: list[str]) -> bytes:
    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(tmp_path: Path) -> bytes:
    fact = "2025年，全市技术合同成交额6496.79亿元。"
    return make_pdf(tmp_path / "made.pdf", "上海科技进步报告2025", [fact]).read_bytes()


# --- listing ------------------------------------------------------------------------------------------


def test_the_listing_shows_each_report_indexed_with_its_metadata_and_counts(lib: Library) -> None:
    listing = lib.listing()
    assert listing["writable"] is True and listing["max_upload_bytes"] == 50_000_000
    assert {".md", ".txt", ".pdf", ".docx", ".html"} <= set(listing["formats"])
    report = next(r for r in listing["reports"] if r["id"] == "r2024")
    assert report["title"] == "上海科技进步报告2024" and report["year"] == 2024
    assert report["publisher"] == "上海市科学技术委员会" and report["format"] == "md"
    assert report["status"] == "indexed" and report["reason"] is None
    assert report["sections"] > 0 and report["chunks"] > 0 and report["pages"] is None
    assert report["size_bytes"] == (lib.corpus / "r2024.md").stat().st_size
    assert report["indexed_at"] and report["added_at"]


def test_the_listing_needs_no_token_and_says_writes_are_off_without_one(tiny: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    with library_app(tiny, tmp_path, token=None) as app:
        listing = app.listing()
    assert listing["writable"] is False and len(listing["reports"]) == 2


def test_the_listing_answers_while_the_index_is_still_loading_with_every_report_pending(
        tiny: tuple[Path, Path]) -> None:
    ready = threading.Event()

    def loading() -> FakeEmbedder:
        ready.wait(WAIT_S)
        raise RuntimeError("the test is over")

    with TestClient(create_app(AppSettings(index_root=tiny[1], corpus_dir=tiny[0], load_embedder=loading))) as c:
        response = c.get("/api/library")
        ready.set()
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["reports"]} == {"pending"}
    assert response.json()["reports"][0]["title"] == "上海科技进步报告2023"


# --- upload -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "fmt"), [
    ("上海科技进步报告2025.md", NEW_REPORT.encode("utf-8"), "md"),
    ("2025综述.txt", NEW_REPORT.replace("#", "").encode("gb18030"), "txt"),
    ("报告2025.html", f"<!DOCTYPE html><html><body><h1>报告</h1><p>{NEW_REPORT}</p></body></html>".encode(), "html"),
    ("报告2025.docx", docx_bytes("上海科技进步报告2025", ["2025年，全市技术合同成交额6496.79亿元。"]), "docx"),
])
def test_an_upload_is_stored_in_the_corpus_and_listed_as_pending(lib: Library, name: str, data: bytes,
                                                                 fmt: str) -> None:
    response = lib.upload((name, data))
    assert response.status_code == 201, response.text
    [added] = response.json()["added"]
    assert added["file"] == name and added["format"] == fmt
    assert added["status"] == "pending" and added["reason"] == "新文件，尚未重建索引"
    assert (lib.corpus / name).read_bytes() == data
    assert lib.report(added["id"])["status"] == "pending"


def test_a_pdf_upload_is_stored_and_read_by_the_next_build(lib: Library, tmp_path: Path) -> None:
    response = lib.upload(("科技报告2025.pdf", pdf_bytes(tmp_path)))
    assert response.status_code == 201, response.text
    assert response.json()["added"][0]["format"] == "pdf"
    with pytest.warns(MetadataWarning, match="科技报告2025.pdf"):  # no manifest entry: title and year are guessed
        assert "科技报告2025" in {r.meta.id for r in iter_corpus(lib.corpus)}


def test_several_files_are_uploaded_in_one_request(lib: Library) -> None:
    response = lib.upload(("a2025.md", NEW_REPORT.encode()), ("b2025.md", NEW_REPORT.replace("6496", "7000").encode()))
    assert response.status_code == 201, response.text
    assert [r["file"] for r in response.json()["added"]] == ["a2025.md", "b2025.md"]


def test_a_file_name_is_normalised_keeping_chinese() -> None:
    assert sanitise_name("  上海 科技\u3000报告\u200b2025 .MD ") == "上海 科技 报告2025.md"
    assert sanitise_name("e\u0301tude:1.txt") == "\u00e9tude_1.txt"


@pytest.mark.parametrize("name", ["../../etc/x.md", "..\\x.md", "sub/x.md", "..", ".hidden.md", "   "])
def test_an_unsafe_file_name_is_400_and_nothing_is_written(lib: Library, name: str) -> None:
    before = lib.snapshot()
    response = lib.client.post("/api/documents", headers=AUTH, files=[("files", (name, NEW_REPORT.encode()))])
    assert response.status_code == 400, response.text
    assert lib.snapshot() == before
    assert not (lib.corpus.parent / "etc").exists() and not (lib.corpus.parent / "x.md").exists()


def test_the_name_check_refuses_separators_and_parent_steps() -> None:
    for name in ("../../etc/x.md", "..\\x.md", "a/b.md", "x\x00.md"):  # (httpx percent-encodes a NUL)
        with pytest.raises(UnsafeNameError):
            sanitise_name(name)


def test_a_file_over_the_size_limit_is_413_and_nothing_is_written(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    with library_app(tiny, tmp_path, overrides=("serve.max_upload_mb=0.001",)) as app:
        before = app.snapshot()
        response = app.upload(("big2025.md", NEW_REPORT.encode() * 20))
        assert "serve.max_upload_mb" in detail_of(response, 413)
        assert app.snapshot() == before


def test_a_request_far_over_the_limit_is_413_before_its_body_is_read(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    with library_app(tiny, tmp_path, overrides=("serve.max_upload_mb=0.001",)) as app:
        before = app.snapshot()
        response = app.upload(("huge2025.md", NEW_REPORT.encode() * 10_000))  # 1.4 MB: past 20 files' worth
        assert "20" in detail_of(response, 413)
        assert app.snapshot() == before


@pytest.mark.parametrize(("name", "make"), [
    ("伪装.docx", lambda tmp: pdf_bytes(tmp)),               # a PDF named .docx
    ("伪装.pdf", lambda tmp: docx_bytes("标题", ["正文"])),   # a Word file named .pdf
    ("伪装.txt", lambda tmp: bytes(range(256)) * 8),         # binary data named .txt
    ("伪装.md", lambda tmp: pdf_bytes(tmp)),                 # a PDF named .md
    ("伪装.html", lambda tmp: NEW_REPORT.encode()),          # text without markup named .html
    ("空的.md", lambda tmp: b""),
    ("表格.xlsx", lambda tmp: b"PK\x03\x04"),                 # a suffix no loader reads
])
def test_content_not_matching_its_suffix_is_415_and_nothing_is_written(
        lib: Library, tmp_path: Path, name: str, make: Callable[[Path], bytes]) -> None:
    before = lib.snapshot()
    detail = detail_of(lib.upload((name, make(tmp_path))), 415)
    assert name in detail
    assert lib.snapshot() == before


def test_the_content_is_recognised_whatever_the_name() -> None:
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    assert sniff(docx_bytes("标题", ["正文"])) == "docx"
    assert sniff("# 标题\n\n正文".encode("gb18030")) == "text"
    assert sniff(b"<html><body><p>x</p></body></html>") == "html"
    assert sniff(b"\x00\x01\x02\x03" * 100) == "binary"


def test_an_existing_file_name_is_409_and_the_file_is_kept(lib: Library) -> None:
    before = lib.snapshot()
    assert "r2024.md" in detail_of(lib.upload(("r2024.md", NEW_REPORT.encode())), 409)
    assert lib.snapshot() == before


def test_the_same_content_under_another_name_is_409(lib: Library) -> None:
    data = (lib.corpus / "r2023.md").read_bytes()
    assert "r2023.md" in detail_of(lib.upload(("copy2023.md", data)), 409)


def test_a_request_with_one_bad_file_writes_none_of_its_files(lib: Library) -> None:
    before = lib.snapshot()
    response = lib.upload(("good2025.md", NEW_REPORT.encode()), ("../bad.md", NEW_REPORT.encode()))
    detail_of(response, 400)
    assert lib.snapshot() == before


def test_an_upload_without_files_is_400(lib: Library) -> None:
    response = lib.client.post("/api/documents", headers=AUTH, files=[("other", (None, "x"))])
    assert "files" in detail_of(response, 400)


# --- edit ---------------------------------------------------------------------------------------------


def test_an_edit_is_saved_and_listed_as_pending_until_the_rebuild(lib: Library) -> None:
    response = lib.client.patch("/api/documents/r2024", headers=AUTH,
                                json={"title": "上海科技进步报告2024（修订）", "content_years": [2023, 2024]})
    assert response.status_code == 200, response.text
    report = lib.report("r2024")
    assert report["title"] == "上海科技进步报告2024（修订）" and report["content_years"] == [2023, 2024]
    assert report["status"] == "pending" and report["reason"].startswith("元数据已修改")
    entry = lib.manifest()["r2024"]
    assert entry["title"] == "上海科技进步报告2024（修订）" and entry["year"] == 2024


def test_an_edit_keeps_the_manifest_comments_and_the_fields_it_does_not_know(lib: Library) -> None:
    lib.client.patch("/api/documents/r2024", headers=AUTH, json={"kind": "年度报告"})
    text = (lib.corpus / "reports.toml").read_text(encoding="utf-8")
    assert text.startswith(HEADER) and f"{KEY_NOTE}\nyear = 2024\n" in text
    assert lib.manifest()["r2023"]["original_file"] == "000_a.txt"
    assert lib.manifest()["r2024"]["kind"] == "年度报告"


def test_the_bundled_manifest_is_written_back_byte_for_byte() -> None:
    text = (REPO / "corpus" / "reports.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert toml_text(data, manifest_comments(text, data)) == text


def test_null_clears_a_field(lib: Library) -> None:
    response = lib.client.patch("/api/documents/r2024", headers=AUTH, json={"publisher": None})
    assert response.status_code == 200, response.text
    assert "publisher" not in lib.manifest()["r2024"] and lib.report("r2024")["publisher"] is None


def test_editing_an_undescribed_report_gives_it_an_entry(lib: Library) -> None:
    lib.upload(("新报告2025.md", NEW_REPORT.encode()))
    response = lib.client.patch("/api/documents/新报告2025", headers=AUTH, json={"year": 2025})
    assert response.status_code == 200, response.text
    assert lib.manifest()["新报告2025"] == {"id": "新报告2025", "file": "新报告2025.md", "year": 2025}


@pytest.mark.parametrize("body", [{"year": 3000}, {"year": "2024"}, {"year": True}, {"title": ""},
                                  {"content_years": ["2023"]}, {"colour": "red"}, {}])
def test_an_invalid_edit_is_422_and_nothing_is_written(lib: Library, body: dict[str, Any]) -> None:
    before = lib.snapshot()
    detail_of(lib.client.patch("/api/documents/r2024", headers=AUTH, json=body), 422)
    assert lib.snapshot() == before


def test_editing_an_unknown_report_is_404(lib: Library) -> None:
    detail_of(lib.client.patch("/api/documents/r2019", headers=AUTH, json={"year": 2019}), 404)


# --- delete -------------------------------------------------------------------------------------------


def test_a_delete_moves_the_file_to_the_trash_and_drops_its_entry(lib: Library) -> None:
    data = (lib.corpus / "r2023.md").read_bytes()
    response = lib.client.delete("/api/documents/r2023", headers=AUTH)
    assert response.status_code == 200 and response.json() == {"deleted": "r2023"}
    assert not (lib.corpus / "r2023.md").exists()
    assert (lib.corpus / ".trash" / "r2023.md").read_bytes() == data
    assert set(lib.manifest()) == {"r2024"}
    assert [r["id"] for r in lib.listing()["reports"]] == ["r2024"]


def test_deleting_an_unknown_report_is_404(lib: Library) -> None:
    detail_of(lib.client.delete("/api/documents/r2019", headers=AUTH), 404)


def test_the_trash_and_the_lock_file_are_not_part_of_the_corpus(lib: Library) -> None:
    lib.client.delete("/api/documents/r2023", headers=AUTH)
    assert (lib.corpus / ".library.lock").exists()
    assert [r.meta.id for r in iter_corpus(lib.corpus)] == ["r2024"]


def test_a_concurrent_edit_and_delete_leave_a_consistent_manifest(lib: Library) -> None:
    results: dict[str, int] = {}
    start = threading.Barrier(2)

    def run(name: str, call: Callable[[], Response]) -> None:
        start.wait()
        results[name] = call().status_code

    for _ in range(5):
        threads = [
            threading.Thread(target=run, args=("patch", lambda: lib.client.patch(
                "/api/documents/r2023", headers=AUTH, json={"title": "并发修改"}))),
            threading.Thread(target=run, args=("delete", lambda: lib.client.delete(
                "/api/documents/r2023", headers=AUTH))),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results["delete"] == 200 and results["patch"] in (200, 404), results
        manifest = lib.manifest()  # parses
        assert "r2023" not in manifest and not (lib.corpus / "r2023.md").exists()
        assert set(manifest) == {p.stem for p in lib.corpus.glob("*.md")}
        restored = lib.corpus / ".trash" / "r2023.md"
        restored.rename(lib.corpus / "r2023.md")
        lib.client.patch("/api/documents/r2023", headers=AUTH, json={"year": 2023})


def test_a_failed_manifest_write_leaves_folder_and_manifest_as_they_were(lib: Library,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    before = lib.snapshot()

    def broken(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    assert "reports.toml" in detail_of(lib.client.patch("/api/documents/r2024", headers=AUTH,
                                                        json={"year": 2025}), 503)
    assert "reports.toml" in detail_of(lib.client.delete("/api/documents/r2023", headers=AUTH), 503)
    assert lib.snapshot() == before


def test_deleting_a_second_file_of_the_same_name_keeps_both_in_the_trash(lib: Library) -> None:
    lib.client.delete("/api/documents/r2023", headers=AUTH)
    assert lib.upload(("r2023.md", NEW_REPORT.encode())).status_code == 201
    assert lib.client.delete("/api/documents/r2023", headers=AUTH).status_code == 200
    trashed = sorted(p.read_bytes() for p in (lib.corpus / ".trash").iterdir())
    assert len(trashed) == 2 and NEW_REPORT.encode() in trashed


def test_a_write_while_another_process_holds_the_folder_lock_is_409(lib: Library,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library_module, "LOCK_TIMEOUT_S", 0.2)
    before = lib.snapshot()
    with (lib.corpus / ".library.lock").open("a") as other:  # another open file: flock treats it as another process
        fcntl.flock(other, fcntl.LOCK_EX)
        response = lib.client.patch("/api/documents/r2024", headers=AUTH, json={"year": 2025})
    assert "另一个进程" in detail_of(response, 409)
    assert lib.snapshot() == before


def test_a_file_changed_since_the_build_is_pending_when_the_build_recorded_file_digests(lib: Library) -> None:
    """The contract with the build: `source_files` in the manifest maps each file to the sha256 of its bytes."""
    state = lib.client.app.state.reportqa  # type: ignore[attr-defined]
    index = state.service.engine.index
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in lib.corpus.glob("*.md")}
    index.manifest[SOURCE_FILES_KEY] = digests
    library_routes._VIEWS.clear()  # what the listing remembers of the version is computed again
    (lib.corpus / "r2024.md").write_text(NEW_REPORT, encoding="utf-8")
    assert lib.report("r2023")["status"] == "indexed"
    assert lib.report("r2024")["status"] == "pending" and lib.report("r2024")["reason"].startswith("文件内容已修改")


# --- who may write, and when --------------------------------------------------------------------------


def test_writes_without_a_configured_token_are_403_saying_how_to_enable_them(tiny: tuple[Path, Path],
                                                                              tmp_path: Path) -> None:
    with library_app(tiny, tmp_path, token=None) as app:
        before = app.snapshot()
        for response in (app.upload(("x2025.md", NEW_REPORT.encode())),
                         app.client.patch("/api/documents/r2024", headers=AUTH, json={"year": 2025}),
                         app.client.delete("/api/documents/r2024", headers=AUTH)):
            assert "REPORTQA_ADMIN_TOKEN" in detail_of(response, 403)
        assert app.snapshot() == before


def test_a_wrong_token_is_403_and_no_token_401(lib: Library) -> None:
    before = lib.snapshot()
    detail_of(lib.upload(("x2025.md", NEW_REPORT.encode()), headers={"Authorization": "Bearer wrong"}), 403)
    detail_of(lib.client.delete("/api/documents/r2024", headers={"Authorization": "Bearer wrong"}), 403)
    detail_of(lib.client.patch("/api/documents/r2024", json={"year": 2025}), 401)
    assert lib.snapshot() == before


def test_a_path_like_id_is_400(lib: Library) -> None:
    detail_of(lib.client.delete("/api/documents/..%5Cr2024", headers=AUTH), 400)


def test_other_methods_on_a_document_are_405_listing_the_allowed_ones(lib: Library) -> None:
    response = lib.client.put("/api/documents/r2024", headers=AUTH, json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH"


def test_the_skipped_files_list_is_its_own_resource_not_a_report_id(lib: Library) -> None:
    response = lib.client.patch("/api/documents/skipped", headers=AUTH, json={"year": 2025})
    assert response.status_code == 405 and response.headers["allow"] == "GET"


def test_writes_while_a_rebuild_runs_are_409(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    embedder = GatedEmbedder()
    with library_app(tiny, tmp_path, embedder=lambda: embedder, own_index=True) as app:
        (app.corpus / "r2025.md").write_text(NEW_REPORT, encoding="utf-8")
        embedder.release.clear()  # the rebuild stops at embedding the new report until released
        try:
            job = app.client.post("/api/index/rebuild", headers=AUTH)
            assert job.status_code == 202, job.text
            assert embedder.hold.wait(WAIT_S)
            before = app.snapshot()
            refused = [app.upload(("x2026.md", NEW_REPORT.replace("2025", "2026").encode())),
                       app.client.patch("/api/documents/r2024", headers=AUTH, json={"year": 2025}),
                       app.client.delete("/api/documents/r2024", headers=AUTH)]
            listing = app.listing()
        finally:
            embedder.release.set()
        for response in refused:
            assert job.json()["job_id"] in detail_of(response, 409)
        assert app.snapshot() == before
        assert listing["rebuild"]["job_id"] == job.json()["job_id"] and listing["rebuild"]["state"] == "running"
        deadline = time.monotonic() + WAIT_S
        while app.client.get(f"/api/index/rebuild/{job.json()['job_id']}", headers=AUTH).json()["state"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert app.report("r2025")["status"] == "indexed"  # writes are open again once it is done


def rebuild(app: Library) -> None:
    job = app.client.post("/api/index/rebuild", headers=AUTH).json()
    deadline = time.monotonic() + WAIT_S
    while app.client.get(f"/api/index/rebuild/{job['job_id']}", headers=AUTH).json()["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_an_uploaded_file_is_indexed_after_a_rebuild_with_the_title_guessed_from_its_text(
        tiny: tuple[Path, Path], tmp_path: Path) -> None:
    with library_app(tiny, tmp_path, own_index=True) as app:
        app.upload(("r2025.md", NEW_REPORT.encode()))
        rebuild(app)
        report = app.report("r2025")
    assert report["status"] == "indexed" and report["title"] == "上海科技进步报告2025" and report["year"] == 2025


def test_describing_one_field_of_a_guessed_report_keeps_its_guessed_title(tiny: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    with library_app(tiny, tmp_path, own_index=True) as app:
        app.upload(("r2025.md", NEW_REPORT.encode()))
        rebuild(app)
        response = app.client.patch("/api/documents/r2025", headers=AUTH, json={"publisher": "上海市科学技术委员会"})
        assert response.status_code == 200, response.text
        entry = app.manifest()["r2025"]
    assert entry["title"] == "上海科技进步报告2025" and entry["year"] == 2025
    assert response.json()["status"] == "pending"


# --- refusals the page shows as they are: Chinese, one line, naming the field or the fix ---------------


def patch_detail(lib: Library, body: Any) -> str:
    """The 422 `detail` of a refused edit of r2024: one line, in Chinese."""
    detail = detail_of(lib.client.patch("/api/documents/r2024", headers=AUTH, json=body), 422)
    assert "\n" not in detail and "Input should" not in detail
    return detail


def test_a_year_out_of_range_is_422_naming_the_field_and_the_range(lib: Library) -> None:
    assert patch_detail(lib, {"year": 3000}) == "year 须为 1900 到 2100 之间的整数年份（如 2024），收到 3000"


def test_a_year_sent_as_text_is_422_showing_what_was_sent(lib: Library) -> None:
    assert patch_detail(lib, {"year": "2024"}) == 'year 须为 1900 到 2100 之间的整数年份（如 2024），收到 "2024"'


def test_a_title_that_is_not_text_is_422_naming_the_field(lib: Library) -> None:
    assert patch_detail(lib, {"title": 2024}) == "title 须为文字，收到 2024"


def test_a_bad_content_year_is_422_naming_its_position(lib: Library) -> None:
    assert patch_detail(lib, {"content_years": [2023, 1800]}) == (
        "content_years 的第 2 项须为 1900 到 2100 之间的整数年份（如 2024），收到 1800")


def test_an_unknown_field_is_422_listing_the_editable_ones(lib: Library) -> None:
    assert patch_detail(lib, {"colour": "red", "year": 2024}) == (
        "不能修改的字段：colour；可改 title、year、publisher、kind、content_years")


def test_several_invalid_fields_are_named_in_one_line(lib: Library) -> None:
    assert patch_detail(lib, {"title": "", "year": 3000}) == (
        "title 不能为空：要清除它请传 null；year 须为 1900 到 2100 之间的整数年份（如 2024），收到 3000")


def test_a_body_that_is_not_a_json_object_is_422_with_an_example(lib: Library) -> None:
    response = lib.client.patch("/api/documents/r2024", content=b"{year: 2024",
                                 headers={**AUTH, "Content-Type": "application/json"})
    assert detail_of(response, 422) == '请求体不是有效的 JSON：请发送 JSON 对象，如 {"year": 2024}'
    assert patch_detail(lib, [2024]) == '请求体须为 JSON 对象，如 {"year": 2024}'


def test_the_search_api_keeps_its_own_validation_messages(lib: Library) -> None:
    """Only the library words validation errors in Chinese; the search API's clients keep theirs."""
    response = lib.client.get("/api/search", params={"q": "技术合同成交额", "k": "many"})
    assert detail_of(response, 422).startswith("k: Input should be a valid integer")


def test_without_a_token_the_refusal_names_the_header_to_send_in_chinese(lib: Library) -> None:
    detail = detail_of(lib.client.delete("/api/documents/r2024"), 401)
    assert detail.startswith("缺少管理令牌") and "Authorization: Bearer" in detail


def test_a_wrong_token_is_refused_in_chinese_without_naming_the_variable(lib: Library) -> None:
    """The page tells 'admin disabled' from 'wrong token' by REPORTQA_ADMIN_TOKEN in the 403's message."""
    detail = detail_of(lib.client.delete("/api/documents/r2024", headers={"Authorization": "Bearer wrong"}), 403)
    assert detail.startswith("管理令牌不正确") and "REPORTQA_ADMIN_TOKEN" not in detail


def test_with_writes_disabled_the_refusal_says_how_to_enable_them_in_chinese(tiny: tuple[Path, Path],
                                                                             tmp_path: Path) -> None:
    with library_app(tiny, tmp_path, token=None) as app:
        detail = detail_of(app.client.post("/api/index/rebuild", headers=AUTH), 403)
    assert detail.startswith("管理功能（重建索引、增删改报告）未启用") and "REPORTQA_ADMIN_TOKEN" in detail


def test_a_cross_origin_page_may_edit_and_delete(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    """With --cors-origin, the browser's preflight for the library's PATCH and DELETE is allowed."""
    settings = AppSettings(index_root=tiny[1], corpus_dir=tiny[0], load_embedder=FakeEmbedder,
                           cors_origins=["http://admin.example"])
    with TestClient(create_app(settings)) as client:
        for method in ("PATCH", "DELETE"):
            response = client.options("/api/documents/r2024", headers={
                "Origin": "http://admin.example", "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type"})
            assert response.status_code == 200, response.text
            assert method in response.headers["access-control-allow-methods"]


# --- pages ----------------------------------------------------------------------------------------------


def test_a_one_page_pdf_is_listed_with_one_page_after_the_rebuild(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    with library_app(tiny, tmp_path, own_index=True) as app:
        app.upload(("科技报告2025.pdf", pdf_bytes(tmp_path)))
        rebuild(app)
        report = app.report("科技报告2025")
    assert report["status"] == "indexed" and report["pages"] == 1
