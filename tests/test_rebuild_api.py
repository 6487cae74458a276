"""Rebuilding the index while the real server keeps answering.

The promises under test: the rebuild endpoint is off unless an admin token is
configured and then needs it; one rebuild runs at a time; a failed rebuild
names the file and the reason and leaves the old index serving; an index
published by another process is picked up within seconds; and searches
running during a rebuild never fail and never see a half-built index.

The server with rebuilds enabled runs over its own copy of the session index
(with its embedding cache, so a rebuild only embeds what a test adds) and of
the corpus. Starting a server costs a model load, so the tests that need the
admin token share that one module-scoped server, and each measures against
the state it finds; the "disabled" check reuses the read-only session server.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server_utils import REPO, Server, run_cli, start_server

pytestmark = pytest.mark.slow

TOKEN = "secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KNOWN_QUESTION = "2024年全市技术合同成交额是多少？"
KNOWN_ANSWER = "5200.73亿元"
JOB_TIMEOUT_S = 180.0
RELOAD_DEADLINE_S = 10.0
# A spread of real questions; the 2020 ones pull chunks of the report the concurrency test removes.
QUESTIONS = [
    "2024年全市入库的科技型中小企业有多少家？",
    "2020年上海发明专利授权量是多少件？",
    "2019年度上海市科学技术奖共有多少个获奖项目？",
    "第17届浦江创新论坛的境外主宾国是哪个国家？",
    "2025年上海生物医药BD交易数量和交易金额分别是多少？",
    "在《2020年全球创新指数》的科技集群排名中，上海位列第几？",
    "How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?",
    "大零号湾",
    KNOWN_QUESTION,
]


def made_up_report(title: str, fact: str, paragraphs: int) -> str:
    """A small Markdown report: one unique fact plus filler paragraphs, so a rebuild has texts to embed."""
    filler = [  # plain paragraphs: numbered one-sentence lines would be parsed as headings, not text
        f"本节记录{title}第{i}项工作的进展。围绕示范应用、标准制定和人才培养开展了第{i}轮专项评估。"
        f"形成了{i + 2}份阶段性报告，并在{i + 3}个区推广相关经验。"
        for i in range(1, paragraphs + 1)
    ]
    return f"# {title}\n\n## 总体情况\n\n{fact}\n\n## 工作进展\n\n" + "\n\n".join(filler) + "\n"


@dataclass
class Workspace:
    """A running server over its own index and corpus copies."""

    index: Path
    corpus: Path
    server: Server
    client: httpx.Client

    def version(self) -> str:
        response = self.client.get("/api/health")
        assert response.status_code == 200, response.text
        return str(response.json()["index_version"])

    def chunks(self, version: str) -> dict[str, dict[str, Any]]:
        """The chunk records of one published version, by id (read before a newer one deletes it)."""
        data = json.loads((self.index / version / "chunks.json").read_text(encoding="utf-8"))
        return {c["id"]: c for c in data}

    def start_rebuild(self, **params: str) -> httpx.Response:
        return self.client.post("/api/index/rebuild", headers=AUTH, params=params)

    def wait_job(self, job_id: str, interval: float = 0.2) -> dict[str, Any]:
        """Poll the job until it is no longer running; the final status."""
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            response = self.client.get(f"/api/index/rebuild/{job_id}", headers=AUTH)
            assert response.status_code == 200, response.text
            job = response.json()
            if job["state"] != "running":
                return dict(job)
            time.sleep(interval)
        raise AssertionError(f"rebuild job {job_id} still running after {JOB_TIMEOUT_S} s")

    def wait_version(self, predicate: Callable[[str], bool], timeout: float) -> tuple[str, float]:
        """Poll health until the serving version satisfies `predicate`; (version, seconds waited)."""
        started = time.monotonic()
        version = self.version()
        while not predicate(version):
            if time.monotonic() - started > timeout:
                raise AssertionError(f"index version still {version} after {timeout} s")
            time.sleep(0.1)
            version = self.version()
        return version, time.monotonic() - started


def copy_workspace(built_index: Path, dest: Path) -> tuple[Path, Path]:
    """Private copies of the session index (embed-cache included) and of the bundled corpus."""
    index = dest / "index"
    corpus = dest / "corpus"
    shutil.copytree(built_index, index, ignore=shutil.ignore_patterns(".build.lock"))
    shutil.copytree(REPO / "corpus", corpus)
    assert (index / "embed-cache").is_dir(), "the copy must carry the embedding cache"
    return index, corpus


@contextlib.contextmanager
def workspace(built_index: Path, dest: Path, **env: str) -> Iterator[Workspace]:
    """A `reportqa serve` over fresh copies in `dest`, healthy on entry and stopped on exit."""
    index, corpus = copy_workspace(built_index, dest)
    with start_server(index, corpus_dir=corpus, **env) as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as client:
        yield Workspace(index, corpus, server, client)


@pytest.fixture(scope="module")
def admin(built_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One server with rebuilds enabled (token 'secret'), shared by this module's tests."""
    with workspace(built_index, tmp_path_factory.mktemp("rebuild-admin"), REPORTQA_ADMIN_TOKEN=TOKEN) as ws:
        yield ws


