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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from reportqa.embedding.base import Embedder
from reportqa.embedding.cache import EmbeddingCache
from reportqa.errors import ReportQAError
from reportqa.index import local as store
from reportqa.index.bm25_store import BM25Index
from reportqa.index.faiss_store import VectorIndex
from reportqa.index.loaded import SENTENCE_SPANS, SENTENCE_VECTORS, load_search_index
from reportqa.index.tokenizer import ChineseTokenizer, extract_user_terms
from reportqa.ingest.chunking import CHUNKER_VERSION, chunk_report
from reportqa.ingest.corpus import iter_corpus
from reportqa.models import Chunk, ParsedReport
from reportqa.text.sentences import sentence_spans

DEFAULT_ANN_THRESHOLD = 50_000


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


def embed_input(chunk: Chunk) -> str:
    """What the encoder sees: the passage with its report and nearest headings for context."""
    context = " › ".join(chunk.section_path[-2:])
    head = f"{chunk.title}｜{context}" if context else chunk.title
    return f"{head}\n{chunk.text}"


def lexical_input(chunk: Chunk) -> str:
    """What BM25 indexes: the passage plus its section titles (district names live there)."""
    return " ".join([*chunk.section_path, chunk.text])


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


def _is_up_to_date(root: Path, doc_hashes: dict[str, str], checksum: str, ann_threshold: int) -> bool:
    """Same inputs as the serving version, and that version loads: then there is nothing to do.

    Loading matters: `reportqa build` is the fix the error messages name for a damaged index.
    """
    try:
        manifest = store.read_manifest(store.current_dir(root))
        same = (
            manifest.get("documents") == doc_hashes
            and manifest.get("chunker_version") == CHUNKER_VERSION
            and manifest.get("model", {}).get("checksum") == checksum
            and manifest.get("ann_threshold") == ann_threshold
        )
        return same and load_search_index(root, model_checksum=checksum) is not None
    except Exception:  # any unreadable index simply means: build
        return False


EMBED_SLICE = 512


def _embed(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Callable[[int, int], None] | None,
    batch_size: int = 32,
) -> tuple[np.ndarray, int]:
    """Vectors for all texts, embedding only those the cache has not seen.

    The cache is saved after every slice, so a build killed late keeps most of its work.
    """
    missing = sorted({t for t in texts if not cache.has(t)})
    if progress:
        progress(0, len(missing))
    for start in range(0, len(missing), EMBED_SLICE):
        part = missing[start:start + EMBED_SLICE]

        def step(n: int, base: int = start) -> None:
            if progress:
                progress(base + n, len(missing))

        cache.add(part, embedder.embed_passages(part, batch_size=batch_size, progress=step))
        cache.save()
    return cache.get_many(texts), len(missing)


def build_index(
    corpus_dir: Path,
    index_root: Path,
    embedder: Embedder,
    *,
    ann_threshold: int = DEFAULT_ANN_THRESHOLD,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    after_embedding: Callable[[], None] | None = None,
    batch_size: int = 32,
) -> BuildResult:
    """Build and publish a new index version; the old one serves until the switch.

    `after_embedding` is a hook for tests that need to interrupt a build midway. A server
    rebuilding itself passes a small `batch_size` so searches wait less for the shared encoder.
    """
    started = time.perf_counter()
    with store.build_lock(index_root), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reports: list[ParsedReport] = list(iter_corpus(corpus_dir))
        notes = [str(w.message) for w in caught]
        doc_hashes = {r.meta.id: content_hash(r.text + repr(r.meta)) for r in reports}
        if not force and _is_up_to_date(index_root, doc_hashes, embedder.checksum, ann_threshold):
            version = store.current_version(index_root) or ""
            manifest = store.read_manifest(index_root / version)
            return BuildResult(version, manifest["chunk_count"], len(reports), 0, manifest["chunk_count"],
                               time.perf_counter() - started, up_to_date=True, warnings=notes)

        chunks = [c for r in reports for c in chunk_report(r)]
        if not chunks:
            raise ReportQAError(f"the corpus in {corpus_dir.name}/ has no text to index")
        cache = EmbeddingCache(index_root / "embed-cache", embedder.checksum, embedder.dim)
        sentence_rows = [[row, a, b] for row, c in enumerate(chunks) for a, b in sentence_spans(c.text)]
        sentence_texts = [chunks[row].text[a:b] for row, a, b in sentence_rows]
        all_vectors, embedded = _embed([*map(embed_input, chunks), *sentence_texts], embedder, cache, progress,
                                      batch_size)
        vectors, sentence_vectors = all_vectors[: len(chunks)], all_vectors[len(chunks):]
        if after_embedding:
            after_embedding()

        tokenizer = ChineseTokenizer(extract_user_terms(c.text for c in chunks))
        lexical = BM25Index.build([tokenizer.tokenize(lexical_input(c)) for c in chunks])
        vector_index = VectorIndex.build(vectors, ann_threshold=ann_threshold)

        staging = store.new_version_dir(index_root, content_hash("".join(sorted(doc_hashes.values()))))
        store.save_chunks(staging / store.CHUNKS, chunks)
        store.save_documents(staging / store.DOCUMENTS,
                             [store.document_record(r, doc_hashes[r.meta.id]) for r in reports])
        store.write_json(staging / store.TERMS, tokenizer.user_terms)
        lexical.save(staging / store.LEXICAL)
        vector_index.save(staging / store.VECTORS)
        np.save(staging / SENTENCE_VECTORS, sentence_vectors.astype(np.float16), allow_pickle=False)
        store.write_json(staging / SENTENCE_SPANS, sentence_rows)
        store.write_json(staging / store.MANIFEST, {
            "format_version": store.FORMAT_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {"id": embedder.model_id, "checksum": embedder.checksum, "dim": embedder.dim},
            "chunker_version": CHUNKER_VERSION,
            "chunk_count": len(chunks),
            "documents": doc_hashes,
            "vector_index": vector_index.describe(),
            "ann_threshold": ann_threshold,
            "lexical": {"kind": "bm25", "tokenizer": "jieba cut_for_search", "user_terms": len(tokenizer.user_terms)},
            "versions": _versions(),
        })
        version = store.publish(index_root, staging)
        return BuildResult(version, len(chunks), len(reports), embedded, len(all_vectors) - embedded,
                           time.perf_counter() - started, warnings=notes)
