"""Questions and passages through ONNX Runtime get the same vectors as through sentence-transformers.

The model tests (slow) compare with PyTorch over real questions and real corpus passages, short,
long and longer than the model's 512 tokens; the batch planner is tested without a model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from reportqa.embedding.onnx_encoder import (
    EXPORT_FORMAT,
    is_mean_pooled,
    load_encoder,
    onnx_dir,
    onnx_file,
    plan_batches,
    read_export,
    subset_files,
)
from reportqa.embedding.sbert import SentenceTransformerEmbedder
from reportqa.embedding.tokens import ModelTokenizer
from reportqa.index.build import embed_input
from reportqa.ingest.chunking import chunk_report
from reportqa.models import ParsedReport
from reportqa.text.sentences import sentence_spans

QUESTIONS = [
    "2024年全市技术合同成交额是多少？",
    "2025年上海瞪羚企业有多少家？",
    "大零号湾",
    "How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?",
    "上海为生成式AI创业公司打造的集聚基地吸引了多少家公司落户？",
    "第17届浦江创新论坛的境外主宾国是哪个国家？",
]
MIN_COSINE = 0.9999


@pytest.fixture(scope="module")
def pytorch(embedder: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    """The same model with questions and passages on sentence-transformers (PyTorch): the reference."""
    return SentenceTransformerEmbedder(embedder.path, fast_queries=False)


@pytest.fixture(scope="module")
def build_texts(reports: dict[str, ParsedReport]) -> list[str]:
    """What a build of the bundled corpus embeds: each chunk with its context, and its sentences."""
    chunks = [c for r in reports.values() for c in chunk_report(r)]
    return sorted({*map(embed_input, chunks), *(c.text[a:b] for c in chunks for a, b in sentence_spans(c.text))})


# --------------------------------------------------------------------------- vectors (real model)


@pytest.mark.slow
def test_the_bundled_model_is_eligible_for_the_fast_encoder(embedder: SentenceTransformerEmbedder) -> None:
    assert is_mean_pooled(embedder.path)


@pytest.mark.slow
def test_onnx_question_vectors_match_sentence_transformers(embedder: SentenceTransformerEmbedder,
                                                           pytorch: SentenceTransformerEmbedder) -> None:
    fast = load_encoder(embedder.path, embedder.checksum)
    assert fast is not None
    cosines = np.sum(fast.encode(QUESTIONS, "query: ") * pytorch.embed_queries(QUESTIONS), axis=1)
    assert cosines.min() >= MIN_COSINE


@pytest.mark.slow
def test_onnx_passage_vectors_match_sentence_transformers_for_short_and_long_corpus_texts(
        embedder: SentenceTransformerEmbedder, pytorch: SentenceTransformerEmbedder, build_texts: list[str]) -> None:
    """The shortest, middle and longest of the build's texts, in one call: batches of mixed lengths, padded."""
    by_length = sorted(build_texts, key=len)
    middle = len(by_length) // 2
    texts = [*by_length[:6], *by_length[middle - 3:middle + 3], *by_length[-6:]]
    fresh = SentenceTransformerEmbedder(embedder.path)
    ours = fresh.embed_passages(texts, batch_size=4)
    assert not fresh.pytorch_loaded  # through ONNX Runtime
    cosines = np.sum(ours * pytorch.embed_passages(texts, batch_size=4), axis=1)
    assert cosines.min() >= MIN_COSINE


@pytest.mark.slow
def test_a_passage_longer_than_the_model_takes_is_cut_as_sentence_transformers_cuts_it(
        embedder: SentenceTransformerEmbedder, pytorch: SentenceTransformerEmbedder,
        reports: dict[str, ParsedReport]) -> None:
    report = next(iter(reports.values()))
    text = report.text[:3000]  # ~2000 tokens of Chinese: well past 512
    fast = load_encoder(embedder.path, embedder.checksum)
    assert fast is not None and len(fast.tokens.full().encode(text).ids) > 512
    cosine = float(np.sum(embedder.embed_passages([text]) * pytorch.embed_passages([text])))
    assert cosine >= MIN_COSINE


# --------------------------------------------------------------------------- the export


@pytest.mark.slow
def test_the_exported_graph_is_named_by_the_model_checksum(embedder: SentenceTransformerEmbedder) -> None:
    graph = onnx_file(embedder.path, embedder.checksum)
    assert graph.exists()
    assert graph.name == f"{embedder.checksum[:16]}.v{EXPORT_FORMAT}.onnx"


@pytest.mark.slow
def test_the_export_passed_its_self_check_against_pytorch(embedder: SentenceTransformerEmbedder) -> None:
    descriptor = onnx_file(embedder.path, embedder.checksum).with_suffix(".json")
    assert json.loads(descriptor.read_text(encoding="utf-8"))["min_cosine"] >= MIN_COSINE


