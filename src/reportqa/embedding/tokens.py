"""The model's tokenizer, shared in a process, and parsed whole only when that pays.

Parsing e5's `tokenizer.json` (250k Unigram pieces) takes ~0.85 s and holds the GIL
most of that time: in a one-shot `reportqa ask` it was the largest cost after
Python's start. A Unigram tokenizer can only use pieces that occur in the
(normalised) text, so for a few short texts a tokenizer built from just those
pieces gives exactly the full one's tokens (`SubsetTokenizer`; the tests compare
the two over every corpus sentence); its first call costs ~0.06 s against 0.85-1.8 s
for parsing the full tokenizer. Measured on this project's 2-core machine, `reportqa
ask "2024年全市技术合同成交额是多少？"` takes 1.24-1.47 s with it and 1.81-2.07 s
without, against a 2 s budget. A server, and anything that tokenizes many
texts, loads the full tokenizer once (`ModelTokenizer.full`), after which the
subset path is never used again and its vocabulary is dropped.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# Calls of up to this many characters go through the subset tokenizer while the full one is not loaded
# (questions; a whole corpus at once loads the full one), as long as it holds at most SUBSET_MAX_PIECES.
SUBSET_MAX_CHARS = 4096
SUBSET_MAX_PIECES = 30_000


@dataclass(frozen=True)
class Tokens:
    """A text's token ids and each token's (start, end) character offsets in the text."""

    ids: list[int]
    offsets: list[tuple[int, int]]


class Vocabulary:
    """A Unigram vocabulary as sorted arrays: pieces found by binary search, loaded in milliseconds.

    (A dict of e5's 250k pieces takes ~0.1 s of Python to build; these arrays load from disk as they are.)
    """

    def __init__(self, pieces: np.ndarray, ids: np.ndarray, scores: np.ndarray) -> None:
        self.pieces = pieces  # sorted
        self.ids = ids  # the id of each sorted piece
        self.scores = scores  # by id
        self._rank = np.empty_like(ids)
        self._rank[ids] = np.arange(len(ids), dtype=ids.dtype)

    @classmethod
    def from_pairs(cls, vocab: Sequence[Sequence[Any]]) -> Vocabulary:
        pieces = np.array([str(piece) for piece, _ in vocab])
        order = np.argsort(pieces, kind="stable").astype(np.int32)
        return cls(pieces[order], order, np.array([float(score) for _, score in vocab], dtype=np.float64))

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["pieces"], data["ids"], data["scores"])

    def save(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, pieces=self.pieces, ids=self.ids, scores=self.scores)
        os.replace(tmp, path)

    @property
    def longest(self) -> int:
        """The longest piece, in characters."""
        return int(np.char.str_len(self.pieces).max())

    @property
    def lowest(self) -> int:
        """The id of the lowest-scoring piece."""
        return int(np.argmin(self.scores))

    def find(self, strings: Sequence[str]) -> list[int]:
        """The ids of those strings that are pieces."""
        if not strings:
            return []
        wanted = np.array(list(strings))
        at = np.minimum(np.searchsorted(self.pieces, wanted), len(self.pieces) - 1)
        return self.ids[at[self.pieces[at] == wanted]].tolist()

    def pair(self, token_id: int) -> list[Any]:
        """[piece, score], as tokenizer.json lists it."""
        return [str(self.pieces[self._rank[token_id]]), float(self.scores[token_id])]


class SubsetTokenizer:
    """A Unigram `tokenizer.json`'s tokens, from a tokenizer of only the pieces the texts seen so far contain.

    Exact, not approximate: the pieces kept include every vocabulary piece occurring in the
    normalised text (so the Viterbi lattice is the same), plus the special tokens and the
    lowest-scoring piece (the unknown-token penalty is derived from the lowest score). Ids are
    mapped back to the full vocabulary's. The kept pieces only grow: the small tokenizer is
    rebuilt (~1 ms) when a text brings pieces it lacks, so a server's questions soon pay only
    for finding their pieces (~0.3 ms). The tests compare it with the full tokenizer over the
    whole corpus. `data` is the tokenizer's JSON; its model's vocabulary is not read (it is
    `vocabulary`).
    """

    def __init__(self, data: dict[str, Any], vocabulary: Vocabulary) -> None:

        model = data["model"]
        self._data = data
        self._vocabulary = vocabulary
        self._longest = vocabulary.longest
        specials = {int(t["id"]) for t in data.get("added_tokens") or []}
        for token in ((data.get("post_processor") or {}).get("special_tokens") or {}).values():
            specials.update(int(i) for i in token["ids"])
        self._kept = frozenset(specials | {int(model["unk_id"]), vocabulary.lowest})
        self._added = [str(t["content"]) for t in data.get("added_tokens") or []]
        self._lock = threading.Lock()
        self._small = self._build(self._kept)  # (tokenizer, local → global id), replaced whole when it grows
        # Normalises and pre-tokenizes exactly as the full tokenizer does, to find the pieces a text can use.
        self._skeleton: Tokenizer = self._small[0]

    @property
    def size(self) -> int:
        """How many vocabulary pieces the small tokenizer holds."""
        return len(self._kept)

    @staticmethod
    def supports(data: dict[str, Any]) -> bool:
        """Unigram with a template post-processor (or none), the shapes `_with_vocab` knows how to remap."""
        model, post = data.get("model") or {}, data.get("post_processor")
        return model.get("type") == "Unigram" and not model.get("byte_fallback") and model.get("unk_id") is not None \
            and (post is None or post.get("type") == "TemplateProcessing")

    def can_encode(self, text: str) -> bool:
        """False for a text holding a special token's text (`<s>`): those split it in ways this does not follow."""
        return not any(token in text for token in self._added)

    def pieces_of(self, texts: Sequence[str]) -> set[int]:
        """The ids of every vocabulary piece occurring in the texts (normalised and pre-tokenized)."""
        candidates: set[str] = set()
        for text in texts:
            normalized = self._skeleton.normalizer.normalize_str(text) if self._skeleton.normalizer else text
            words = self._skeleton.pre_tokenizer.pre_tokenize_str(normalized) if self._skeleton.pre_tokenizer \
                else [(normalized, (0, len(normalized)))]
            for word, _ in words:
                for start in range(len(word)):
                    candidates.update(word[start:end] for end in range(start + 1,
                                                                       min(len(word), start + self._longest) + 1))
        return set(self._vocabulary.find(sorted(candidates)))

    def encode(self, texts: Sequence[str], *, add_special_tokens: bool) -> list[Tokens]:
        needed = self.pieces_of(texts)
        small, local_to_global = self._small
        if not needed <= self._kept:
            with self._lock:
                if not needed <= self._kept:
                    self._kept = self._kept | needed
                    self._small = self._build(self._kept)
                small, local_to_global = self._small
        return [Tokens([local_to_global[i] for i in e.ids], list(e.offsets))
                for e in small.encode_batch(list(texts), add_special_tokens=add_special_tokens)]

    def _build(self, kept: frozenset[int]) -> tuple[Tokenizer, list[int]]:
        from tokenizers import Tokenizer

        data, local_to_global = self._with_vocab(sorted(kept))
        return Tokenizer.from_str(json.dumps(data)), local_to_global

    def token_id(self, token: str) -> int | None:
        """As `Tokenizer.token_to_id`: an added token first, then a vocabulary piece."""
        added = next((int(t["id"]) for t in self._data.get("added_tokens") or [] if t.get("content") == token), None)
        return added if added is not None else next(iter(self._vocabulary.find([token])), None)

    def _with_vocab(self, global_ids: list[int]) -> tuple[dict[str, Any], list[int]]:
        """The tokenizer's JSON with only these vocabulary entries, every id renumbered; and local → global."""
        local = {g: i for i, g in enumerate(global_ids)}
        data = dict(self._data)
        data["truncation"] = data["padding"] = None
        data["model"] = dict(self._data["model"], vocab=[self._vocabulary.pair(g) for g in global_ids],
                             unk_id=local[int(self._data["model"]["unk_id"])])
        data["added_tokens"] = [dict(t, id=local[int(t["id"])]) for t in self._data.get("added_tokens") or []]
        post = self._data.get("post_processor")
        if post is not None:
            data["post_processor"] = dict(post, special_tokens={
                name: dict(token, ids=[local[int(i)] for i in token["ids"]])
                for name, token in (post.get("special_tokens") or {}).items()})
        return data, global_ids


def write_subset_files(tokenizer_json: Path, vocabulary: Path, skeleton: Path) -> bool:
    """The sorted vocabulary and the vocabulary-less JSON that load `SubsetTokenizer` fast; False if unsupported.

    Written by the ONNX export (beside the graph, named by the model's checksum).
    """
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    if not SubsetTokenizer.supports(data):
        return False
    pairs = data["model"]["vocab"]
    if any("\0" in piece for piece, _ in pairs):  # numpy's fixed-width strings drop trailing NULs
        return False
    Vocabulary.from_pairs(pairs).save(vocabulary)
    data["model"] = dict(data["model"], vocab=[])
    tmp = skeleton.with_name(f".{skeleton.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, skeleton)
    return True


class ModelTokenizer:
    """One model's tokenizer for the whole process: the question counter and the encoder share it.

    `subset_files` (vocabulary, skeleton), when the export wrote them, make the subset path fast.
    """

    def __init__(self, model_dir: Path, subset_files: tuple[Path, Path] | None = None) -> None:
        self.path = model_dir / "tokenizer.json"
        self.subset_files = subset_files
        self._lock = threading.Lock()
        self._full: Tokenizer | None = None
        self._subset: SubsetTokenizer | None = None
        self._subset_tried = False

    @property
    def loaded(self) -> bool:
        """Whether the full tokenizer is in memory (then every text goes through it)."""
        return self._full is not None

    def full(self) -> Tokenizer:
        """The whole tokenizer, without padding or truncation (callers must not change its settings)."""
        with self._lock:
            if self._full is None:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.path))
                tokenizer.no_truncation()
                tokenizer.no_padding()
                self._full = tokenizer
            return self._full

    def drop_full(self) -> bool:
        """Forget the full tokenizer (~240 MB for e5) when the subset one can serve questions; True if dropped.

        A server loads the full one to tokenize a rebuild's passages; afterwards questions are
        served as well without it.
        """
        with self._lock:
            if self._full is None:
                return False
        if self._subset_tokenizer() is None:
            return False
        with self._lock:
            self._full = None
        return True

    def encode(self, texts: Sequence[str], *, add_special_tokens: bool = True) -> list[Tokens]:
        """Tokens of each text, through the subset tokenizer while that is cheaper, else the full one."""
        texts = list(texts)
        if self._full is None and sum(map(len, texts)) <= SUBSET_MAX_CHARS:
            subset = self._subset_tokenizer()
            if subset is not None and subset.size <= SUBSET_MAX_PIECES and all(map(subset.can_encode, texts)):
                return subset.encode(texts, add_special_tokens=add_special_tokens)
        return [Tokens(list(e.ids), list(e.offsets))
                for e in self.full().encode_batch(texts, add_special_tokens=add_special_tokens)]

    def token_id(self, token: str) -> int | None:
        """The id of a token (`<pad>`), without parsing the whole tokenizer while the subset one serves."""
        subset = self._subset_tokenizer() if self._full is None else None
        if subset is not None:
            return subset.token_id(token)
        result = self.full().token_to_id(token)
        return None if result is None else int(result)

    def _subset_tokenizer(self) -> SubsetTokenizer | None:
        with self._lock:
            if not self._subset_tried:
                self._subset_tried = True
                self._subset = self._read_subset()
            return self._subset

    def _read_subset(self) -> SubsetTokenizer | None:
        """From the export's files when they are there, else from tokenizer.json; None if unsupported."""
        try:
            if self.subset_files is not None and all(p.is_file() for p in self.subset_files):
                vocabulary, skeleton = self.subset_files
                data = json.loads(skeleton.read_text(encoding="utf-8"))
                if SubsetTokenizer.supports(data):
                    return SubsetTokenizer(data, Vocabulary.load(vocabulary))
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if SubsetTokenizer.supports(data):
                return SubsetTokenizer(data, Vocabulary.from_pairs(data["model"]["vocab"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # only costs time: the full tokenizer is loaded instead
        return None


_SHARED: dict[Path, ModelTokenizer] = {}
_SHARED_LOCK = threading.Lock()


def model_tokenizer(model_dir: Path, subset_files: tuple[Path, Path] | None = None) -> ModelTokenizer:
    """The process's one `ModelTokenizer` of a model directory (the first caller's `subset_files` count)."""
    key = Path(model_dir).resolve()
    with _SHARED_LOCK:
        return _SHARED.setdefault(key, ModelTokenizer(key, subset_files))
