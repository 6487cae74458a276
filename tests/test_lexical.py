"""The lexical leg: jieba tokenization with corpus terms, and the persisted BM25 index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reportqa.errors import IndexCorruptError
from reportqa.index.bm25_store import BM25Index
from reportqa.index.tokenizer import ChineseTokenizer, extract_user_terms

CORPUS_SENTENCES = [
    "全市技术合同成交额5200.73亿元，同比增长7.2%。有效期内高新技术企业达到2.5万家。",
    "支持“大零号湾”科技创新策源功能区建设，发布《关于加快“大零号湾”科技创新策源功能区建设的若干政策措施》。",
    "徐汇区依托“模速空间”打造大模型创新生态社区，已有百余家企业入驻。",
    "完善多元投入机制，“探索者计划”覆盖更多领域，上海科学家在《细胞》《自然》《科学》上发表论文158篇。",
]


@pytest.fixture(scope="module")
def tokenizer() -> ChineseTokenizer:
    """One tokenizer for the module: jieba's dictionary costs about a second to load."""
    return ChineseTokenizer(extract_user_terms(CORPUS_SENTENCES))


def test_extract_user_terms_finds_quoted_terms_and_short_book_titles() -> None:
    terms = extract_user_terms(CORPUS_SENTENCES)
    assert {"大零号湾", "模速空间", "探索者计划", "细胞"} <= set(terms)


def test_extract_user_terms_skips_long_book_titles() -> None:
    terms = extract_user_terms(CORPUS_SENTENCES)
    assert not any(term.startswith("关于加快") for term in terms)


def test_extract_user_terms_is_sorted_and_deduplicated() -> None:
    terms = extract_user_terms([*CORPUS_SENTENCES, *CORPUS_SENTENCES])
    assert terms == sorted(set(terms))


def test_extract_user_terms_takes_delimited_programme_names_but_not_verb_phrases() -> None:
    terms = extract_user_terms(["实施“揭榜挂帅”，全球科技伙伴计划、上海伙伴科研计划，打造世界领先科技园区。"])
    assert {"揭榜挂帅", "全球科技伙伴计划", "上海伙伴科研计划"} <= set(terms)
    assert "打造世界领先科技园区" not in terms


def test_extract_user_terms_drops_terms_jieba_cannot_keep_whole() -> None:
    assert "国际静安、卓越城区、科创福地" not in extract_user_terms(["“国际静安、卓越城区、科创福地”"])


def test_user_dictionary_keeps_place_and_space_names_whole(tokenizer: ChineseTokenizer) -> None:
    tokens = tokenizer.tokenize("支持大零号湾和模速空间建设")
    assert "大零号湾" in tokens
    assert "模速空间" in tokens


def test_private_dictionary_leaves_global_jieba_untouched(tokenizer: ChineseTokenizer) -> None:
    import jieba

    tokenizer.tokenize("模速空间")
    assert "模速空间" not in jieba.lcut("模速空间")


def test_tokenize_keeps_figures_and_units(tokenizer: ChineseTokenizer) -> None:
    tokens = tokenizer.tokenize("全市技术合同成交额5200.73亿元")
    assert "5200.73" in tokens
    assert "亿元" in tokens


def test_tokenize_drops_punctuation_and_stopwords(tokenizer: ChineseTokenizer) -> None:
    tokens = tokenizer.tokenize("2024年，上海的科技创新与改革。")
    assert {"，", "。", "的", "与", "年"}.isdisjoint(tokens)
    assert "2024" in tokens


def test_tokenize_folds_full_width_and_case(tokenizer: ChineseTokenizer) -> None:
    assert tokenizer.tokenize("Ｇ６０科创走廊５２００") == tokenizer.tokenize("g60科创走廊5200")


@pytest.fixture(scope="module")
def bm25(tokenizer: ChineseTokenizer) -> BM25Index:
    return BM25Index.build([tokenizer.tokenize(text) for text in CORPUS_SENTENCES])


def test_query_ranks_passage_with_the_exact_figure_first(
    tokenizer: ChineseTokenizer, bm25: BM25Index
) -> None:
    ids, scores = bm25.search(tokenizer.tokenize("技术合同成交额"), 3)
    assert ids[0] == 0
    assert scores[0] > 0


def test_search_returns_only_documents_containing_a_query_term(
    tokenizer: ChineseTokenizer, bm25: BM25Index
) -> None:
    ids, _ = bm25.search(tokenizer.tokenize("模速空间"), 10)
    assert ids.tolist() == [2]


def test_unknown_query_terms_are_ignored(tokenizer: ChineseTokenizer, bm25: BM25Index) -> None:
    known = bm25.scores(tokenizer.tokenize("大零号湾"))
    with_unknown = bm25.scores([*tokenizer.tokenize("大零号湾"), "从未出现的词"])
    np.testing.assert_array_equal(known, with_unknown)


def test_repeated_query_terms_count_once(bm25: BM25Index) -> None:
    np.testing.assert_array_equal(bm25.scores(["大零号湾"]), bm25.scores(["大零号湾", "大零号湾"]))


def test_scores_has_one_value_per_document(bm25: BM25Index) -> None:
    assert bm25.scores(["上海"]).shape == (len(CORPUS_SENTENCES),)


def test_rarer_term_weighs_more_than_common_term() -> None:
    index = BM25Index.build([["上海", "成交额"], ["上海", "高新"], ["上海", "企业"]])
    scores = index.scores(["上海"]), index.scores(["成交额"])
    assert scores[1][0] > scores[0][0]


def test_save_then_load_gives_identical_scores(
    tmp_path: Path, tokenizer: ChineseTokenizer, bm25: BM25Index
) -> None:
    path = tmp_path / "bm25.npz"
    bm25.save(path)
    loaded = BM25Index.load(path)
    query = tokenizer.tokenize("大零号湾科技创新策源功能区")
    np.testing.assert_array_equal(bm25.scores(query), loaded.scores(query))
    assert loaded.describe() == bm25.describe()


def test_save_writes_exactly_the_given_path(tmp_path: Path, bm25: BM25Index) -> None:
    path = tmp_path / "lexical.bin"
    bm25.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lexical.bin"]


def test_load_of_truncated_file_raises_index_corrupt(tmp_path: Path, bm25: BM25Index) -> None:
    path = tmp_path / "bm25.npz"
    bm25.save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(IndexCorruptError, match=r"bm25\.npz.*reportqa build"):
        BM25Index.load(path)


def test_load_of_flipped_weight_byte_raises_index_corrupt(tmp_path: Path, bm25: BM25Index) -> None:
    path = tmp_path / "bm25.npz"
    bm25.save(path)
    raw = bytearray(path.read_bytes())
    last_weight_byte = raw.find(b"PK\x03\x04", 1) - 1  # the first member (weights) ends where the next begins
    raw[last_weight_byte] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(IndexCorruptError, match="reportqa build"):
        BM25Index.load(path)


def test_load_of_missing_file_raises_index_corrupt(tmp_path: Path) -> None:
    with pytest.raises(IndexCorruptError, match=r"absent\.npz.*reportqa build"):
        BM25Index.load(tmp_path / "absent.npz")


def test_empty_query_returns_no_hits(bm25: BM25Index) -> None:
    ids, scores = bm25.search([], 5)
    assert ids.size == 0
    assert scores.size == 0
