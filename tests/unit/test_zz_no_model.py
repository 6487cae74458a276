"""Specification of the fast layer itself: it never loads the embedding model.

Named to run last: by then every fast test (this folder and the ones before it) has run, so
a test or fixture that reached for the real encoder would have imported torch or
sentence-transformers. The whole layer stays in seconds only while this holds. A session
that also runs slow or browser tests loads the model on purpose, and is not judged here.
"""

from __future__ import annotations

import sys

import pytest

MODEL_MARKS = ("slow", "browser")


@pytest.mark.parametrize("module", ["torch", "sentence_transformers"])
def test_no_model_library_was_imported(request: pytest.FixtureRequest, module: str) -> None:
    if any(item.get_closest_marker(mark) for item in request.session.items for mark in MODEL_MARKS):
        pytest.skip("this session runs slow or browser tests, which load the model")
    assert module not in sys.modules, f"a fast test imported {module}: mark it slow or use tests.fakes.FakeEmbedder"
