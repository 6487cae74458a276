"""The storage contract: what every index backend must do, run against each backend in turn.

Ranking and answers speak to an index only through the protocols of reportqa.index.base, so
every backend must give the same answers to the same questions: `Hits` of int64 chunk keys
(never row numbers) and float32 scores, best first; filters by report and year applied inside
the store (every hit admitted, none lost); lexical search that takes text; sentences that
slice their chunk; chunks by key in corpus order; and a catalog whose versions serve only
once published, switch in one step, and refuse an index built with another model.

The backends are listed once, in BACKENDS, by the name `reportqa.index.factory` knows them
by; adding one (Milvus, say) is one more entry there, with the options its catalog needs and
a skip mark for machines without its server. The index is built by hand from 16 chunks of
three documents, with the fake embedder's vectors, so nothing here depends on the chunker.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportqa.errors import IndexNotFoundError, ReportQAError, StaleIndexError
from reportqa.index.base import (
    Catalog,
    ChunkStore,
    Filter,
    Hits,
    IndexContents,
    LexicalStore,
    SearchIndex,
    SentenceStore,
    VectorStore,
    chunk_key,
)
from reportqa.index.factory import BACKENDS as REGISTERED
from reportqa.index.factory import open_catalog
from reportqa.index.local import DocumentRecord, LocalCatalog
from reportqa.index.tokenizer import extract_user_terms
from reportqa.ingest.chunking import CHUNKER_VERSION
from reportqa.models import Chunk, Span
from reportqa.text.sentences import sentence_spans
from tests.fakes import FakeEmbedder


@dataclass(frozen=True)
class Backend:
    """One index backend under contract: its factory name and the options its catalog takes."""

    name: str
    options: Callable[[Path], dict[str, Any]] = field(default=lambda root: {})

    def catalog(self, root: Path) -> Catalog:
        """A fresh, empty catalog of this backend (`root` is unique to the caller)."""
        return open_catalog(root, self.name, **self.options(root))


def milvus_options(uri: str) -> Callable[[Path], dict[str, Any]]:
    """A Milvus catalog per root: the session's server, a collection prefix unique to the root."""
    return lambda root: {"uri": uri, "collection": "c" + hashlib.sha1(str(root).encode()).hexdigest()[:12]}


BACKENDS = [
    pytest.param(Backend("faiss"), id="faiss"),
    # Milvus Lite's gRPC server in its own process (the `milvus_server` fixture), reached over the network
    # exactly as a cluster is; its URI is bound in the `backend` fixture.
    pytest.param(Backend("milvus"), id="milvus", marks=pytest.mark.slow),
]

# --- the hand-made index: three documents, sixteen chunks ----------------------------------------------

DOCS = {
    "a2023": ("上海科技进步报告2023", 2023),
    "b2024": ("上海科技进步报告2024", 2024),
    "c2024": ("关于市人大代表建议的答复", 2024),
}
# (document, section, text): every text says 上海 (the common token), one says 模速空间 (a rare one).
SPECS: list[tuple[str, str, str]] = [
    ("a2023", "一、创新投入",
     "2023年，上海全社会研发经费支出相当于全市生产总值的比例达4.4%左右。全市技术合同成交额4850.21亿元。"),
    ("a2023", "一、创新投入", "上海有效期内高新技术企业数量达到2.4万家。新认定高新技术企业8000家。"),
    ("a2023", "二、原始创新",
     "上海科学家在《科学》《自然》《细胞》上发表论文120篇。全市共启动实施市级科技重大专项25项。"),
    ("a2023", "三、成果转化", "上海技术交易所全年成交项目1500项。全市共建设概念验证中心26家。"),
    ("a2023", "松江区", "上海松江区G60科创走廊新增科创板上市企业12家。松江区全年新增发明专利授权3000件。"),
    ("a2023", "闵行区", "上海闵行区“大零号湾”新增硬科技企业200余家。集聚创新创业人才超过1万人。"),
    ("b2024", "一、创新投入",
     "2024年，上海全社会研发经费支出相当于全市生产总值的比例预计4.5%左右。全市技术合同成交额5200.73亿元。"),
    ("b2024", "一、创新投入", "上海有效期内高新技术企业数量达到2.5万家。全年入库科技型中小企业17244家。"),
    ("b2024", "三、未来产业", "上海建成全国首个大模型创新生态社区“模速空间”。百余家大模型企业入驻。"),
    ("b2024", "三、未来产业", "上海独角兽企业新增5家，总数达到67家。人工智能重点企业超过400家。"),
    ("b2024", "二、原始创新", "上海首次实现大模型在量子计算芯片上的运行。重大原创成果持续涌现。"),
    ("b2024", "四、科技人才", "上海全年引进海外高层次人才2000余名。发放外国人工作许可证3.6万份。"),
    ("b2024", "浦东新区", "上海浦东新区张江科学城新增高质量孵化器15家。集成电路产业规模超过2000亿元。"),
    ("c2024", "一、办理概述", "感谢您对上海国际科技创新中心建设的关心支持。我委高度重视，认真开展研究。"),
    ("c2024", "二、答复意见", "上海全市财政科技支出528.1亿元、增长36.7%。其中市级财政支出265.3亿元。"),
    ("c2024", "二、答复意见", "上海基础研究支出占比达23.6%。下一步将继续办好浦江创新论坛。"),
]
N = len(SPECS)
RARE_ROW = 8  # the chunk holding 模速空间


