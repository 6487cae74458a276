"""The Milvus backend: the same search on a distributed engine (Milvus Lite, Standalone or Distributed).

One index version is three collections named after it, ``<prefix>__<version>__chunks`` (key,
corpus position, report, year, text, the chunk record, the dense vector and the lexical sparse
vector), ``__sentences`` (chunk key, offsets, vector) and ``__meta`` (manifest, documents, the
lexical vocabulary, in rows of JSON). The alias ``<prefix>__current`` names the serving
version's meta collection: a build writes a complete new set and only then moves the alias, in
one call, so a killed build leaves the previous version serving and a running server's poller
(`QAService.reload_if_changed`, through `current_version`) follows the switch as it follows
`CURRENT` locally. A replaced version is dropped `index.milvus_grace_s` after its switch, at a
later publish, so servers still answering from it finish first.

Ranking stays the project's own (`rank/`): the stores run the dense and the lexical requests in
Milvus, with the `Filter` as a Milvus filter expression, and the Retriever fuses them exactly as
for FAISS. Why the lexical leg is a sparse vector of the project's own BM25 weights (inner
product) rather than Milvus's BM25 function over a jieba-analysed text field: the answer step
and the speller need the corpus vocabulary and each token's IDF, which Milvus does not expose;
Milvus Lite scores BM25 with per-segment statistics (IDF changes with how rows were flushed)
and k1 = 1.5; and its jieba analyzer neither folds the text (Traditional characters, full-width
forms) nor drops punctuation tokens and stop words as `ChineseTokenizer` does, and adds a
corpus's terms to the server's process-wide dictionary. Sparse vectors of our own weights give
the FAISS backend's BM25 scores to the last float, so both backends rank the same way.

Sentences live in their own collection; a chunk's sentence vectors are fetched by chunk key
when ranking first needs them and kept in an LRU cache of the (immutable) opened version, so
the sentence signal costs one query per new set of candidates and stays the exact float32
inner products the local store computes (vectors are rounded through float16 as it stores them).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.errors import (
    REBUILD_HINT,
    BackendUnavailableError,
    IndexCorruptError,
    IndexNotFoundError,
    ReportQAError,
)
from reportqa.index.base import NO_FILTER, Filter, Hits, IndexContents, SearchIndex, SentenceScores
from reportqa.index.bm25_store import BM25Index
from reportqa.index.local import DocumentRecord, ParagraphRecord, SectionRecord, build_lock, check_compatible
from reportqa.index.memory import RowTable
from reportqa.index.tokenizer import ChineseTokenizer
from reportqa.models import Chunk, Span
from reportqa.settings import IndexSettings, Settings


def _quiet_pymilvus() -> None:
    """pymilvus logs every failed call with its traceback (its import configures that); ours are one line."""
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("pymilvus")]:
        logging.getLogger(name).setLevel(logging.CRITICAL)

ALIAS_SUFFIX = "__current"
# Milvus caps a search's limit and a query's window at 16384 rows.
MAX_TOPK = 16_384
# A VARCHAR holds at most 65535 bytes; JSON parts of 16k characters fit whatever the script.
PART_CHARS = 16_000
INSERT_BATCH = 1_000
FETCH_BATCH = 1_000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,150}$")
_CONNECTION_CODES = {2}  # pymilvus: cannot connect / server unavailable
_BUILD_CALLS = frozenset({"insert", "flush", "load_collection", "create_collection", "drop_collection"})
_NOT_LOADED = 101  # Milvus: the collection is not loaded (a restarted server, or a released collection)


# The layout of a Milvus version (collections and meta rows); another value is refused with the rebuild hint.
FORMAT_VERSION = 1


def _chunk_from_json(d: dict[str, Any]) -> Chunk:
    return Chunk(**{**d, "section_path": tuple(d["section_path"]), "pieces": tuple(Span(**p) for p in d["pieces"]),
                    "years": tuple(d["years"])})


def _document_from_json(d: dict[str, Any]) -> DocumentRecord:
    sections = tuple(
        SectionRecord(id=s["id"], title=s["title"], level=s["level"], path=tuple(s["path"]), number=s["number"],
                      paragraphs=tuple(ParagraphRecord(**p) for p in s["paragraphs"]))
        for s in d["sections"]
    )
    return DocumentRecord(**{**d, "content_years": tuple(d["content_years"]), "sections": sections})


def _filter_expr(where: Filter, doc_field: str = "doc_id", year_field: str = "year") -> str:
    """A `Filter` as a Milvus boolean expression (empty: no filter)."""
    parts = []
    if where.doc is not None:
        parts.append(f"{doc_field} == {json.dumps(where.doc, ensure_ascii=False)}")
    if where.year is not None:
        parts.append(f"{year_field} == {int(where.year)}")
    return " and ".join(parts)


def _parts(text: str) -> list[str]:
    return [text[i:i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]


class MilvusConnection:
    """One lazily opened `MilvusClient` and the error translation every call goes through.

    The client is created on first use, so opening a catalog never fails; an unreachable
    server is a `BackendUnavailableError` naming the URI, raised by the call that needed it,
    and the next call tries again (gRPC reconnects by itself once the server is back).
    """

    def __init__(self, uri: str, token: str | None, timeout_s: float) -> None:
        self.uri = uri
        self.token = token
        self.timeout_s = timeout_s
        self._client: Any = None
        self._lock = threading.Lock()

    def _open(self) -> Any:
        with self._lock:
            if self._client is None:
                from pymilvus import MilvusClient

                _quiet_pymilvus()
                kwargs: dict[str, Any] = {"uri": self.uri, "timeout": self.timeout_s}
                if self.token:
                    kwargs["token"] = self.token
                self._client = MilvusClient(**kwargs)
            return self._client

    def unavailable(self, exc: BaseException) -> BackendUnavailableError:
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return BackendUnavailableError(f"cannot reach Milvus at {self.uri} ({reason.splitlines()[0][:160]}); "
                                       "searches resume when it is back")

    def serve(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """`call` for a search in flight: any Milvus failure is a one-line error (a 503), never a 500."""
        from pymilvus.exceptions import MilvusException

        try:
            return self.call(method, *args, **kwargs)
        except MilvusException as exc:
            raise ReportQAError(f"Milvus at {self.uri} failed: {_milvus_error(exc)}") from None

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """`client.method(*args, **kwargs)` with a timeout; connection failures become one-line errors.

        Searches get `index.milvus_timeout_s` (then a 503); a build's writes (insert, flush, load) wait
        for Milvus as long as it takes, since a large flush is slow and a build has no client waiting.
        """
        import grpc
        from pymilvus.exceptions import MilvusException

        timeout = None if method in _BUILD_CALLS else self.timeout_s
        try:
            client = self._open()
            try:
                return getattr(client, method)(*args, timeout=timeout, **kwargs)
            except MilvusException as exc:
                # A restarted Milvus comes back with its collections released: load, then ask again.
                if exc.code != _NOT_LOADED or not args or method == "load_collection":
                    raise
                client.load_collection(args[0], timeout=self.timeout_s)
                return getattr(client, method)(*args, timeout=timeout, **kwargs)
        except MilvusException as exc:
            if exc.code in _CONNECTION_CODES or "connect" in str(exc.message).lower():
                raise self.unavailable(exc) from None
            raise
        except grpc.RpcError as exc:
            raise self.unavailable(exc) from None
        except Exception as exc:
            name = type(exc).__name__
            if "Rpc" in name or "Timeout" in name or "Connection" in name or "Unavailable" in name:
                raise self.unavailable(exc) from None
            raise


def _milvus_error(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc).splitlines()[0][:200]


class _LRU:
    """A small thread-safe LRU map: an opened version's chunks and sentences, fetched once."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._data: OrderedDict[int, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[int]) -> dict[int, Any]:
        with self._lock:
            out = {}
            for key in keys:
                value = self._data.get(key)
                if value is not None:
                    self._data.move_to_end(key)
                    out[key] = value
            return out

    def put_many(self, items: dict[int, Any]) -> None:
        with self._lock:
            self._data.update(items)
            for key in items:
                self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)


