"""The local backend's catalog: versioned index directories published atomically.

Layout under the index root::

    CURRENT                 name of the version that serves (replaced atomically)
    v-<time>-<hash>/        one complete build: manifest.json, chunks.json,
                            documents.json, vectors.faiss, lexical.npz, ...
    embed-cache/<model>/    passage embeddings keyed by chunk-text hash

A build writes a new version directory and only then switches CURRENT to it,
so a killed or failed build leaves the previous index serving. `LocalCatalog` is
this layout behind the `Catalog` protocol: the only code that knows file names.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.errors import REBUILD_HINT, IndexCorruptError, IndexNotFoundError, ReportQAError, StaleIndexError
from reportqa.index.base import IndexContents, SearchIndex
from reportqa.index.bm25_store import BM25Index, BM25Store
from reportqa.index.faiss_store import FaissVectorStore, VectorIndex
from reportqa.index.memory import ArraySentenceStore, MemoryChunkStore, RowTable
from reportqa.index.tokenizer import ChineseTokenizer
from reportqa.models import Chunk, ParsedReport, Section, Span

FORMAT_VERSION = 1
CURRENT_FILE = "CURRENT"
MANIFEST = "manifest.json"
CHUNKS = "chunks.json"
DOCUMENTS = "documents.json"
VECTORS = "vectors.faiss"
LEXICAL = "lexical.npz"
TERMS = "lexical_terms.json"
SENTENCE_VECTORS = "sentences.npy"
SENTENCE_SPANS = "sentences.json"


@dataclass(frozen=True)
class ParagraphRecord:
    """A paragraph as shown in the context view."""

    text: str
    start: int
    end: int
    topic: str | None


@dataclass(frozen=True)
class SectionRecord:
    """A section of a stored document, in document order (a flat list, with levels)."""

    id: str
    title: str
    level: int
    path: tuple[str, ...]
    number: str | None
    paragraphs: tuple[ParagraphRecord, ...]


@dataclass(frozen=True)
class DocumentRecord:
    """What the index keeps of a report for listing and for showing passages in context."""

    id: str
    title: str
    year: int | None
    publisher: str
    kind: str
    file: str
    content_years: tuple[int, ...]
    inferred: bool
    content_hash: str
    sections: tuple[SectionRecord, ...]

    @property
    def section_count(self) -> int:
        return sum(1 for s in self.sections if s.level > 0)


def document_record(report: ParsedReport, content_hash: str) -> DocumentRecord:
    """Flatten a parsed report into what the API serves."""

    def record(i: int, section: Section) -> SectionRecord:
        return SectionRecord(
            id=f"s{i}",
            title=section.title,
            level=section.level,
            path=tuple(section.path),
            number=section.number,
            paragraphs=tuple(ParagraphRecord(p.text, p.start, p.end, p.topic) for p in section.paragraphs),
        )

    meta = report.meta
    return DocumentRecord(
        id=meta.id, title=meta.title, year=meta.year, publisher=meta.publisher, kind=meta.kind,
        file=meta.file, content_years=meta.content_years, inferred=meta.inferred,
        content_hash=content_hash,
        sections=tuple(record(i, s) for i, s in enumerate(report.root.walk())),
    )


def _document_from_json(d: dict[str, Any]) -> DocumentRecord:
    sections = tuple(
        SectionRecord(
            id=s["id"], title=s["title"], level=s["level"], path=tuple(s["path"]), number=s["number"],
            paragraphs=tuple(ParagraphRecord(**p) for p in s["paragraphs"]),
        )
        for s in d["sections"]
    )
    return DocumentRecord(**{**d, "content_years": tuple(d["content_years"]), "sections": sections})


def _chunk_from_json(d: dict[str, Any]) -> Chunk:
    return Chunk(**{
        **d,
        "section_path": tuple(d["section_path"]),
        "pieces": tuple(Span(**p) for p in d["pieces"]),
        "years": tuple(d["years"]),
    })


def write_json(path: Path, data: Any) -> None:
    """Write JSON and fsync, so a published version is complete on disk."""
    with path.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())


def read_json(path: Path) -> Any:
    """Read one of the index's JSON files; damage is reported with the fix."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"index file {path.name} is missing: {REBUILD_HINT}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexCorruptError(f"index file {path.name} is damaged: {REBUILD_HINT}") from None


