"""A damaged index is refused, said in one line, shown by the server, and repaired by `reportqa build`.

Each damage class an unlucky disk or a hand edit produces is applied to a copy of an index, one way
per test: truncation and a bit flip in every file of a version, valid-JSON edits (a sentence offset, a
chunk's text, a document title), wrong types and out-of-bounds values (with the checksums updated too,
so the content checks are tested on their own), and a malformed `CURRENT` (binary, a folder, oversized,
a path). For every one: the catalog refuses to open the version with an `IndexCorruptError` naming the
file; `reportqa ask` prints one `error:` line; a server shows the reason in `/api/health` (503, never an
endless "loading"); and a plain `reportqa build` (no `--force`) repairs it.

A full disk, a read-only folder and an unreadable file end in one line too, and a failed build leaves
no staging folder behind. The fast tests build the tiny corpus with the fake embedder and drive
`reportqa.cli.main` in-process; the slow ones run the real CLI on a copy of the session's real index.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reportqa import cli
from reportqa.embedding import sbert
from reportqa.errors import CorpusError, IndexCorruptError, StaleIndexError
from reportqa.index import local as store
from reportqa.index.build import build_index
from reportqa.index.local import LocalCatalog
from reportqa.ingest.corpus import read_manifest
from reportqa.service import QAService
from reportqa.web.app import AppSettings, create_app
from tests.fakes import FakeEmbedder, write_tiny_corpus
from tests.server_utils import run_cli

QUESTION = "2024年全市技术合同成交额是多少？"
ANSWER = "5200.73亿元"
REBUILD = "reportqa build"
WAIT_S = 10.0
VERSION_FILES = (store.MANIFEST, *store.DATA_FILES)
PROGRESS = re.compile(r"embedding:[^\]]*\]")


# --------------------------------------------------------------------------- damages


def _json(version: Path, name: str) -> Any:
    return json.loads((version / name).read_text(encoding="utf-8"))


def _put_json(version: Path, name: str, data: Any) -> None:
    (version / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def resign(version: Path) -> None:
    """Update the manifest's checksums (and its own digest) to the files as they are now.

    What an edit by someone who knows the format would do: only the content checks can then
    tell the damage, which is what the wrong-type and out-of-bounds cases test.
    """
    manifest = _json(version, store.MANIFEST)
    for name in manifest[store.FILES_KEY]:
        path = version / name
        manifest[store.FILES_KEY][name] = {"sha256": store.file_digest(path), "bytes": path.stat().st_size}
    manifest[store.DIGEST_KEY] = store.manifest_digest(manifest)
    _put_json(version, store.MANIFEST, manifest)


def truncate(name: str) -> Callable[[Path], None]:
    def damage(version: Path) -> None:
        data = (version / name).read_bytes()
        (version / name).write_bytes(data[: len(data) // 2])

    return damage


def flip_bit(name: str, where: str = "middle") -> Callable[[Path], None]:
    def damage(version: Path) -> None:
        data = bytearray((version / name).read_bytes())
        at = {"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[where]
        data[at] ^= 0x01
        (version / name).write_bytes(bytes(data))

    return damage


def edit(name: str, change: Callable[[Any], None], *, signed: bool = False) -> Callable[[Path], None]:
    """Change one JSON file in place (valid JSON before and after); `signed` also updates the checksums."""

    def damage(version: Path) -> None:
        data = _json(version, name)
        change(data)
        _put_json(version, name, data)
        if signed:
            resign(version)

    return damage


def edit_manifest(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    """Change the manifest and give it a matching digest: a well-formed manifest with a wrong field."""

    def damage(version: Path) -> None:
        manifest = _json(version, store.MANIFEST)
        change(manifest)
        manifest[store.DIGEST_KEY] = store.manifest_digest(manifest)
        _put_json(version, store.MANIFEST, manifest)

    return damage


def _contract_chunk(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in chunks if ANSWER in c["text"])


def _move_first_sentence(rows: list[list[int]]) -> None:
    rows[0][2] += 1  # still inside the chunk: quotes one character more than the sentence


def _change_answer(chunks: list[dict[str, Any]]) -> None:
    chunk = _contract_chunk(chunks)
    chunk["text"] = chunk["text"].replace(ANSWER, "9999.99亿元")


def _rename_first_document(docs: list[dict[str, Any]]) -> None:
    docs[0]["title"] = "上海科技进步报告1999"


def _set(key: str, value: Any) -> Callable[[Any], None]:
    def change(items: Any) -> None:
        items[0][key] = value

    return change


def _sentence_past_its_chunk(rows: list[list[int]]) -> None:
    rows[0][2] = 100_000


def _sentence_of_no_chunk(rows: list[list[int]]) -> None:
    rows[-1][0] = 10_000


def _text_row(rows: list[list[Any]]) -> None:
    rows[0][1] = "0"


def replace(name: str, data: Any) -> Callable[[Path], None]:
    """Replace a JSON file's whole content (checksums updated)."""

    def damage(version: Path) -> None:
        _put_json(version, name, data)
        resign(version)

    return damage


