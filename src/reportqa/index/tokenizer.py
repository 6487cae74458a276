"""Chinese tokens for the lexical leg: jieba search mode with the corpus's own terms kept whole.

Shared by the BM25 store (indexing and querying), the answer step (which words of
the question a sentence covers) and the speller (the corpus vocabulary).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from reportqa.text.zh import fold_for_matching

# Deliberately tiny: function words that match nearly every chunk and so only
# add noise.  Digits, units (亿元, 万家) and single content characters are kept.
_STOPWORD_LIST = "的 了 和 与 及 以及 是 在 等 年 为 对 将 并 或 而 之 于 也"
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_LIST.split())

# A user term must be matchable by jieba as one block: its default
# regex only keeps Han characters, ASCII letters/digits and + # & . _ % - together.
_JIEBA_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_QUOTED = re.compile(r"“([^”\n]{2,12})”|「([^」\n]{2,12})」|『([^』\n]{2,12})』|《([^》\n]{2,12})》")
# Programme and place names, only when punctuation delimits them on both sides:
# without a left boundary the name's start cannot be told from the verb before it.
_NAME_SUFFIXES = "计划|实验室|基金会|园|区"
_NAMED = re.compile(
    r"(?:^|(?<=[，、。；：！？“”（）(),;:\s]))"
    rf"([\u4E00-\u9FD5]{{1,8}}(?:{_NAME_SUFFIXES}))"
    r"(?=[，、。；：！？“”（）(),;:\s]|$)",
    re.MULTILINE,
)
# Names that begin with one of these are a verb phrase ("打造…园区"), and names
# holding a connector are two names ("临港实验室和浦江实验室"): both are skipped.
_VERB_PREFIXES = (
    "打造", "发挥", "建设", "推进", "推动", "加快", "支持", "实施", "成立", "开展", "依托", "围绕",
    "启动", "聚焦", "建立", "完善", "深化", "提升", "服务", "参与", "组建", "培育", "布局", "形成",
    "构建", "设立", "引进", "落地", "入驻", "覆盖", "包括",
)  # fmt: skip
_CONNECTORS = ("和", "与", "及", "的", "等", "或")
_USER_WORD_FREQ = 1_000_000


def _is_noise(token: str) -> bool:
    """True for tokens made only of whitespace, punctuation or symbols."""
    return all(ch.isspace() or unicodedata.category(ch)[0] in "PSZ" for ch in token)


class ChineseTokenizer:
    """jieba search-mode tokenizer with its own dictionary state.

    A private `jieba.Tokenizer` keeps the user terms of one corpus out of the
    process-wide jieba state other code may use.  Loading jieba's dictionary
    costs about a second, so it happens on first use and is then reused.
    """

    def __init__(self, user_terms: Iterable[str] = ()) -> None:
        self._user_terms = tuple(sorted({fold_for_matching(t).strip() for t in user_terms} - {""}))
        self._jieba: Any = None
        self._lock = threading.Lock()
        self._cached_tokens = lru_cache(maxsize=_CACHE_SIZE)(self._tokens)

    @property
    def user_terms(self) -> tuple[str, ...]:
        """The normalised user terms, kept whole by the tokenizer."""
        return self._user_terms

    def _ensure_loaded(self) -> Any:
        """Create and initialise the jieba instance once (thread-safe)."""
        if self._jieba is not None:
            return self._jieba
        with self._lock:
            if self._jieba is None:
                import jieba

                tokenizer = jieba.Tokenizer()
                base = _base_dictionary()
                # A copy of the process's one parsed dictionary: each index version (and each
                # hot reload) adds its own user terms without re-reading jieba's 0.8 s cache file.
                tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(base.FREQ), base.total, True
                for term in self._user_terms:
                    tokenizer.add_word(term, freq=_USER_WORD_FREQ)
                self._jieba = tokenizer
        return self._jieba

    def is_word(self, text: str) -> bool:
        """Whether `text` is a word of the dictionary (jieba's, or one of the user terms).

        Search mode also joins unknown characters into guessed words (`几家硕博士` → 家硕 + 博士,
        by jieba's HMM); those are not words a question's reader would see.
        """
        return bool(self._ensure_loaded().FREQ.get(fold_for_matching(text).strip()))

    def tokenize(self, text: str) -> list[str]:
        """Search-mode tokens of `text`: overlapping sub-words included, noise and stopwords dropped.

        Short texts (questions, sentences) are cached per tokenizer: the answer checks tokenize the
        same candidate sentences for many questions, and jieba costs ~0.1 ms a sentence.
        """
        if len(text) > _CACHE_MAX_CHARS:
            return list(self._tokens(text))
        return list(self._cached_tokens(text))

    def _tokens(self, text: str) -> tuple[str, ...]:
        jieba_tokenizer = self._ensure_loaded()
        tokens: list[str] = []
        for raw in jieba_tokenizer.cut_for_search(fold_for_matching(text)):
            token = raw.strip()
            if token and token not in STOPWORDS and not _is_noise(token):
                tokens.append(token)
        return tuple(tokens)


_CACHE_MAX_CHARS = 300
_CACHE_SIZE = 50_000
_BASE_LOCK = threading.Lock()
_BASE: Any = None


def _base_dictionary() -> Any:
    """jieba's default dictionary, parsed once per process and never modified."""
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            base = jieba.Tokenizer()
            base.initialize()
            _BASE = base
    return _BASE


def _is_named_entity(name: str) -> bool:
    return not name.startswith(_VERB_PREFIXES) and not any(c in name for c in _CONNECTORS)


def extract_user_terms(texts: Iterable[str]) -> list[str]:
    """Terms the corpus itself marks as units, to keep them whole when tokenizing.

    Quoted coinages (“模速空间”, 「…」), short book titles (《细胞》) and
    punctuation-delimited programme/place names (探索者计划, 临港新片区) are
    exactly the words jieba's general dictionary splits and that users search
    for verbatim.  Only terms jieba can match as one block are returned,
    normalised like the text, deduplicated and sorted.
    """
    terms: set[str] = set()
    for text in texts:
        folded = fold_for_matching(text)
        for match in _QUOTED.finditer(folded):
            terms.add(next(group for group in match.groups() if group is not None).strip())
        terms.update(name for name in _NAMED.findall(folded) if _is_named_entity(name))
    return sorted(t for t in terms if len(t) >= 2 and _JIEBA_BLOCK.fullmatch(t))