def save_chunks(path: Path, chunks: list[Chunk]) -> None:
    write_json(path, [asdict(c) for c in chunks])


def load_chunks(path: Path) -> list[Chunk]:
    try:
        return [_chunk_from_json(d) for d in read_json(path)]
    except (KeyError, TypeError):
        raise IndexCorruptError(f"index file {path.name} is damaged: {REBUILD_HINT}") from None


def save_documents(path: Path, docs: list[DocumentRecord]) -> None:
    write_json(path, [asdict(d) for d in docs])


def load_documents(path: Path) -> list[DocumentRecord]:
    try:
        return [_document_from_json(d) for d in read_json(path)]
    except (KeyError, TypeError):
        raise IndexCorruptError(f"index file {path.name} is damaged: {REBUILD_HINT}") from None


def current_version(root: Path) -> str | None:
    """The name of the version that serves, or None before the first build."""
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return name or None


def current_dir(root: Path) -> Path:
    """The serving version's directory; a clear error when there is none."""
    name = current_version(root)
    if name is None:
        raise IndexNotFoundError(f"no index found in {root.name or root}/: run `reportqa build` first")
    path = root / name
    if not path.is_dir():
        raise IndexCorruptError(f"the index version '{name}' named by {CURRENT_FILE} is missing: "
                                f"{REBUILD_HINT}")
    return path


def new_version_dir(root: Path, digest: str) -> Path:
    """A fresh hidden staging directory for a build; published later by `publish`."""
    root.mkdir(parents=True, exist_ok=True)
    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{digest[:8]}"
    staging = root / f".staging-{name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def publish(root: Path, staging: Path) -> str:
    """Make a complete staging build the serving version, then drop older versions."""
    name = staging.name.removeprefix(".staging-").rsplit("-", 1)[0]
    final = root / name
    suffix = 1
    while final.exists():
        final = root / f"{name}.{suffix}"
        suffix += 1
    os.replace(staging, final)
    pointer = root / f".{CURRENT_FILE}.tmp-{os.getpid()}"
    pointer.write_text(final.name + "\n", encoding="utf-8")
    with pointer.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(pointer, root / CURRENT_FILE)
    _fsync_dir(root)
    remove_stale(root, keep=final.name)
    return final.name


