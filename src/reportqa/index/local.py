"""The local backend's catalog: versioned index directories published atomically.

Layout under the index root::

    CURRENT                 name of the version that serves (replaced atomically)
    v-<time>-<hash>-<rand>/ one complete build: manifest.json, chunks.json,
                            documents.json, vectors.faiss, lexical.npz, ...
    embed-cache/<model>/    passage embeddings keyed by chunk-text hash

A build writes a new version directory and only then switches CURRENT to it,
so a killed or failed build leaves the previous index serving. `LocalCatalog` is
this layout behind the `Catalog` protocol: the only code that knows file names.

Every file of a version is listed in its manifest with its size and sha256, and
the manifest carries a digest of itself: a version is checked file by file when
it is opened, and its contents are type- and bounds-checked as they are parsed,
so a flipped byte or a hand edit is refused as "damaged: run `reportqa build`"
instead of being served (valid JSON with a wrong sentence offset would otherwise
quote the wrong sentence). Damage also makes the version "not up to date", so a
plain `reportqa build` repairs it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import time
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from reportqa.durable import fsync_dir
from reportqa.errors import REBUILD_HINT, IndexCorruptError, IndexNotFoundError, ReportQAError, StaleIndexError
from reportqa.index.base import IndexContents, SearchIndex
from reportqa.index.bm25_store import BM25Index, BM25Store
from reportqa.index.faiss_store import FaissVectorStore, VectorIndex
from reportqa.index.memory import ArraySentenceStore, MemoryChunkStore, RowTable
from reportqa.index.tokenizer import ChineseTokenizer
from reportqa.models import Chunk, ParsedReport, Section, Span

# 2: the manifest lists every file's sha256 and size and carries its own digest.
FORMAT_VERSION = 2
CURRENT_FILE = "CURRENT"
MANIFEST = "manifest.json"
CHUNKS = "chunks.json"
DOCUMENTS = "documents.json"
VECTORS = "vectors.faiss"
LEXICAL = "lexical.npz"
TERMS = "lexical_terms.json"
SENTENCE_VECTORS = "sentences.npy"
SENTENCE_SPANS = "sentences.json"
#: The files `stage` writes besides the manifest; a version lacking one of them is damaged.
DATA_FILES = (CHUNKS, DOCUMENTS, VECTORS, LEXICAL, TERMS, SENTENCE_VECTORS, SENTENCE_SPANS)
#: Manifest keys: per-file {"sha256", "bytes"}, and the digest of the manifest itself.
FILES_KEY = "files"
DIGEST_KEY = "manifest_sha256"
#: CURRENT holds one version name (about 30 characters); a longer file is not one `publish` wrote.
MAX_POINTER_BYTES = 255
# What `publish` names versions (`v-<time>-<digest>[.n]`): no path separators, no leading dot.
_VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_CHUNK_ID = re.compile(r"[0-9a-fA-F]{16,64}")  # chunk_key reads the first 16 hex digits
_SHA256 = re.compile(r"[0-9a-f]{64}")
EMBED_CACHE = "embed-cache"

_T = TypeVar("_T")


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


# --------------------------------------------------------------------------- checked parsing
#
# The JSON files are parsed into exactly the shapes `stage` writes: every field present with its
# type, offsets inside their bounds. A value the writer never produces is damage, reported with the
# file's name, rather than a TypeError deep in ranking or, worse, a quietly wrong answer.

_SPAN_FIELDS = frozenset(f.name for f in fields(Span))
_CHUNK_FIELDS = frozenset(f.name for f in fields(Chunk))
_PARAGRAPH_FIELDS = frozenset(f.name for f in fields(ParagraphRecord))
_SECTION_FIELDS = frozenset(f.name for f in fields(SectionRecord))
_DOCUMENT_FIELDS = frozenset(f.name for f in fields(DocumentRecord))
_CHUNK_TYPES = typing.get_type_hints(Chunk)


class _Malformed(ValueError):
    """A value in an index file that `stage` never writes; its message says which and where."""


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise _Malformed(what)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(d: Any, names: frozenset[str], where: str) -> dict[str, Any]:
    """`d` as an object with exactly these fields (what `asdict` wrote)."""
    _need(isinstance(d, dict), f"{where} is not an object")
    _need(set(d) == names, f"{where} does not have the fields {', '.join(sorted(names))}")
    return d  # type: ignore[no-any-return]


def _text(d: dict[str, Any], key: str, where: str, *, optional: bool = False) -> None:
    value = d[key]
    _need(isinstance(value, str) or (optional and value is None), f"{where}: '{key}' is not a string")


def _int(d: dict[str, Any], key: str, where: str, *, optional: bool = False, minimum: int | None = None) -> None:
    value = d[key]
    if optional and value is None:
        return
    _need(_is_int(value) and (minimum is None or value >= minimum),
          f"{where}: '{key}' is not an integer" + ("" if minimum is None else f" of at least {minimum}"))


def _list(d: dict[str, Any], key: str, where: str, kind: type) -> list[Any]:
    value = d[key]
    ok = isinstance(value, list) and all(_is_int(x) if kind is int else isinstance(x, kind) for x in value)
    _need(ok, f"{where}: '{key}' is not a list of {'integers' if kind is int else 'strings'}")
    return value  # type: ignore[no-any-return]


def _damaged(name: str, why: str) -> IndexCorruptError:
    return IndexCorruptError(f"index file {name} is damaged ({why}): {REBUILD_HINT}")


def _parsed(path: Path, parse: Callable[[Any], _T]) -> _T:
    """Parse a JSON index file with `parse`; a malformed value becomes the file's damage error."""
    data = read_json(path)
    try:
        return parse(data)
    except _Malformed as exc:
        raise _damaged(path.name, str(exc)) from None


