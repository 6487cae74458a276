"""The model under ONNX Runtime, for questions and passages, without PyTorch in the process.

A question is ~20 tokens: PyTorch's eager per-operator overhead, not arithmetic,
dominates its ~35 ms, and ONNX Runtime runs the identical graph and weights in
~10 ms. Passages are compute-bound, yet ONNX Runtime still wins there: measured
on this project's 2-core machine over the bundled corpus's 651 build texts, 52-55
texts/s with the attention fused at export (`_fuse_attention`) against 37-44 for
sentence-transformers, batches sorted by token count and cut by a token budget (see
`plan_batches`): a from-scratch build of the corpus takes 13.2-13.8 s instead of
34 s, and never imports PyTorch. Both give the same vectors: cosine ≥
0.9999 to sentence-transformers, checked when a graph is exported and by the tests.
Dynamic int8 quantisation would double the speed again but only reaches a cosine
of ~0.98, so it is not used.

What is exported, once per model (into `<model>.onnx/` beside the model directory,
named by the model's checksum, never downloaded):

- the transformer from *input embeddings* to its last hidden state (~86 MB for
  e5-small). The word-embedding table (250k × 384 floats, 384 MB) stays out of the
  graph: ONNX Runtime would copy it into every process's heap, while a question
  uses ~20 of its rows. It is read through a memory map instead, straight from the
  model's own `model.safetensors` when that holds it as float32 (else from a copy
  written beside the graph). Loading takes ~0.3 s instead of ~1.2 s and keeps
  ~384 MB out of the server's resident memory;
- a small JSON file saying where the table is, written last: its presence means the
  export is complete and passed its self-check.

Exporting needs PyTorch. `reportqa setup-model` does it; a process that finds no
export runs it in a child process (`export_in_child`), so serving, `reportqa ask`
and `reportqa build` never import torch. Only models whose sentence-transformers
pipeline is Transformer → mean pooling → Normalize are eligible, since that is what
the pooling below reproduces; anything else keeps using PyTorch.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import struct
import subprocess
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reportqa.embedding.tokens import model_tokenizer, write_subset_files

_log = logging.getLogger(__name__)

# Bump when what `export` writes changes: an export of another format is ignored and replaced.
# (1: `<checksum16>.onnx` with the word table inside; 2: from input embeddings; 3: attention fused.)
EXPORT_FORMAT = 3
# The self-check an export must pass against PyTorch (the tests hold the runtime to the same bound).
MIN_COSINE = 0.9999
# Padded tokens per passage batch. Measured on 2 cores (651 texts): budgets of 512-2048 tokens
# are within noise of each other (10.1-12 s); batches of 32 texts whatever their length (up to
# 32 × 340 tokens) took 13.6-14.3 s: long sequences in big batches are what the budget prevents.
DEFAULT_BATCH_TOKENS = 2048
# Texts the self-check encodes: short and long, Chinese and English, so padding is exercised.
_CHECK_TEXTS = (
    "query: 2024年全市技术合同成交额是多少？",
    "passage: 上海科技进步报告2024｜综述\n2024年，全社会研发经费支出相当于全市生产总值的比例预计4.5%左右。"
    "全市技术合同成交额5200.73亿元，同比增长7.2%。",
    "query: How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?",
)
Say = Callable[[str], None]


# --------------------------------------------------------------------------- locations


def onnx_dir(model_dir: Path) -> Path:
    """Where a model's exports live: beside the model, outside its checksummed files."""
    return model_dir.parent / f"{model_dir.name}.onnx"


def onnx_file(model_dir: Path, checksum: str) -> Path:
    """The exported graph of a model (named by its checksum and the export format)."""
    return onnx_dir(model_dir) / f"{checksum[:16]}.v{EXPORT_FORMAT}.onnx"


def _descriptor_file(model_dir: Path, checksum: str) -> Path:
    return onnx_dir(model_dir) / f"{checksum[:16]}.v{EXPORT_FORMAT}.json"


