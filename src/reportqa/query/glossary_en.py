"""English → Chinese terms of science-and-technology policy, for English questions.

The reports are Chinese; BM25 on English words finds nothing in them, and the
multilingual encoder alone blurs figures. Expanding an English question with
the Chinese terms its phrases stand for lets the lexical leg and the answer
scorer work for English too. Only domain vocabulary belongs here (no answers).
"""

from __future__ import annotations

import re

from reportqa.query.rendering import Rendering, pooled

GLOSSARY: dict[str, tuple[str, ...]] = {
    "r&d": ("研发",), "research and development": ("研发", "研究开发"), "research & development": ("研发",),
    "basic research": ("基础研究",), "applied research": ("应用研究",),
    "spending": ("经费", "支出", "投入"), "expenditure": ("经费", "支出"), "investment": ("投入", "投资"),
    "gdp": ("生产总值", "GDP"), "gross domestic product": ("生产总值",), "share": ("比例", "占比", "比重"),
    "proportion": ("比例", "比重"), "ratio": ("比例",), "percentage": ("比例", "%"),
    "foreign-invested": ("外资",), "foreign invested": ("外资",), "foreign": ("外资", "外籍", "国际"),
    "multinational": ("跨国公司",), "r&d center": ("研发中心",), "r&d centers": ("研发中心",),
    "r&d centre": ("研发中心",), "r&d centres": ("研发中心",), "research center": ("研究中心", "研发中心"),
    "newly recognized": ("新认定",), "newly recognised": ("新认定",), "recognized": ("认定",),
    "recognised": ("认定",), "accumulated": ("累计",), "cumulative": ("累计",), "total": ("总数", "累计", "总计"),
    "high-tech enterprise": ("高新技术企业",), "high-tech enterprises": ("高新技术企业",),
    "high-tech": ("高新技术",), "high tech": ("高新技术",), "enterprise": ("企业",), "enterprises": ("企业",),
    "company": ("企业", "公司"), "companies": ("企业", "公司"), "firms": ("企业",),
    "small and medium": ("中小企业",), "sme": ("中小企业",), "smes": ("中小企业",),
    "tech-based": ("科技型",), "technology-based": ("科技型",),
    "unicorn": ("独角兽",), "unicorns": ("独角兽",), "gazelle": ("瞪羚",), "gazelles": ("瞪羚",),
    "little giant": ("小巨人",), "little giants": ("小巨人",),
    "technology contract": ("技术合同",), "technology contracts": ("技术合同",), "turnover": ("成交额",),
    "transaction": ("交易", "成交"), "transactions": ("交易", "成交"), "deal": ("交易",), "deals": ("交易",),
    "patent": ("专利",), "patents": ("专利",), "invention patent": ("发明专利",),
    "invention patents": ("发明专利",), "granted": ("授权",), "pct": ("PCT",),
    "paper": ("论文",), "papers": ("论文",), "publications": ("论文",), "published": ("发表",),
    "cell": ("细胞",), "nature": ("自然",), "science": ("科学",), "scientists": ("科学家",),
    "scientist": ("科学家",), "academician": ("院士",), "academicians": ("院士",),
    "talent": ("人才",), "talents": ("人才",), "young": ("青年",), "youth": ("青年",),
    "award": ("奖",), "awards": ("奖",), "prize": ("奖",), "prizes": ("奖",),
    "science and technology award": ("科学技术奖",), "science and technology awards": ("科学技术奖",),
    "national laboratory": ("国家实验室",), "national laboratories": ("国家实验室",),
    "laboratory": ("实验室",), "laboratories": ("实验室",), "key laboratory": ("重点实验室",),
    "key laboratories": ("重点实验室",), "large-scale scientific facilities": ("大科学设施",),
    "scientific facilities": ("科技基础设施", "大科学设施"), "infrastructure": ("基础设施",),
    "incubator": ("孵化器",), "incubators": ("孵化器",), "proof of concept": ("概念验证",),
    "innovation": ("创新",), "innovative": ("创新",), "innovation index": ("创新指数",),
    "global innovation index": ("全球创新指数",), "cluster": ("集群",), "clusters": ("集群",),
    "ranking": ("排名", "位列"), "rank": ("排名", "位列", "第"), "ranked": ("排名", "位列"),
    "artificial intelligence": ("人工智能",), "ai": ("人工智能",), "large model": ("大模型",),
    "large models": ("大模型",), "generative ai": ("大模型", "生成式人工智能"),
    "integrated circuit": ("集成电路",), "integrated circuits": ("集成电路",), "chip": ("芯片",),
    "chips": ("芯片",), "semiconductor": ("半导体",), "biomedicine": ("生物医药",),
    "biopharmaceutical": ("生物医药",), "pharmaceutical": ("医药",), "drug": ("药",), "drugs": ("药",),
    "innovative drugs": ("创新药",), "medical devices": ("医疗器械",), "gene therapy": ("基因治疗",),
    "quantum": ("量子",), "brain-computer interface": ("脑机接口",), "6g": ("6G",),
    "robot": ("机器人",), "robots": ("机器人",), "humanoid": ("人形机器人",),
    "future industries": ("未来产业",), "future industry": ("未来产业",), "fund": ("基金",),
    "funds": ("基金",), "foundation": ("基金会",), "venture capital": ("创业投资", "创投"),
    "tax": ("税",), "tax relief": ("减免税", "减免"), "tax incentives": ("税收优惠", "减免"),
    "tax deduction": ("加计扣除",), "service industry": ("服务业",), "revenue": ("营收", "收入"),
    "income": ("收入",), "yangtze river delta": ("长三角",), "yangtze delta": ("长三角",),
    "innovation voucher": ("创新券",), "innovation vouchers": ("创新券",), "voucher": ("券",),
    "redeemed": ("兑付",), "redemption": ("兑付",), "hong kong": ("香港", "沪港"), "macao": ("澳门",),
    "macau": ("澳门",), "belt and road": ("一带一路",), "international cooperation": ("国际合作",),
    "forum": ("论坛",), "pujiang innovation forum": ("浦江创新论坛",), "guest country": ("主宾国",),
    "country of honor": ("主宾国",), "world laureates": ("世界顶尖科学家",),
    "technology fair": ("技术进出口交易会", "上交会"), "fair": ("交易会", "博览会"), "expo": ("博览会",),
    "hi-tech": ("高新技术",), "hi tech": ("高新技术",), "tech": ("科技",), "district": ("区",), "districts": ("区",),
    "zhangjiang": ("张江",), "lingang": ("临港",), "pudong": ("浦东",), "minhang": ("闵行",),
    "songjiang": ("松江",), "g60": ("G60",), "star market": ("科创板",), "listed": ("上市",),
    "listing": ("上市",), "reply": ("答复",), "deputy": ("代表",), "suggestion": ("建议",),
    "document number": ("文号",), "commission": ("委员会",),
    "science and technology commission": ("科学技术委员会", "市科委"),
    "people's congress": ("人大",), "popularization": ("科普", "普及"), "science festival": ("科技节",),
    "new energy": ("新能源",), "bus": ("公交",), "buses": ("公交",), "taxi": ("出租车",),
    "taxis": ("出租车",), "carbon": ("碳",), "carbon neutrality": ("碳中和",),
    "number": ("数量",), "how many": ("多少",), "growth": ("增长",), "increase": ("增长",),
    "year-on-year": ("同比",), "new": ("新增", "新晋"), "newly": ("新增",), "emerged": ("新晋", "涌现"),
    "attended": ("参会", "参加"), "attendees": ("参会",), "participants": ("参会", "参加"),
    "in person": ("线下",), "offline": ("线下",), "people": ("人数", "人次"),
    "billion": ("亿",), "yuan": ("元",), "million": ("万",),
    # General words of size and standing, which any indicator question may use.
    "industry": ("产业",), "industries": ("产业",), "industrial": ("产业",), "how large": ("规模",),
    "how big": ("规模",), "size": ("规模",), "scale": ("规模",), "national": ("国家", "全国"),
    "national science and technology award": ("国家科学技术奖",),
    "national science and technology awards": ("国家科学技术奖",), "win": ("获",), "won": ("获",),
    # China's provincial-level divisions, as the reports count them together (`19个省区市`).
    "provinces, autonomous regions and municipalities": ("省区市", "省(区、市)"),
    "provinces, regions and municipalities": ("省区市",), "provinces and municipalities": ("省区市", "省市"),
    "province": ("省",), "provinces": ("省", "省区市", "省份"), "autonomous region": ("自治区",),
    "autonomous regions": ("自治区",), "municipality": ("直辖市",), "municipalities": ("直辖市", "省区市"),
}

_KEYS = sorted(GLOSSARY, key=len, reverse=True)
_PATTERN = re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(k) for k in _KEYS) + r")(?![a-z0-9])")


def renderings(english: str) -> list[Rendering]:
    """The glossary phrases an English text contains, with their Chinese terms, in order."""
    return [Rendering(m.group(1), GLOSSARY[m.group(1)], curated=True) for m in _PATTERN.finditer(english.lower())]


def chinese_terms(english: str) -> list[str]:
    """The Chinese terms of the glossary phrases an English text contains, longest phrases first."""
    return pooled(renderings(english))


def uncovered(english: str) -> str:
    """The text with the glossary's phrases blanked out: what a wider dictionary may still read."""
    return _PATTERN.sub(" the ", english.lower())
