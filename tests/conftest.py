"""Shared fixtures: the bundled corpus, parsed once per session."""

from __future__ import annotations

import os
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
    from reportqa.corpus import iter_corpus

    return {r.meta.id: r for r in iter_corpus(CORPUS)}
