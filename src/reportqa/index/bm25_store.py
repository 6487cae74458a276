"""The lexical leg of retrieval: BM25 over jieba search-mode tokens (see `tokenizer.py`).

Dense embeddings blur exact figures and programme names ("5200.73亿元", "大零号湾"),
which are precisely what questions about government reports ask for, so a
keyword index runs beside the vector index.

The index is built once and persisted as precomputed BM25 term weights in a
sparse term-document matrix (CSC: one contiguous column per term).  A query is
then only the sum of a few columns, which stays far below 50 ms at 1M chunks,
and nothing is recomputed per query.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from reportqa.errors import REBUILD_HINT, IndexCorruptError
from reportqa.index.base import NO_FILTER, Filter, Hits
from reportqa.index.memory import RowTable
from reportqa.index.tokenizer import ChineseTokenizer


def _corrupt(path: Path, why: str) -> IndexCorruptError:
    return IndexCorruptError(f"Lexical index file {path.name} is {why}; {REBUILD_HINT}.")


class BM25Index:
    """Okapi BM25 with precomputed per-(term, document) weights.

    Weight of term t in document d:
    ``idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avglen))`` with
    the non-negative idf ``log(1 + (N - df + 0.5) / (df + 0.5))``, so a
    document's score for a query is the plain sum of its weights for the query terms.
    """

    def __init__(self, weights: sp.csc_matrix, vocab: dict[str, int], params: dict[str, float]) -> None:
        self._weights = weights
        self._vocab = vocab
        self._params = params

    @property
    def size(self) -> int:
        """Number of documents."""
        return int(self._weights.shape[0])

    @property
    def vocab_size(self) -> int:
        return len(self._vocab)

    def document_frequency(self, token: str) -> int:
        """In how many documents a token occurs (0 for a token the corpus never uses)."""
        col = self._vocab.get(token)
        return 0 if col is None else int(self._weights.indptr[col + 1] - self._weights.indptr[col])

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self._vocab)

    def idf(self, token: str) -> float:
        """BM25 idf of a token (the weight of an unseen token: the corpus never says it)."""
        col = self._vocab.get(token)
        df = 0 if col is None else int(self._weights.indptr[col + 1] - self._weights.indptr[col])
        return float(np.log1p((self.size - df + 0.5) / (df + 0.5)))

    def describe(self) -> dict[str, Any]:
        """Parameters and sizes, for the index manifest."""
        sizes = {"docs": self.size, "terms": self.vocab_size, "postings": int(self._weights.nnz)}
        return {"kind": "bm25", **self._params, **sizes}

    @classmethod
    def build(cls, docs_tokens: Iterable[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """Index tokenized documents (document i gets id i).

        Accepts any iterable so callers can stream tokens instead of holding
        all token lists at once; term ids are assigned in C via a
        self-numbering dict to keep building 1M documents to seconds.
        """
        vocab: defaultdict[str, int] = defaultdict()
        vocab.default_factory = vocab.__len__
        term_ids = array("i")
        lengths = array("q")
        for tokens in docs_tokens:
            term_ids.extend(map(vocab.__getitem__, tokens))
            lengths.append(len(tokens))
        doc_lengths = np.frombuffer(lengths, dtype=np.int64)
        weights = _bm25_weights(np.frombuffer(term_ids, dtype=np.int32), doc_lengths, len(vocab), k1, b)
        avg = float(np.mean(lengths)) if lengths else 0.0
        return cls(weights, dict(vocab), {"k1": k1, "b": b, "avg_doc_len": avg})

    def _columns(self, query_tokens: Iterable[str]) -> list[int]:
        """Distinct known term ids of the query, in first-seen order."""
        ids = (self._vocab.get(token) for token in query_tokens)
        return list(dict.fromkeys(i for i in ids if i is not None))

    def scores(self, query_tokens: Iterable[str]) -> np.ndarray:
        """BM25 score of every document (float32, zero where no query term occurs).

        Repeated query terms count once: search-mode tokens already overlap
        ("成交" and "成交额"), and a word typed twice in a question is not
        more important, so query tf would only reward accidental repetition.
        """
        out = np.zeros(self.size, dtype=np.float32)
        w = self._weights
        for col in self._columns(query_tokens):
            start, end = w.indptr[col], w.indptr[col + 1]
            # Row indices are unique within a column, so fancy += is exact.
            out[w.indices[start:end]] += w.data[start:end]
        return out

    def search(self, query_tokens: Iterable[str], k: int, *, mask: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """The top-k documents as (ids int64, scores float32), best first.

        Only documents holding at least one query term (and admitted by `mask`, a
        boolean array over documents) are returned, so there may be fewer than k.
        """
        if k < 1:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        scores = self.scores(query_tokens)
        if mask is not None:
            # Rank only the admitted hits: partitioning every row when most scores are
            # zeroed by the filter costs several times the search itself at 100k chunks.
            hits = np.flatnonzero(mask & (scores > 0))
            if hits.size > k:
                hits = hits[np.argpartition(scores[hits], hits.size - k)[hits.size - k:]]
            order = np.lexsort((hits, -scores[hits]))
            ids = hits[order].astype(np.int64)
            return ids, scores[ids]
        if scores.size > k:
            # Partitioning the whole array in place of gathering the nonzero hits
            # first is ~30% faster when common terms touch most documents.
            hits = np.argpartition(scores, scores.size - k)[scores.size - k :]
            hits = hits[scores[hits] > 0]
        else:
            hits = np.flatnonzero(scores)
        order = np.lexsort((hits, -scores[hits]))  # score desc, then id asc for stable ties
        ids = hits[order].astype(np.int64)
        return ids, scores[ids]

    def save(self, path: Path) -> None:
        """Write one uncompressed .npz (no pickle) atomically: a crash never leaves half a file."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        w = self._weights
        vocab_list = sorted(self._vocab, key=self._vocab.__getitem__)
        vocab = np.frombuffer(json.dumps(vocab_list, ensure_ascii=False).encode(), np.uint8)
        arrays = {"data": w.data, "indices": w.indices, "indptr": w.indptr, "vocab": vocab}
        meta = {"format": 1, "n_docs": self.size, "crc32": _crc32(arrays), **self._params}
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        """Read an index written by `save`; any damage raises IndexCorruptError."""
        path = Path(path)
        if not path.is_file():
            raise _corrupt(path, "missing")
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in ("data", "indices", "indptr", "vocab", "meta")}
            meta = json.loads(arrays.pop("meta").tobytes())
            if meta.get("crc32") != _crc32(arrays):
                raise _corrupt(path, "corrupt (checksum mismatch)")
            vocab_list = json.loads(arrays["vocab"].tobytes())
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise _corrupt(path, "truncated or unreadable") from exc
        weights = _checked_matrix(path, arrays, int(meta.get("n_docs", -1)), len(vocab_list))
        params = {key: meta[key] for key in ("k1", "b", "avg_doc_len") if key in meta}
        return cls(weights, {term: i for i, term in enumerate(vocab_list)}, params)


