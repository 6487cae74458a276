"""Shared fixtures: the bundled corpus, parsed once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def reports():
    """Every bundled report, parsed, keyed by its manifest id."""
    from reportqa.ingest.corpus import iter_corpus

    return {r.meta.id: r for r in iter_corpus(CORPUS)}


@pytest.fixture(scope="session")
def embedder():
    """The real converted e5-small model (converted on first use if missing)."""
    from reportqa.embedding.sbert import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder) -> Path:
    """The bundled corpus built once per test session with the real model; treat it as read-only."""
    from reportqa.index.build import build_index

    root = tmp_path_factory.mktemp("index") / "index"
    build_index(CORPUS, root, embedder)
    return root


@pytest.fixture(scope="session")
def qa_service(built_index, embedder):
    """A question-answering service over the session's built index."""
    from reportqa.service import QAService

    return QAService(built_index, embedder)


@pytest.fixture(scope="session")
def real_server(built_index) -> Iterator[str]:
    """Base URL of a real `reportqa serve` process over the session's built index."""
    from tests.server_utils import start_server

    with start_server(built_index) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def live_server(real_server) -> str:
    return real_server


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """A real Milvus (Milvus Lite's gRPC server, its own process on a free port) for the whole session."""
    from tests.milvus_utils import start_milvus

    with start_milvus(tmp_path_factory.mktemp("milvus") / "data") as server:
        yield server
