"""`reportqa build`: corpus in, a complete published index out.

Embedding is the only slow step, so passages are embedded once per model and
text: an unchanged corpus rebuilds without touching the model, and a new
report costs only its own chunks.
"""

from __future__ import annotations

import hashlib
import platform
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np

from reportqa.embedding.base import Embedder
from reportqa.embedding.cache import EmbeddingCache
from reportqa.errors import ReportQAError
from reportqa.index import local as store
from reportqa.index.base import Catalog, IndexContents
from reportqa.index.local import LocalCatalog
from reportqa.index.tokenizer import extract_user_terms
from reportqa.ingest.boilerplate import role_words
from reportqa.ingest.chunking import CHUNKER_VERSION, chunk_report
from reportqa.ingest.corpus import SkippedFile, iter_corpus, report_files
from reportqa.models import Chunk, ParsedReport
from reportqa.settings import Settings
from reportqa.text.sentences import sentence_spans
from reportqa.text.zh import to_simplified


@dataclass
class BuildResult:
    """What a build did, for the CLI's summary and the benchmarks."""

    version: str
    chunk_count: int
    document_count: int
    embedded: int
    reused: int
    seconds: float
    up_to_date: bool = False
    warnings: list[str] = field(default_factory=list)
    # Files left out because they could not be read (ingest/corpus.py `iter_corpus`).
    skipped: list[SkippedFile] = field(default_factory=list)


# The manifest key of the corpus files' sha256 (`{file name: hex digest}`), which the library page
# (web/routes/library.py, the same key) compares with the files on disk to show changed ones as pending.
SOURCE_FILES_KEY = "source_files"

Stage = Literal["reading", "loading_model", "embedding", "writing", "done"]


@dataclass(frozen=True)
class BuildProgress:
    """Where a build stands, for a progress bar or an API job.

    Sent at every stage change, after each file read and after each embedded batch, so
    progress moves from the start. The stages, in order: `reading` the corpus (files
    read of all), `loading_model` (only when there is something to embed: a corpus
    that did not change never loads the model), `embedding` (texts embedded of those
    the cache lacks), `writing` the new version, `done`. A no-change build goes from
    `reading` to `done`.
    """

    stage: Stage
    files_read: int = 0
    files_total: int = 0
    embedded: int = 0
    to_embed: int = 0


Progress = Callable[[BuildProgress], None]


def embed_input(chunk: Chunk) -> str:
    """What the encoder sees: the passage with its report and nearest headings for context.

    In Simplified Chinese, as questions are searched: a Traditional report (`積體電路`) is matched
    through its Simplified form (`集成电路`), while its chunks and quotes keep the original text.
    """
    context = " › ".join(chunk.section_path[-2:])
    head = f"{chunk.title}｜{context}" if context else chunk.title
    return to_simplified(f"{head}\n{chunk.text}")


def lexical_input(chunk: Chunk) -> str:
    """What BM25 indexes: the passage plus its section titles (district names live there), Simplified.

    A framing passage (a document number, the sign-off date) also gets the words naming what it
    is (`文号`, `日期`), which a question about it uses and the line itself never says.
    """
    words = [role_words(chunk.text)] if chunk.boilerplate else []
    return to_simplified(" ".join([*chunk.section_path, chunk.text, *words]))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("reportqa", "faiss-cpu", "sentence-transformers", "torch", "jieba", "numpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def _is_up_to_date(catalog: Catalog, doc_hashes: dict[str, str], checksum: str, ann_threshold: int,
                   settings: Settings, source_files: dict[str, str]) -> bool:
    """Same inputs as the serving version, and that version opens: then there is nothing to do.

    A manifest's `source_files` (file name → sha256 of its bytes; older manifests have none) must
    match too: the library page marks a report whose file changed as pending, and the build is
    what clears that, even when the change did not alter the extracted text.

    Opening matters: `reportqa build` is the fix the error messages name for a damaged index, and
    opening verifies every file's checksum and contents, so damage of any kind means "not up to date".
    """
    manifest = catalog.current_manifest()
    if manifest is None:
        return False
    same = (
        manifest.get("documents") == doc_hashes
        and manifest.get("chunker_version") == CHUNKER_VERSION
        and manifest.get("model", {}).get("checksum") == checksum
        and manifest.get("ann_threshold") == ann_threshold
        # Chunk sizes change the chunks themselves; the ranking weights are read at query time.
        and manifest.get("ranking", {}).get("chunking") == settings.ranking_params()["chunking"]
        and manifest.get(SOURCE_FILES_KEY, source_files) == source_files
    )
    if not same:
        return False
    try:
        catalog.open(model_checksum=checksum)
    except Exception:  # any unreadable index simply means: build
        return False
    return True