def _crc32(arrays: dict[str, np.ndarray]) -> int:
    """CRC-32 over the arrays' bytes: np.load does not verify the zip's own checksums."""
    crc = 0
    for name in sorted(arrays):
        crc = zlib.crc32(memoryview(np.ascontiguousarray(arrays[name])).cast("B"), crc)
    return crc


def _checked_matrix(path: Path, arrays: dict[str, np.ndarray], n_docs: int, n_terms: int) -> sp.csc_matrix:
    """Rebuild the CSC matrix after checking its arrays agree (cheap, catches silent damage)."""
    data, indices, indptr = arrays["data"], arrays["indices"], arrays["indptr"]
    consistent = (
        n_docs >= 0
        and indptr.shape == (n_terms + 1,)
        and data.shape == indices.shape
        and indptr[0] == 0
        and indptr[-1] == data.size
        and bool(np.all(np.diff(indptr) >= 0))
        and (indices.size == 0 or (int(indices.min()) >= 0 and int(indices.max()) < n_docs))
    )
    if not consistent:
        raise _corrupt(path, "inconsistent")
    return sp.csc_matrix((data, indices, indptr), shape=(n_docs, n_terms), copy=False)


def _bm25_weights(
    term_ids: np.ndarray, lengths: np.ndarray, n_terms: int, k1: float, b: float
) -> sp.csc_matrix:
    """Turn flat token ids into the (docs x terms) matrix of BM25 weights."""
    n_docs = lengths.size
    rows = np.repeat(np.arange(n_docs, dtype=np.int32), lengths)
    ones = np.ones(term_ids.size, dtype=np.float32)
    tf = sp.coo_matrix((ones, (rows, term_ids)), shape=(n_docs, n_terms)).tocsc()  # sums duplicates
    del rows, ones
    tf.sort_indices()
    df = np.diff(tf.indptr)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    avg = float(lengths.mean()) if n_docs else 1.0
    norm = (k1 * (1.0 - b + b * lengths / max(avg, 1e-9))).astype(np.float32)
    col_of = np.repeat(np.arange(n_terms, dtype=np.int32), df)
    freq = tf.data
    tf.data = (idf[col_of] * freq * np.float32(k1 + 1.0) / (freq + norm[tf.indices])).astype(np.float32)
    return tf


class BM25Store:
    """`LexicalStore` over a `BM25Index`: takes text, returns keys, filters by a row mask.

    The filter is applied to the score vector before the top-k partition (bm25s's
    `weight_mask`), so a filtered query costs the same as an unfiltered one and never
    returns fewer hits than exist.
    """

    def __init__(self, index: BM25Index, tokenizer: ChineseTokenizer, table: RowTable) -> None:
        self.index = index
        self.tokenizer = tokenizer
        self.table = table
        self._vocabulary = index.vocabulary

    @property
    def size(self) -> int:
        return self.index.size

    def describe(self) -> dict[str, Any]:
        return self.index.describe()

    def idf(self, token: str) -> float:
        return self.index.idf(token)

    def vocabulary(self) -> frozenset[str]:
        return self._vocabulary

    def search(self, text: str, k: int, *, where: Filter = NO_FILTER) -> Hits:
        ids, scores = self.index.search(self.tokenizer.tokenize(text), k, mask=self.table.mask(where))
        return Hits(self.table.keys[ids], scores.astype(np.float32))
