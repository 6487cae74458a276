"""Fix one-character typos in a question against the corpus's own vocabulary.

`独脚兽` is not a word of the reports but `独角兽` is; a query term of three or
more Chinese characters that the corpus never uses, one character away from
a term it uses, is most likely that term mistyped. Correcting it restores the
lexical match; the dense leg sees the corrected text too. A word of the
analyser's dictionary is no typo, though the reports never use it: `数理化`
is one character away from the corpus's `数字化`, and means something else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from reportqa.text.zh import HAN_BASIC

# Terms come from jieba tokens of the reports; the basic block is where their Han characters lie.
_CJK_RUN = re.compile(f"[{HAN_BASIC}]{{3,}}")
# Grammatical particles, demonstratives and question characters: a question writes them as meant, never
# for a name's character (`这件事` is no typo of 一件事).
_PARTICLES = frozenset("了的着过吗呢吧啊地得之和与及或在是有把被给向从对这那哪几每各该此其")


class Speller:
    """One-substitution corrections towards known corpus terms of 3–6 Chinese characters."""

    def __init__(self, vocabulary: Iterable[str], known: Callable[[str], bool] | None = None) -> None:
        words = set(vocabulary)
        # The dictionary's words (jieba's): a real word the corpus does not use is not corrected.
        self._dictionary = known
        self._words = {t for t in words if len(t) >= 2}
        self._known = {t for t in words if 3 <= len(t) <= 6 and _CJK_RUN.fullmatch(t)}
        self._by_mask: dict[str, list[str]] = defaultdict(list)
        for term in self._known:
            for i in range(len(term)):
                self._by_mask[term[:i] + "?" + term[i + 1:]].append(term)

    def _fix(self, word: str) -> str | None:
        if word in self._known or (self._dictionary is not None and self._dictionary(word)):
            return None
        # A particle (了, 的, 在, 这…) is written on purpose: `新加了` is no typo of 新加坡.
        options = {t for i in range(len(word)) if word[i] not in _PARTICLES
                   for t in self._by_mask.get(word[:i] + "?" + word[i + 1:], ())}
        return options.pop() if len(options) == 1 else None

    def correct(self, text: str) -> str:
        """The text with each unknown 3–6 character term replaced by its unique one-typo neighbour.

        A window is only a candidate when no known word of two or more characters
        lies inside it, so ordinary phrases spanning word boundaries are left alone.
        """
        out = text
        for run in _CJK_RUN.findall(text):
            for size in range(min(6, len(run)), 2, -1):
                for start in range(len(run) - size + 1):
                    word = run[start:start + size]
                    if self._contains_known(word) or self._straddles(run, start, start + size):
                        continue
                    fixed = self._fix(word)
                    if fixed:
                        out = out.replace(word, fixed)
        return out

    def _straddles(self, run: str, start: int, end: int) -> bool:
        """Whether a dictionary word crosses the window's edge: in `上海以外地区`, `海以外` starts inside
        上海 and is no typo of `海内外`."""
        if self._dictionary is None:
            return False
        return (start > 0 and self._dictionary(run[start - 1:start + 1])) or (
            end < len(run) and self._dictionary(run[end - 1:end + 1]))

    def _contains_known(self, word: str) -> bool:
        return any(word[i:j] in self._words for i in range(len(word)) for j in range(i + 2, len(word) + 1))