def make_chunks() -> list[Chunk]:
    chunks: list[Chunk] = []
    offset: dict[str, int] = dict.fromkeys(DOCS, 0)
    for row, (doc, section, text) in enumerate(SPECS):
        title, year = DOCS[doc]
        start = offset[doc]
        offset[doc] = start + len(text) + 2
        chunks.append(Chunk(
            id=hashlib.sha1(f"{doc}/{row}/{text}".encode()).hexdigest()[:16], doc_id=doc, title=title, year=year,
            section_path=(title, section), text=text, start=start, end=start + len(text),
            pieces=(Span(start, start + len(text)),), years=(year,) if str(year) in text else (), ordinal=row,
        ))
    return chunks


def make_contents(n: int = N, *, checksum: str = FakeEmbedder.checksum) -> IndexContents:
    """The first `n` chunks as a backend receives them from a build."""
    chunks = make_chunks()[:n]
    embedder = FakeEmbedder()
    rows = [(row, a, b) for row, c in enumerate(chunks) for a, b in sentence_spans(c.text)]
    docs = sorted({c.doc_id for c in chunks})
    return IndexContents(
        chunks=chunks,
        documents=[DocumentRecord(id=d, title=DOCS[d][0], year=DOCS[d][1], publisher="上海市科学技术委员会",
                                  kind="report", file=f"{d}.md", content_years=(), inferred=False,
                                  content_hash=d, sections=()) for d in docs],
        chunk_vectors=embedder.embed_passages([c.text for c in chunks]),
        sentence_rows=rows,
        sentence_vectors=embedder.embed_passages([chunks[r].text[a:b] for r, a, b in rows]),
        user_terms=extract_user_terms(c.text for c in chunks),
        lexical_texts=[" ".join([*c.section_path, c.text]) for c in chunks],
        manifest={
            "model": {"id": "fake-ngram", "checksum": checksum, "dim": FakeEmbedder.dim},
            "chunker_version": CHUNKER_VERSION,
            "chunk_count": len(chunks),
            "documents": {d: d for d in docs},
            "corpus_digest": hashlib.sha256(f"{n}{checksum}".encode()).hexdigest(),
            "ann_threshold": 50_000,
        },
        ann_threshold=50_000,
    )


CHUNKS = make_chunks()
KEYS = [chunk_key(c.id) for c in CHUNKS]
VECTORS = FakeEmbedder().embed_passages([c.text for c in CHUNKS])


def keys_where(where: Filter) -> set[int]:
    return {k for k, c in zip(KEYS, CHUNKS, strict=True)
            if (where.doc is None or c.doc_id == where.doc) and (where.year is None or c.year == where.year)}


# --- fixtures: one served index per backend, fresh catalogs for the lifecycle tests ----------------------

@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    param: Backend = request.param
    if param.name == "milvus":
        return Backend("milvus", milvus_options(request.getfixturevalue("milvus_server").uri))
    return param


