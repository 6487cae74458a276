"""The dense leg of retrieval: inner-product search over L2-normalised vectors.

Exact search (`IndexFlatIP`) is used while it is fast enough; above
`ann_threshold` vectors an approximate index takes over so a query stays in
the low milliseconds at 1M chunks (which one: the `index.ann_kind` setting).

The file written by `save` is faiss's own format followed by a 24-byte
trailer (magic, payload length, CRC-32).  faiss can crash or allocate wildly
on a damaged file, so the trailer is checked before faiss sees a byte, and
any damage becomes an `IndexCorruptError` the user can act on.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from reportqa.errors import REBUILD_HINT, IndexCorruptError, InvalidQueryError
from reportqa.index.base import NO_FILTER, Filter, Hits
from reportqa.index.memory import RowTable
from reportqa.settings import IndexSettings

KIND_FLAT = "flat"
KIND_HNSW = "hnsw"
KIND_IVF = "ivf"
KINDS = (KIND_FLAT, KIND_HNSW, KIND_IVF)

# Which approximate index and its knobs are settings (`index.*` in settings.py), with why
# each default was chosen: IVF-Flat builds 1M vectors in ~2.5 min on 2 cores at recall@10
# >= 0.95, where HNSW needs ~40 s at 100k and well over 10 min at 1M.
IVF_TRAIN_SEED = 1234  # fixed, so the same vectors always build the same index

_MAGIC = b"RQAVEC01"
_TRAILER = struct.Struct("<8sQI4x")  # magic, payload length, crc32, padding
_CHUNK = 64 << 20


def ivf_nlist(n: int, settings: IndexSettings | None = None) -> int:
    """Number of inverted lists: about 4 * sqrt(n), the usual balance of coarse vs fine work."""
    factor = (settings or IndexSettings()).ivf_nlist_factor
    return max(1, min(n, int(factor * math.sqrt(n))))


def ivf_nprobe(nlist: int, settings: IndexSettings | None = None) -> int:
    """Lists visited per query, enough for recall@10 >= 0.95 on clustered 384-d data."""
    s = settings or IndexSettings()
    return min(nlist, max(s.ivf_min_nprobe, round(nlist * s.ivf_nprobe_fraction)))


def _as_matrix(vectors: np.ndarray, what: str) -> np.ndarray:
    """A C-contiguous float32 2-D view/copy, as faiss requires."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[1] == 0:
        raise InvalidQueryError(f"{what} must be a 2-D array of vectors, got shape {array.shape}.")
    return np.ascontiguousarray(array)


def _describe_faiss(index: Any) -> tuple[str, dict[str, int]]:
    """Kind and search-relevant parameters of a (downcast) faiss index."""
    if isinstance(index, faiss.IndexHNSWFlat):
        hnsw = index.hnsw
        return KIND_HNSW, {
            "M": int(hnsw.nb_neighbors(1)),
            "efConstruction": int(hnsw.efConstruction),
            "efSearch": int(hnsw.efSearch),
        }
    if isinstance(index, faiss.IndexIVFFlat):
        return KIND_IVF, {"nlist": int(index.nlist), "nprobe": int(index.nprobe)}
    if isinstance(index, faiss.IndexFlat):
        return KIND_FLAT, {}
    raise TypeError(f"unsupported faiss index type {type(index).__name__}")


class VectorIndex:
    """Inner-product (cosine, for unit vectors) nearest-neighbour search; ids are row numbers."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self._kind, self._params = _describe_faiss(self._index)

    @classmethod
    def build(
        cls, vectors: np.ndarray, *, ann_threshold: int | None = None, kind: str | None = None,
        settings: IndexSettings | None = None,
    ) -> VectorIndex:
        """Index `vectors` (n x dim, L2-normalised float32; row i gets id i).

        `kind` None picks exact search below `ann_threshold` vectors and the
        `index.ann_kind` setting from there on; "flat", "hnsw" or "ivf" force one.
        """
        settings = settings or IndexSettings()
        threshold = settings.ann_threshold if ann_threshold is None else ann_threshold
        data = _as_matrix(vectors, "vectors")
        if kind is None:
            kind = settings.ann_kind if data.shape[0] >= threshold else KIND_FLAT
        if kind not in KINDS:
            raise ValueError(f"unknown vector index kind {kind!r}; expected one of {KINDS}")
        if kind == KIND_FLAT:
            return cls(_build_flat(data))
        return cls(_build_hnsw(data, settings) if kind == KIND_HNSW else _build_ivf(data, settings))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @property
    def kind(self) -> str:
        return self._kind

    def describe(self) -> dict[str, Any]:
        """Kind, parameters and size, for the index manifest."""
        return {"kind": self._kind, "params": dict(self._params), "size": self.size, "dim": self.dim}

    def tune(self, *, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Change the search-time speed/recall trade-off (IVF nprobe, HNSW efSearch); saved with the index.

        The defaults were tuned on synthetic vectors: re-measure recall on the
        real embeddings and raise these if it falls short.
        """
        if nprobe is not None and self._kind == KIND_IVF:
            self._index.nprobe = max(1, min(int(nprobe), int(self._index.nlist)))
        if ef_search is not None and self._kind == KIND_HNSW:
            self._index.hnsw.efSearch = max(1, int(ef_search))
        self._kind, self._params = _describe_faiss(self._index)

    def search(self, queries: np.ndarray, k: int, *, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores float32, ids int64), one row per query, best first.

        `allowed` (a boolean mask over rows) restricts the search inside faiss. Where fewer
        than k vectors can be returned the ids are -1 and the scores -inf.
        """
        if k < 1:
            raise InvalidQueryError(f"k must be at least 1, got {k}.")
        matrix = _as_matrix(queries, "queries")
        if matrix.shape[1] != self.dim:
            raise InvalidQueryError(
                f"Query vectors have dimension {matrix.shape[1]} but the index has {self.dim}."
            )
        if allowed is None:
            scores, ids = self._index.search(matrix, k)
        else:
            bits = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
            selector = faiss.IDSelectorBitmap(self.size, faiss.swig_ptr(bits))
            params = _search_params(self._index, self._kind, selector)
            scores, ids = self._index.search(matrix, k, params=params)
            del bits  # the selector reads the bitmap during the search only
        scores[ids < 0] = -np.inf
        return scores, ids.astype(np.int64, copy=False)

    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename) with the integrity trailer."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(tmp))
        length, crc = _crc_of(tmp, os.path.getsize(tmp))
        with open(tmp, "ab") as fh:
            fh.write(_TRAILER.pack(_MAGIC, length, crc))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Read an index written by `save`; a missing or damaged file raises IndexCorruptError."""
        path = Path(path)
        if not path.is_file():
            raise _corrupt(path, "missing")
        _verify_trailer(path)
        try:
            index = faiss.read_index(str(path))
            return cls(index)
        except (RuntimeError, MemoryError, TypeError) as exc:
            raise _corrupt(path, "unreadable") from exc


