"""Acceptance tests of the index: dense retrieval quality, incremental builds, crash safety, damage.

Everything here runs the real embedding model (converted e5-small), because what is under test is what
a user gets: which passages the dense leg finds, which texts a rebuild re-embeds, and what a killed or
damaged build leaves behind.  A full build costs 30-60 s of CPU on 2 cores, so read-only checks reuse
the session's `built_index`, and the tests that must build use a one-report corpus (`small_index`, built
once per module and copied before any change) plus one more report.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportqa.embedding.sbert import Embedder
from reportqa.errors import IndexCorruptError, StaleIndexError
from reportqa.index import local as store
from reportqa.index.base import SearchIndex
from reportqa.index.build import build_index, embed_input
from reportqa.index.local import LocalCatalog
from reportqa.ingest.chunking import CHUNKER_VERSION, chunk_report
from reportqa.ingest.corpus import iter_corpus
from reportqa.models import ParsedReport
from reportqa.service import QAService
from reportqa.text.sentences import sentence_spans
from tests.server_utils import child_env, reportqa_command, run_cli

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
# The one-report index holds the 2024 overview, so a question about 2024's technology contracts has its
# answer there; the report added later is the smallest other one, to keep the extra embedding short.
BASE_FILE = "2024-overview.txt"
ADDED_FILE = "2025-overview.md"
ADDED_ID = "2025-overview"
CONTRACT_QUESTION = "2024年全市技术合同成交额是多少？"
CONTRACT_ANSWER = "5200.73亿元"
KILL_TIMEOUT_S = 240.0


# --------------------------------------------------------------------------- helpers


def write_corpus(dest: Path, files: Sequence[str]) -> Path:
    """A corpus folder holding copies of some bundled reports and their own manifest entries.

    The entries are copied verbatim from the bundled manifest, so a report's metadata (and so its
    chunks' embedding inputs) are the same in every corpus built from it.
    """
    dest.mkdir(parents=True)
    entries = tomllib.loads((CORPUS / "reports.toml").read_text(encoding="utf-8"))["report"]
    lines: list[str] = []
    for name in files:
        shutil.copyfile(CORPUS / name, dest / name)
        entry = next(e for e in entries if e["file"] == name)
        lines.append("[[report]]")
        lines.extend(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in entry.items())
        lines.append("")
    (dest / "reports.toml").write_text("\n".join(lines), encoding="utf-8")
    return dest


def copy_index(src: Path, dest: Path) -> Path:
    """A private copy of an index root (versions, CURRENT and embedding cache) that a test may change."""
    shutil.copytree(src, dest)
    return dest


def texts_to_embed(report: ParsedReport) -> list[str]:
    """Every text a build hands the encoder for one report: its chunks' inputs, then their sentences.

    Computed from the chunker and the sentence splitter directly, so the incremental test's expectation
    does not come from the build code it checks.
    """
    chunks = chunk_report(report)
    return [*map(embed_input, chunks), *(c.text[a:b] for c in chunks for a, b in sentence_spans(c.text))]


def parse_corpus(corpus: Path) -> dict[str, ParsedReport]:
    return {r.meta.id: r for r in iter_corpus(corpus)}


def version_dirs(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("v-"))


def staging_dirs(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".staging-"))


def dense_rank(index: SearchIndex, embedder: Embedder, query: str, needle: str, k: int) -> int | None:
    """0-based rank of the first chunk containing `needle` in the dense leg's top k (None if absent).

    Only the vector index and the query embedding are used: no BM25, no fusion, no sentence boost.
    """
    needle_chunks = [c.id for c in index.chunks if needle in c.text]
    assert needle_chunks, f"no chunk contains {needle!r}: the test's premise is wrong"
    hits = index.vectors.search(embedder.embed_queries([query])[0], k)
    ranked = index.chunks.get(hits.keys.tolist())
    assert len(ranked) == min(k, index.chunk_count)
    return next((rank for rank, c in enumerate(ranked) if needle in c.text), None)


class CountingEmbedder:
    """The real embedder, recording every passage text it is asked to encode.

    Lets a test say exactly which texts a build re-embedded, with real vectors still going into the index.
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.checksum = inner.checksum
        self.dim = inner.dim
        self.passages: list[str] = []
        self.passage_calls = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        self.passage_calls += 1
        self.passages.extend(texts)
        return self.inner.embed_passages(texts, batch_size=batch_size, progress=progress)

    def warm_up(self) -> None:
        self.inner.warm_up()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-report corpus (the 2024 overview); read-only."""
    return write_corpus(tmp_path_factory.mktemp("small") / "corpus", [BASE_FILE])


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, small_corpus: Path, embedder: Embedder) -> Path:
    """`small_corpus` built once with the real model; read-only: copy it with `copy_index` to change it."""
    root = tmp_path_factory.mktemp("small-index") / "index"
    result = build_index(small_corpus, root, embedder)
    assert result.embedded > 0 and result.document_count == 1
    return root


@pytest.fixture(scope="module")
def grown_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`small_corpus` plus one more report; read-only."""
    return write_corpus(tmp_path_factory.mktemp("grown") / "corpus", [BASE_FILE, ADDED_FILE])