@pytest.mark.slow
def test_a_process_finding_only_a_first_format_export_makes_a_new_one_in_a_child_and_removes_the_old(
        embedder: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    """A fresh clone after an upgrade: the cache holds `<checksum16>.onnx` (format 1), which is ignored."""
    model = tmp_path / embedder.path.name
    model.mkdir()
    for item in embedder.path.iterdir():  # links: the model's files without copying 470 MB
        os.symlink(item, model / item.name)
    old = onnx_dir(model) / f"{embedder.checksum[:16]}.onnx"
    old.parent.mkdir()
    old.write_bytes(b"an export of the first format")
    assert read_export(model, embedder.checksum) is None
    assert load_encoder(model, embedder.checksum, create=False) is None
    fast = load_encoder(model, embedder.checksum)  # exports in a child process
    assert fast is not None and onnx_file(model, embedder.checksum).is_file()
    assert not old.exists()
    reference = load_encoder(embedder.path, embedder.checksum)
    assert reference is not None
    assert np.sum(fast.encode(QUESTIONS[:2], "query: ") * reference.encode(QUESTIONS[:2], "query: "),
                  axis=1).min() >= MIN_COSINE


def test_a_model_without_mean_pooling_is_not_eligible(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text('[{"idx": 0, "name": "0", "path": "", "type": '
                                           '"sentence_transformers.models.Transformer"}]', encoding="utf-8")
    assert not is_mean_pooled(tmp_path)
    assert load_encoder(tmp_path, "0" * 64) is None


# --------------------------------------------------------------------------- the tokenizer (real vocabulary)


@pytest.fixture(scope="module")
def corpus_sentences(reports: dict[str, ParsedReport]) -> list[str]:
    return [line[a:b] for r in reports.values() for line in r.text.splitlines() for a, b in sentence_spans(line)]


@pytest.mark.slow
def test_the_subset_tokenizer_gives_the_full_tokenizers_ids_and_offsets_on_every_corpus_sentence(
        embedder: SentenceTransformerEmbedder, corpus_sentences: list[str]) -> None:
    texts = [*corpus_sentences, *QUESTIONS, "ＡＢＣ１２３　全角  两个空格", "café naïve 😀", ""]
    ours = ModelTokenizer(embedder.path, subset_files(embedder.path, embedder.checksum))
    full = ModelTokenizer(embedder.path).full()
    for special in (True, False):
        for start in range(0, len(texts), 20):  # question-sized calls: the subset path, its vocabulary growing
            part = texts[start:start + 20]
            expected = [(list(e.ids), list(e.offsets)) for e in full.encode_batch(part, add_special_tokens=special)]
            assert [(t.ids, t.offsets) for t in ours.encode(part, add_special_tokens=special)] == expected
    assert not ours.loaded  # all of it went through the subset tokenizer


@pytest.mark.slow
def test_a_text_holding_a_special_tokens_text_is_tokenized_as_the_full_tokenizer_does(
        embedder: SentenceTransformerEmbedder) -> None:
    text = "<s> 上海科技进步报告 </s>"
    ours = ModelTokenizer(embedder.path, subset_files(embedder.path, embedder.checksum))
    full = ModelTokenizer(embedder.path).full().encode(text)
    (tokens,) = ours.encode([text])
    assert (tokens.ids, tokens.offsets) == (list(full.ids), list(full.offsets))


@pytest.mark.slow
def test_after_the_full_tokenizer_is_dropped_questions_get_the_same_tokens(
        embedder: SentenceTransformerEmbedder) -> None:
    ours = ModelTokenizer(embedder.path, subset_files(embedder.path, embedder.checksum))
    before = [t.ids for t in ours.encode(QUESTIONS)]
    ours.full()
    assert ours.drop_full() and not ours.loaded
    assert [t.ids for t in ours.encode(QUESTIONS)] == before


# --------------------------------------------------------------------------- batch planning (no model)


def test_batches_cover_every_text_once_in_order() -> None:
    lengths = [300, 200, 120, 40, 40, 30, 12, 12, 8, 3]
    batches = plan_batches(lengths, max_texts=4, max_tokens=256)
    assert [i for b in batches for i in b] == list(range(len(lengths)))


def test_a_batch_holds_no_more_padded_tokens_than_the_budget() -> None:
    lengths = sorted([7, 33, 90, 512, 64, 64, 150, 18, 18, 18, 250, 5, 400], reverse=True)
    for batch in plan_batches(lengths, max_texts=32, max_tokens=600):
        assert lengths[batch.start] * len(batch) <= 600  # as wide as its first, longest text


def test_short_texts_go_in_batches_of_max_texts() -> None:
    batches = plan_batches([20] * 70, max_texts=32, max_tokens=2048)
    assert [len(b) for b in batches] == [32, 32, 6]


def test_a_text_longer_than_the_budget_gets_a_batch_of_its_own() -> None:
    batches = plan_batches([3000, 10, 10], max_texts=32, max_tokens=2048)
    assert [list(b) for b in batches] == [[0], [1, 2]]


def test_no_texts_make_no_batches() -> None:
    assert plan_batches([], max_texts=8, max_tokens=512) == []


@pytest.mark.parametrize(("max_texts", "max_tokens"), [(0, 512), (8, 0)])
def test_a_batch_without_room_for_one_text_is_refused(max_texts: int, max_tokens: int) -> None:
    with pytest.raises(ValueError, match="at least one"):
        plan_batches([10], max_texts=max_texts, max_tokens=max_tokens)


# --------------------------------------------------------------------------- no PyTorch where it is not needed


@pytest.mark.slow
def test_asking_never_imports_torch(built_index: Path, tmp_path: Path) -> None:
    """`reportqa ask` answers through ONNX Runtime: PyTorch (~1 s to import, ~500 MB) stays out of the process."""
    import subprocess
    import sys

    from tests.server_utils import child_env

    script = (
        "import sys\n"
        "from reportqa.cli import app\n"
        "try:\n"
        f"    app([\"ask\", \"--index\", {str(built_index)!r}, \"--json\", \"2024年全市技术合同成交额是多少？\"])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env=child_env(), check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    *answer, imported = result.stdout.strip().splitlines()
    assert "5200.73" in "\n".join(answer)
    assert imported == "False False"

