"""Background rebuilds started through the API, one at a time.

The build publishes a new version atomically, so searches keep being served
from the old index while it runs; the server's poller swaps in the new one
when it lands. A failed build publishes nothing and reports why.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from reportqa.embedding.base import Embedder
from reportqa.embedding.memory import trim_memory
from reportqa.errors import ReportQAError
from reportqa.index.build import BuildProgress, BuildResult, build_index
from reportqa.index.factory import open_catalog
from reportqa.schemas import SkippedFileOut
from reportqa.settings import Settings

State = Literal["running", "succeeded", "failed"]
# The build's stages (index/build.py `BuildProgress`), plus "queued" before it starts and "failed".
Stage = Literal["queued", "reading", "loading_model", "embedding", "writing", "done", "failed"]


class RebuildStatus(BaseModel):
    """What `GET /api/index/rebuild/{id}` reports; progress moves from the start (files read, texts embedded)."""

    job_id: str
    state: State
    stage: Stage = "queued"
    started_at: float
    finished_at: float | None = None
    files_read: int = 0
    files_total: int = 0
    embedded: int = 0
    to_embed: int = 0
    version: str | None = None
    chunk_count: int | None = None
    up_to_date: bool = False
    error: str | None = None
    warnings: list[str] = []
    skipped: list[SkippedFileOut] = []  # files the build left out, each with the reason


class RebuildBusyError(ReportQAError):
    """A rebuild is already running."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"a rebuild is already running (job {job_id}); wait for it to finish")
        self.job_id = job_id


@dataclass
class RebuildJobs:
    """Runs at most one rebuild at a time and remembers the outcome of each."""

    corpus_dir: Path
    index_root: Path
    embedder: Callable[[], Embedder]
    on_published: Callable[[], None] = lambda: None
    settings: Settings = field(default_factory=Settings)
    _jobs: dict[str, RebuildStatus] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: str | None = None

    def start(self, *, force: bool = False) -> RebuildStatus:
        with self._lock:
            if self._running is not None:
                raise RebuildBusyError(self._running)
            job = RebuildStatus(job_id=uuid.uuid4().hex[:12], state="running", started_at=time.time())
            self._jobs[job.job_id] = job
            self._running = job.job_id
        threading.Thread(target=self._run, args=(job, force), name=f"rebuild-{job.job_id}", daemon=True).start()
        return job.model_copy()

    def get(self, job_id: str) -> RebuildStatus | None:
        job = self._jobs.get(job_id)
        return None if job is None else job.model_copy()

    def latest(self) -> RebuildStatus | None:
        """The running job, else the last one started (None before the first): what the library page resumes."""
        with self._lock:
            job = self._jobs.get(self._running) if self._running else next(reversed(self._jobs.values()), None)
        return None if job is None else job.model_copy()

    def _run(self, job: RebuildStatus, force: bool) -> None:
        def progress(event: BuildProgress) -> None:
            # "done" waits until the new version serves (below): then the job has succeeded too.
            job.stage = "writing" if event.stage == "done" else event.stage
            job.files_read, job.files_total = event.files_read, event.files_total
            job.embedded, job.to_embed = event.embedded, event.to_embed

        embedder: Embedder | None = None
        error: str | None = "the build was interrupted"
        try:
            embedder = self.embedder()
            result: BuildResult = build_index(self.corpus_dir, self.index_root, embedder, force=force,
                                              progress=progress, settings=self.settings,
                                              catalog=open_catalog(self.index_root, self.settings.index.backend),
                                              batch_size=self.settings.index.rebuild_batch_size)
            job.version, job.chunk_count = result.version, result.chunk_count
            job.up_to_date, job.warnings = result.up_to_date, result.warnings
            job.skipped = [SkippedFileOut(file=f.file, reason=f.reason) for f in result.skipped]
            self.on_published()  # swap the new version in first: "succeeded" means it already serves
            error = None
        except ReportQAError as exc:
            error = str(exc)
        except Exception as exc:  # a bug in the build must not take the server down or leak internals
            error = f"the build failed unexpectedly ({type(exc).__name__})"
        finally:
            # Before the job ends: a finished job also means the memory is back to the server's usual.
            _give_back_memory(embedder)
            job.finished_at = time.time()  # set before the state, so whoever sees it final sees it complete
            if error is None:
                job.stage, job.state = "done", "succeeded"
            else:
                job.stage, job.error, job.state = "failed", error, "failed"
            with self._lock:
                self._running = None


def _give_back_memory(embedder: Embedder | None) -> None:
    """After a rebuild: drop what only the build needed (a full tokenizer, a fallback PyTorch model) and
    return freed memory to the system.

    A server should weigh after a rebuild what it weighed before: the build's arrays are garbage
    now, and glibc keeps freed pages unless asked (`trim_memory`).
    """
    release = getattr(embedder, "release_build_memory", None)
    if release is not None:
        release()  # trims too
    else:
        trim_memory()
