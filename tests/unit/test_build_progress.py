"""A build's progress counts from the start, stage by stage, in the CLI's build and in an API rebuild.

The fake embedder stands in for the model: what is under test is the order of the stages, the
file counts and when the model is loaded, not the vectors.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from reportqa.index.build import SOURCE_FILES_KEY, BuildProgress, build_index
from reportqa.index.local import LocalCatalog
from reportqa.web.rebuild import RebuildJobs, RebuildStatus
from tests.fakes import FakeEmbedder, write_tiny_corpus

TINY_FILES = 2  # write_tiny_corpus: r2023.md and r2024.md


class LoadingEmbedder(FakeEmbedder):
    """A fake with a model to load: `load_for_passages` waits until `release` is set (when one is given)."""

    def __init__(self, release: threading.Event | None = None) -> None:
        super().__init__()
        self.release = release
        self.loading = threading.Event()
        self.loads = 0

    def load_for_passages(self) -> None:
        self.loads += 1
        self.loading.set()
        if self.release is not None:
            assert self.release.wait(30), "the test never let the model load"

    def embed_passages(self, texts: Sequence[str], *, batch_size: int = 32,
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        assert self.loads, "passages were embedded before the model was loaded"
        return super().embed_passages(texts, batch_size=batch_size, progress=progress)


def stages(events: list[BuildProgress]) -> list[str]:
    """The stages in the order they began."""
    order: list[str] = []
    for event in events:
        if not order or order[-1] != event.stage:
            order.append(event.stage)
    return order


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


def test_a_first_build_goes_reading_loading_model_embedding_writing_done(corpus: Path, tmp_path: Path) -> None:
    events: list[BuildProgress] = []
    build_index(corpus, tmp_path / "index", LoadingEmbedder(), progress=events.append)
    assert stages(events) == ["reading", "loading_model", "embedding", "writing", "done"]


def test_reading_counts_the_files_before_the_model_loads(corpus: Path, tmp_path: Path) -> None:
    events: list[BuildProgress] = []
    build_index(corpus, tmp_path / "index", LoadingEmbedder(), progress=events.append)
    reading = [e for e in events if e.stage == "reading"]
    assert reading[0].files_read == 0 and reading[0].files_total == TINY_FILES
    assert [e.files_read for e in reading][-1] == TINY_FILES
    loading = next(e for e in events if e.stage == "loading_model")
    assert loading.files_read == loading.files_total == TINY_FILES and loading.to_embed > 0


def test_embedding_counts_up_to_the_texts_to_embed(corpus: Path, tmp_path: Path) -> None:
    events: list[BuildProgress] = []
    build_index(corpus, tmp_path / "index", LoadingEmbedder(), progress=events.append)
    embedding = [e for e in events if e.stage == "embedding"]
    assert embedding[0].embedded == 0 and embedding[-1].embedded == embedding[-1].to_embed > 0
    assert [e.embedded for e in embedding] == sorted(e.embedded for e in embedding)


def test_an_unchanged_corpus_goes_from_reading_to_done_without_loading_the_model(corpus: Path,
                                                                                 tmp_path: Path) -> None:
    build_index(corpus, tmp_path / "index", LoadingEmbedder())
    embedder, events = LoadingEmbedder(), []
    result = build_index(corpus, tmp_path / "index", embedder, progress=events.append)
    assert result.up_to_date
    assert stages(events) == ["reading", "done"] and embedder.loads == 0


def test_the_manifest_records_the_sha256_of_each_source_file(corpus: Path, tmp_path: Path) -> None:
    """What the library page compares with the files on disk to show a changed file as pending."""
    build_index(corpus, tmp_path / "index", FakeEmbedder())
    manifest = LocalCatalog(tmp_path / "index").current_manifest() or {}
    assert manifest[SOURCE_FILES_KEY] == {name: hashlib.sha256((corpus / name).read_bytes()).hexdigest()
                                          for name in ("r2023.md", "r2024.md")}


def wait_for(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_rebuild_job_reports_model_loading_as_its_own_stage_with_the_files_counted(corpus: Path,
                                                                                     tmp_path: Path) -> None:
    release = threading.Event()
    embedder = LoadingEmbedder(release)
    jobs = RebuildJobs(corpus, tmp_path / "index", lambda: embedder)
    started = jobs.start()
    try:
        assert embedder.loading.wait(30)
        status = jobs.get(started.job_id)
        assert status is not None and status.state == "running"
        assert status.stage == "loading_model"
        assert status.files_read == status.files_total == TINY_FILES and status.to_embed > 0
    finally:
        release.set()
    wait_for(lambda: (jobs.get(started.job_id) or started).state != "running")
    final = jobs.get(started.job_id)
    assert final is not None and final.state == "succeeded" and final.stage == "done"
    assert final.embedded == final.to_embed > 0


def test_a_rebuild_job_starts_queued_with_nothing_counted() -> None:
    status = RebuildStatus(job_id="x", state="running", started_at=0.0)
    assert (status.stage, status.files_read, status.files_total, status.embedded, status.to_embed) == \
        ("queued", 0, 0, 0, 0)


def test_a_failed_rebuild_job_ends_in_the_failed_stage(tmp_path: Path) -> None:
    jobs = RebuildJobs(tmp_path / "missing-corpus", tmp_path / "index", FakeEmbedder)
    started = jobs.start()
    wait_for(lambda: (jobs.get(started.job_id) or started).state != "running")
    final = jobs.get(started.job_id)
    assert final is not None and final.state == "failed" and final.stage == "failed" and final.error


def test_the_cli_build_display_names_each_stage_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from reportqa.cli import _BuildDisplay

    display = _BuildDisplay(every_stage=True)
    for event in (BuildProgress("reading", 0, 2), BuildProgress("reading", 2, 2),
                  BuildProgress("loading_model", 2, 2, 0, 5), BuildProgress("embedding", 2, 2, 5, 5),
                  BuildProgress("writing", 2, 2, 5, 5), BuildProgress("done", 2, 2, 5, 5)):
        display(event)
    display.close()
    shown = capsys.readouterr().err
    assert "reading" in shown and "2/2" in shown
    assert "loading the model" in shown
    assert "embedding" in shown and "5/5" in shown
    assert "writing the index" in shown