def subset_files(model_dir: Path, checksum: str) -> tuple[Path, Path]:
    """The sorted vocabulary and vocabulary-less tokenizer JSON the export writes (see tokens.py)."""
    stem = f"{checksum[:16]}.v{EXPORT_FORMAT}"
    return onnx_dir(model_dir) / f"{stem}.vocab.npz", onnx_dir(model_dir) / f"{stem}.tokenizer.json"


def _words_copy(model_dir: Path, checksum: str) -> Path:
    return onnx_dir(model_dir) / f"{checksum[:16]}.v{EXPORT_FORMAT}.words.f32"


def is_mean_pooled(model_dir: Path) -> bool:
    """True when the model is Transformer → mean pooling → Normalize, which `OnnxEncoder` reproduces."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        types = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((model_dir / pooling_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, KeyError, StopIteration, ValueError):
        return False
    return types == ["Transformer", "Pooling", "Normalize"] and bool(pooling.get("pooling_mode_mean_tokens")) \
        and not any(v for k, v in pooling.items() if k.startswith("pooling_mode") and k != "pooling_mode_mean_tokens")


def cpu_threads() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- batching


def plan_batches(lengths: Sequence[int], *, max_texts: int, max_tokens: int) -> list[range]:
    """Cut texts sorted longest first into batches of at most `max_texts` texts and `max_tokens`
    padded tokens (a batch is as wide as its first, longest text; one text always fits).

    Short texts thus go in big batches and long ones in small: padding stays small and no batch
    holds thousands of tokens of long sequences, which is slower per token on a CPU.
    """
    if max_texts < 1 or max_tokens < 1:
        raise ValueError("batches need room for at least one text and one token")
    batches: list[range] = []
    start = 0
    while start < len(lengths):
        width = max(lengths[start], 1)
        size = max(1, min(max_texts, max_tokens // width, len(lengths) - start))
        batches.append(range(start, start + size))
        start += size
    return batches


# --------------------------------------------------------------------------- the encoder


@dataclass(frozen=True)
class Export:
    """A complete export: the graph, where the word-embedding table lies (file, byte offset, shape),
    and the files that load the tokenizer fast for a few texts (see tokens.py)."""

    graph: Path
    words: Path
    offset: int
    rows: int
    dim: int
    tokenizer_files: tuple[Path, Path] | None = None


def read_export(model_dir: Path, checksum: str) -> Export | None:
    """The model's export at the current format, if one is complete (its descriptor written)."""
    try:
        data = json.loads(_descriptor_file(model_dir, checksum).read_text(encoding="utf-8"))
        words = data["words"]
        base = model_dir if words["in"] == "model" else onnx_dir(model_dir)
        found = Export(onnx_dir(model_dir) / data["graph"], base / words["file"], int(words["offset"]),
                       int(words["rows"]), int(words["dim"]), subset_files(model_dir, checksum))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if data.get("format") != EXPORT_FORMAT or data.get("checksum") != checksum:
        return None
    if not found.graph.is_file() or not found.words.is_file():
        return None
    if found.words.stat().st_size < found.offset + found.rows * found.dim * 4:
        return None
    return found