def _embed(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Callable[[int, int], None],
    batch_size: int,
    slice_size: int,
    before: Callable[[int], None],
) -> tuple[np.ndarray, int]:
    """Vectors for all texts, embedding only those the cache has not seen.

    `before(n)` runs first with the number of texts to embed (the build loads the model there);
    `progress(done, total)` follows each batch. The cache is saved after every slice, so a build
    killed late keeps most of its work.
    """
    missing = sorted({t for t in texts if not cache.has(t)})
    before(len(missing))
    progress(0, len(missing))
    for start in range(0, len(missing), slice_size):
        part = missing[start:start + slice_size]

        def step(n: int, base: int = start) -> None:
            progress(base + n, len(missing))

        cache.add(part, embedder.embed_passages(part, batch_size=batch_size, progress=step))
        try:
            cache.save()
        except OSError as exc:  # numpy drops the file name; the one-line error must say where
            if exc.filename is None:
                raise OSError(exc.errno, exc.strerror or str(exc), str(cache.dir)) from exc
            raise
    return cache.get_many(texts), len(missing)


def _read_corpus(corpus_dir: Path, skipped: list[SkippedFile], strict: bool, max_file_mb: float,
                 report: Callable[[int, int], None]) -> list[ParsedReport]:
    """Every report of the corpus, `report(files_read, files_total)` after each file (read or skipped)."""
    with warnings.catch_warnings():  # counted here only: iter_corpus warns about the same files once
        warnings.simplefilter("ignore")
        outside: list[SkippedFile] = []
        total = len(report_files(corpus_dir, outside)) + len(outside)
    report(0, total)
    reports: list[ParsedReport] = []
    for parsed in iter_corpus(corpus_dir, skipped=skipped, strict=strict, max_file_mb=max_file_mb):
        reports.append(parsed)
        report(len(reports) + len(skipped), total)
    report(total, total)  # files skipped after the last report read
    return reports