def answers_with(response: httpx.Response, text: str) -> bool:
    """Whether a search response's answer or passages contain `text`."""
    body = response.json()
    answer = body["answer"]["text"] if body["answer"] else ""
    return text in answer or any(text in p["text"] for p in body["results"])


# --- access control ------------------------------------------------------------------------------

def test_rebuild_is_disabled_without_admin_token(live_server: str) -> None:
    if os.environ.get("REPORTQA_ADMIN_TOKEN"):
        pytest.skip("REPORTQA_ADMIN_TOKEN is set in this environment, so the session server has rebuilds on")
    response = httpx.post(f"{live_server}/api/index/rebuild", headers=AUTH, timeout=30)
    assert response.status_code == 403
    assert "REPORTQA_ADMIN_TOKEN" in response.json()["detail"]


def test_rebuild_without_authorization_header_is_401(admin: Workspace) -> None:
    response = admin.client.post("/api/index/rebuild")
    assert response.status_code == 401
    assert response.headers.get("www-authenticate") == "Bearer"
    assert "bearer token" in response.json()["detail"]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("Basic c2VjcmV0", 401),
        ("secret", 401),
        ("Bearer wrong", 403),
        ("Bearer secretX", 403),
        ("Bearer", 401),
    ],
)
def test_rebuild_with_wrong_credentials_is_refused(admin: Workspace, header: str, status: int) -> None:
    """Anything but 'Bearer <token>' is 401 (asks for the scheme); a bearer with the wrong token is 403."""
    response = admin.client.post("/api/index/rebuild", headers={"Authorization": header})
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["detail"] == (
            "管理令牌不正确：请在请求头 Authorization: Bearer <令牌> 中发送服务器设置的令牌")
    else:
        assert "bearer token" in response.json()["detail"]


def test_job_status_needs_the_token_too(admin: Workspace) -> None:
    assert admin.client.get("/api/index/rebuild/whatever").status_code == 401
    unknown = admin.client.get("/api/index/rebuild/whatever", headers=AUTH)
    assert unknown.status_code == 404
    assert "whatever" in unknown.json()["detail"]


def test_rebuild_with_token_is_accepted_and_succeeds(admin: Workspace) -> None:
    before = admin.version()
    response = admin.start_rebuild()
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["state"] == "running" and started["job_id"]
    job = admin.wait_job(started["job_id"])
    assert job["state"] == "succeeded", job
    assert job["error"] is None and job["finished_at"] >= job["started_at"]
    assert job["up_to_date"] is True  # nothing changed in the corpus: nothing re-embedded, nothing published
    assert job["version"] == before == admin.version()


def test_succeeded_rebuild_is_already_serving_the_new_report(admin: Workspace) -> None:
    """Once the job says `succeeded`, searches answer from the new version: no window of stale answers."""
    before = admin.version()
    report = made_up_report("氢能测试报告", "2026年上海建成了21座加氢示范站。", paragraphs=3)
    (admin.corpus / "hydrogen-test.md").write_text(report, encoding="utf-8")
    response = admin.start_rebuild()
    assert response.status_code == 202, response.text
    job = admin.wait_job(response.json()["job_id"], interval=0.02)
    assert job["state"] == "succeeded", job
    assert job["up_to_date"] is False and job["version"] != before
    assert admin.version() == job["version"]
    answer = admin.client.get("/api/search", params={"q": "2026年上海建成了几座加氢示范站？"})
    assert answer.status_code == 200 and answers_with(answer, "21座加氢示范站")