def _pointer(content: bytes) -> Callable[[Path], None]:
    def damage(version: Path) -> None:
        (version.parent / store.CURRENT_FILE).write_bytes(content)

    return damage


def _pointer_is_a_folder(version: Path) -> None:
    pointer = version.parent / store.CURRENT_FILE
    pointer.unlink()
    pointer.mkdir()
    (pointer / "v-1").write_text("x", encoding="utf-8")


@dataclass(frozen=True)
class Damage:
    apply: Callable[[Path], None]  # given the serving version's folder
    names: str  # what the error must name: the damaged file


DAMAGES: dict[str, Damage] = {
    **{f"truncated {n}": Damage(truncate(n), n) for n in VERSION_FILES},
    **{f"bit flip in {n}": Damage(flip_bit(n), n) for n in VERSION_FILES},
    # Valid JSON, checksums not updated: the edits the issue saw served (once quoting the wrong sentence).
    "sentence offset moved": Damage(edit(store.SENTENCE_SPANS, _move_first_sentence), store.SENTENCE_SPANS),
    "answer figure changed in a chunk": Damage(edit(store.CHUNKS, _change_answer), store.CHUNKS),
    "document title changed": Damage(edit(store.DOCUMENTS, _rename_first_document), store.DOCUMENTS),
    "lexical term dropped": Damage(edit(store.TERMS, lambda terms: terms.pop(0)), store.TERMS),
    "chunk count changed in the manifest": Damage(
        edit(store.MANIFEST, lambda m: m.update(chunk_count=m["chunk_count"] + 1)), store.MANIFEST),
    # Wrong types and out-of-bounds values with the checksums updated: the content checks alone.
    "chunk year is a string": Damage(edit(store.CHUNKS, _set("year", "2024"), signed=True), store.CHUNKS),
    "chunk pieces are a string": Damage(edit(store.CHUNKS, _set("pieces", "0-10"), signed=True), store.CHUNKS),
    "chunk id is not hex": Damage(edit(store.CHUNKS, _set("id", "not-a-chunk-id!!"), signed=True), store.CHUNKS),
    "chunks are an object": Damage(replace(store.CHUNKS, {}), store.CHUNKS),
    "document sections are a number": Damage(edit(store.DOCUMENTS, _set("sections", 5), signed=True),
                                             store.DOCUMENTS),
    "document inferred is a string": Damage(edit(store.DOCUMENTS, _set("inferred", "no"), signed=True),
                                            store.DOCUMENTS),
    "sentence offset is a string": Damage(edit(store.SENTENCE_SPANS, _text_row, signed=True), store.SENTENCE_SPANS),
    "sentence runs past its chunk": Damage(edit(store.SENTENCE_SPANS, _sentence_past_its_chunk, signed=True),
                                           store.SENTENCE_SPANS),
    "sentence of a chunk that does not exist": Damage(edit(store.SENTENCE_SPANS, _sentence_of_no_chunk,
                                                           signed=True), store.SENTENCE_SPANS),
    "lexical terms are numbers": Damage(edit(store.TERMS, lambda t: t.__setitem__(slice(None), [1, 2]),
                                             signed=True), store.TERMS),
    "manifest model is a number": Damage(edit_manifest(lambda m: m.update(model=5)), store.MANIFEST),
    "manifest files are a list": Damage(edit_manifest(lambda m: m.update(files=[])), store.MANIFEST),
    "manifest chunk count is a string": Damage(edit_manifest(lambda m: m.update(chunk_count="16")), store.MANIFEST),
    # A malformed pointer: refused, never followed.
    "CURRENT is binary": Damage(_pointer(b"\xff\xfe\x00\x81garbage\n"), store.CURRENT_FILE),
    "CURRENT is a folder": Damage(_pointer_is_a_folder, store.CURRENT_FILE),
    "CURRENT is oversized": Damage(_pointer(b"v" * 1_000_000), store.CURRENT_FILE),
    "CURRENT is ../x": Damage(_pointer(b"../x\n"), store.CURRENT_FILE),
    "CURRENT is an absolute path": Damage(_pointer(b"/etc\n"), store.CURRENT_FILE),
    "CURRENT climbs out of a version": Damage(_pointer(b"v-1/../../x\n"), store.CURRENT_FILE),
    "CURRENT is empty": Damage(_pointer(b""), store.CURRENT_FILE),
}

