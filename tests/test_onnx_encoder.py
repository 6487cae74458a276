"""Questions through ONNX Runtime get the same vectors as through sentence-transformers."""

from __future__ import annotations

import numpy as np
import pytest

from reportqa.embedding.onnx_encoder import is_mean_pooled, load_query_encoder, onnx_file
from reportqa.embedding.sbert import SentenceTransformerEmbedder

pytestmark = pytest.mark.slow

QUESTIONS = [
    "2024年全市技术合同成交额是多少？",
    "2025年上海瞪羚企业有多少家？",
    "大零号湾",
    "How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?",
    "上海为生成式AI创业公司打造的集聚基地吸引了多少家公司落户？",
    "第17届浦江创新论坛的境外主宾国是哪个国家？",
]


def test_the_bundled_model_is_eligible_for_the_fast_encoder(embedder):
    assert is_mean_pooled(embedder.path)


def test_onnx_question_vectors_match_sentence_transformers(embedder):
    fast = load_query_encoder(embedder.path, embedder.checksum, "query: ")
    assert fast is not None
    reference = SentenceTransformerEmbedder(embedder.path, fast_queries=False).embed_queries(QUESTIONS)
    cosines = np.sum(fast.encode(QUESTIONS) * reference, axis=1)
    assert cosines.min() >= 0.9999


def test_the_exported_graph_is_named_by_the_model_checksum(embedder):
    assert onnx_file(embedder.path, embedder.checksum).exists()
    assert embedder.checksum[:16] in onnx_file(embedder.path, embedder.checksum).name


def test_a_model_without_mean_pooling_is_not_eligible(tmp_path):
    (tmp_path / "modules.json").write_text('[{"idx": 0, "name": "0", "path": "", "type": '
                                           '"sentence_transformers.models.Transformer"}]', encoding="utf-8")
    assert not is_mean_pooled(tmp_path)
    assert load_query_encoder(tmp_path, "0" * 64, "query: ") is None