# --- one at a time -------------------------------------------------------------------------------

def test_second_rebuild_while_one_runs_is_409(admin: Workspace) -> None:
    report = made_up_report("并发重建测试报告", "2026年上海建成了13个海洋观测浮标站。", paragraphs=4)
    (admin.corpus / "busy-report.md").write_text(report, encoding="utf-8")
    first = admin.start_rebuild()
    second = admin.start_rebuild()
    assert first.status_code == 202, first.text
    job_id = first.json()["job_id"]
    try:
        assert second.status_code == 409, second.text
        assert job_id in second.json()["detail"]
    finally:
        job = admin.wait_job(job_id)
    assert job["state"] == "succeeded", job
    assert job["to_embed"] > 0 and job["embedded"] == job["to_embed"]  # it did real work while refusing


# --- a rebuild with an unreadable file ----------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", os.urandom(4096), "PDF"),
        ("junk.txt", bytes(range(256)) * 16, "binary"),
    ],
)
def test_a_rebuild_skips_an_unreadable_file_names_it_and_serves_the_other_reports(
    admin: Workspace, name: str, content: bytes, reason: str
) -> None:
    """One bad file no longer stops a rebuild: it is left out with its reason, the rest is published."""
    bad = admin.corpus / name
    bad.write_bytes(content)
    try:
        response = admin.start_rebuild(force="true")
        assert response.status_code == 202, response.text
        job = admin.wait_job(response.json()["job_id"])
    finally:
        bad.unlink()
    assert job["state"] == "succeeded", job
    skipped = {s["file"]: s["reason"] for s in job["skipped"]}
    assert name in skipped and reason in skipped[name], job["skipped"]
    assert str(admin.corpus) not in skipped[name] and "Traceback" not in skipped[name]
    admin.wait_version(lambda v: v == job["version"], RELOAD_DEADLINE_S)
    answer = admin.client.get("/api/search", params={"q": KNOWN_QUESTION})
    assert answer.status_code == 200
    assert answers_with(answer, KNOWN_ANSWER)


# --- hot reload of an index published by another process -------------------------------------------

@dataclass
class Poller:
    """Searches one question in a loop on its own thread, recording every outcome."""

    base_url: str
    question: str
    marker: str
    statuses: list[int] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.get("/api/search", params={"q": self.question})
                except httpx.HTTPError as exc:
                    self.errors.append(repr(exc))
                    continue
                self.statuses.append(response.status_code)
                if response.status_code == 200:
                    self.found.append(answers_with(response, self.marker))
                else:
                    self.errors.append(f"{response.status_code}: {response.text[:200]}")


def test_index_published_by_another_process_is_served_within_seconds(admin: Workspace) -> None:
    fact = "2026年上海试点建设了7个量子通信示范站。"
    question = "2026年上海试点建设了几个量子通信示范站？"
    before = admin.version()
    assert not answers_with(admin.client.get("/api/search", params={"q": question}), "7个量子通信示范站")
    (admin.corpus / "quantum-test.md").write_text(f"# 测试报告\n\n{fact}\n", encoding="utf-8")

    poller = Poller(admin.server.base_url, question, "7个量子通信示范站")
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    try:
        build = run_cli("build", "--corpus", str(admin.corpus), "--index", str(admin.index), timeout=300)
        assert build.returncode == 0, build.stderr
        published = (admin.index / "CURRENT").read_text(encoding="utf-8").strip()
        assert published != before
        _, waited = admin.wait_version(lambda v: v == published, RELOAD_DEADLINE_S)
        deadline = time.monotonic() + 5
        while not (poller.found and poller.found[-1]) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop.set()
        thread.join(timeout=30)
    assert waited <= RELOAD_DEADLINE_S
    assert poller.errors == [] and set(poller.statuses) == {200}
    # the poller ran across the switch: old answers first, then the new fact, never back
    assert poller.found[0] is False and poller.found[-1] is True
    first_new = poller.found.index(True)
    assert all(poller.found[first_new:]), "a search after the switch was answered from the old index"
    assert answers_with(admin.client.get("/api/search", params={"q": question}), "7个量子通信示范站")


# --- searches during a rebuild -------------------------------------------------------------------

def passage_matches(passage: dict[str, Any], chunks: dict[str, dict[str, Any]]) -> bool:
    chunk = chunks.get(passage["chunk_id"])
    return chunk is not None and all(passage[key] == chunk[key] for key in ("doc_id", "text", "start", "end"))


