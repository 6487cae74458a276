"""Passage embeddings remembered across builds, per model.

Keyed by the hash of the exact text the encoder saw, so a changed chunk is
re-embedded and an unchanged one never is, whatever its id or position.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    """An append-only store of (text hash → vector) for one model checksum."""

    def __init__(self, root: Path, model_checksum: str, dim: int) -> None:
        self.dir = root / model_checksum[:16]
        self.dim = dim
        self._keys: dict[str, int] = {}
        self._vectors = np.zeros((0, dim), dtype=np.float32)
        self._dirty = False
        self._load()

    def _load(self) -> None:
        keys_path, vec_path = self.dir / "keys.json", self.dir / "vectors.npy"
        try:
            keys = json.loads(keys_path.read_text(encoding="utf-8"))
            vectors = np.load(vec_path, allow_pickle=False)
        except (FileNotFoundError, ValueError, OSError, json.JSONDecodeError):
            return  # no cache, or a damaged one: start empty, it only costs time
        if vectors.ndim != 2 or vectors.shape != (len(keys), self.dim):
            return
        self._keys = {k: i for i, k in enumerate(keys)}
        self._vectors = vectors.astype(np.float32, copy=False)

    def __len__(self) -> int:
        return len(self._keys)

    def has(self, text: str) -> bool:
        return text_key(text) in self._keys

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        new = [(text_key(t), v) for t, v in zip(texts, vectors, strict=True) if text_key(t) not in self._keys]
        if not new:
            return
        base = len(self._keys)
        for i, (key, _) in enumerate(new):
            self._keys[key] = base + i
        self._vectors = np.vstack([self._vectors, np.stack([v for _, v in new]).astype(np.float32)])
        self._dirty = True

    def get_many(self, texts: Sequence[str]) -> np.ndarray:
        rows = [self._keys[text_key(t)] for t in texts]
        return np.ascontiguousarray(self._vectors[rows], dtype=np.float32)

    def save(self) -> None:
        """Write atomically: a build killed mid-save leaves the previous cache intact."""
        if not self._dirty:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp_vec = self.dir / f".vectors.{os.getpid()}.npy"
        tmp_keys = self.dir / f".keys.{os.getpid()}.json"
        np.save(tmp_vec, self._vectors, allow_pickle=False)
        tmp_keys.write_text(json.dumps(list(self._keys), separators=(",", ":")), encoding="utf-8")
        os.replace(tmp_vec, self.dir / "vectors.npy")
        os.replace(tmp_keys, self.dir / "keys.json")
        self._dirty = False