@pytest.fixture(scope="module")
def full_index(built_index: Path, embedder: Embedder) -> SearchIndex:
    """The session's bundled-corpus index, loaded once for the dense-retrieval tests."""
    return LocalCatalog(built_index).open(model_checksum=embedder.checksum)


# --------------------------------------------------------------------------- dense retrieval


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        # Asked about buses, taxis and fuel; the passage says "全域新能源公交、出租车全覆盖" under 崇明.
        ("哪个区的公交车和出租车已经全部不再使用燃油？", "全域新能源公交、出租车全覆盖"),
        # "Foreign-invested R&D centres" asked as "multinationals' research-and-development institutions".
        ("跨国公司设在上海的研究开发机构累计有多少家？", "累计认定共591家"),
        # The passage names the company (莫德纳, Moderna) and says 药厂; the question describes it instead.
        ("那家新冠mRNA疫苗企业在中国的首个生产基地建在哪个城市？", "莫德纳中国首个药厂落户上海"),
    ],
    ids=["buses-taxis-off-fuel", "multinationals-research-institutions", "mrna-vaccine-factory"],
)
def test_dense_search_alone_ranks_a_paraphrased_question_in_the_top_5(
    full_index: SearchIndex, embedder: Embedder, question: str, needle: str
) -> None:
    """The dense leg must carry questions that share few words with their passage (BM25 cannot)."""
    rank = dense_rank(full_index, embedder, question, needle, k=5)
    assert rank is not None, f"{needle!r} is not in the dense top 5 for {question!r}"


def test_dense_search_alone_ranks_the_issue_example_in_the_top_15(
    full_index: SearchIndex, embedder: Embedder
) -> None:
    """The issue's example, asserted at 15 and not 5 on purpose.

    `模速空间 … 百余家大模型企业入驻` is asked as "an aggregation base for generative-AI start-ups": no
    word in common, and with e5-small the dense leg alone ranks that chunk about 10th (known; the
    hybrid with the sentence boost is what lifts it).  Top 15 pins today's level so a regression of
    the embedding input or the model shows up, without pretending the dense leg already solves it.
    """
    rank = dense_rank(full_index, embedder, "上海为生成式AI创业公司打造的集聚基地吸引了多少家公司落户？",
                      "百余家大模型企业入驻", k=15)
    assert rank is not None, "the 模速空间 chunk fell out of the dense top 15"


def test_dense_search_finds_the_chinese_passage_for_an_english_question(
    full_index: SearchIndex, embedder: Embedder
) -> None:
    """The model is multilingual: an English question must land on the Chinese passages with the figure.

    Both reports state 2024's 30 newly recognised foreign R&D centres (the overview as `新认定30家`,
    chapter 8 as `新认定外资研发中心30家`); both must be in the dense top 5.
    """
    question = "How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?"
    for needle in ("新认定30家", "新认定外资研发中心30家"):
        rank = dense_rank(full_index, embedder, question, needle, k=5)
        assert rank is not None, f"{needle!r} is not in the dense top 5 for the English question"


# --------------------------------------------------------------------------- incremental builds


