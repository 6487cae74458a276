"""Session fixtures of the fast unit layer: the tiny corpus, built once with the fake embedder.

Nothing here loads a model: `FakeEmbedder` hashes character n-grams, so the index of the
tiny corpus (two reports and a reply, 16 chunks) builds in about a second, most of it
jieba's dictionary. Every fixture is read-only; a test that needs other settings builds a
`Retriever`, an `AnswerExtractor` or a `QAService` of its own over the same opened index.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportqa.index.base import NO_FILTER, Filter, IndexContents, SearchIndex
from reportqa.index.build import build_index
from reportqa.index.local import LocalCatalog
from reportqa.ingest.corpus import corpus_chunks
from reportqa.models import Chunk
from reportqa.query.analyze import QueryInfo, analyze
from reportqa.rank.answer import AnswerExtractor, AnswerResult
from reportqa.rank.retrieval import LegWeights, Retrieval, Retriever
from reportqa.service import QAService
from reportqa.settings import AnswerSettings, FusionSettings, Settings
from tests.fakes import FakeEmbedder, write_tiny_corpus

#: The question the API tests ask too; its answer sentence holds 5200.73亿元.
QUESTION_2024 = "2024年全市技术合同成交额是多少？"
QUESTION_2023 = "2023年全市技术合同成交额是多少？"


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny corpus with its third document, the 2024 reply about 2023 (`reply2024`)."""
    return write_tiny_corpus(tmp_path_factory.mktemp("tiny") / "corpus", reply=True)


@pytest.fixture(scope="session")
def tiny_root(tiny_corpus: Path, fake_embedder: FakeEmbedder) -> Path:
    """The index root of the tiny corpus, built once per session."""
    root = tiny_corpus.parent / "index"
    build_index(tiny_corpus, root, fake_embedder)
    return root


@pytest.fixture(scope="session")
def tiny_index(tiny_root: Path) -> SearchIndex:
    """The serving version of the tiny index, opened through the local catalog."""
    return LocalCatalog(tiny_root).open(model_checksum=FakeEmbedder.checksum)


@pytest.fixture(scope="session")
def all_chunks(tiny_corpus: Path) -> list[Chunk]:
    """Every chunk of the tiny corpus, in corpus order: what the index holds."""
    return corpus_chunks(tiny_corpus)


class ServedIndex:
    """A catalog that serves an already opened index: services with other settings, no reload."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def current_version(self) -> str | None:
        return self.index.version

    def current_manifest(self) -> dict[str, Any] | None:
        return self.index.manifest

    def open(self, *, model_checksum: str | None = None) -> SearchIndex:
        return self.index

    def stage(self, contents: IndexContents) -> str:
        raise NotImplementedError

    def publish(self, staged: str) -> str:
        raise NotImplementedError

    def discard(self, staged: str) -> None:
        raise NotImplementedError

    def lock(self) -> AbstractContextManager[None]:
        return nullcontext()


ServiceFactory = Callable[..., QAService]


@pytest.fixture(scope="session")
def make_service(tiny_root: Path, tiny_index: SearchIndex) -> ServiceFactory:
    """`make_service("fusion.lexical=0", ...)`: a service over the tiny index with `--set` overrides."""

    def make(*overrides: str) -> QAService:
        settings = Settings().with_overrides(overrides)
        return QAService(tiny_root, FakeEmbedder(), catalog=ServedIndex(tiny_index), settings=settings)

    return make


@pytest.fixture(scope="session")
def service(tiny_root: Path) -> QAService:
    """The service as `reportqa serve` builds it: default settings, its own catalog."""
    return QAService(tiny_root, FakeEmbedder())


RetrieveFn = Callable[..., Retrieval]


@pytest.fixture(scope="session")
def retrieve(tiny_index: SearchIndex) -> RetrieveFn:
    """`retrieve(question, where=..., legs=..., k=..., fusion=...)`: the retriever's ranking of a question."""

    def run(question: str, *, where: Filter = NO_FILTER, legs: LegWeights | None = None, k: int = 10,
            fusion: FusionSettings | None = None) -> Retrieval:
        return Retriever(tiny_index, fusion).retrieve(query_of(question), vector_of(question), k=k, where=where,
                                                      legs=legs)

    return run


AnswerFn = Callable[..., AnswerResult]


@pytest.fixture(scope="session")
def answer(tiny_index: SearchIndex, retrieve: RetrieveFn) -> AnswerFn:
    """`answer(question, settings=AnswerSettings(...), where=...)`: the extractor's verdict on a question."""

    def run(question: str, *, settings: AnswerSettings | None = None, where: Filter = NO_FILTER,
            legs: LegWeights | None = None) -> AnswerResult:
        return AnswerExtractor(tiny_index, settings).answer(retrieve(question, where=where, legs=legs))

    return run


def query_of(question: str) -> QueryInfo:
    return analyze(question)


def vector_of(question: str) -> np.ndarray:
    """The question's vector as the service makes it (the fake embedder's, unit length)."""
    return FakeEmbedder().embed_queries([question])[0]


def chunk_with(chunks: list[Chunk], text: str, doc_id: str | None = None) -> Chunk:
    """The one chunk whose text contains `text` (in report `doc_id` when given)."""
    found = [c for c in chunks if text in c.text and (doc_id is None or c.doc_id == doc_id)]
    assert len(found) == 1, f"{len(found)} chunks contain {text!r}"
    return found[0]


def write_corpus(folder: Path, files: dict[str, str], manifest: str) -> Path:
    """A corpus folder holding `files` (name → text) and `reports.toml`; returns it."""
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "reports.toml").write_text(manifest, encoding="utf-8")
    return folder


def index_of(corpus: Path) -> SearchIndex:
    """A corpus built with the fake embedder beside it (`../index`) and opened."""
    build_index(corpus, corpus.parent / "index", FakeEmbedder())
    return LocalCatalog(corpus.parent / "index").open(model_checksum=FakeEmbedder.checksum)


def answer_in(index: SearchIndex, question: str) -> AnswerResult:
    """The extractor's verdict on a question over `index`, with default settings."""
    return AnswerExtractor(index).answer(Retriever(index).retrieve(query_of(question), vector_of(question), k=10))