def _document_from_json(d: Any, i: int) -> DocumentRecord:
    where = f"document {i}"
    _object(d, _DOCUMENT_FIELDS, where)
    for key in ("id", "title", "publisher", "kind", "file", "content_hash"):
        _text(d, key, where)
    _int(d, "year", where, optional=True)
    _list(d, "content_years", where, int)
    _need(isinstance(d["inferred"], bool), f"{where}: 'inferred' is not true or false")
    _need(isinstance(d["sections"], list), f"{where}: 'sections' is not a list")
    sections = []
    for j, s in enumerate(d["sections"]):
        in_section = f"{where} section {j}"
        _object(s, _SECTION_FIELDS, in_section)
        _text(s, "id", in_section)
        _text(s, "title", in_section)
        _int(s, "level", in_section, minimum=0)
        _list(s, "path", in_section, str)
        _text(s, "number", in_section, optional=True)
        _need(isinstance(s["paragraphs"], list), f"{in_section}: 'paragraphs' is not a list")
        paragraphs = []
        for p in s["paragraphs"]:
            _object(p, _PARAGRAPH_FIELDS, f"{in_section} paragraph")
            _text(p, "text", in_section)
            _int(p, "start", in_section, minimum=0)
            _int(p, "end", in_section, minimum=p["start"])
            _text(p, "topic", in_section, optional=True)
            paragraphs.append(ParagraphRecord(**p))
        sections.append(SectionRecord(id=s["id"], title=s["title"], level=s["level"], path=tuple(s["path"]),
                                      number=s["number"], paragraphs=tuple(paragraphs)))
    return DocumentRecord(**{**d, "content_years": tuple(d["content_years"]), "sections": tuple(sections)})


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a field's annotation (JSON arrays stand for tuples)."""
    if isinstance(hint, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is int:
        return _is_int(value)
    if hint in (str, bool):
        return isinstance(value, hint)
    if hint is float:
        return isinstance(value, float | int) and not isinstance(value, bool)
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, list) and all(_matches(x, item) for x in value)
    return True  # a field type not listed here: checked where it is used, if at all


def _chunk_from_json(d: Any, i: int) -> Chunk:
    where = f"chunk {i}"
    _object(d, _CHUNK_FIELDS, where)
    for key, hint in _CHUNK_TYPES.items():
        if key != "pieces":  # checked span by span below
            _need(_matches(d[key], hint), f"{where}: '{key}' has the wrong type")
    _need(_CHUNK_ID.fullmatch(d["id"]) is not None, f"{where}: 'id' is not a chunk id")
    _int(d, "ordinal", where, minimum=0)
    _int(d, "start", where, minimum=0)
    _int(d, "end", where, minimum=d["start"])
    _need(isinstance(d["pieces"], list), f"{where}: 'pieces' is not a list")
    pieces, last, length = [], d["start"], 0
    for p in d["pieces"]:
        _object(p, _SPAN_FIELDS, f"{where} piece")
        _int(p, "start", where, minimum=last)
        _int(p, "end", where, minimum=p["start"])
        _need(p["end"] <= d["end"], f"{where}: a piece ends after the chunk")
        last, length = p["end"], length + p["end"] - p["start"]
        pieces.append(Span(p["start"], p["end"]))
    # The text is the pieces joined by nothing or single newlines: never shorter than they are.
    _need(length <= len(d["text"]), f"{where}: its pieces are longer than its text")
    return Chunk(**{**d, "section_path": tuple(d["section_path"]), "pieces": tuple(pieces),
                    "years": tuple(d["years"])})