class MilvusVersion:
    """The collections of one published version, and the fetch-and-cache reads the stores share."""

    def __init__(self, conn: MilvusConnection, prefix: str, version: str, cache_chunks: int) -> None:
        self.conn = conn
        self.chunks = f"{prefix}__{version}__chunks"
        self.sentences = f"{prefix}__{version}__sentences"
        self._chunk_cache = _LRU(cache_chunks)
        self._sentence_cache = _LRU(cache_chunks)

    def _fetch(self, collection: str, field: str, keys: list[int], output: list[str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for start in range(0, len(keys), FETCH_BATCH):
            part = keys[start:start + FETCH_BATCH]
            rows.extend(self.conn.serve("query", collection, filter=f"{field} in {part}", output_fields=output,
                                       limit=MAX_TOPK))
        return rows

    def chunk_records(self, keys: Sequence[int]) -> dict[int, tuple[int, Chunk]]:
        """(position, chunk) of each known key; unknown keys are absent."""
        wanted = list(dict.fromkeys(int(k) for k in keys))
        found = self._chunk_cache.get_many(wanted)
        missing = [k for k in wanted if k not in found]
        if missing:
            fetched = {int(r["key"]): (int(r["position"]), _chunk_from_json(json.loads(r["record"])))
                       for r in self._fetch(self.chunks, "key", missing, ["key", "position", "record"])}
            self._chunk_cache.put_many(fetched)
            found.update(fetched)
        return found

    def sentence_rows(self, keys: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(starts, ends, vectors) of each key's sentences in order; a key without sentences is absent."""
        wanted = list(dict.fromkeys(int(k) for k in keys))
        found = self._sentence_cache.get_many(wanted)
        missing = [k for k in wanted if k not in found]
        if missing:
            grouped: dict[int, list[tuple[int, int, int, list[float]]]] = {k: [] for k in missing}
            for r in self._fetch(self.sentences, "chunk_key", missing, ["id", "chunk_key", "start", "end", "vector"]):
                grouped[int(r["chunk_key"])].append((int(r["id"]), int(r["start"]), int(r["end"]), r["vector"]))
            fetched: dict[int, Any] = {}
            for key, rows in grouped.items():
                rows.sort()
                fetched[key] = (
                    np.array([r[1] for r in rows], dtype=np.int64),
                    np.array([r[2] for r in rows], dtype=np.int64),
                    np.array([r[3] for r in rows], dtype=np.float32).reshape(len(rows), -1) if rows
                    else np.empty((0, 0), np.float32),
                )
            self._sentence_cache.put_many(fetched)
            found.update(fetched)
        return {k: v for k, v in found.items() if len(v[0])}


def _hits(results: Any, order_by_position: bool = True) -> Hits:
    """Milvus search results (one query) as `Hits`: best first, ties broken by corpus position."""
    rows = results[0] if results else []
    if not rows:
        return Hits.empty()
    keys = np.array([int(r["id"] if "id" in r else r["key"]) for r in rows], dtype=np.int64)
    scores = np.array([float(r["distance"]) for r in rows], dtype=np.float32)
    if order_by_position:
        positions = np.array([int(r["entity"].get("position", 0)) for r in rows], dtype=np.int64)
        order = np.lexsort((positions, -scores))
        keys, scores = keys[order], scores[order]
    return Hits(keys, scores)


class MilvusVectorStore:
    """`VectorStore`: inner-product search of the chunks collection's dense field, filtered in Milvus."""

    def __init__(self, version: MilvusVersion, size: int, manifest_index: dict[str, Any]) -> None:
        self._v = version
        self._size = size
        self._describe = manifest_index
        self._params: dict[str, Any] = {"metric_type": "IP", "params": dict(manifest_index.get("search", {}))}

    @property
    def size(self) -> int:
        return self._size

    def describe(self) -> dict[str, Any]:
        return dict(self._describe)

    def search(self, vector: np.ndarray, k: int, *, where: Filter = NO_FILTER) -> Hits:
        k = min(k, self._size, MAX_TOPK)
        if k < 1:
            return Hits.empty()
        results = self._v.conn.serve(
            "search", self._v.chunks, data=[np.asarray(vector, dtype=np.float32).tolist()], anns_field="dense",
            limit=k, filter=_filter_expr(where), output_fields=["position"], search_params=self._params)
        return _hits(results)


class MilvusLexicalStore:
    """`LexicalStore`: the project's BM25 as sparse vectors in Milvus (see the module docstring for why)."""

    def __init__(self, version: MilvusVersion, tokenizer: ChineseTokenizer, terms: list[str], dfs: list[int],
                 size: int, describe: dict[str, Any]) -> None:
        self._v = version
        self._tokenizer = tokenizer
        self._ids = {t: i for i, t in enumerate(terms)}
        self._dfs = dfs
        self._size = size
        self._describe = describe
        self._vocabulary = frozenset(terms)

    @property
    def size(self) -> int:
        return self._size

    def describe(self) -> dict[str, Any]:
        return dict(self._describe)

    def vocabulary(self) -> frozenset[str]:
        return self._vocabulary

    def idf(self, token: str) -> float:
        i = self._ids.get(token)
        df = 0 if i is None else self._dfs[i]
        return float(np.log1p((self._size - df + 0.5) / (df + 0.5)))

    def search(self, text: str, k: int, *, where: Filter = NO_FILTER) -> Hits:
        k = min(k, self._size, MAX_TOPK)
        ids = [self._ids[t] for t in dict.fromkeys(self._tokenizer.tokenize(text)) if t in self._ids]
        if k < 1 or not ids:
            return Hits.empty()
        results = self._v.conn.serve(
            "search", self._v.chunks, data=[dict.fromkeys(ids, 1.0)], anns_field="lexical", limit=k,
            filter=_filter_expr(where), output_fields=["position"], search_params={"metric_type": "IP"})
        hits = _hits(results)
        positive = hits.scores > 0
        return Hits(hits.keys[positive], hits.scores[positive])


class MilvusSentenceStore:
    """`SentenceStore` over the sentences collection, fetched per chunk key and cached."""

    def __init__(self, version: MilvusVersion) -> None:
        self._v = version

    def best_similarity(self, keys: np.ndarray, vector: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        rows = self._v.sentence_rows(keys.tolist())
        vector = np.asarray(vector, dtype=np.float32)
        out = np.array([float((rows[k][2] @ vector).max()) if k in rows else 0.0 for k in keys.tolist()],
                       dtype=np.float32)
        return np.maximum(out, 0.0).astype(np.float32)

    def scores(self, key: int, vector: np.ndarray) -> SentenceScores | None:
        found = self._v.sentence_rows([int(key)]).get(int(key))
        if found is None:
            return None
        starts, ends, vectors = found
        return SentenceScores(starts, ends, vectors @ np.asarray(vector, dtype=np.float32))


class MilvusChunkStore:
    """`ChunkStore`: chunk records by key from the chunks collection, cached."""

    def __init__(self, version: MilvusVersion, size: int) -> None:
        self._v = version
        self._size = size

    def __len__(self) -> int:
        return self._size

    def get(self, keys: Sequence[int]) -> list[Chunk]:
        found = self._v.chunk_records(keys)
        out = []
        for key in keys:
            record = found.get(int(key))
            if record is None:
                raise KeyError(f"no chunk with key {key}")
            out.append(record[1])
        return out

    def position(self, key: int) -> int:
        record = self._v.chunk_records([int(key)]).get(int(key))
        return -1 if record is None else record[0]


class MilvusCatalog:
    """`Catalog` on Milvus: a collection set per version, an alias switched only when it is complete.

    `root` is the local index folder: the build lock and the embedding cache live there
    (shared with the FAISS backend, so switching backends embeds nothing again).
    """

    backend = "milvus"

    def __init__(self, root: Path, *, uri: str | None = None, token: str | None = None,
                 collection: str | None = None, settings: IndexSettings | None = None) -> None:
        self.root = Path(root)
        self.settings = settings or Settings.from_env().index
        self.uri = uri or self.settings.milvus_uri or str(self.root / "milvus.db")
        self.prefix = collection or self.settings.milvus_collection
        if not _NAME.match(self.prefix) or "__" in self.prefix:
            raise ReportQAError(f"index.milvus_collection '{self.prefix}' must be letters, digits and single "
                                "underscores, starting with a letter")
        self.alias = self.prefix + ALIAS_SUFFIX
        self.conn = MilvusConnection(self.uri, token if token is not None else self.settings.milvus_token,
                                     self.settings.milvus_timeout_s)

    # --- names ------------------------------------------------------------------------------------------

    def _collection(self, version: str, part: str) -> str:
        return f"{self.prefix}__{version}__{part}"

    def _versions(self) -> list[str]:
        """Every version whose meta collection exists under this prefix (published or not)."""
        head, tail = f"{self.prefix}__", "__meta"
        return sorted(name[len(head):-len(tail)] for name in self.conn.call("list_collections")
                      if name.startswith(head) and name.endswith(tail))

    # --- reading ----------------------------------------------------------------------------------------

    def current_version(self) -> str | None:
        from pymilvus.exceptions import MilvusException

        try:
            described = self.conn.call("describe_alias", self.alias)
        except MilvusException:  # no alias yet: nothing was ever published
            return None
        name = str(described.get("collection_name") or "")
        head, tail = f"{self.prefix}__", "__meta"
        return name[len(head):-len(tail)] if name.startswith(head) and name.endswith(tail) else None

    def _meta(self, version: str) -> dict[str, str]:
        """The meta rows of a version, parts joined: {"manifest": ..., "documents": ..., ...}."""
        rows = self.conn.call("query", self._collection(version, "meta"), filter='name != ""',
                              output_fields=["name", "body"], limit=MAX_TOPK)
        parts: dict[str, list[tuple[int, str]]] = {}
        for r in rows:
            name, _, number = str(r["name"]).partition("/")
            parts.setdefault(name, []).append((int(number or 0), r["body"]))
        return {name: "".join(body for _, body in sorted(items)) for name, items in parts.items()}

    def _read_meta(self, version: str) -> dict[str, Any]:
        from pymilvus.exceptions import MilvusException

        try:
            meta = self._meta(version)
            decoded = {name: json.loads(body) for name, body in meta.items()}
        except (MilvusException, json.JSONDecodeError) as exc:
            raise IndexCorruptError(f"the Milvus index version '{version}' cannot be read "
                                    f"({_milvus_error(exc)}): {REBUILD_HINT}") from None
        manifest = decoded.get("manifest")
        if not decoded.get("complete") or not isinstance(manifest, dict):
            raise IndexCorruptError(f"the Milvus index version '{version}' is incomplete: {REBUILD_HINT}")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexCorruptError(f"the index was written by another version of reportqa: {REBUILD_HINT}")
        return decoded

    def current_manifest(self) -> dict[str, Any] | None:
        version = self.current_version()
        if version is None:
            return None
        try:
            manifest: dict[str, Any] = self._read_meta(version)["manifest"]
        except (IndexCorruptError, KeyError):
            return None
        return manifest

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """One build at a time: the local file lock under the index folder (builds run where it lives)."""
        return build_lock(self.root)

    def open(self, *, model_checksum: str | None = None) -> SearchIndex:
        """Open the version the alias names; refuse one built with another model or chunker."""
        from pymilvus.exceptions import MilvusException

        from reportqa.ingest.chunking import CHUNKER_VERSION

        version = self.current_version()
        if version is None:
            raise IndexNotFoundError(f"no index in Milvus at {self.uri} (collections '{self.prefix}'): "
                                     "run `reportqa build` first")
        meta = self._read_meta(version)
        manifest = meta["manifest"]
        if model_checksum is not None:
            check_compatible(manifest, model_checksum=model_checksum, chunker_version=CHUNKER_VERSION)
        handle = MilvusVersion(self.conn, self.prefix, version, self.settings.milvus_cache_chunks)
        try:
            for name in (handle.chunks, handle.sentences):
                self.conn.call("load_collection", name)
        except MilvusException as exc:
            raise IndexCorruptError(f"the Milvus index version '{version}' is missing a collection "
                                    f"({_milvus_error(exc)}): {REBUILD_HINT}") from None
        size = int(manifest["chunk_count"])
        lexical = meta.get("lexical", {})
        tokenizer = ChineseTokenizer(meta.get("user_terms", []))
        documents = {d.id: d for d in (_document_from_json(d) for d in meta.get("documents", []))}
        return SearchIndex(
            version=version,
            manifest=manifest,
            chunks=MilvusChunkStore(handle, size),
            vectors=MilvusVectorStore(handle, size, manifest.get("vector_index", {})),
            lexical=MilvusLexicalStore(handle, tokenizer, lexical.get("terms", []), lexical.get("dfs", []), size,
                                       manifest.get("lexical", {})),
            sentences=MilvusSentenceStore(handle),
            tokenize=tokenizer.tokenize,
            documents=documents,
            is_word=tokenizer.is_word,
        )

    # --- writing ----------------------------------------------------------------------------------------

    def _dense_index(self, n: int, ann_threshold: int, s: IndexSettings) -> tuple[dict[str, Any], dict[str, Any]]:
        """(index params, manifest description): exact search below the threshold, IVF above, as FAISS."""
        if n < ann_threshold:
            return {"index_type": "FLAT", "params": {}}, {"kind": "flat", "engine": "milvus", "search": {}}
        nlist = max(1, int(s.ivf_nlist_factor * n ** 0.5))
        nprobe = min(nlist, max(s.ivf_min_nprobe, round(nlist * s.ivf_nprobe_fraction)))
        return ({"index_type": "IVF_FLAT", "params": {"nlist": nlist}},
                {"kind": "ivf", "engine": "milvus", "nlist": nlist, "nprobe": nprobe, "search": {"nprobe": nprobe}})

    def _create(self, version: str, dim: int, dense: dict[str, Any]) -> None:
        from pymilvus import DataType, MilvusClient

        chunks = MilvusClient.create_schema(auto_id=False)
        chunks.add_field("key", DataType.INT64, is_primary=True)
        chunks.add_field("position", DataType.INT64)
        chunks.add_field("doc_id", DataType.VARCHAR, max_length=512)
        chunks.add_field("year", DataType.INT64)
        chunks.add_field("text", DataType.VARCHAR, max_length=65_535)
        chunks.add_field("record", DataType.VARCHAR, max_length=65_535)
        chunks.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        chunks.add_field("lexical", DataType.SPARSE_FLOAT_VECTOR)
        params = MilvusClient.prepare_index_params()
        params.add_index("dense", index_type=dense["index_type"], metric_type="IP", params=dense["params"])
        params.add_index("lexical", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        params.add_index("doc_id", index_type="INVERTED")
        params.add_index("year", index_type="INVERTED")
        self.conn.call("create_collection", self._collection(version, "chunks"), schema=chunks, index_params=params)

        sentences = MilvusClient.create_schema(auto_id=False)
        sentences.add_field("id", DataType.INT64, is_primary=True)
        sentences.add_field("chunk_key", DataType.INT64)
        sentences.add_field("start", DataType.INT64)
        sentences.add_field("end", DataType.INT64)
        sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = MilvusClient.prepare_index_params()
        params.add_index("vector", index_type="FLAT", metric_type="IP")
        params.add_index("chunk_key", index_type="INVERTED")
        self.conn.call("create_collection", self._collection(version, "sentences"), schema=sentences,
                       index_params=params)

        meta = MilvusClient.create_schema(auto_id=False)
        meta.add_field("name", DataType.VARCHAR, is_primary=True, max_length=128)
        meta.add_field("body", DataType.VARCHAR, max_length=65_535)
        meta.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
        params = MilvusClient.prepare_index_params()
        params.add_index("unused", index_type="FLAT", metric_type="L2")
        self.conn.call("create_collection", self._collection(version, "meta"), schema=meta, index_params=params)

    def _insert(self, collection: str, rows: Iterator[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= INSERT_BATCH:
                self.conn.call("insert", collection, batch)
                batch = []
        if batch:
            self.conn.call("insert", collection, batch)

    def _write_meta(self, version: str, items: dict[str, Any]) -> None:
        rows = [{"name": f"{name}/{i:05d}", "body": part, "unused": [0.0, 0.0]}
                for name, value in items.items()
                for i, part in enumerate(_parts(json.dumps(value, ensure_ascii=False, separators=(",", ":"))))]
        self._insert(self._collection(version, "meta"), iter(rows))

    def stage(self, contents: IndexContents) -> str:
        """Write a complete version's collections (not yet serving); returns the version name."""
        chunks = contents.chunks
        table = RowTable.from_chunks(chunks)  # refuses colliding keys before anything is written
        tokenizer = ChineseTokenizer(contents.user_terms)
        lexical = BM25Index.build([tokenizer.tokenize(t) for t in contents.lexical_texts])
        # The (docs × terms) BM25 weights, read row by row: one sparse vector per chunk.
        weights = lexical._weights.tocsr()
        terms = sorted(lexical._vocab, key=lexical._vocab.__getitem__)
        dfs = np.diff(lexical._weights.indptr)
        n, dim = contents.chunk_vectors.shape
        dense, vector_describe = self._dense_index(n, contents.ann_threshold, contents.index_settings)
        digest = str(contents.manifest.get("corpus_digest", ""))[:8] or "0"
        version = f"v{time.strftime('%Y%m%dT%H%M%S')}_{digest}_{int(time.time() * 1000) % 100_000:05d}"
        try:
            self._create(version, dim, dense)
            vectors = np.asarray(contents.chunk_vectors, dtype=np.float32)

            def chunk_rows() -> Iterator[dict[str, Any]]:
                for row, c in enumerate(chunks):
                    start, end = weights.indptr[row], weights.indptr[row + 1]
                    yield {
                        "key": int(table.keys[row]), "position": row, "doc_id": c.doc_id,
                        "year": -1 if c.year is None else int(c.year), "text": c.text,
                        "record": json.dumps(asdict(c), ensure_ascii=False, separators=(",", ":")),
                        "dense": vectors[row].tolist(),
                        "lexical": dict(zip(weights.indices[start:end].tolist(),
                                            weights.data[start:end].tolist(), strict=True)),
                    }

            self._insert(self._collection(version, "chunks"), chunk_rows())
            # Rounded through float16, as the local store keeps them: both backends score alike.
            sentence_vectors = np.asarray(contents.sentence_vectors, dtype=np.float16).astype(np.float32)
            self._insert(self._collection(version, "sentences"), (
                {"id": i, "chunk_key": int(table.keys[row]), "start": int(a), "end": int(b),
                 "vector": sentence_vectors[i].tolist()}
                for i, (row, a, b) in enumerate(contents.sentence_rows)))
            manifest = {
                **contents.manifest,
                "format_version": FORMAT_VERSION,
                "backend": self.backend,
                "vector_index": {**vector_describe, "size": n, "dim": dim},
                "lexical": {**lexical.describe(), "tokenizer": "jieba cut_for_search",
                            "user_terms": len(tokenizer.user_terms), "engine": "milvus sparse (IP of BM25 weights)"},
                "milvus": {"collections": [self._collection(version, p) for p in ("chunks", "sentences", "meta")]},
            }
            self._write_meta(version, {
                "manifest": manifest,
                "documents": [asdict(d) for d in contents.documents],
                "user_terms": list(tokenizer.user_terms),
                "lexical": {"terms": terms, "dfs": dfs.tolist()},
            })
            for part in ("chunks", "sentences", "meta"):
                self.conn.call("flush", self._collection(version, part))
            # Written last: a version without this row was cut off and never serves.
            self._write_meta(version, {"complete": True})
            self.conn.call("flush", self._collection(version, "meta"))
            for part in ("chunks", "sentences", "meta"):
                self.conn.call("load_collection", self._collection(version, part))
        except BaseException:
            with contextlib.suppress(Exception):
                self._drop(version)
            raise
        return version

    def publish(self, staged: str) -> str:
        """Move the alias to the staged version in one call, then drop versions past their grace period."""
        from pymilvus.exceptions import MilvusException

        try:
            complete = self._read_meta(staged)
        except IndexCorruptError:
            raise ReportQAError(f"the staged Milvus version '{staged}' is incomplete or was discarded") from None
        del complete
        previous = self.current_version()
        meta = self._collection(staged, "meta")
        try:
            if previous is None:
                self.conn.call("create_alias", meta, self.alias)
            else:
                self.conn.call("alter_alias", meta, self.alias)
        except MilvusException as exc:
            raise ReportQAError(f"could not switch the Milvus alias {self.alias}: {_milvus_error(exc)}") from None
        if previous is not None and previous != staged:
            with contextlib.suppress(MilvusException):
                self._write_meta(previous, {"retired_at": time.time()})
                self.conn.call("flush", self._collection(previous, "meta"))
        self.drop_expired(keep=staged)
        return staged

    def drop_expired(self, *, keep: str, now: float | None = None) -> list[str]:
        """Drop versions replaced more than the grace period ago, and unpublished ones older than it."""
        from pymilvus.exceptions import MilvusException

        now = time.time() if now is None else now
        grace = self.settings.milvus_grace_s
        dropped = []
        for version in self._versions():
            if version == keep:
                continue
            try:
                meta = {name: json.loads(body) for name, body in self._meta(version).items()}
            except (MilvusException, json.JSONDecodeError):
                meta = {}
            if "retired_at" in meta:
                expired = now - float(meta["retired_at"]) >= grace
            else:  # never published: a build that died (or one still writing, if younger than the grace)
                expired = now - _version_time(version) >= grace
            if expired:
                self._drop(version)
                dropped.append(version)
        return dropped

    def _drop(self, version: str) -> None:
        from pymilvus.exceptions import MilvusException

        for part in ("chunks", "sentences", "meta"):
            with contextlib.suppress(MilvusException):
                self.conn.call("drop_collection", self._collection(version, part))

    def discard(self, staged: str) -> None:
        self._drop(staged)


def _version_time(version: str) -> float:
    """When a version was staged, from its name (`v20250101T120000_…`); 0 when unreadable."""
    try:
        return time.mktime(time.strptime(version[1:16], "%Y%m%dT%H%M%S"))
    except ValueError:
        return 0.0