def served_by(response: dict[str, Any], chunks: dict[str, dict[str, Any]]) -> bool:
    """Whether one complete index version could have produced this whole response."""
    if not all(passage_matches(p, chunks) for p in response["results"]):
        return False
    answer = response["answer"]
    if answer is None:
        return True
    chunk = chunks.get(answer["chunk_id"])
    return chunk is not None and chunk["text"][answer["start"]:answer["end"]] == answer["text"]


@dataclass
class SearchClient:
    """One client thread: the questions in a loop (starting at `offset`) until told to stop."""

    base_url: str
    questions: list[str]
    offset: int
    stop: threading.Event
    responses: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        # Each client from its own loopback address, as separate users are: the server limits
        # concurrent searches per client address.
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{2 + self.offset}")
        with httpx.Client(base_url=self.base_url, timeout=60, transport=transport) as client:
            i = self.offset
            while not self.stop.is_set():
                question = self.questions[i % len(self.questions)]
                i += 1
                try:
                    response = client.get("/api/search", params={"q": question})
                except httpx.HTTPError as exc:
                    self.errors.append(f"{question}: {exc!r}")
                    continue
                if response.status_code != 200:
                    self.errors.append(f"{question}: {response.status_code} {response.text[:200]}")
                    continue
                self.responses.append(response.json())


def wait_each_client(clients: list[SearchClient], more: int, timeout: float) -> None:
    """Until every client has finished `more` further searches (so each has asked every question)."""
    targets = [len(c.responses) + more for c in clients]
    deadline = time.monotonic() + timeout
    while any(len(c.responses) < t for c, t in zip(clients, targets, strict=True)):
        if time.monotonic() > deadline or any(c.errors for c in clients):
            return
        time.sleep(0.05)


def test_concurrent_searches_during_rebuild_never_fail_or_mix_versions(admin: Workspace) -> None:
    """8 clients search while the API rebuilds; every response comes whole from the old or the new index.

    The new version drops one report and adds another, so the two chunk sets differ both ways: a
    response holding chunks of the dropped report and of the added one would have been served from
    a mixture; a passage whose text or offsets differ from its version's record, from a torn one.
    """
    old_version = admin.version()
    old_chunks = admin.chunks(old_version)
    dropped_ids = {cid for cid, c in old_chunks.items() if c["doc_id"] == "2020-overview"}
    assert dropped_ids
    (admin.corpus / "2020-overview.md").unlink()
    report = made_up_report("海洋科技测试报告", "2026年上海新建了9艘深海科考无人船。", paragraphs=20)
    (admin.corpus / "ocean-test.md").write_text(report, encoding="utf-8")
    questions = [*QUESTIONS, "2026年上海新建了几艘深海科考无人船？"]  # pulls chunks only the new version has

    stop = threading.Event()
    clients = [SearchClient(admin.server.base_url, questions, i, stop) for i in range(8)]
    threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    try:
        wait_each_client(clients, 1, timeout=30)  # all clients in full swing before the rebuild starts
        before_rebuild = sum(len(c.responses) for c in clients)
        started = admin.start_rebuild()
        assert started.status_code == 202, started.text
        job = admin.wait_job(started.json()["job_id"])
        during_rebuild = sum(len(c.responses) for c in clients) - before_rebuild
        assert job["state"] == "succeeded", job
        new_version, _ = admin.wait_version(lambda v: v == job["version"], RELOAD_DEADLINE_S)
        wait_each_client(clients, len(questions), timeout=60)  # every question asked again of the new index
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    new_chunks = admin.chunks(new_version)
    responses = [r for c in clients for r in c.responses]

    assert [e for c in clients for e in c.errors] == []
    assert job["to_embed"] >= 50, "the rebuild must do real work while the clients search"
    assert during_rebuild >= 8, "the clients were not searching while the rebuild ran"
    assert new_version != old_version
    torn = [r["query"] for r in responses if not (served_by(r, old_chunks) or served_by(r, new_chunks))]
    assert torn == [], f"{len(torn)} responses match neither complete index: {torn[:5]}"
    from_old = [r for r in responses if any(p["chunk_id"] in dropped_ids for p in r["results"])]
    from_new = [r for r in responses if not served_by(r, old_chunks)]
    assert from_old and from_new, "the clients did not search across the switch"
