"""Embed concurrent questions together, without letting long questions slow short ones down.

The encoder runs one call at a time (parallel calls only fight over the same
cores), so under concurrent load each request would wait for all the others'
single-question calls. Questions that arrive while a call runs are instead
encoded together in the next call. A lone question goes straight through, so
this adds no latency when the server is idle.

Batching has a catch an attacker can use: a batch is padded to its longest
member, and attention cost grows faster than linearly with length. Measured on
two cores with e5-small under ONNX Runtime, one 20-token question takes ~10 ms,
one of ~300 tokens ~370 ms, and eight short questions batched with two long ones
~1.5 s, so two clients sending maximum-length questions cut everyone else's
throughput by ~80%. Three rules keep the cost of a long question on its sender:

- a question is cut to `max_tokens` encoder tokens before embedding (the lexical
  leg and the answer step still see all of it); 128 tokens is ~150 Chinese
  characters, longer than any real question, and costs ~35 ms;
- questions longer than `long_tokens` are never batched with shorter ones: each
  is encoded on its own, so no short question is padded to a long one;
- while short questions wait, long ones get at most `long_share` of the
  encoder's recent time; when no short question waits they run at once, so the
  scheduler never idles and never starves anyone.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reportqa.embedding.base import Embedder
from reportqa.embedding.onnx_encoder import subset_files
from reportqa.embedding.tokens import model_tokenizer
from reportqa.settings import ServeSettings

_log = logging.getLogger(__name__)

# How fast the encoder-time accounts forget: a half-life of about one second.
_DECAY_PER_S = 0.5


@dataclass
class _Item:
    text: str
    tokens: int
    future: Future[np.ndarray] = field(default_factory=Future)


class TokenCounter:
    """The encoder's own token count of a text, and the text cut to a number of tokens.

    It uses the model's tokenizer (`tokens.model_tokenizer`: the one the encoder uses, shared
    in the process), found through the embedder's `path`, from the first question on, so that
    building a service does not wait for it; an embedder without one (a test's fake) is
    measured in characters, an upper bound of the tokens for e5's tokenizer.
    """

    def __init__(self, embedder: Embedder) -> None:
        path, checksum = getattr(embedder, "path", None), getattr(embedder, "checksum", "")
        self._tokens = model_tokenizer(path, subset_files(path, checksum)) \
            if isinstance(path, Path) and (path / "tokenizer.json").is_file() else None

    def fit(self, text: str, max_tokens: int) -> tuple[str, int]:
        """(the text cut to at most `max_tokens` tokens, its token count)."""
        if self._tokens is not None:
            try:
                tokens = self._tokens.encode([text], add_special_tokens=False)[0]
            except Exception as exc:  # only costs precision: characters bound the tokens from above
                _log.warning("question tokenizer unavailable (%s); counting characters", type(exc).__name__)
                self._tokens = None
            else:
                if len(tokens.ids) <= max_tokens:
                    return text, len(tokens.ids)
                return text[: tokens.offsets[max_tokens - 1][1]], max_tokens
        return text[:max_tokens], min(len(text), max_tokens)


class QueryBatcher:
    """Thread-safe `embed(text)`: short questions batched together, long ones apart and rationed."""

    def __init__(self, embedder: Embedder, settings: ServeSettings | None = None, *,
                 counter: TokenCounter | None = None, clock: Callable[[], float] = time.perf_counter) -> None:
        settings = settings or ServeSettings()
        self.embedder = embedder
        self.max_batch = settings.max_batch
        self.max_tokens = settings.max_query_tokens
        self.long_tokens = settings.long_query_tokens
        self.long_share = settings.long_query_share
        self.counter = counter or TokenCounter(embedder)
        self._clock = clock
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._short: collections.deque[_Item] = collections.deque()
        self._long: collections.deque[_Item] = collections.deque()
        # Recent encoder seconds spent on each kind, decayed over time (see `_charge`).
        self._spent = {"short": 0.0, "long": 0.0}
        self._charged_at = clock()
        self._thread = threading.Thread(target=self._run, name="query-batcher", daemon=True)
        self._thread.start()

    def embed(self, text: str) -> np.ndarray:
        """The question's vector (of its first `max_tokens` tokens); blocks until encoded."""
        fitted, tokens = self.counter.fit(text, self.max_tokens)
        item = _Item(fitted, tokens)
        self._queue.put(item)
        return item.future.result()

    def _run(self) -> None:
        while True:
            if not self._short and not self._long:
                self._sort(self._queue.get())
            while True:  # everything that is waiting now
                try:
                    self._sort(self._queue.get_nowait())
                except queue.Empty:
                    break
            if self._long and (not self._short or self._long_may_run()):
                self._encode([self._long.popleft()], "long")
            else:
                batch = [self._short.popleft() for _ in range(min(self.max_batch, len(self._short)))]
                self._encode(batch, "short")

    def _sort(self, item: _Item) -> None:
        (self._long if item.tokens > self.long_tokens else self._short).append(item)

    def _long_may_run(self) -> bool:
        """With short questions waiting, a long one runs only while long ones used ≤ long_share of the time."""
        self._charge("long", 0.0)
        total = self._spent["short"] + self._spent["long"]
        return total == 0 or self._spent["long"] <= self.long_share * total

    def _charge(self, kind: str, seconds: float) -> None:
        now = self._clock()
        decay = _DECAY_PER_S ** max(0.0, now - self._charged_at)
        self._charged_at = now
        for key in self._spent:
            self._spent[key] *= decay
        self._spent[kind] += seconds

    def _encode(self, batch: list[_Item], kind: str) -> None:
        started = self._clock()
        try:
            vectors = self.embedder.embed_queries([item.text for item in batch])
        except Exception as exc:  # hand the failure to every waiting request
            for item in batch:
                item.future.set_exception(exc)
            return
        finally:
            self._charge(kind, self._clock() - started)
        for item, vector in zip(batch, vectors, strict=True):
            item.future.set_result(vector)