#: One damage of each class for the end-to-end checks (ask, health, repair); the catalog-level test
#: runs every entry of DAMAGES. Every malformed `CURRENT` the issue names is its own case.
CLASSES: dict[str, str] = {
    "truncation": "truncated chunks.json",
    "bit flip": f"bit flip in {store.SENTENCE_VECTORS}",
    "valid-JSON edit": "sentence offset moved",
    "wrong type": "chunk year is a string",
    "out of bounds": "sentence runs past its chunk",
    "manifest type": "manifest model is a number",
    "CURRENT binary": "CURRENT is binary",
    "CURRENT folder": "CURRENT is a folder",
    "CURRENT oversized": "CURRENT is oversized",
    "CURRENT ../x": "CURRENT is ../x",
}
each_class = pytest.mark.parametrize("damage", list(CLASSES.values()), ids=list(CLASSES))


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index root) of the tiny corpus built with the fake embedder; copied before any change."""
    root = tmp_path_factory.mktemp("damage")
    corpus = write_tiny_corpus(root / "corpus")
    build_index(corpus, root / "index", FakeEmbedder())
    return corpus, root / "index"


@pytest.fixture
def index(tiny: tuple[Path, Path], tmp_path: Path) -> Path:
    """A private copy of the tiny index (versions, CURRENT, embedding cache) that the test may damage."""
    return Path(shutil.copytree(tiny[1], tmp_path / "index"))


def damaged(index: Path, damage: str) -> Path:
    DAMAGES[damage].apply(store.current_dir(index))
    return index


def staging_folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".staging-"))


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The one `error: …` line on stderr (and nothing else there: no traceback)."""
        # A build's progress bar may precede the error, on the same line (it is left open by the failure).
        lines = [line for line in PROGRESS.sub("", self.err).splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), self.err
        assert "Traceback" not in self.out + self.err
        return lines[0]


@pytest.fixture
def reportqa(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """`reportqa ARGS…` through `reportqa.cli.main`, in-process, with the fake embedder for a model."""
    monkeypatch.setattr(sbert, "load_embedder", lambda model=None: FakeEmbedder())

    def run(*args: str) -> Run:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["reportqa", *args])
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        captured = capsys.readouterr()
        return Run(int(exit_.value.code or 0), captured.out, captured.err)

    return run