@dataclass
class Published:
    """A catalog after its first version was staged and published, and that version opened."""

    catalog: Catalog
    version: str
    index: SearchIndex


@pytest.fixture(scope="module")
def published(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """The sixteen chunks staged, published and opened on the backend; read-only."""
    catalog = backend.catalog(tmp_path_factory.mktemp(f"served-{backend.name}") / "index")
    version = catalog.publish(catalog.stage(make_contents()))
    return Published(catalog, version, catalog.open(model_checksum=FakeEmbedder.checksum))


@pytest.fixture(scope="module")
def served(published: Published) -> SearchIndex:
    """The opened index of the sixteen chunks: what ranking reads."""
    return published.index


@dataclass
class History:
    """What a catalog showed along one life: stage v1, publish it, open it, stage v2 (12 chunks),
    publish it, stage v3 and discard it. Staging costs a tokenizer load, so the steps are taken
    once and each test checks one of them."""

    catalog: Catalog
    serving_with_first_only_staged: str | None
    open_with_first_only_staged: type[BaseException] | None
    first: str
    opened_first: SearchIndex
    serving_with_second_staged: str | None
    chunks_with_second_staged: int
    second: str
    discarded: str


@pytest.fixture(scope="module")
def history(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> History:
    catalog = backend.catalog(tmp_path_factory.mktemp(f"history-{backend.name}") / "index")
    staged = catalog.stage(make_contents())
    serving_staged_only = catalog.current_version()
    try:
        catalog.open()
        open_error: type[BaseException] | None = None
    except ReportQAError as exc:
        open_error = type(exc)
    first = catalog.publish(staged)
    opened_first = catalog.open(model_checksum=FakeEmbedder.checksum)
    staged = catalog.stage(make_contents(12))
    serving_second_staged, chunks_second_staged = catalog.current_version(), catalog.open().chunk_count
    second = catalog.publish(staged)
    discarded = catalog.stage(make_contents(10))
    catalog.discard(discarded)
    return History(catalog, serving_staged_only, open_error, first, opened_first, serving_second_staged,
                   chunks_second_staged, second, discarded)


@pytest.fixture
def catalog(backend: Backend, tmp_path: Path) -> Catalog:
    """A fresh, empty catalog of the backend."""
    return backend.catalog(tmp_path / "index")


def assert_well_formed(hits: Hits) -> None:
    """Keys int64, scores float32, equal lengths, best first, no key twice."""
    assert isinstance(hits, Hits)
    assert hits.keys.dtype == np.int64 and hits.scores.dtype == np.float32
    assert hits.keys.shape == hits.scores.shape == (len(hits),)
    assert np.all(np.diff(hits.scores) <= 0), "scores must be best first"
    assert len(set(hits.keys.tolist())) == len(hits)


FILTERS = [
    pytest.param(Filter(doc="a2023"), id="doc"),
    pytest.param(Filter(year=2024), id="year"),
    pytest.param(Filter(doc="b2024", year=2024), id="doc-and-year"),
    pytest.param(Filter(doc="c2024"), id="small-doc"),
]
NOTHING = [
    pytest.param(Filter(doc="a2023", year=2024), id="doc-of-another-year"),
    pytest.param(Filter(doc="no-such-report"), id="unknown-doc"),
    pytest.param(Filter(year=1999), id="unknown-year"),
]


# --- the stores implement the protocols ----------------------------------------------------------------

def test_every_store_implements_its_protocol(served: SearchIndex) -> None:
    assert isinstance(served.vectors, VectorStore) and isinstance(served.lexical, LexicalStore)
    assert isinstance(served.sentences, SentenceStore) and isinstance(served.chunks, ChunkStore)


def test_every_store_holds_every_chunk(served: SearchIndex) -> None:
    assert served.vectors.size == served.lexical.size == len(served.chunks) == served.chunk_count == N


def test_the_documents_are_served_with_their_years(served: SearchIndex) -> None:
    assert sorted(served.documents) == sorted(DOCS) and served.years == [2023, 2024]


# --- Hits ----------------------------------------------------------------------------------------------

def test_vector_hits_are_chunk_keys_with_float32_scores_best_first(served: SearchIndex) -> None:
    hits = served.vectors.search(VECTORS[0], N)
    assert_well_formed(hits)
    assert set(hits.keys.tolist()) == set(KEYS)


def test_lexical_hits_are_chunk_keys_with_float32_scores_best_first(served: SearchIndex) -> None:
    hits = served.lexical.search("上海技术合同成交额", N)
    assert_well_formed(hits)
    assert len(hits) > 1 and set(hits.keys.tolist()) <= set(KEYS)


def test_keys_are_the_chunks_keys_not_row_numbers(served: SearchIndex) -> None:
    returned = set(served.vectors.search(VECTORS[0], N).keys.tolist())
    assert returned == set(KEYS) and returned.isdisjoint(range(N))


def test_hits_never_exceed_k(served: SearchIndex) -> None:
    assert len(served.vectors.search(VECTORS[0], 3)) == 3
    assert len(served.lexical.search("上海", 3)) == 3


#: Contract breaches known in a backend, (backend, test) → reason: each is a strict xfail there only.
KNOWN_BREACHES: dict[tuple[str, str], str] = {}


def expect_breach(request: pytest.FixtureRequest, backend: Backend) -> None:
    reason = KNOWN_BREACHES.get((backend.name, request.node.originalname))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def test_a_lexical_search_for_no_hits_returns_none(served: SearchIndex) -> None:
    assert len(served.lexical.search("上海", 0)) == 0


def test_a_vector_search_for_no_hits_returns_none(served: SearchIndex, backend: Backend,
                                                  request: pytest.FixtureRequest) -> None:
    expect_breach(request, backend)
    assert len(served.vectors.search(VECTORS[0], 0)) == 0


def test_asking_for_more_than_the_store_holds_returns_every_chunk(served: SearchIndex) -> None:
    assert len(served.vectors.search(VECTORS[0], N + 10)) == N


# --- vector search -------------------------------------------------------------------------------------

def test_a_stored_vector_finds_its_own_chunk_first(served: SearchIndex) -> None:
    for key, vector in zip(KEYS, VECTORS, strict=True):
        hits = served.vectors.search(vector, 1)
        assert hits.keys.tolist() == [key]
        assert hits.scores[0] == pytest.approx(1.0, abs=1e-5)


def test_vector_scores_are_inner_products(served: SearchIndex) -> None:
    hits = served.vectors.search(VECTORS[3], N)
    by_key = dict(zip(KEYS, VECTORS, strict=True))
    for key, score in zip(hits.keys.tolist(), hits.scores.tolist(), strict=True):
        assert score == pytest.approx(float(by_key[key] @ VECTORS[3]), abs=1e-5)


# --- filters, applied inside the store -----------------------------------------------------------------

@pytest.mark.parametrize("where", FILTERS)
def test_a_filtered_vector_search_returns_only_admitted_chunks_and_all_of_them(served: SearchIndex,
                                                                               where: Filter) -> None:
    admitted = keys_where(where)
    hits = served.vectors.search(VECTORS[0], len(admitted), where=where)
    assert_well_formed(hits)
    assert set(hits.keys.tolist()) == admitted


@pytest.mark.parametrize("where", FILTERS)
def test_a_filtered_lexical_search_returns_only_admitted_chunks_and_all_of_them(served: SearchIndex,
                                                                                where: Filter) -> None:
    admitted = keys_where(where)
    hits = served.lexical.search("上海", len(admitted), where=where)  # every chunk says 上海
    assert_well_formed(hits)
    assert set(hits.keys.tolist()) == admitted


@pytest.mark.parametrize("where", FILTERS)
def test_a_filtered_search_returns_k_hits_when_more_chunks_are_admitted(served: SearchIndex, where: Filter) -> None:
    admitted = keys_where(where)
    k = len(admitted) - 1
    for hits in (served.vectors.search(VECTORS[0], k, where=where), served.lexical.search("上海", k, where=where)):
        assert len(hits) == k and set(hits.keys.tolist()) <= admitted


@pytest.mark.parametrize("where", FILTERS)
def test_a_filter_keeps_the_best_admitted_chunks_first(served: SearchIndex, where: Filter) -> None:
    admitted = keys_where(where)
    target = next(i for i, k in enumerate(KEYS) if k in admitted)
    assert served.vectors.search(VECTORS[target], 1, where=where).keys.tolist() == [KEYS[target]]


@pytest.mark.parametrize("where", NOTHING)
def test_a_filter_admitting_nothing_gives_empty_hits(served: SearchIndex, where: Filter) -> None:
    for hits in (served.vectors.search(VECTORS[0], 5, where=where), served.lexical.search("上海", 5, where=where)):
        assert_well_formed(hits)
        assert len(hits) == 0


# --- lexical search ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("phrase", "row"), [("模速空间", RARE_ROW), ("大零号湾", 5), ("概念验证中心", 3),
                                             ("外国人工作许可证", 11)])