def test_adding_a_report_embeds_only_the_new_reports_texts(
    tmp_path: Path, small_index: Path, small_corpus: Path, grown_corpus: Path, embedder: Embedder
) -> None:
    """A new report costs its own chunks and sentences, not a re-embedding of the whole corpus."""
    root = copy_index(small_index, tmp_path / "index")
    before = store.current_version(root)
    old_texts = texts_to_embed(parse_corpus(small_corpus)["2024-overview"])
    new_texts = texts_to_embed(parse_corpus(grown_corpus)[ADDED_ID])
    expected = set(new_texts) - set(old_texts)  # a sentence both reports share is already cached
    assert len(expected) > 50

    counting = CountingEmbedder(embedder)
    result = build_index(grown_corpus, root, counting)

    assert not result.up_to_date
    assert set(counting.passages) == expected
    assert len(counting.passages) == len(expected), "a text was embedded twice"
    assert result.embedded == len(expected)
    assert result.reused == len(old_texts) + len(new_texts) - len(expected)
    assert result.document_count == 2
    assert store.current_version(root) == result.version != before
    index = LocalCatalog(root).open(model_checksum=embedder.checksum)
    assert set(index.documents) == {"2024-overview", ADDED_ID}
    assert index.chunk_count == result.chunk_count
    assert index.chunk_count == len(chunk_report(parse_corpus(grown_corpus)[ADDED_ID])) + len(
        chunk_report(parse_corpus(small_corpus)["2024-overview"]))


def test_rebuilding_an_unchanged_corpus_embeds_nothing_and_reports_up_to_date(
    tmp_path: Path, small_index: Path, small_corpus: Path, embedder: Embedder
) -> None:
    """A no-change rebuild must not touch the model nor publish a new version."""
    root = copy_index(small_index, tmp_path / "index")
    before = store.current_version(root)
    counting = CountingEmbedder(embedder)

    result = build_index(small_corpus, root, counting)

    assert result.up_to_date
    assert result.embedded == 0
    assert counting.passage_calls == 0 and counting.passages == []
    assert result.version == before == store.current_version(root)
    assert version_dirs(root) == [before]
    assert result.chunk_count == LocalCatalog(root).open().chunk_count > 0


# --------------------------------------------------------------------------- crash safety


def _wait_for_embedding(process: subprocess.Popen[bytes], log: Path) -> None:
    """Block until the child's tqdm `embedding` bar appears: the encoder is then running."""
    deadline = time.monotonic() + KILL_TIMEOUT_S
    while "embedding" not in log.read_text(encoding="utf-8", errors="replace"):
        if process.poll() is not None:
            pytest.fail(f"the build ended (rc {process.returncode}) before embedding:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"the build did not start embedding within {KILL_TIMEOUT_S} s")
        time.sleep(0.05)


@pytest.fixture
def killed_build(tmp_path: Path, small_index: Path, grown_corpus: Path) -> Iterator[dict[str, Any]]:
    """A copy of `small_index` whose `reportqa build` of `grown_corpus` was SIGKILLed mid-embedding."""
    root = copy_index(small_index, tmp_path / "index")
    before = store.current_version(root)
    log = tmp_path / "build.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*reportqa_command(), "build", "--corpus", str(grown_corpus), "--index", str(root)],
            stdout=out, stderr=subprocess.STDOUT, env=child_env(), cwd=REPO,
        )
    try:
        _wait_for_embedding(process, log)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        yield {"root": root, "before": before, "pid": process.pid, "returncode": process.returncode,
               "log": log.read_text(encoding="utf-8", errors="replace")}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_a_build_killed_while_embedding_leaves_the_previous_version_serving(
    killed_build: dict[str, Any], embedder: Embedder
) -> None:
    """Kill -9 mid-build: CURRENT still names the old version, which loads and answers."""
    root: Path = killed_build["root"]
    assert killed_build["returncode"] == -signal.SIGKILL, killed_build["log"]
    assert "built v-" not in killed_build["log"]
    assert store.current_version(root) == killed_build["before"]
    assert version_dirs(root) == [killed_build["before"]]

    index = LocalCatalog(root).open(model_checksum=embedder.checksum)
    assert set(index.documents) == {"2024-overview"}
    response = QAService(root, embedder).search(CONTRACT_QUESTION)
    assert response.answer is not None and not response.no_answer
    assert CONTRACT_ANSWER in response.answer.text