def _search_params(index: Any, kind: str, selector: Any) -> Any:
    """Search parameters carrying an ID selector, keeping the index's own speed/recall knobs."""
    if kind == KIND_IVF:
        return faiss.SearchParametersIVF(sel=selector, nprobe=int(index.nprobe))
    if kind == KIND_HNSW:
        return faiss.SearchParametersHNSW(sel=selector, efSearch=int(index.hnsw.efSearch))
    return faiss.SearchParameters(sel=selector)


def _corrupt(path: Path, why: str) -> IndexCorruptError:
    return IndexCorruptError(f"Vector index file {path.name} is {why}; {REBUILD_HINT}.")


def _crc_of(path: Path, length: int) -> tuple[int, int]:
    """CRC-32 of the first `length` bytes (streamed: the file may be GBs)."""
    crc, left = 0, length
    with open(path, "rb") as fh:
        while left > 0:
            block = fh.read(min(_CHUNK, left))
            if not block:
                break
            crc = zlib.crc32(block, crc)
            left -= len(block)
    return length - left, crc


def _verify_trailer(path: Path) -> None:
    """Check magic, length and checksum before faiss parses anything."""
    total = os.path.getsize(path)
    if total < _TRAILER.size:
        raise _corrupt(path, "truncated")
    with open(path, "rb") as fh:
        fh.seek(total - _TRAILER.size)
        magic, length, crc = _TRAILER.unpack(fh.read(_TRAILER.size))
    if magic != _MAGIC:
        raise _corrupt(path, "truncated or not a reportqa vector index")
    if length != total - _TRAILER.size:
        raise _corrupt(path, "truncated")
    if _crc_of(path, length) != (length, crc):
        raise _corrupt(path, "corrupt (checksum mismatch)")


def _build_flat(data: np.ndarray) -> Any:
    index = faiss.IndexFlatIP(data.shape[1])
    index.add(data)
    return index


def _build_hnsw(data: np.ndarray, settings: IndexSettings) -> Any:
    index = faiss.IndexHNSWFlat(data.shape[1], settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = settings.hnsw_ef_construction
    index.hnsw.efSearch = settings.hnsw_ef_search
    index.add(data)
    return index


def _build_ivf(data: np.ndarray, settings: IndexSettings) -> Any:
    """IVF-Flat: k-means lists trained on a sample, vectors stored uncompressed (no recall loss)."""
    n, dim = data.shape
    nlist = ivf_nlist(n, settings)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    sample_size = min(n, nlist * settings.ivf_train_per_list)
    sample = data
    if sample_size < n:
        rows = np.random.default_rng(IVF_TRAIN_SEED).choice(n, size=sample_size, replace=False)
        sample = data[np.sort(rows)]
    index.cp.seed = IVF_TRAIN_SEED
    index.cp.min_points_per_centroid = 1  # tiny test corpora: no warning spam, no failure
    index.train(sample)
    index.add(data)
    index.nprobe = ivf_nprobe(nlist, settings)
    return index  # faiss's Python wrapper keeps `quantizer` alive with the index


class FaissVectorStore:
    """`VectorStore` over a row-numbered `VectorIndex`: keys out, filters pushed into faiss.

    A filter becomes a bitmap ID selector passed in faiss's search parameters, so an
    exact index scores only the admitted rows and an IVF index skips the others while
    scanning its lists; nothing is over-fetched and dropped afterwards.
    """

    def __init__(self, index: VectorIndex, table: RowTable) -> None:
        self.index = index
        self.table = table

    @property
    def size(self) -> int:
        return self.index.size

    def describe(self) -> dict[str, Any]:
        return self.index.describe()

    def search(self, vector: np.ndarray, k: int, *, where: Filter = NO_FILTER) -> Hits:
        mask = self.table.mask(where)
        if k < 1 or (mask is not None and not mask.any()):
            return Hits.empty()
        k = max(1, min(k, self.size if mask is None else int(mask.sum())))
        scores, ids = self.index.search(vector.reshape(1, -1), k, allowed=mask)
        keep = ids[0] >= 0
        rows = ids[0][keep]
        return Hits(self.table.keys[rows], scores[0][keep].astype(np.float32))