class WordTable:
    """The word-embedding table on disk, read a row at a time.

    Not memory-mapped: a mapping's pages count in the process's resident memory, and the
    kernel maps 64 KB around each touched row, so embedding a corpus would add most of the
    384 MB table to a server's footprint. `pread` of the rows a batch uses (~1-3k of them, a
    few milliseconds against the batch's ~0.5 s) leaves them in the page cache instead.
    """

    def __init__(self, export: Export) -> None:
        self.rows, self.dim, self.offset = export.rows, export.dim, export.offset
        self._row_bytes = export.dim * 4
        self._fd = os.open(export.words, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """float32 (*ids.shape, dim): the rows of these token ids."""
        unique, inverse = np.unique(ids, return_inverse=True)
        if unique.size and (unique[0] < 0 or unique[-1] >= self.rows):
            raise ValueError(f"token id outside the word table (0..{self.rows - 1})")
        buffer = bytearray(unique.size * self._row_bytes)
        view = memoryview(buffer)
        for i, token in enumerate(unique.tolist()):
            start = i * self._row_bytes
            got = os.preadv(self._fd, [view[start:start + self._row_bytes]], self.offset + token * self._row_bytes)
            if got != self._row_bytes:
                raise OSError(f"short read from the word table at token {token}")
        table = np.frombuffer(buffer, dtype="<f4").reshape(unique.size, self.dim)
        return table[inverse.reshape(ids.shape)]

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.close(self._fd)


class OnnxEncoder:
    """Mean-pooled, L2-normalised embeddings of texts (prompt included) through ONNX Runtime."""

    def __init__(self, model_dir: Path, export: Export, *, max_length: int = 512, threads: int | None = None) -> None:
        import onnxruntime as ort

        # Parsed whole only for many texts at once (a build's passages); questions are tokenized
        # from a subset of the vocabulary (see tokens.py).
        self.tokens = model_tokenizer(model_dir, export.tokenizer_files)
        self.max_length = max_length
        self.dim = export.dim
        self._pad: int | None = None
        self.words = WordTable(export)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or cpu_threads()
        # No arena: it keeps a build's peak buffers for the process's lifetime (a server's memory).
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(export.graph), options, providers=["CPUExecutionProvider"])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids with the model's special tokens, cut to `max_length` as sentence-transformers cuts them."""
        out = []
        for text, tokens in zip(texts, self.tokens.encode(texts), strict=True):
            ids = tokens.ids
            if len(ids) > self.max_length:  # rare: truncate the text, then add the special tokens again
                full = self.tokens.full()
                plain = full.encode(text, add_special_tokens=False)
                plain.truncate(self.max_length - full.num_special_tokens_to_add(False))
                ids = full.post_process(plain).ids
            out.append(ids)
        return out

    @property
    def pad_id(self) -> int:
        if self._pad is None:
            pad = self.tokens.token_id("<pad>")
            self._pad = 1 if pad is None else pad  # masked out: any valid row will do
        return self._pad

    def run(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Vectors of token-id lists (one call, padded to the longest)."""
        width = max(len(row) for row in ids)
        padded = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for i, row in enumerate(ids):
            padded[i, : len(row)] = row
            mask[i, : len(row)] = 1
        (hidden,) = self.session.run(None, {"inputs_embeds": self.words.lookup(padded), "attention_mask": mask})
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode(self, texts: Sequence[str], prefix: str = "") -> np.ndarray:
        """Vectors of `prefix + text` for each text, in one call (questions: few and short)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.run(self.token_ids([prefix + t for t in texts]))

    def encode_batched(self, texts: Sequence[str], prefix: str = "", *, max_texts: int = 32,
                       max_tokens: int = DEFAULT_BATCH_TOKENS,
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors of many texts, in batches planned by token count; `progress(done)` after each batch."""
        ids = self.token_ids([prefix + t for t in texts])
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        done = 0
        for batch in plan_batches([len(ids[i]) for i in order], max_texts=max_texts, max_tokens=max_tokens):
            rows = [order[i] for i in batch]
            out[rows] = self.run([ids[i] for i in rows])
            done += len(rows)
            if progress:
                progress(done)
        return out


def load_encoder(model_dir: Path, checksum: str, *, create: bool = True) -> OnnxEncoder | None:
    """The model's ONNX encoder, exporting it once (in a child process) if needed; None when not eligible.

    Any failure only costs speed: the caller keeps using PyTorch.
    """
    if not is_mean_pooled(model_dir) or not (model_dir / "tokenizer.json").exists():
        return None
    try:
        found = read_export(model_dir, checksum)
        if found is None:
            if not create:
                return None
            _log.info("exporting the model to ONNX (once)")
            export_in_child(model_dir, checksum)
            found = read_export(model_dir, checksum)
            if found is None:
                raise RuntimeError("the export wrote no complete graph")
        return OnnxEncoder(model_dir, found)
    except Exception as exc:
        _log.warning("ONNX encoder unavailable (%s: %s); using PyTorch", type(exc).__name__, exc)
        return None


# --------------------------------------------------------------------------- exporting (needs torch)


def ensure_export(model_dir: Path, checksum: str, *, force: bool = False, say: Say | None = None) -> Export | None:
    """The model's export, made now if missing (or `force`d); None when the model is not eligible.

    For `reportqa setup-model`, which may load PyTorch: exporting there means that later
    processes find the graph ready and never import torch.
    """
    if not is_mean_pooled(model_dir) or not (model_dir / "tokenizer.json").exists():
        return None
    found = None if force else read_export(model_dir, checksum)
    return found or export(model_dir, checksum, say=say)


def export_in_child(model_dir: Path, checksum: str, timeout: float = 900) -> None:
    """`export` in a child process: the PyTorch it loads (~500 MB) leaves with it."""
    result = subprocess.run([sys.executable, "-m", "reportqa.embedding.onnx_encoder", str(model_dir), checksum],
                            capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the ONNX export failed: {last}")


def export(model_dir: Path, checksum: str, *, say: Say | None = None) -> Export:
    """Export the model (graph, word table, descriptor), check it against PyTorch, and remove stale exports.

    Each file is written under a temporary name and renamed into place, the descriptor last,
    so an interrupted export is simply redone.
    """
    say = say or _log.info
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a per-tensor loading bar is noise here
    say("loading the model into PyTorch…")
    try:  # eager attention exports as plain MatMul/Softmax, the pattern ONNX Runtime's fusion recognises
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()
    except (TypeError, ValueError):  # a model class without the choice
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    table = model.get_input_embeddings().weight.detach().cpu().numpy().astype(np.float32, copy=False)
    folder = onnx_dir(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    graph = onnx_file(model_dir, checksum)
    say(f"exporting the ONNX graph to {graph}…")
    _export_graph(torch, model, graph, table.shape[1])
    say("fusing the graph's attention layers…")
    if not _fuse_attention(graph, model.config):
        say("(attention not fused: the graph runs as exported, ~30% slower)")
    words = _words_in_safetensors(model_dir, table)
    if words is None:
        say("writing the word-embedding table beside the graph…")
        copy = _words_copy(model_dir, checksum)
        tmp = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")
        table.tofile(tmp)
        os.replace(tmp, copy)
        words = {"in": "export", "file": copy.name, "offset": 0}
    words |= {"rows": int(table.shape[0]), "dim": int(table.shape[1])}
    descriptor = {"format": EXPORT_FORMAT, "checksum": checksum, "graph": graph.name, "words": words}
    say("writing the tokenizer's sorted vocabulary…")
    write_subset_files(model_dir / "tokenizer.json", *subset_files(model_dir, checksum))
    found = Export(graph, (model_dir if words["in"] == "model" else folder) / str(words["file"]),
                   int(words["offset"]), table.shape[0], table.shape[1], subset_files(model_dir, checksum))
    say("checking the ONNX vectors against PyTorch…")
    cosine = _self_check(torch, model, model_dir, found)
    if cosine < MIN_COSINE:
        raise RuntimeError(f"the exported graph disagrees with PyTorch (cosine {cosine:.6f} < {MIN_COSINE})")
    descriptor["min_cosine"] = round(cosine, 7)
    target = _descriptor_file(model_dir, checksum)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    _remove_stale(folder, keep=f"{checksum[:16]}.v{EXPORT_FORMAT}.")
    return found


def _export_graph(torch: Any, model: Any, target: Path, hidden: int) -> None:
    class _FromEmbeddings(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
            return self.inner(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    embeds = torch.zeros((1, 4, hidden), dtype=torch.float32)
    mask = torch.ones((1, 4), dtype=torch.long)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            # In eval mode: the exporter restores the wrapper's mode afterwards, and a new module
            # is in training mode, which would leave the model's dropout on for the self-check.
            _FromEmbeddings(model).eval(), (embeds, mask), str(tmp),
            input_names=["inputs_embeds", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )
    os.replace(tmp, target)


def _fuse_attention(graph: Path, config: Any) -> bool:
    """Rewrite the graph with ONNX Runtime's transformer fusions (one Attention op per layer, bias-GELU,
    skip-LayerNorm); False, leaving the graph as it was, when they do not apply.

    Measured on this project's 2-core machine over the bundled corpus's 651 build texts: ~20-25 s
    of CPU instead of ~28-31 s (best wall 10.1 s against 13.1 s), same vectors (cosine 0.9999999 to
    the unfused graph; the export's self-check holds it to `MIN_COSINE` against PyTorch).
    """
    heads, hidden = getattr(config, "num_attention_heads", None), getattr(config, "hidden_size", None)
    if not heads or not hidden:
        return False
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
            optimized = optimize_model(str(graph), model_type="bert", num_heads=int(heads), hidden_size=int(hidden),
                                       opt_level=0)
            if not optimized.get_fused_operator_statistics().get("Attention"):
                return False
            tmp = graph.with_name(f".{graph.name}.{os.getpid()}.fused.tmp")
            optimized.save_model_to_file(str(tmp))
        os.replace(tmp, graph)
    except Exception as exc:  # only costs speed
        _log.warning("attention fusion failed (%s: %s)", type(exc).__name__, exc)
        return False
    return True


def _words_in_safetensors(model_dir: Path, table: np.ndarray) -> dict[str, Any] | None:
    """Where `model.safetensors` holds the word table as float32, so it is mapped rather than copied."""
    path = model_dir / "model.safetensors"
    try:
        with path.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(size))
    except (OSError, ValueError, struct.error):
        return None
    for name, info in header.items():
        if name == "__metadata__" or not isinstance(info, dict):
            continue
        if info.get("dtype") != "F32" or tuple(info.get("shape", ())) != table.shape:
            continue
        offset = 8 + size + int(info["data_offsets"][0])
        mapped = np.memmap(path, dtype="<f4", mode="r", offset=offset, shape=table.shape)
        if np.array_equal(mapped, table):
            return {"in": "model", "file": path.name, "offset": offset}
    return None


def _self_check(torch: Any, model: Any, model_dir: Path, found: Export) -> float:
    """The lowest cosine between this encoder's vectors and PyTorch's, on a padded batch of texts."""
    encoder = OnnxEncoder(model_dir, found)
    model.eval()
    ids = encoder.token_ids(_CHECK_TEXTS)
    ours = encoder.run(ids)
    width = max(map(len, ids))
    input_ids = torch.tensor([row + [encoder.pad_id] * (width - len(row)) for row in ids])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
    with torch.no_grad():
        hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
    weights = mask[..., None].float()
    pooled = ((hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)).numpy()
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    return float(np.min(np.sum(ours * pooled, axis=1)))


def _remove_stale(folder: Path, keep: str) -> None:
    """Exports of other checksums or formats (the first format embedded the 384 MB table in its graph)."""
    for path in folder.iterdir():
        if path.is_file() and not path.name.startswith(keep) and not path.name.startswith("."):
            with contextlib.suppress(OSError):
                path.unlink()


def main(argv: Sequence[str]) -> int:
    """`python -m reportqa.embedding.onnx_encoder MODEL_DIR CHECKSUM`: what `export_in_child` runs."""
    if len(argv) != 2:
        print("usage: python -m reportqa.embedding.onnx_encoder MODEL_DIR CHECKSUM", file=sys.stderr)
        return 2
    try:
        export(Path(argv[0]), argv[1], say=lambda _msg: None)
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
