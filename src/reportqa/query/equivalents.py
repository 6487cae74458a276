"""The reports' words for a Chinese question's words that the reports never use.

A reader asks about `高科技公司享受的税收优惠`; the report says `高新技术企业减免所得税`. The
answer check requires the asked measure's words in the answer sentence, and a word the
reports never use cannot be required of any sentence — so today such a word is simply not
asked for, and a question made mostly of such words names nothing an answer must carry.

Two sources say which of the corpus's words stand for such a word, neither written per question:
- CC-CEDICT: a word whose *first* English gloss is the first gloss of a corpus word, and a phrase
  (高科技 "high tech" = 高新技术 "high tech", 邮编 "zip code" = 邮政编码). Only the first gloss of
  each: a word's later senses are where a reverse dictionary is noisy (总额 "total" is also a late
  sense of 全球); and only a phrase: one English word has many senses (题目 and 学科 are both "subject").
- The domain glossary (query/glossary_en.py): the Chinese terms it gives for one English phrase
  are the reports' words for one thing (`tax incentives` → 税收优惠, 减免).

Only words the corpus never uses get equivalents (a word the reports use is matched as
itself: widening it would let a neighbouring measure pass), and only corpus words are given.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

from reportqa.query.dictionary_en import cedict_entries, glosses
from reportqa.query.glossary_en import GLOSSARY
from reportqa.query.rendering import Equivalent

_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")
# Equivalents are looked for words this long at most (the dictionary's compounds of 2-4 characters).
_MAX_CHARS = 4
# The words a shared first gloss needs (see `_first_gloss`).
_MIN_GLOSS_WORDS = 2


def _first_gloss(definitions: str) -> str | None:
    """A word's first English gloss when it is a phrase (`high tech`, `aircraft carrier`), else None.

    A one-word gloss is shared by words of different senses (题目 and 学科 are both "subject", 份额
    and 共享 "share", 除了 and 此外 "besides"); a phrase names one thing.
    """
    first = next((gloss for _rank, gloss in glosses(definitions)), None)
    return first if first is not None and len(first.split()) >= _MIN_GLOSS_WORDS else None


class Equivalents:
    """The corpus's words for the words a question uses and the corpus does not: `of(text)`."""

    def __init__(self, vocabulary: Iterable[str], tokenize: Callable[[str], list[str]],
                 lines: Iterable[str] | None = None,
                 glossary: dict[str, tuple[str, ...]] | None = None) -> None:
        self._words = frozenset(vocabulary)
        self._tokenize = tokenize
        self._lines = lines
        self._dictionary: dict[str, tuple[str, ...]] | None = None
        self._lock = threading.Lock()
        # A glossary term the corpus never uses, with the terms of its phrase that the corpus does use.
        phrases: dict[str, list[str]] = defaultdict(list)
        for terms in (GLOSSARY if glossary is None else glossary).values():
            used = [t for t in terms if t in self._words]
            for term in terms:
                if _HAN.fullmatch(term) and self.unseen(term):
                    phrases[term] += [t for t in used if t not in phrases[term]]
        self._phrases = {term: tuple(used) for term, used in phrases.items() if used}

    def unseen(self, text: str) -> bool:
        """Whether the corpus uses none of the text's words (`税收优惠`: neither 税收 nor 优惠)."""
        words = [w for w in self._tokenize(text) if len(w) > 1]
        return bool(words) and not any(w in self._words for w in words)

    def _cedict(self) -> dict[str, tuple[str, ...]]:
        """Every dictionary word the corpus does not use → the corpus words sharing its first gloss.

        Read on the first question that has such a word (one pass over the dictionary, 0.5 s).
        """
        with self._lock:
            if self._dictionary is None:
                self._dictionary = self._read_dictionary()
            return self._dictionary

    def _read_dictionary(self) -> dict[str, tuple[str, ...]]:
        """One pass over the dictionary: corpus words by first gloss, then the other words' matches."""
        by_gloss: dict[str, list[str]] = defaultdict(list)
        others: list[tuple[str, str]] = []
        for word, definitions in cedict_entries(self._lines):
            if word in self._words:
                if len(word) > 1 and (gloss := _first_gloss(definitions)) and word not in by_gloss[gloss]:
                    by_gloss[gloss].append(word)
            elif _HAN.fullmatch(word) and len(word) <= _MAX_CHARS and (gloss := _first_gloss(definitions)):
                others.append((word, gloss))
        found: dict[str, list[str]] = defaultdict(list)
        for word, gloss in others:
            found[word] += [w for w in by_gloss.get(gloss, ()) if w not in found[word]]
        return {word: tuple(used) for word, used in found.items() if used}

    def of(self, text: str) -> list[Equivalent]:
        """The question's words and phrases the corpus never uses that have corpus equivalents, in order."""
        out = [Equivalent(term, used) for term, used in self._phrases.items() if term in text]
        tokens = list(dict.fromkeys(self._tokenize(text)))
        # Whole words only: 主意 inside 拿主意 ("make a decision") is not the question's word for a plan.
        words = [w for w in tokens
                 if _HAN.fullmatch(w) and len(w) <= _MAX_CHARS and w not in self._words
                 and not any(w in e.word for e in out) and not any(w != t and w in t for t in tokens)]
        if words:
            dictionary = self._cedict()
            out += [Equivalent(w, dictionary[w]) for w in words if w in dictionary]
        return out