def test_the_build_after_a_killed_one_succeeds_and_removes_dead_staging_dirs(
    killed_build: dict[str, Any], grown_corpus: Path, embedder: Embedder
) -> None:
    """The killed build's lock dies with it, and a dead build's half-written version is cleaned up.

    `build_index` creates its staging directory only after embedding, so a kill while embedding leaves
    none; the one a kill during the writing phase would leave (named with the dead build's pid, holding
    a partial file) is planted here, with the pid of the build that was really killed.
    """
    root: Path = killed_build["root"]
    dead = root / f".staging-v-20240101T000000-deadbeef-{killed_build['pid']}"
    dead.mkdir()
    (dead / store.CHUNKS).write_text('[{"id": "half', encoding="utf-8")

    result = build_index(grown_corpus, root, embedder)

    assert not result.up_to_date and result.embedded > 0
    assert store.current_version(root) == result.version != killed_build["before"]
    assert staging_dirs(root) == []
    assert version_dirs(root) == [result.version]
    index = LocalCatalog(root).open(model_checksum=embedder.checksum)
    assert set(index.documents) == {"2024-overview", ADDED_ID}


# --------------------------------------------------------------------------- damaged and stale indexes


def _truncate_vectors(version: Path) -> None:
    path = version / store.VECTORS
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble_lexical(version: Path) -> None:
    path = version / store.LEXICAL
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes((b ^ 0x5A) for b in data[middle : middle + 64])
    path.write_bytes(bytes(data))


def _delete_chunks(version: Path) -> None:
    (version / store.CHUNKS).unlink()


def _break_manifest(version: Path) -> None:
    path = version / store.MANIFEST
    path.write_text(path.read_text(encoding="utf-8")[:40], encoding="utf-8")


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated vectors.faiss": _truncate_vectors,
    "garbled lexical.npz": _garble_lexical,
    "deleted chunks.json": _delete_chunks,
    "broken manifest.json": _break_manifest,
}


def damaged_copy(src: Path, dest: Path, damage: Callable[[Path], None]) -> Path:
    """A copy of an index root with its serving version damaged."""
    root = copy_index(src, dest)
    damage(store.current_dir(root))
    return root


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_a_damaged_index_file_is_refused_with_the_rebuild_command(
    tmp_path: Path, small_index: Path, embedder: Embedder, damage: str
) -> None:
    """Damage must surface as an error the user can act on, never as garbage answers or a crash."""
    root = damaged_copy(small_index, tmp_path / "index", DAMAGES[damage])
    with pytest.raises((IndexCorruptError, StaleIndexError)) as caught:
        LocalCatalog(root).open(model_checksum=embedder.checksum)
    assert "reportqa build" in str(caught.value)


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_following_the_rebuild_hint_repairs_a_damaged_index(
    tmp_path: Path, small_index: Path, small_corpus: Path, embedder: Embedder, damage: str
) -> None:
    """The damage error says "run `reportqa build`": doing so (without --force) must repair the index.

    The embedding cache is intact, so the repair must not re-embed anything either.
    """
    root = damaged_copy(small_index, tmp_path / "index", DAMAGES[damage])

    result = build_index(small_corpus, root, embedder)

    assert not result.up_to_date, "the build called a damaged index up to date"
    assert result.embedded == 0
    response = QAService(root, embedder).search(CONTRACT_QUESTION)
    assert response.answer is not None and CONTRACT_ANSWER in response.answer.text


def test_ask_on_a_damaged_index_prints_one_error_line_and_no_traceback(
    tmp_path: Path, small_index: Path
) -> None:
    """Through the CLI: a non-zero exit and one `error: …reportqa build…` line, not a stack trace."""
    root = damaged_copy(small_index, tmp_path / "index", _truncate_vectors)
    proc = run_cli("ask", CONTRACT_QUESTION, "--index", str(root))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert "reportqa build" in errors[0]
    assert "vectors.faiss" in errors[0]
    assert CONTRACT_ANSWER not in proc.stdout