def test_a_chinese_phrase_finds_its_chunk_first(served: SearchIndex, phrase: str, row: int) -> None:
    assert served.lexical.search(phrase, 3).keys[0] == KEYS[row]


def test_section_titles_are_searchable(served: SearchIndex) -> None:
    # 办理概述 is in no chunk text, only in the section path of the reply's first chunk.
    assert served.lexical.search("办理概述", 1).keys.tolist() == [KEYS[13]]


def test_text_sharing_no_word_with_the_corpus_finds_nothing(served: SearchIndex) -> None:
    assert len(served.lexical.search("交响乐团演出", 5)) == 0


def test_a_rare_token_has_a_higher_idf_than_a_common_one(served: SearchIndex) -> None:
    assert served.lexical.idf("模速空间") > served.lexical.idf("上海")


def test_a_token_the_corpus_never_uses_is_rarest_of_all(served: SearchIndex) -> None:
    assert served.lexical.idf("交响乐团") >= served.lexical.idf("模速空间")


def test_the_vocabulary_holds_the_corpus_tokens(served: SearchIndex) -> None:
    vocabulary = served.lexical.vocabulary()
    assert {"上海", "模速空间", "独角兽", "孵化器"} <= vocabulary
    for chunk in CHUNKS:
        assert set(served.tokenize(chunk.text)) <= vocabulary