def remove_stale(root: Path, keep: str) -> None:
    """Remove versions other than `keep` and staging directories of dead builds."""
    for entry in root.iterdir():
        if entry.name == keep or not entry.is_dir():
            continue
        if entry.name.startswith("v-"):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(".staging-"):
            pid = entry.name.rsplit("-", 1)[-1]
            if not (pid.isdigit() and _alive(int(pid))):
                shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One build at a time per index root (the lock dies with the process)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".build.lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportQAError("another build of this index is running; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def read_manifest(version_dir: Path) -> dict[str, Any]:
    manifest = read_json(version_dir / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise StaleIndexError(f"the index was written by another version of reportqa: {REBUILD_HINT}")
    return manifest


def check_compatible(manifest: dict[str, Any], *, model_checksum: str, chunker_version: str) -> None:
    """Refuse an index whose vectors or chunks the running code would misread."""
    if manifest.get("chunker_version") != chunker_version:
        raise StaleIndexError(
            f"the index was built with chunker version {manifest.get('chunker_version')} but this is "
            f"version {chunker_version}: {REBUILD_HINT}"
        )
    if manifest.get("model", {}).get("checksum") != model_checksum:
        raise StaleIndexError(
            f"the index was built with another embedding model ({manifest.get('model', {}).get('id')}): "
            f"{REBUILD_HINT}"
        )


class LocalCatalog:
    """`Catalog` over an index folder: FAISS for vectors, BM25 in RAM, a `CURRENT` pointer."""

    backend = "faiss"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def current_version(self) -> str | None:
        return current_version(self.root)

    def current_manifest(self) -> dict[str, Any] | None:
        try:
            return read_manifest(current_dir(self.root))
        except ReportQAError:
            return None

    def lock(self) -> contextlib.AbstractContextManager[None]:
        return build_lock(self.root)

    def open(self, *, model_checksum: str | None = None) -> SearchIndex:
        """Load the serving version's stores into memory; refuse an incompatible or damaged one."""
        from reportqa.ingest.chunking import CHUNKER_VERSION

        version_dir = current_dir(self.root)
        manifest = read_manifest(version_dir)
        if model_checksum is not None:
            check_compatible(manifest, model_checksum=model_checksum, chunker_version=CHUNKER_VERSION)
        chunks = load_chunks(version_dir / CHUNKS)
        documents = {d.id: d for d in load_documents(version_dir / DOCUMENTS)}
        vectors = VectorIndex.load(version_dir / VECTORS)
        lexical = BM25Index.load(version_dir / LEXICAL)
        tokenizer = ChineseTokenizer(read_json(version_dir / TERMS))
        try:
            sentence_vectors = np.load(version_dir / SENTENCE_VECTORS, allow_pickle=False)
        except (FileNotFoundError, ValueError, OSError):
            raise IndexCorruptError(f"index file {SENTENCE_VECTORS} is missing or damaged: {REBUILD_HINT}") from None
        spans = read_json(version_dir / SENTENCE_SPANS)
        table = RowTable.from_chunks(chunks)
        try:
            sentences = ArraySentenceStore(np.asarray(spans, dtype=np.int64), sentence_vectors, table)
        except (ValueError, TypeError):
            raise IndexCorruptError(f"index file {SENTENCE_SPANS} is damaged: {REBUILD_HINT}") from None
        sizes = {len(chunks), vectors.size, lexical.size, manifest.get("chunk_count")}
        if len(sizes) != 1 or len(sentences) != len(sentence_vectors):
            raise IndexCorruptError(f"the index files of version {version_dir.name} disagree in size: "
                                    f"{REBUILD_HINT}")
        return SearchIndex(
            version=version_dir.name,
            manifest=manifest,
            chunks=MemoryChunkStore(chunks, table),
            vectors=FaissVectorStore(vectors, table),
            lexical=BM25Store(lexical, tokenizer, table),
            sentences=sentences,
            tokenize=tokenizer.tokenize,
            documents=documents,
        )

    def stage(self, contents: IndexContents) -> str:
        """Build the FAISS and BM25 structures and write a complete version into a staging folder."""
        chunks = contents.chunks
        RowTable.from_chunks(chunks)  # refuses colliding keys before anything is written
        tokenizer = ChineseTokenizer(contents.user_terms)
        lexical = BM25Index.build([tokenizer.tokenize(t) for t in contents.lexical_texts])
        vector_index = VectorIndex.build(contents.chunk_vectors, ann_threshold=contents.ann_threshold,
                                         settings=contents.index_settings)
        digest = contents.manifest.get("corpus_digest", "")
        staging = new_version_dir(self.root, digest)
        try:
            save_chunks(staging / CHUNKS, chunks)
            save_documents(staging / DOCUMENTS, contents.documents)
            write_json(staging / TERMS, list(tokenizer.user_terms))
            lexical.save(staging / LEXICAL)
            vector_index.save(staging / VECTORS)
            np.save(staging / SENTENCE_VECTORS, contents.sentence_vectors.astype(np.float16), allow_pickle=False)
            write_json(staging / SENTENCE_SPANS, [list(r) for r in contents.sentence_rows])
            write_json(staging / MANIFEST, {
                **contents.manifest,
                "format_version": FORMAT_VERSION,
                "backend": self.backend,
                "vector_index": vector_index.describe(),
                "lexical": {**lexical.describe(), "tokenizer": "jieba cut_for_search",
                            "user_terms": len(tokenizer.user_terms)},
            })
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return staging.name

    def publish(self, staged: str) -> str:
        return publish(self.root, self.root / staged)

    def discard(self, staged: str) -> None:
        shutil.rmtree(self.root / staged, ignore_errors=True)