def build_index(
    corpus_dir: Path,
    index_root: Path,
    embedder: Embedder,
    *,
    ann_threshold: int | None = None,
    force: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    after_embedding: Callable[[], None] | None = None,
    batch_size: int | None = None,
    catalog: Catalog | None = None,
    settings: Settings | None = None,
) -> BuildResult:
    """Build and publish a new index version; the old one serves until the switch.

    `progress` receives a `BuildProgress` at every step (see there). `after_embedding` is a
    hook for tests that need to interrupt a build midway. A server
    rebuilding itself passes a small `batch_size` so searches wait less for the shared encoder.
    `catalog` is where the version is stored (the local FAISS folder at `index_root` unless
    another backend is given); the embedding cache always lives under `index_root`, so
    switching backends embeds nothing again. `settings` (default: the defaults) gives the
    index knobs (`ann_threshold` and `batch_size` override theirs); its ranking groups are
    recorded in the manifest.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    ann_threshold = settings.index.ann_threshold if ann_threshold is None else ann_threshold
    batch_size = settings.index.build_batch_size if batch_size is None else batch_size
    catalog = catalog or LocalCatalog(index_root)
    state = BuildProgress("reading")

    def emit(**change: Any) -> None:
        nonlocal state
        state = replace(state, **change)
        if progress is not None:
            progress(state)

    def load_model(to_embed: int) -> None:
        if to_embed:  # an unchanged corpus never pays for the model
            emit(stage="loading_model", to_embed=to_embed)
            load = getattr(embedder, "load_for_passages", None)  # a test's fake has nothing to load
            if load is not None:
                load()
        emit(stage="embedding", embedded=0, to_embed=to_embed)

    # Taking the lock also sweeps what dead builds left behind (the local catalog: staging folders, temp files).
    with catalog.lock(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skipped: list[SkippedFile] = []
        reports = _read_corpus(corpus_dir, skipped, strict, settings.chunking.max_file_mb,
                               lambda done, total: emit(files_read=done, files_total=total))
        notes = [str(w.message) for w in caught]
        doc_hashes = {r.meta.id: content_hash(r.text + repr(r.meta)) for r in reports}
        source_files = {r.meta.file: store.file_digest(corpus_dir / r.meta.file) for r in reports}
        skipped_rows = [{"file": f.file, "reason": f.reason} for f in skipped]
        same_skipped = (catalog.current_manifest() or {}).get("skipped", []) == skipped_rows
        if not force and same_skipped and _is_up_to_date(catalog, doc_hashes, embedder.checksum, ann_threshold,
                                                         settings, source_files):
            manifest = catalog.current_manifest() or {}
            emit(stage="done")
            return BuildResult(catalog.current_version() or "", manifest["chunk_count"], len(reports), 0,
                               manifest["chunk_count"], time.perf_counter() - started, up_to_date=True,
                               warnings=notes, skipped=skipped)

        chunks = [c for r in reports for c in chunk_report(r, settings.chunking)]
        if not chunks:
            raise ReportQAError(f"the corpus in {corpus_dir.name}/ has no text to index")
        cache = EmbeddingCache(index_root / "embed-cache", embedder.checksum, embedder.dim)
        sentence_rows = [(row, a, b) for row, c in enumerate(chunks)
                         for a, b in sentence_spans(c.text, settings.chunking.min_sentence_chars)]
        sentence_texts = [to_simplified(chunks[row].text[a:b]) for row, a, b in sentence_rows]
        all_vectors, embedded = _embed([*map(embed_input, chunks), *sentence_texts], embedder, cache,
                                      lambda done, total: emit(embedded=done, to_embed=total),
                                      batch_size, settings.index.embed_slice, load_model)
        vectors, sentence_vectors = all_vectors[: len(chunks)], all_vectors[len(chunks):]
        if after_embedding:
            after_embedding()

        emit(stage="writing")
        staged = catalog.stage(IndexContents(
            chunks=chunks,
            documents=[store.document_record(r, doc_hashes[r.meta.id]) for r in reports],
            chunk_vectors=vectors,
            sentence_rows=sentence_rows,
            sentence_vectors=sentence_vectors,
            user_terms=extract_user_terms(to_simplified(c.text) for c in chunks),
            lexical_texts=[lexical_input(c) for c in chunks],
            ann_threshold=ann_threshold,
            index_settings=settings.index,
            manifest={
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "model": {"id": embedder.model_id, "checksum": embedder.checksum, "dim": embedder.dim},
                "chunker_version": CHUNKER_VERSION,
                "chunk_count": len(chunks),
                "documents": doc_hashes,
                "corpus_digest": content_hash("".join(sorted(doc_hashes.values()))),
                "ann_threshold": ann_threshold,
                "ranking": settings.ranking_params(),
                "versions": _versions(),
                "skipped": skipped_rows,
                SOURCE_FILES_KEY: source_files,
            },
        ))
        try:
            version = catalog.publish(staged)
        except BaseException:  # a failed switch (full disk, read-only folder) leaves no staging folder behind
            catalog.discard(staged)
            raise
        emit(stage="done")
        return BuildResult(version, len(chunks), len(reports), embedded, len(all_vectors) - embedded,
                           time.perf_counter() - started, warnings=notes, skipped=skipped)