def _list_of(parse_item: Callable[[Any, int], _T]) -> Callable[[Any], list[_T]]:
    def parse(data: Any) -> list[_T]:
        _need(isinstance(data, list), "it is not a list")
        return [parse_item(d, i) for i, d in enumerate(data)]

    return parse


def _terms(data: Any) -> list[str]:
    _need(isinstance(data, list) and all(isinstance(t, str) for t in data), "it is not a list of strings")
    return data  # type: ignore[no-any-return]


def _sentence_rows(data: Any, chunks: Sequence[Chunk]) -> np.ndarray:
    """(chunk row, start, end) per sentence, each row an existing chunk and each span inside its text."""
    _need(isinstance(data, list), "it is not a list")
    if not data:
        return np.empty((0, 3), np.int64)
    try:
        raw = np.asarray(data)
    except (ValueError, OverflowError):
        raw = np.empty(0)
    _need(raw.ndim == 2 and raw.shape[1] == 3 and raw.dtype.kind in "iu",
          "its rows are not [chunk, start, end] integers")
    rows = raw.astype(np.int64)
    chunk, start, end = rows[:, 0], rows[:, 1], rows[:, 2]
    _need(bool(((chunk >= 0) & (chunk < len(chunks))).all()), "a sentence names a chunk that does not exist")
    lengths = np.fromiter((len(c.text) for c in chunks), np.int64, len(chunks))
    inside = (start >= 0) & (start < end) & (end <= lengths[chunk])
    _need(bool(inside.all()), "a sentence's offsets lie outside its chunk")
    return rows


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
    except (IsADirectoryError, NotADirectoryError):
        raise _damaged(path.name, "not a file") from None
    except (ValueError, UnicodeDecodeError, RecursionError):  # JSONDecodeError is a ValueError
        raise _damaged(path.name, "not valid JSON") from None


def save_chunks(path: Path, chunks: list[Chunk]) -> None:
    write_json(path, [asdict(c) for c in chunks])


def load_chunks(path: Path) -> list[Chunk]:
    """The chunks of `chunks.json`, every field type- and bounds-checked."""
    return _parsed(path, _list_of(_chunk_from_json))


def save_documents(path: Path, docs: list[DocumentRecord]) -> None:
    write_json(path, [asdict(d) for d in docs])


def load_documents(path: Path) -> list[DocumentRecord]:
    """The documents of `documents.json`, every field type- and bounds-checked."""
    return _parsed(path, _list_of(_document_from_json))


def file_digest(path: Path) -> str:
    """sha256 of a file, streamed (a vector file may be gigabytes)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of a manifest's canonical JSON, without its own digest field.

    Canonical (sorted keys, no spaces), so it is the same for the dict `stage` holds and
    the one `read_manifest` parses back: JSON round-trips every value the manifest holds.
    """
    body = {key: value for key, value in manifest.items() if key != DIGEST_KEY}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- versions and CURRENT


def _pointer_damaged(why: str) -> IndexCorruptError:
    return IndexCorruptError(f"the index pointer {CURRENT_FILE} is damaged ({why}): {REBUILD_HINT}")