# --- sentences -----------------------------------------------------------------------------------------

def test_best_similarity_gives_one_score_per_key(served: SearchIndex) -> None:
    sims = served.sentences.best_similarity(np.array(KEYS, dtype=np.int64), VECTORS[0])
    assert sims.shape == (N,)


def test_best_similarity_finds_the_chunk_of_a_sentence(served: SearchIndex) -> None:
    chunk = CHUNKS[RARE_ROW]
    a, b = sentence_spans(chunk.text)[0]
    vector = FakeEmbedder().embed_queries([chunk.text[a:b]])[0]
    sims = served.sentences.best_similarity(np.array(KEYS, dtype=np.int64), vector)
    assert int(np.argmax(sims)) == RARE_ROW
    assert sims[RARE_ROW] == pytest.approx(1.0, abs=1e-2)  # stores may keep sentence vectors in float16


def test_best_similarity_is_the_best_of_the_chunks_sentence_scores(served: SearchIndex) -> None:
    keys = np.array(KEYS, dtype=np.int64)
    best = served.sentences.best_similarity(keys, VECTORS[6])
    for key, value in zip(KEYS, best.tolist(), strict=True):
        scores = served.sentences.scores(key, VECTORS[6])
        assert scores is not None
        assert value == pytest.approx(max(0.0, float(scores.sims.max())), abs=1e-5)


def test_sentence_spans_slice_the_chunk_text(served: SearchIndex) -> None:
    for key, chunk in zip(KEYS, CHUNKS, strict=True):
        scores = served.sentences.scores(key, VECTORS[0])
        assert scores is not None
        spans = list(zip(scores.starts.tolist(), scores.ends.tolist(), strict=True))
        assert spans == sentence_spans(chunk.text)
        assert len(scores.sims) == len(spans) >= 2
        assert all(0 <= a < b <= len(chunk.text) for a, b in spans)


