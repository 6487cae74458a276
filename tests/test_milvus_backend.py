"""The Milvus backend end to end: the bundled corpus in a real Milvus, served by a real `reportqa serve`.

Milvus is Milvus Lite's gRPC server in its own process on a free port (`tests/milvus_utils.py`),
reached over the network exactly as a Standalone server or a cluster would be. The promises under
test: both backends give the same answers; the server answers from Milvus with filters applied
there; a build killed midway leaves the previous alias serving; a rebuild through the API moves the
alias and the running server answers from the new version within seconds; Milvus unreachable at
start or lost while serving is a 503 naming the URI, and the server recovers when Milvus is back.

One Milvus server and one built index serve the whole module; the tests that stop Milvus run last.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reportqa.index.milvus_store import MilvusCatalog
from tests.milvus_utils import MilvusServer, start_milvus
from tests.server_utils import REPO, child_env, free_port, reportqa_command, run_cli, start_server, stop

pytestmark = pytest.mark.slow

TOKEN = "milvus-secret"
QUESTIONS = [
    "2024年全市技术合同成交额是多少？",
    "2022年上海全社会研发经费支出占GDP的比例是多少？",
    "模速空间是什么？",
    "大零号湾",
    "How many high-tech enterprises does Shanghai have?",
    "上海有多少家外资研发中心？",
]


@pytest.fixture(scope="module")
def milvus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    """This module's own Milvus server: some tests stop and restart it."""
    with start_milvus(tmp_path_factory.mktemp("milvus-api") / "data") as server:
        yield server


@pytest.fixture(scope="module")
def milvus_env(milvus: MilvusServer) -> dict[str, str]:
    return {"REPORTQA_BACKEND": "milvus", "REPORTQA_MILVUS_URI": milvus.uri}


@pytest.fixture(scope="module")
def milvus_index(built_index: Path, tmp_path_factory: pytest.TempPathFactory, milvus_env: dict[str, str]) -> Path:
    """An index folder whose versions live in Milvus, built by `reportqa build` (embeddings from the cache)."""
    root = tmp_path_factory.mktemp("milvus-index") / "index"
    root.mkdir()
    shutil.copytree(built_index / "embed-cache", root / "embed-cache")
    result = run_cli("build", "--index", str(root), **milvus_env)
    assert result.returncode == 0, result.stderr
    assert "0 texts embedded" in result.stdout  # the embedding cache is the FAISS backend's
    return root


@pytest.fixture(scope="module")
def catalog(milvus_index: Path, milvus: MilvusServer) -> MilvusCatalog:
    return MilvusCatalog(milvus_index, uri=milvus.uri)


@pytest.fixture(scope="module")
def server(milvus_index: Path, milvus_env: dict[str, str]) -> Iterator[str]:
    with start_server(milvus_index, REPORTQA_ADMIN_TOKEN=TOKEN, **milvus_env) as running:
        yield running.base_url


def search(base_url: str, q: str, **params: str) -> httpx.Response:
    return httpx.get(f"{base_url}/api/search", params={"q": q, **params}, timeout=30)


def test_both_backends_give_the_same_answers(qa_service, catalog: MilvusCatalog, embedder) -> None:
    from reportqa.service import QAService

    on_milvus = QAService(catalog.root, embedder, catalog=catalog)
    for q in QUESTIONS:
        faiss, milvus = qa_service.search(q, k=10), on_milvus.search(q, k=10)
        assert [p.chunk_id for p in milvus.results] == [p.chunk_id for p in faiss.results], q
        assert (milvus.answer and milvus.answer.text) == (faiss.answer and faiss.answer.text), q


def test_the_server_answers_from_the_version_the_alias_names(server: str, catalog: MilvusCatalog) -> None:
    health = httpx.get(f"{server}/api/health", timeout=10).json()
    assert health["status"] == "ok" and health["index_version"] == catalog.current_version()
    body = search(server, "2024年全市技术合同成交额是多少？").json()
    assert "技术合同" in body["answer"]["text"]


