"""The lightest fixture weight: a deterministic fake embedder and a tiny hand-written corpus.

`FakeEmbedder` maps a text to the normalised sum of hashed character unigrams and
bigrams, so texts that share words are near each other and nothing is loaded: a
whole index of the tiny corpus builds in well under a second. It is for fast unit
tests of ranking and answers; the real model is tested in the slow layer.
"""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

DIM = 64


def _bucket(gram: str) -> int:
    return int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=4).digest(), "little") % DIM


def fake_vector(text: str) -> np.ndarray:
    """Hashed character uni- and bigrams of the text, L2-normalised (a zero text gets a fixed unit vector)."""
    text = unicodedata.normalize("NFKC", text).lower()
    chars = [c for c in text if not c.isspace() and c not in "，。、；：？！*#“”《》（）()"]
    vec = np.zeros(DIM, np.float32)
    for c in chars:
        vec[_bucket(c)] += 1.0
    for a, b in itertools.pairwise(chars):
        vec[_bucket(a + b)] += 2.0
    norm = float(np.linalg.norm(vec))
    if norm == 0:
        vec[0] = 1.0
        return vec
    return vec / norm


class FakeEmbedder:
    """An `Embedder` with no model: hashed n-gram vectors, same space for questions and passages."""

    model_id = "fake-ngram"
    checksum = "fake-ngram-v1"
    dim = DIM

    def __init__(self) -> None:
        self.passages_embedded = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([fake_vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def embed_passages(self, texts: Sequence[str], *, batch_size: int = 32,
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.passages_embedded += len(texts)
        out = self.embed_queries(texts)
        if progress:
            progress(len(texts))
        return out

    def warm_up(self) -> None:
        return None


# Two small reports about two years, in the shapes the real reports use: headings, bold
# lead-ins, figures with units, a district section. Sentences are taken from the bundled reports.
REPORT_2023 = """# 上海科技进步报告2023

## 一、创新投入

全社会研发经费支出相当于全市生产总值的比例达4.4%左右。全市技术合同成交额4850.21亿元，同比增长22.4%。

**高新技术企业持续壮大。**有效期内高新技术企业数量达到2.4万家。新认定高新技术企业8000家。

## 二、成果转化

上海技术交易所全年成交项目1500项，成交金额120亿元。

## 三、区域创新

### 松江区

G60科创走廊新增科创板上市企业12家。松江区全年新增发明专利授权3000件。
"""

REPORT_2024 = """# 上海科技进步报告2024

## 一、创新投入

全社会研发经费支出相当于全市生产总值的比例预计4.5%左右。全市技术合同成交额5200.73亿元，同比增长7.2%。

**高新技术企业持续壮大。**有效期内高新技术企业数量达到2.5万家。全年入库科技型中小企业17244家。

## 二、原始创新

上海科学家在《细胞》《自然》《科学》上发表论文158篇，占全国30.6%。

**重大原创成果持续涌现。**首次实现大模型在量子计算芯片上的运行。

## 三、未来产业

模速空间已吸引百余家大模型企业入驻。独角兽企业新增5家，总数达到67家。
"""

MANIFEST = """[[report]]
id = "r2023"
file = "r2023.md"
title = "上海科技进步报告2023"
year = 2023
publisher = "上海市科学技术委员会"
kind = "annual report"

[[report]]
id = "r2024"
file = "r2024.md"
title = "上海科技进步报告2024"
year = 2024
publisher = "上海市科学技术委员会"
kind = "annual report"
"""


def write_tiny_corpus(folder: Path) -> Path:
    """Write the two tiny reports and their manifest into `folder`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "r2023.md").write_text(REPORT_2023, encoding="utf-8")
    (folder / "r2024.md").write_text(REPORT_2024, encoding="utf-8")
    (folder / "reports.toml").write_text(MANIFEST, encoding="utf-8")
    return folder