def current_version(root: Path) -> str | None:
    """The name of the version that serves, or None before the first build.

    `publish` writes one short version name; anything else in CURRENT (binary bytes, a huge
    file, a folder in its place, a path such as `../x`) is damage reported with the fix, and
    never followed: a value with `/` or `..` would point outside the index folder.
    """
    try:
        with (root / CURRENT_FILE).open("rb") as f:
            raw = f.read(MAX_POINTER_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise _pointer_damaged("it is a folder") from None
    if len(raw) > MAX_POINTER_BYTES:
        raise _pointer_damaged(f"longer than {MAX_POINTER_BYTES} bytes")
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _pointer_damaged("not text") from None
    if not name:
        raise _pointer_damaged("it is empty")
    if _VERSION_NAME.fullmatch(name) is None or ".." in name:
        raise _pointer_damaged(f"{name!r} is not a version name")
    return name


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
    # The random part keeps names unique even for builds within one second of the same corpus: a server
    # that sees the name it serves (or one that failed) again would not load the new version.
    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{digest[:8]}-{secrets.token_hex(3)}"
    staging = root / f".staging-{name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def publish(root: Path, staging: Path) -> str:
    """Make a complete staging build the serving version, then drop older versions.

    If the switch fails (a full disk while writing the new pointer), the version that did not
    get to serve is removed again and the pointer's temporary file with it: a failed publish
    leaves the previous index serving and nothing behind.
    """
    name = staging.name.removeprefix(".staging-").rsplit("-", 1)[0]
    final = root / name
    suffix = 1
    while final.exists():
        final = root / f"{name}.{suffix}"
        suffix += 1
    os.replace(staging, final)
    pointer = root / f".{CURRENT_FILE}.tmp-{os.getpid()}"
    current = root / CURRENT_FILE
    if current.is_dir() and not current.is_symlink():  # damage (nothing serves): a file must take its place
        shutil.rmtree(current)
    try:
        _write(pointer, lambda path: path.write_text(final.name + "\n", encoding="utf-8"))
        with pointer.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(pointer, current)
    except BaseException:
        pointer.unlink(missing_ok=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
    fsync_dir(root)
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


def sweep_dead_builds(root: Path) -> None:
    """Remove what killed or failed builds left behind, before a new build starts.

    Called with the build lock held, so no build is writing: every staging folder and pointer
    temp file is a dead build's, whatever pid its name holds (pids are reused), and so are the
    embedding cache's temp files. Without this a full disk never recovers: each failed retry
    would add its own leftovers. Versions other than the serving one go too, but only while
    CURRENT names an existing version (with a damaged pointer they are all an operator has).
    """
    try:
        keep = current_version(root)
    except IndexCorruptError:
        keep = None
    if keep is not None and not (root / keep).is_dir():
        keep = None
    for entry in root.iterdir():
        if entry.name.startswith(".staging-") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{CURRENT_FILE}.tmp-") and entry.is_file():
            with contextlib.suppress(OSError):  # a read-only folder: the build itself will say so
                entry.unlink(missing_ok=True)
        elif keep is not None and entry.name.startswith("v-") and entry.name != keep and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
    cache = root / EMBED_CACHE
    if cache.is_dir():
        for temp in cache.glob("*/.*"):
            if temp.is_file():
                with contextlib.suppress(OSError):
                    temp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One build at a time per index root (the lock dies with the process); leftovers of dead builds are swept."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".build.lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportQAError("another build of this index is running; wait for it to finish") from None
        try:
            sweep_dead_builds(root)
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- the manifest


def _check_manifest(m: dict[str, Any]) -> None:
    """The manifest's fields that code reads, with their types (a damaged manifest must not crash a check)."""
    _need(_is_int(m.get("chunk_count")) and m["chunk_count"] >= 0, "'chunk_count' is not a count")
    model = m.get("model")
    _need(isinstance(model, dict) and isinstance(model.get("id"), str) and isinstance(model.get("checksum"), str)
          and _is_int(model.get("dim")) and model["dim"] > 0, "'model' is not {id, checksum, dim}")
    _need(isinstance(m.get("chunker_version"), str), "'chunker_version' is not a string")
    docs = m.get("documents")
    _need(isinstance(docs, dict) and all(isinstance(h, str) for h in docs.values()),
          "'documents' is not a map of content hashes")
    _need(_is_int(m.get("ann_threshold")), "'ann_threshold' is not an integer")
    ranking = m.get("ranking", {})
    _need(isinstance(ranking, dict) and isinstance(ranking.get("chunking", {}), dict), "'ranking' is not a map")
    files = m.get(FILES_KEY)
    _need(isinstance(files, dict), f"'{FILES_KEY}' is not a map")
    for name, entry in files.items():
        # The names are opened inside the version folder: plain file names only.
        _need(_VERSION_NAME.fullmatch(name) is not None and ".." not in name, f"'{FILES_KEY}' names {name!r}")
        _need(isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
              and _SHA256.fullmatch(entry["sha256"]) is not None
              and _is_int(entry.get("bytes")) and entry["bytes"] >= 0, f"'{FILES_KEY}' entry {name} is malformed")
    missing = [name for name in DATA_FILES if name not in files]
    _need(not missing, f"'{FILES_KEY}' does not list {', '.join(missing)}")


def read_manifest(version_dir: Path, *, verify: bool = True) -> dict[str, Any]:
    """A version's manifest: its format, the types of the fields code reads and (with `verify`) its digest.

    `open` verifies the digest itself, after the staleness checks, so an index from another
    model or chunker says so; a flipped byte there ends in the same fix (`reportqa build`).
    """
    manifest = read_json(version_dir / MANIFEST)
    if not isinstance(manifest, dict):
        raise _damaged(MANIFEST, "it is not an object")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise StaleIndexError(f"the index was written by another version of reportqa: {REBUILD_HINT}")
    try:
        _check_manifest(manifest)
    except _Malformed as exc:
        raise _damaged(MANIFEST, str(exc)) from None
    if verify:
        verify_manifest(manifest)
    return manifest


def verify_manifest(manifest: dict[str, Any]) -> None:
    """The manifest is what `stage` wrote: its digest of itself matches."""
    if manifest.get(DIGEST_KEY) != manifest_digest(manifest):
        raise _damaged(MANIFEST, "checksum mismatch")


def verify_files(version_dir: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists has its recorded size and sha256.

    Sizes first (a truncated file is named as such without reading it), then the digests:
    only two files carry checksums of their own, and a valid-JSON edit or a flipped byte in
    the others would otherwise be served.
    """
    listed: dict[str, dict[str, Any]] = manifest[FILES_KEY]
    for name, entry in sorted(listed.items()):
        path = version_dir / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise IndexCorruptError(f"index file {name} is missing: {REBUILD_HINT}") from None
        if not path.is_file():
            raise _damaged(name, "not a file")
        if size != entry["bytes"]:
            raise _damaged(name, "truncated" if size < entry["bytes"] else "size changed")
    for name, entry in sorted(listed.items()):
        if file_digest(version_dir / name) != entry["sha256"]:
            raise _damaged(name, "checksum mismatch")


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


def _check_consistent(version: str, manifest: dict[str, Any], chunks: list[Chunk],
                      documents: list[DocumentRecord]) -> None:
    """Cross-file checks: one record per document, every chunk's document present, the manifest's hashes."""
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise _damaged(DOCUMENTS, "two documents share an id")
    known = set(ids)
    if any(c.doc_id not in known for c in chunks):
        raise _damaged(CHUNKS, "a chunk names a document that does not exist")
    if {d.id: d.content_hash for d in documents} != manifest["documents"]:
        raise IndexCorruptError(f"the documents of index version {version} disagree with its manifest: "
                                f"{REBUILD_HINT}")


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
        """Load the serving version's stores into memory; refuse an incompatible or damaged one.

        Order: manifest (format, types), staleness, the manifest's digest, every file's size
        and sha256, then the files themselves, parsed with their types and bounds checked.
        """
        from reportqa.ingest.chunking import CHUNKER_VERSION

        version_dir = current_dir(self.root)
        manifest = read_manifest(version_dir, verify=False)
        if model_checksum is not None:
            check_compatible(manifest, model_checksum=model_checksum, chunker_version=CHUNKER_VERSION)
        verify_manifest(manifest)
        verify_files(version_dir, manifest)
        chunks = load_chunks(version_dir / CHUNKS)
        document_list = load_documents(version_dir / DOCUMENTS)
        _check_consistent(version_dir.name, manifest, chunks, document_list)
        documents = {d.id: d for d in document_list}
        vectors = VectorIndex.load(version_dir / VECTORS)
        lexical = BM25Index.load(version_dir / LEXICAL)
        tokenizer = ChineseTokenizer(_parsed(version_dir / TERMS, _terms))
        spans = _parsed(version_dir / SENTENCE_SPANS, lambda data: _sentence_rows(data, chunks))
        try:
            sentence_vectors = np.load(version_dir / SENTENCE_VECTORS, allow_pickle=False)
        except (FileNotFoundError, ValueError, EOFError, OSError):
            raise IndexCorruptError(f"index file {SENTENCE_VECTORS} is missing or damaged: {REBUILD_HINT}") from None
        dim = manifest["model"]["dim"]
        if (sentence_vectors.ndim != 2 or sentence_vectors.shape != (len(spans), dim)
                or sentence_vectors.dtype.kind != "f" or not np.isfinite(sentence_vectors).all()):
            raise _damaged(SENTENCE_VECTORS, f"not {len(spans)} finite vectors of {dim} numbers")
        if vectors.dim != dim:
            raise _damaged(VECTORS, f"vectors of {vectors.dim} numbers where the model makes {dim}")
        table = RowTable.from_chunks(chunks)
        sentences = ArraySentenceStore(spans, sentence_vectors, table)
        sizes = {len(chunks), vectors.size, lexical.size, manifest["chunk_count"]}
        if len(sizes) != 1:
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
            is_word=tokenizer.is_word,
        )

    def stage(self, contents: IndexContents) -> str:
        """Build the FAISS and BM25 structures and write a complete version into a staging folder.

        The manifest is written last, listing every other file's size and sha256 as read back
        from disk (what will be verified is what was written), then its own digest. Any failure
        (a full disk, a read-only folder) removes the staging folder before the error goes on.
        """
        chunks = contents.chunks
        RowTable.from_chunks(chunks)  # refuses colliding keys before anything is written
        tokenizer = ChineseTokenizer(contents.user_terms)
        lexical = BM25Index.build([tokenizer.tokenize(t) for t in contents.lexical_texts])
        vector_index = VectorIndex.build(contents.chunk_vectors, ann_threshold=contents.ann_threshold,
                                         settings=contents.index_settings)
        digest = contents.manifest.get("corpus_digest", "")
        staging = new_version_dir(self.root, digest)
        writers: dict[str, Callable[[Path], None]] = {
            CHUNKS: lambda path: save_chunks(path, chunks),
            DOCUMENTS: lambda path: save_documents(path, contents.documents),
            TERMS: lambda path: write_json(path, list(tokenizer.user_terms)),
            LEXICAL: lexical.save,
            VECTORS: vector_index.save,
            SENTENCE_VECTORS: lambda path: _save_npy(path, contents.sentence_vectors.astype(np.float16)),
            SENTENCE_SPANS: lambda path: write_json(path, [list(r) for r in contents.sentence_rows]),
        }
        try:
            for name, write in writers.items():
                _write(staging / name, write)
            manifest = {
                **contents.manifest,
                "format_version": FORMAT_VERSION,
                "backend": self.backend,
                "vector_index": vector_index.describe(),
                "lexical": {**lexical.describe(), "tokenizer": "jieba cut_for_search",
                            "user_terms": len(tokenizer.user_terms)},
                FILES_KEY: {name: {"sha256": file_digest(staging / name), "bytes": (staging / name).stat().st_size}
                            for name in writers},
            }
            manifest[DIGEST_KEY] = manifest_digest(manifest)
            _write(staging / MANIFEST, lambda path: write_json(path, manifest))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return staging.name

    def publish(self, staged: str) -> str:
        return publish(self.root, self.root / staged)

    def discard(self, staged: str) -> None:
        shutil.rmtree(self.root / staged, ignore_errors=True)


class _PythonWrites:
    """A file numpy can only `write()` to: it then writes in pieces through Python, whose errors keep
    their errno (a full disk is ENOSPC), where `tofile` reports a short write without one."""

    def __init__(self, file: Any) -> None:
        self.write = file.write


def _save_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:
        np.save(_PythonWrites(f), array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _write(path: Path, write: Callable[[Path], None]) -> None:
    """Run one file's writer; a failure becomes an OSError naming the file, for the one-line error.

    Python's own write errors and numpy's carry no file name; faiss raises a RuntimeError.
    """
    try:
        write(path)
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except RuntimeError as exc:  # faiss: a multi-line RuntimeError ending in "(No space left on device)"
        code = next((c for c in errno.errorcode if f"({os.strerror(c)})" in str(exc)), None)
        raise OSError(code, os.strerror(code) if code else "the file could not be written", str(path)) from exc