def test_report_and_year_filters_are_applied_in_milvus(server: str) -> None:
    body = search(server, "技术合同成交额", year="2024", doc="2024-overview").json()
    assert body["results"] and {(p["doc_id"], p["year"]) for p in body["results"]} == {("2024-overview", 2024)}


def test_the_page_is_served_unchanged(server: str) -> None:
    page = httpx.get(f"{server}/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_a_build_killed_midway_leaves_the_previous_alias_serving(server: str, milvus_index: Path,
                                                                 milvus_env: dict[str, str],
                                                                 catalog: MilvusCatalog) -> None:
    before = catalog.current_version()
    known = set(catalog.conn.call("list_collections"))
    build = subprocess.Popen([*reportqa_command(), "build", "--force", "--index", str(milvus_index)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env(**milvus_env),
                             cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while not set(catalog.conn.call("list_collections")) - known:  # the new version's collections appear
            assert build.poll() is None and time.monotonic() < deadline, "the build ended before staging"
            time.sleep(0.05)
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=10)
    finally:
        stop(build)
    assert catalog.current_version() == before
    assert httpx.get(f"{server}/api/health", timeout=10).json()["index_version"] == before
    assert "技术合同" in search(server, "2024年全市技术合同成交额是多少？").json()["answer"]["text"]


def test_an_api_rebuild_switches_the_alias_and_the_server_follows(server: str, catalog: MilvusCatalog) -> None:
    before = catalog.current_version()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    job = httpx.post(f"{server}/api/index/rebuild", params={"force": "true"}, headers=auth, timeout=30).json()
    deadline = time.monotonic() + 300
    while (status := httpx.get(f"{server}/api/index/rebuild/{job['job_id']}", headers=auth,
                               timeout=30).json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert status["state"] == "succeeded", status
    switched_at = time.monotonic()
    after = catalog.current_version()
    assert after == status["version"] != before
    while httpx.get(f"{server}/api/health", timeout=10).json()["index_version"] != after:
        assert time.monotonic() - switched_at < 5, "the server did not follow the alias within 5 s"
        time.sleep(0.1)
    assert "技术合同" in search(server, "2024年全市技术合同成交额是多少？").json()["answer"]["text"]


def test_a_lost_connection_is_a_503_naming_milvus_and_the_server_recovers(server: str, milvus: MilvusServer) -> None:
    milvus.stop()
    try:
        lost = search(server, "上海有多少家外资研发中心？")
        assert lost.status_code == 503 and milvus.uri.removeprefix("http://") in lost.json()["detail"]
    finally:
        milvus.restart()
    deadline = time.monotonic() + 30
    while (back := search(server, "上海有多少家外资研发中心？")).status_code != 200:
        assert time.monotonic() < deadline, back.text
        time.sleep(0.2)
    assert back.json()["results"]


def test_milvus_unreachable_at_start_is_a_503_naming_it_until_it_is_reachable(
        milvus_index: Path, milvus: MilvusServer, milvus_env: dict[str, str], tmp_path: Path) -> None:
    milvus.stop()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([*reportqa_command(), "serve", "--index", str(milvus_index), "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, env=child_env(**milvus_env), cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"{base_url}/api/health", timeout=5)
            except httpx.TransportError:
                health = None
            if health is not None and health.json().get("detail"):
                break
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)
        assert health.status_code == 503 and milvus.uri.removeprefix("http://") in health.json()["detail"]
        milvus.restart()
        while httpx.get(f"{base_url}/api/health", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
    finally:
        stop(process)
        log.close()
        if milvus.process.poll() is not None:
            milvus.restart()


def test_the_cli_names_an_unreachable_milvus(milvus_index: Path) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    result = run_cli("ask", "模速空间是什么？", "--index", str(milvus_index), REPORTQA_BACKEND="milvus",
                     REPORTQA_MILVUS_URI=uri)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach Milvus at " + uri) and "Traceback" not in result.stderr