def health_when_settled(client: TestClient) -> dict[str, Any]:
    """`/api/health` once the loader is done, whichever way (503 "loading" only while it works)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        body: dict[str, Any] = client.get("/api/health").json()
        if body["status"] != "loading" or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def wait_for(predicate: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@contextlib.contextmanager
def app(index: Path, corpus: Path, **options: Any) -> Iterator[TestClient]:
    """The app `reportqa serve` runs, in-process, over `index` with the fake embedder; polls every 50 ms."""
    settings = AppSettings(index_root=index, corpus_dir=corpus, load_embedder=FakeEmbedder,
                           reload_interval_s=0.05, **options)
    with TestClient(create_app(settings)) as client:
        yield client


def answers(index: Path) -> str:
    response = QAService(index, FakeEmbedder()).search(QUESTION)
    assert response.answer is not None, response
    return response.answer.text


# --------------------------------------------------------------------------- every damage, four ways


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_version_is_refused_naming_the_file(index: Path, damage: str) -> None:
    damaged(index, damage)
    with pytest.raises(IndexCorruptError) as caught:
        LocalCatalog(index).open(model_checksum=FakeEmbedder.checksum)
    message = str(caught.value)
    assert DAMAGES[damage].names in message and "damaged" in message and REBUILD in message, message
    assert "\n" not in message


@each_class
def test_ask_on_a_damaged_index_prints_one_error_line(index: Path, reportqa: Callable[..., Run],
                                                       damage: str) -> None:
    damaged(index, damage)
    run = reportqa("ask", QUESTION, "--index", str(index))
    assert run.code == 1
    line = run.error_line
    assert DAMAGES[damage].names in line and REBUILD in line, line
    assert ANSWER not in run.out


@each_class
def test_serve_on_a_damaged_index_shows_the_reason_in_health(tiny: tuple[Path, Path], index: Path,
                                                             damage: str) -> None:
    damaged(index, damage)
    with app(index, tiny[0]) as client:
        body = health_when_settled(client)
        search = client.get("/api/search", params={"q": QUESTION})
    assert body["status"] == "error", body
    assert DAMAGES[damage].names in body["detail"] and REBUILD in body["detail"], body
    assert search.status_code == 503 and search.json()["detail"] == body["detail"]


@each_class
def test_a_plain_build_repairs_a_damaged_index(tiny: tuple[Path, Path], index: Path,
                                               reportqa: Callable[..., Run], damage: str) -> None:
    """The fix the message names, without --force: damage of any kind is "not up to date"."""
    damaged(index, damage)
    run = reportqa("build", "--corpus", str(tiny[0]), "--index", str(index))
    assert run.code == 0, run.err
    assert "built v-" in run.out and "up to date" not in run.out
    assert ANSWER in answers(index)
    assert staging_folders(index) == []


@pytest.mark.parametrize("where", ["first", "last"])
@pytest.mark.parametrize("name", VERSION_FILES)
def test_a_bit_flip_anywhere_in_any_file_is_refused(index: Path, name: str, where: str) -> None:
    flip_bit(name, where)(store.current_dir(index))
    with pytest.raises(IndexCorruptError, match=f"{name}.*{REBUILD}"):
        LocalCatalog(index).open(model_checksum=FakeEmbedder.checksum)


def test_the_control_an_undamaged_copy_opens_and_answers(index: Path) -> None:
    """What makes the damage tests meaningful: their copies fail only because of the damage."""
    assert LocalCatalog(index).open(model_checksum=FakeEmbedder.checksum).chunk_count > 0
    assert ANSWER in answers(index)


def test_the_manifest_lists_every_file_with_its_sha256(index: Path) -> None:
    version = store.current_dir(index)
    manifest = store.read_manifest(version)
    files = manifest[store.FILES_KEY]
    assert set(files) == set(store.DATA_FILES) == {p.name for p in version.iterdir()} - {store.MANIFEST}
    for name, entry in files.items():
        assert entry == {"sha256": store.file_digest(version / name), "bytes": (version / name).stat().st_size}
    assert manifest[store.DIGEST_KEY] == store.manifest_digest(manifest)


def test_an_index_of_the_previous_format_is_refused_with_the_rebuild_hint(index: Path) -> None:
    edit_manifest(lambda m: m.update(format_version=1))(store.current_dir(index))
    with pytest.raises(StaleIndexError, match=r"another version of reportqa.*reportqa build"):
        LocalCatalog(index).open(model_checksum=FakeEmbedder.checksum)


def test_serve_refuses_to_start_on_a_malformed_current(index: Path, reportqa: Callable[..., Run]) -> None:
    damaged(index, "CURRENT is ../x")
    run = reportqa("serve", "--index", str(index), "--port", "1")
    assert run.code == 1 and store.CURRENT_FILE in run.error_line


# --------------------------------------------------------------------------- the server keeps going


class CountingOpens:
    """Counts `LocalCatalog.open` calls (every read of a version's files)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = LocalCatalog.open

        def counting(catalog: LocalCatalog, **kwargs: Any) -> Any:
            self.calls += 1
            return original(catalog, **kwargs)

        monkeypatch.setattr(LocalCatalog, "open", counting)


def publish_broken_version(tiny: tuple[Path, Path], index: Path, damage: str = "bit flip in chunks.json") -> str:
    """A newer version, already damaged when `CURRENT` names it (a server polling `index` never sees it whole).

    It is built and damaged in a scratch copy of the index, then moved in and switched to atomically.
    """
    scratch = index.parent / f"{index.name}-scratch-{time.monotonic_ns()}"
    shutil.copytree(index, scratch, ignore=shutil.ignore_patterns(".build.lock"))
    version = build_index(tiny[0], scratch, FakeEmbedder(), force=True).version
    damaged(scratch, damage)
    shutil.copytree(scratch / version, index / version)
    pointer = index / f".{store.CURRENT_FILE}.test"
    pointer.write_text(version + "\n", encoding="utf-8")
    os.replace(pointer, index / store.CURRENT_FILE)
    shutil.rmtree(scratch)
    return version


def test_a_broken_new_version_is_tried_once_and_the_old_one_keeps_serving(
    tiny: tuple[Path, Path], index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = QAService(index, FakeEmbedder())
    serving = service.engine.index.version
    opens = CountingOpens(monkeypatch)
    publish_broken_version(tiny, index)

    with pytest.raises(IndexCorruptError, match=store.CHUNKS):
        service.reload_if_changed()
    assert [service.reload_if_changed() for _ in range(5)] == [False] * 5

    assert opens.calls == 1
    assert service.engine.index.version == serving
    assert ANSWER in (service.search(QUESTION).answer or pytest.fail("no answer")).text


def test_a_newer_version_after_a_broken_one_is_loaded(tiny: tuple[Path, Path], index: Path) -> None:
    service = QAService(index, FakeEmbedder())
    publish_broken_version(tiny, index)
    with pytest.raises(IndexCorruptError):
        service.reload_if_changed()

    repaired = build_index(tiny[0], index, FakeEmbedder()).version

    assert service.reload_if_changed() is True
    assert service.engine.index.version == repaired


def test_builds_within_one_second_publish_distinct_version_names(tiny: tuple[Path, Path], index: Path) -> None:
    """A reused name would hide a new version from a server serving (or remembering as broken) that name."""
    names = [build_index(tiny[0], index, FakeEmbedder(), force=True).version for _ in range(3)]
    assert len(set(names)) == 3


def test_a_malformed_current_while_serving_is_reported_once_and_the_old_version_kept(index: Path) -> None:
    service = QAService(index, FakeEmbedder())
    serving = service.engine.index.version
    damaged(index, "CURRENT is binary")

    with pytest.raises(IndexCorruptError, match=store.CURRENT_FILE):
        service.reload_if_changed()
    assert service.reload_if_changed() is False
    assert service.engine.index.version == serving


def test_a_server_polling_a_broken_new_version_reads_it_once_and_stays_healthy(
    tiny: tuple[Path, Path], index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opens = CountingOpens(monkeypatch)
    with app(index, tiny[0]) as client:
        serving = health_when_settled(client)["index_version"]
        loads = opens.calls
        publish_broken_version(tiny, index)
        assert wait_for(lambda: opens.calls > loads)
        time.sleep(0.5)  # ten more polls
        body = client.get("/api/health").json()
        search = client.get("/api/search", params={"q": QUESTION})
    assert opens.calls == loads + 1
    assert body["status"] == "ok" and body["index_version"] == serving
    assert search.status_code == 200 and ANSWER in search.json()["answer"]["text"]


def test_a_server_started_on_a_damaged_index_serves_once_build_repairs_it(
    tiny: tuple[Path, Path], index: Path
) -> None:
    damaged(index, "sentence offset moved")
    with app(index, tiny[0]) as client:
        assert health_when_settled(client)["status"] == "error"
        repaired = build_index(tiny[0], index, FakeEmbedder()).version
        assert wait_for(lambda: client.get("/api/health").json()["status"] == "ok")
        body = client.get("/api/health").json()
    assert body["index_version"] == repaired


def test_a_loader_crash_of_any_kind_is_a_visible_error_not_endless_loading(tiny: tuple[Path, Path]) -> None:
    def broken_model() -> FakeEmbedder:
        raise RuntimeError("a bug, not a user error")

    settings = AppSettings(index_root=tiny[1], corpus_dir=tiny[0], load_embedder=broken_model)
    with TestClient(create_app(settings)) as client:
        body = health_when_settled(client)
        response = client.get("/api/health")
    assert response.status_code == 503
    assert body["status"] == "error" and "RuntimeError" in body["detail"] and "\n" not in body["detail"]


# --------------------------------------------------------------------------- full disk, read-only, unreadable


def failing_write(monkeypatch: pytest.MonkeyPatch, code: int, on: str) -> None:
    """Make the index writer fail with `code` when it writes the file `on` (as a full disk would)."""
    original = store.write_json

    def write_json(path: Path, data: Any) -> None:
        if path.name == on:
            raise OSError(code, os.strerror(code), str(path))
        original(path, data)

    monkeypatch.setattr(store, "write_json", write_json)


def test_a_full_disk_during_a_build_is_one_line_and_leaves_no_staging_folder(
    tiny: tuple[Path, Path], index: Path, monkeypatch: pytest.MonkeyPatch, reportqa: Callable[..., Run]
) -> None:
    serving = store.current_version(index)
    failing_write(monkeypatch, errno.ENOSPC, store.SENTENCE_SPANS)

    run = reportqa("build", "--force", "--corpus", str(tiny[0]), "--index", str(index))

    assert run.code == 1
    assert "no space left on device" in run.error_line and store.SENTENCE_SPANS in run.error_line
    assert staging_folders(index) == []
    assert store.current_version(index) == serving and ANSWER in answers(index)


def test_a_full_disk_while_switching_current_removes_the_unpublished_version(
    tiny: tuple[Path, Path], index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = store.current_version(index)
    original = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst).name == store.CURRENT_FILE:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        original(src, dst)

    monkeypatch.setattr(store.os, "replace", replace)
    with pytest.raises(OSError):
        build_index(tiny[0], index, FakeEmbedder(), force=True)
    monkeypatch.undo()

    assert sorted(p.name for p in index.iterdir() if p.name != "embed-cache") == sorted(
        [".build.lock", store.CURRENT_FILE, serving])
    assert ANSWER in answers(index)


def test_a_build_sweeps_what_dead_builds_left_before_it_starts(tiny: tuple[Path, Path], index: Path) -> None:
    """Even an up-to-date build: a full disk must recover by itself once a build runs again."""
    dead = index / f".staging-v-20240101T000000-deadbeef-{os.getpid()}"  # a pid may be reused: any pid
    dead.mkdir()
    (dead / store.CHUNKS).write_text('[{"id": "half', encoding="utf-8")
    (index / f".{store.CURRENT_FILE}.tmp-99999").write_text("v-x\n", encoding="utf-8")
    cache_temp = next((index / "embed-cache").iterdir()) / ".vectors.99999.npy"
    cache_temp.write_bytes(b"partial")

    result = build_index(tiny[0], index, FakeEmbedder())

    assert result.up_to_date
    assert staging_folders(index) == []
    assert not (index / f".{store.CURRENT_FILE}.tmp-99999").exists() and not cache_temp.exists()


def test_a_full_disk_while_saving_the_embedding_cache_names_the_cache_folder(
    tiny: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reportqa: Callable[..., Run]
) -> None:
    from reportqa.embedding import cache

    def full(*_: Any, **__: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # numpy's error carries no file name

    monkeypatch.setattr(cache.np, "save", full)
    run = reportqa("build", "--corpus", str(tiny[0]), "--index", str(tmp_path / "index"))
    assert run.code == 1
    assert "no space left on device" in run.error_line and "embed-cache" in run.error_line


def _read_only(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index folder read-only: for real where permissions apply, else (root) as the OSError it raises."""
    if os.geteuid() != 0:
        index.chmod(0o555)
        return
    monkeypatch.setattr(store, "new_version_dir", lambda root, digest: (_ for _ in ()).throw(
        OSError(errno.EROFS, os.strerror(errno.EROFS), str(root / ".staging-v"))))


def test_a_build_into_a_read_only_index_folder_is_one_line(
    tiny: tuple[Path, Path], index: Path, monkeypatch: pytest.MonkeyPatch, reportqa: Callable[..., Run]
) -> None:
    _read_only(index, monkeypatch)
    try:
        run = reportqa("build", "--force", "--corpus", str(tiny[0]), "--index", str(index))
    finally:
        index.chmod(0o755)
    assert run.code == 1
    line = run.error_line
    assert str(index) in line and ("read-only" in line or "permission denied" in line), line
    assert ANSWER in answers(index)


def test_ask_on_an_unreadable_index_file_is_one_line_naming_it(
    index: Path, monkeypatch: pytest.MonkeyPatch, reportqa: Callable[..., Run]
) -> None:
    unreadable = store.current_dir(index) / store.CHUNKS
    if os.geteuid() != 0:
        unreadable.chmod(0)
    else:
        original = store.file_digest

        def file_digest(path: Path) -> str:
            if path == unreadable:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return original(path)

        monkeypatch.setattr(store, "file_digest", file_digest)
    try:
        run = reportqa("ask", QUESTION, "--index", str(index))
    finally:
        unreadable.chmod(0o644)
    assert run.code == 1
    assert "permission denied" in run.error_line and store.CHUNKS in run.error_line


# --------------------------------------------------------------------------- the corpus manifest


@pytest.mark.parametrize("manifest, fragment", [
    ("report = 5\n", "'report'"),
    ('[[report]]\nfile = "r2024.md"\ncontent_years = ["x"]\n', "content_years"),
    ('[[report]]\nfile = "r2024.md"\nyear = "2024"\n', "year"),
    ('[[report]]\nfile = "r2024.md"\nyear = true\n', "year"),
    ('[[report]]\nfile = "r2024.md"\ntitle = 5\n', "title"),
    ("[[report]]\nfile = 5\n", "file"),
], ids=["report-is-5", "content-years-text", "year-text", "year-bool", "title-number", "file-number"])
def test_a_corpus_manifest_with_wrong_types_is_one_line(tmp_path: Path, reportqa: Callable[..., Run],
                                                        manifest: str, fragment: str) -> None:
    corpus = write_tiny_corpus(tmp_path / "corpus")
    (corpus / "reports.toml").write_text(manifest, encoding="utf-8")
    with pytest.raises(CorpusError, match=fragment):
        read_manifest(corpus)
    run = reportqa("build", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert run.code == 1 and "reports.toml" in run.error_line and fragment in run.error_line


# --------------------------------------------------------------------------- the real CLI (real model)

REAL_DAMAGES = {  # one per class; the content-check class with its checksums updated
    "truncation": "truncated chunks.json",
    "bit flip": f"bit flip in {store.SENTENCE_VECTORS}",
    "valid-JSON edit": "sentence offset moved",
    "wrong type": "chunk year is a string",
    "malformed CURRENT": "CURRENT is binary",
}


@pytest.fixture
def real_index(built_index: Path, tmp_path: Path) -> Path:
    """A copy of the session's real index (with its embedding cache) that the test may damage."""
    return Path(shutil.copytree(built_index, tmp_path / "index", ignore=shutil.ignore_patterns(".build.lock")))


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(REAL_DAMAGES.values()), ids=list(REAL_DAMAGES))
def test_the_real_ask_on_a_damaged_index_prints_one_error_line(real_index: Path, damage: str) -> None:
    damaged(real_index, damage)
    proc = run_cli("ask", QUESTION, "--index", str(real_index))
    run = Run(proc.returncode, proc.stdout, proc.stderr)
    assert run.code == 1
    assert DAMAGES[damage].names in run.error_line and REBUILD in run.error_line
    assert ANSWER not in run.out


@pytest.mark.slow
def test_the_real_build_repairs_a_damaged_index_without_force(real_index: Path, corpus_dir: Path) -> None:
    damaged(real_index, f"bit flip in {store.SENTENCE_VECTORS}")
    build = run_cli("build", "--corpus", str(corpus_dir), "--index", str(real_index))
    assert build.returncode == 0, build.stderr
    assert "built v-" in build.stdout and "0 texts embedded" in build.stdout
    ask = run_cli("ask", QUESTION, "--index", str(real_index))
    assert ask.returncode == 0 and ANSWER in ask.stdout, ask.stderr