def _other_model(manifest: dict[str, Any]) -> None:
    manifest["model"] = {**manifest["model"], "id": "some-other-model", "checksum": "0" * 64}


def _other_chunker(manifest: dict[str, Any]) -> None:
    manifest["chunker_version"] = f"{CHUNKER_VERSION}-old"


def _other_format(manifest: dict[str, Any]) -> None:
    manifest["format_version"] = store.FORMAT_VERSION + 1


STALENESS: dict[str, Callable[[dict[str, Any]], None]] = {
    "another model checksum": _other_model,
    "another chunker version": _other_chunker,
    "another index format": _other_format,
}


@pytest.mark.parametrize("change", list(STALENESS), ids=list(STALENESS))
def test_an_index_built_by_another_model_or_chunker_is_refused_as_stale(
    tmp_path: Path, small_index: Path, embedder: Embedder, change: str
) -> None:
    """Vectors from another model (or chunks from another chunker) would be silently wrong: refuse them."""
    root = copy_index(small_index, tmp_path / "index")
    path = store.current_dir(root) / store.MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    STALENESS[change](manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(StaleIndexError) as caught:
        LocalCatalog(root).open(model_checksum=embedder.checksum)
    assert "reportqa build" in str(caught.value)


def test_the_unmodified_small_index_loads_with_the_model_checksum(
    small_index: Path, embedder: Embedder
) -> None:
    """The control for the damage and staleness tests: their copies fail only because of the change."""
    index = LocalCatalog(small_index).open(model_checksum=embedder.checksum)
    assert set(index.documents) == {"2024-overview"}
    assert any(CONTRACT_ANSWER in c.text for c in index.chunks)


# --------------------------------------------------------------------------- manifest


def test_the_manifest_records_what_the_index_was_built_from(
    built_index: Path, embedder: Embedder, reports: dict[str, ParsedReport]
) -> None:
    """Model, chunker, documents, libraries and index kind: what staleness checks and bug reports need."""
    manifest = store.read_manifest(store.current_dir(built_index))

    assert manifest["model"]["id"] == embedder.model_id and manifest["model"]["id"]
    assert manifest["model"]["checksum"] == embedder.checksum
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["model"]["checksum"])
    assert manifest["model"]["dim"] == embedder.dim == 384
    assert manifest["chunker_version"] == CHUNKER_VERSION

    documents = manifest["documents"]
    assert set(documents) == set(reports) and len(documents) == 5
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in documents.values())
    assert len(set(documents.values())) == len(documents)
    records = store.load_documents(store.current_dir(built_index) / store.DOCUMENTS)
    assert {d.id: d.content_hash for d in records} == documents

    versions = manifest["versions"]
    for package in ("python", "reportqa", "faiss-cpu", "sentence-transformers", "torch", "numpy"):
        assert versions.get(package), f"the manifest lacks the {package} version"

    built_at = datetime.strptime(manifest["built_at"], "%Y-%m-%dT%H:%M:%S%z")
    assert abs(datetime.now(built_at.tzinfo) - built_at) < timedelta(days=1)

    expected_chunks = sum(len(chunk_report(r)) for r in reports.values())
    assert manifest["chunk_count"] == expected_chunks
    assert manifest["vector_index"]["kind"] == "flat"
    assert manifest["vector_index"]["size"] == expected_chunks
    assert manifest["vector_index"]["dim"] == embedder.dim


# --------------------------------------------------------------------------- CLI on a bad corpus


@pytest.mark.parametrize("corpus", ["empty", "missing"])
def test_build_on_an_empty_or_missing_corpus_fails_with_one_line(tmp_path: Path, corpus: str) -> None:
    """A wrong --corpus is the user's to fix: say so in one line, exit non-zero, publish nothing."""
    folder = tmp_path / "corpus"
    if corpus == "empty":
        folder.mkdir()
    root = tmp_path / "index"

    proc = run_cli("build", "--corpus", str(folder), "--index", str(root))

    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "corpus" in lines[0]
    assert store.current_version(root) is None
