"""The dense leg: exact and approximate inner-product search, persisted safely."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from reportqa.errors import IndexCorruptError, InvalidQueryError
from reportqa.index.faiss_store import VectorIndex

DIM = 32


def unit_vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def clustered_unit_vectors(n: int, seed: int = 0, dim: int = DIM, clusters: int = 50) -> np.ndarray:
    """Points around cluster centres, like real embeddings (uniform noise has no neighbours to find)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    x = centres[rng.integers(clusters, size=n)] + 0.5 * rng.standard_normal((n, dim))
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def small_vectors() -> np.ndarray:
    return unit_vectors(500)


def test_exact_index_returns_the_true_nearest_neighbour(small_vectors: np.ndarray) -> None:
    index = VectorIndex.build(small_vectors)
    query = small_vectors[123] + 0.01 * unit_vectors(1, seed=9)[0]
    expected = int(np.argmax(small_vectors @ query))
    _, ids = index.search(query, 1)
    assert ids[0, 0] == expected == 123


def test_scores_are_inner_products_best_first(small_vectors: np.ndarray) -> None:
    index = VectorIndex.build(small_vectors)
    scores, ids = index.search(small_vectors[:2], 5)
    np.testing.assert_allclose(scores[0], small_vectors[ids[0]] @ small_vectors[0], rtol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_search_pads_with_minus_one_when_fewer_than_k(small_vectors: np.ndarray) -> None:
    index = VectorIndex.build(small_vectors[:3])
    scores, ids = index.search(small_vectors[0], 5)
    assert ids[0, 3:].tolist() == [-1, -1]
    assert np.all(np.isneginf(scores[0, 3:]))


def test_automatic_kind_is_exact_below_threshold(small_vectors: np.ndarray) -> None:
    assert VectorIndex.build(small_vectors, ann_threshold=1000).kind == "flat"


def test_automatic_kind_switches_to_ann_at_threshold(small_vectors: np.ndarray) -> None:
    index = VectorIndex.build(small_vectors, ann_threshold=500)
    assert index.kind in {"hnsw", "ivf"}
    assert index.describe()["params"]


def test_describe_reports_kind_params_and_shape(small_vectors: np.ndarray) -> None:
    info = VectorIndex.build(small_vectors, kind="hnsw").describe()
    assert info["kind"] == "hnsw"
    assert set(info["params"]) == {"M", "efConstruction", "efSearch"}
    assert (info["size"], info["dim"]) == (500, DIM)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_ann_recall_at_10_is_at_least_095(kind: str) -> None:
    points = clustered_unit_vectors(20_100)
    base, queries = points[:20_000], points[20_000:]
    _, truth = faiss.knn(queries, base, 10, faiss.METRIC_INNER_PRODUCT)
    index = VectorIndex.build(base, ann_threshold=1000, kind=kind)
    _, found = index.search(queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.95


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_save_then_load_gives_identical_results(tmp_path: Path, small_vectors: np.ndarray, kind: str) -> None:
    index = VectorIndex.build(small_vectors, kind=kind)
    path = tmp_path / "vectors.faiss"
    index.save(path)
    loaded = VectorIndex.load(path)
    assert loaded.describe() == index.describe()
    for got, want in zip(
        loaded.search(small_vectors[:10], 5), index.search(small_vectors[:10], 5), strict=True
    ):
        np.testing.assert_array_equal(got, want)


def test_load_of_truncated_file_raises_index_corrupt(tmp_path: Path, small_vectors: np.ndarray) -> None:
    path = tmp_path / "vectors.faiss"
    VectorIndex.build(small_vectors).save(path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(IndexCorruptError, match=r"vectors\.faiss.*reportqa build"):
        VectorIndex.load(path)


def test_load_of_bit_flipped_file_raises_index_corrupt(tmp_path: Path, small_vectors: np.ndarray) -> None:
    path = tmp_path / "vectors.faiss"
    VectorIndex.build(small_vectors).save(path)
    raw = bytearray(path.read_bytes())
    raw[40] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(IndexCorruptError, match="checksum"):
        VectorIndex.load(path)


def test_load_of_missing_file_raises_index_corrupt(tmp_path: Path) -> None:
    with pytest.raises(IndexCorruptError, match=r"absent\.faiss.*reportqa build"):
        VectorIndex.load(tmp_path / "absent.faiss")


def test_load_of_empty_file_raises_index_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "vectors.faiss"
    path.write_bytes(b"")
    with pytest.raises(IndexCorruptError):
        VectorIndex.load(path)


def test_query_of_wrong_dimension_is_rejected(small_vectors: np.ndarray) -> None:
    index = VectorIndex.build(small_vectors)
    with pytest.raises(InvalidQueryError):
        index.search(np.ones(DIM + 1, dtype=np.float32), 3)


def test_unknown_kind_is_rejected(small_vectors: np.ndarray) -> None:
    with pytest.raises(ValueError, match="unknown vector index kind"):
        VectorIndex.build(small_vectors, kind="lsh")


def test_tune_changes_ivf_nprobe_and_describe_reports_it(small_vectors: np.ndarray) -> None:
    index = VectorIndex.build(small_vectors, kind="ivf")
    index.tune(nprobe=3)
    assert index.describe()["params"]["nprobe"] == 3
