"""One word or phrase of a bridged-language question and the Chinese words it stands for.

Retrieval only needs the Chinese words, pooled; the answer check needs them grouped by
the English word they render, so that it can ask "is *valuation* in this sentence?" —
any one of its renderings (估值) will do, and a word with none in the corpus is not
asked for at all.
"""

from __future__ import annotations

from typing import NamedTuple


class Rendering(NamedTuple):
    """An English word or phrase (`valuation`, `global innovation index`) and its Chinese words."""

    english: str
    chinese: tuple[str, ...]
    # From the hand glossary of the domain's set phrases (unicorn → 独角兽), not the general dictionary.
    curated: bool = False


def pooled(renderings: list[Rendering]) -> list[str]:
    """The renderings' Chinese words, each once, in order."""
    out: list[str] = []
    for rendering in renderings:
        out += [t for t in rendering.chinese if t not in out]
    return out


class Equivalent(NamedTuple):
    """A word of a Chinese question that the reports never use (`高科技`, `税收优惠`) and the words
    they use for it (`高新技术`, `减免`): the answer check looks for those instead."""

    word: str
    corpus: tuple[str, ...]