def test_an_unknown_key_has_no_sentences(served: SearchIndex) -> None:
    assert served.sentences.scores(12345, VECTORS[0]) is None
    assert served.sentences.best_similarity(np.array([12345], dtype=np.int64), VECTORS[0]).tolist() == [0.0]


# --- chunks --------------------------------------------------------------------------------------------

def test_chunks_come_back_by_key_in_the_order_asked(served: SearchIndex) -> None:
    order = list(range(N))
    random.Random(7).shuffle(order)
    assert served.chunks.get([KEYS[i] for i in order]) == [CHUNKS[i] for i in order]


def test_an_unknown_chunk_key_is_a_key_error(served: SearchIndex) -> None:
    with pytest.raises(KeyError):
        served.chunks.get([12345])


def test_position_is_the_chunks_place_in_corpus_order(served: SearchIndex) -> None:
    assert [served.chunks.position(k) for k in KEYS] == list(range(N))


# --- the catalog ---------------------------------------------------------------------------------------

def test_a_new_catalog_serves_nothing(catalog: Catalog) -> None:
    assert catalog.current_version() is None and catalog.current_manifest() is None
    with pytest.raises(IndexNotFoundError):
        catalog.open()


def test_a_staged_version_does_not_serve(history: History) -> None:
    assert history.serving_with_first_only_staged is None
    assert history.open_with_first_only_staged is IndexNotFoundError


def test_publishing_makes_the_version_serve(published: Published) -> None:
    assert published.catalog.current_version() == published.version == published.index.version
    assert published.index.chunk_count == N


def test_the_manifest_of_the_serving_version_has_its_chunk_count(published: Published) -> None:
    manifest = published.catalog.current_manifest()
    assert manifest is not None and manifest["chunk_count"] == N
    assert manifest["model"]["checksum"] == FakeEmbedder.checksum


def test_a_newer_version_serves_only_once_published(history: History) -> None:
    assert history.serving_with_second_staged == history.first and history.chunks_with_second_staged == N
    assert history.second != history.first and history.catalog.current_version() == history.second
    assert history.catalog.open().chunk_count == 12
    manifest = history.catalog.current_manifest()
    assert manifest is not None and manifest["chunk_count"] == 12


def test_an_index_opened_before_a_switch_keeps_answering(history: History) -> None:
    before = history.opened_first
    assert before.version == history.first and before.chunk_count == N
    assert before.vectors.search(VECTORS[RARE_ROW], 1).keys.tolist() == [KEYS[RARE_ROW]]
    assert before.chunks.get([KEYS[RARE_ROW]]) == [CHUNKS[RARE_ROW]]


def test_a_discarded_version_can_no_longer_be_published(history: History) -> None:
    with pytest.raises((ReportQAError, OSError)):
        history.catalog.publish(history.discarded)
    assert history.catalog.current_version() == history.second


def test_an_index_built_with_another_model_is_refused(published: Published) -> None:
    with pytest.raises(StaleIndexError, match="reportqa build"):
        published.catalog.open(model_checksum="another-model-v2")


def test_an_index_built_with_the_same_model_opens(published: Published) -> None:
    assert published.catalog.open(model_checksum=FakeEmbedder.checksum).version == published.version


def test_one_build_at_a_time(catalog: Catalog) -> None:
    with catalog.lock(), pytest.raises(ReportQAError, match="another build"), catalog.lock():
        pass
    with catalog.lock():  # released: the next build may start
        pass


def test_the_catalog_implements_its_protocol(catalog: Catalog) -> None:
    assert isinstance(catalog, Catalog)


# --- the factory ---------------------------------------------------------------------------------------

def test_every_registered_backend_is_under_contract() -> None:
    assert {p.values[0].name for p in BACKENDS} == set(REGISTERED)


def test_the_faiss_backend_is_the_local_catalog(tmp_path: Path) -> None:
    catalog = open_catalog(tmp_path, "faiss")
    assert isinstance(catalog, LocalCatalog) and catalog.root == tmp_path


def test_an_unknown_backend_is_a_one_line_error_listing_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ReportQAError) as caught:
        open_catalog(tmp_path, "elastic")
    message = str(caught.value)
    assert "'elastic'" in message and "faiss" in message and "\n" not in message
