"""The same encoder under ONNX Runtime, for questions.

A question is ~20 tokens: PyTorch's eager per-operator overhead, not
arithmetic, dominates its ~35 ms. ONNX Runtime runs the identical graph and
weights in ~10 ms with the same vectors (cosine ≥ 0.9999 to
sentence-transformers, checked by the tests), which is what keeps a search
inside its latency budget on two cores. Passages are batched and
compute-bound, so they stay on sentence-transformers.

The ONNX file is exported from the local model (never downloaded) into the
cache, named by the model's checksum. Only models whose sentence-transformers
pipeline is Transformer → mean pooling → Normalize are eligible, since that is
what the pooling below reproduces; anything else keeps using PyTorch.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_log = logging.getLogger(__name__)


def onnx_file(model_dir: Path, checksum: str) -> Path:
    """Where the exported graph of a model lives (beside the model, outside its checksummed files)."""
    return model_dir.parent / f"{model_dir.name}.onnx" / f"{checksum[:16]}.onnx"


def is_mean_pooled(model_dir: Path) -> bool:
    """True when the model is Transformer → mean pooling → Normalize, which `encode` reproduces."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        types = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((model_dir / pooling_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, KeyError, StopIteration, ValueError):
        return False
    return types == ["Transformer", "Pooling", "Normalize"] and bool(pooling.get("pooling_mode_mean_tokens")) \
        and not any(v for k, v in pooling.items() if k.startswith("pooling_mode") and k != "pooling_mode_mean_tokens")


def export(model_dir: Path, target: Path) -> Path:
    """Export the model's transformer to ONNX (written to a temp name, then renamed into place)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a per-tensor loading bar is noise here
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class _LastHidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.tensor([[0, 10, 20, 2]], dtype=torch.long)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHidden(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )
    os.replace(tmp, target)
    return target


class OnnxQueryEncoder:
    """Mean-pooled, L2-normalised embeddings of prefixed texts through ONNX Runtime."""

    def __init__(self, model_dir: Path, graph: Path, prefix: str, max_length: int = 512) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.prefix = prefix
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        pad_id = self.tokenizer.token_to_id("<pad>")
        self.tokenizer.enable_padding(pad_id=1 if pad_id is None else pad_id)
        options = ort.SessionOptions()
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch([self.prefix + t for t in texts])
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                            "token_type_ids": np.zeros_like(ids)})
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def load_query_encoder(model_dir: Path, checksum: str, prefix: str, *, create: bool = True
                       ) -> OnnxQueryEncoder | None:
    """The fast question encoder of a model, exporting it once if needed; None when not eligible."""
    if not is_mean_pooled(model_dir) or not (model_dir / "tokenizer.json").exists():
        return None
    graph = onnx_file(model_dir, checksum)
    try:
        if not graph.exists():
            if not create:
                return None
            _log.info("exporting the question encoder to ONNX (once)")
            export(model_dir, graph)
        return OnnxQueryEncoder(model_dir, graph, prefix)
    except Exception as exc:  # any failure only costs speed: PyTorch still encodes questions
        _log.warning("fast question encoder unavailable (%s: %s); using PyTorch", type(exc).__name__, exc)
        return None
