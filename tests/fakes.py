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
# lead-ins, figures with units, a quoted name, 《》 titles, district sections. Sentences follow
# the bundled reports. Paragraphs of 80 characters or more are chunks of their own; shorter
# ones are merged within their section, so the two reports make 14 chunks.
#
# What the unit tests lean on (keep it true when editing):
# - only 2023's 创新投入 passage names 2023 next to 全市技术合同成交额 (4850.21亿元), only 2024's
#   names 2024 (5200.73亿元, the answer the API tests expect);
# - 独角兽, “模速空间” and 《细胞》 occur in 2024 only; no passage holds the number 18, 北京 or 2019;
# - the 2024 松江区 passage also speaks of a 技术合同成交额 (G60's), without a year.
REPORT_2023 = """# 上海科技进步报告2023

## 一、创新投入

2023年，全社会研发经费支出相当于全市生产总值的比例达4.4%左右，较2022年的4.2%进一步提升。全市技术合同成交额4850.21亿元，同比增长22.4%。全市财政科技支出528.1亿元、增长36.7%。

**高新技术企业持续壮大。**有效期内高新技术企业数量达到2.4万家。新认定高新技术企业8000家。

全年新增科技小巨人企业120家，累计培育科技小巨人企业2800余家。

## 二、原始创新

上海科学家在《科学》《自然》《细胞》三大国际顶尖期刊上发表论文120篇，占全国总数的26.2%。全市共启动实施市级科技重大专项25项，45个涉及数学、物理、化学、生命四大领域的前沿探索获立项。

## 三、成果转化

上海技术交易所全年成交项目1500项，成交金额120亿元。全市共建设概念验证中心26家，推动高校院所科技成果转化项目落地300余项。

## 四、开放合作

成功举办浦江创新论坛，论坛以“科技创新与产业创新”为主题。累计与五大洲20多个国家和地区签订政府间国际科技合作协议。

## 五、区域创新

### 松江区

G60科创走廊新增科创板上市企业12家。松江区全年新增发明专利授权3000件。

### 闵行区

“大零号湾”科技创新策源功能区新增硬科技企业200余家，集聚创新创业人才超过1万人。
"""

REPORT_2024 = """# 上海科技进步报告2024

## 一、创新投入

2024年，全社会研发经费支出相当于全市生产总值的比例预计4.5%左右。全市技术合同成交额5200.73亿元，同比增长7.2%。基础研究经费支出占全社会研发经费支出的比重达10.5%左右。

**高新技术企业持续壮大。**有效期内高新技术企业数量达到2.5万家。全年入库科技型中小企业17244家。

全年新增科技小巨人企业150家，专精特新中小企业超过1万家。

## 二、原始创新

上海科学家在《细胞》《自然》《科学》上发表论文158篇，占全国30.6%。

**重大原创成果持续涌现。**首次实现大模型在量子计算芯片上的运行。

## 三、未来产业

建成全国首个大模型创新生态社区“模速空间”，百余家大模型企业入驻。独角兽企业新增5家，总数达到67家。

**人工智能产业规模持续扩大。**全市人工智能重点企业超过400家，规上产业规模达到4500亿元。

## 四、科技人才

全年引进海外高层次人才2000余名，发放外国人工作许可证3.6万份。青年科技人才占全市科技人才总数的比例超过60%，两院院士总数达到185位。

## 五、区域创新

### 浦东新区

张江科学城新增高质量孵化器15家，集成电路产业规模超过2000亿元。

### 松江区

G60科创走廊九城市技术合同成交额突破1000亿元。松江区全年新增高新技术企业500家。
"""

# An optional third document of another kind: a 2024 reply to a deputy's suggestion that reports
# 2023's progress (its manifest gives content_years = [2023]). It is not written by default, so
# tests that list the tiny corpus's documents keep seeing two reports.
REPLY_2024 = """# 上海市科学技术委员会关于市人大代表建议的答复

## 一、办理概述

感谢您对上海国际科技创新中心建设的关心支持。收到您的建议后，我委高度重视，会同市经济信息化委等部门认真开展研究，形成答复意见。

## 二、答复意见

**主要工作进展：**全市财政科技支出中市级财政支出265.3亿元，基础研究支出占比达23.6%。
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

REPLY_MANIFEST = """
[[report]]
id = "reply2024"
file = "reply2024.md"
title = "上海市科学技术委员会关于市人大代表建议的答复"
year = 2024
content_years = [2023]
publisher = "上海市科学技术委员会"
kind = "reply"
"""


def write_tiny_corpus(folder: Path, *, reply: bool = False) -> Path:
    """Write the two tiny reports and their manifest into `folder`; returns it.

    `reply` adds a third, two-chunk document (`reply2024`, a 2024 reply about 2023).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "r2023.md").write_text(REPORT_2023, encoding="utf-8")
    (folder / "r2024.md").write_text(REPORT_2024, encoding="utf-8")
    manifest = MANIFEST
    if reply:
        (folder / "reply2024.md").write_text(REPLY_2024, encoding="utf-8")
        manifest += REPLY_MANIFEST
    (folder / "reports.toml").write_text(manifest, encoding="utf-8")
    return folder
