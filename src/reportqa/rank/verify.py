"""Check that a candidate sentence carries what was asked before it is shown as the answer.

A sentence that is merely close to a question is how a confident wrong citation
happens: `上海的人口是多少？` is near a sentence about patents per 10,000 people, and
`…负责人一共有多少人？` is near a sentence giving their share. An answer must carry
the asked *measure* (its words, as words: 人口 in 每万人口 is a divisor, not the
measure), and the asked *kind of value* (a count with the asked counter, an amount
in 元, a share, a date). The year and the place are checked by the answer step
against the passage and its report. Everything here reads the question's shape,
never a particular figure or topic.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reportqa.ingest.boilerplate import DOCUMENT_NUMBER
from reportqa.query.analyze import QueryInfo
from reportqa.query.languages import QUESTION_WORDS
from reportqa.query.rendering import Equivalent, Rendering
from reportqa.rank.tables import with_units
from reportqa.text.places import DISTRICTS, KNOWN_PLACES, PLACES, PLACES_EN, PROVINCE_CHARACTERS

# Words around a quantity that say nothing about which measure is asked.
_FILLER = frozenset(
    "上海 上海市 全市 本市 我市 截至 截止 年底 年末 以来 目前 当年 同年 一共 总共 共 累计 分别 各 又 "
    "已经 已 达到 达 有 是 为 的 了 在 年 年度 其中 具体 主要 情况 数量 数 总数 规模 新增 新 一项 这一项 该项 "
    "占比 比例 比重 多大 大概 大约 大致 到底 究竟 那批 这批 那些 这些 整年 一整年 下来 "
    "这块 这一块 那块 一下 给我 帮我 请问 说说 讲讲 都给 我列 "
    "according report reports shanghai".split()
)
# The quantity word of a question and what follows it: `有多少家`, `几个`, `多少亿元`.
_ASK = re.compile(
    r"(?:一共|总共|共|累计|分别|各)?(?:有|是|为|达到|达)?(?:多少|几)(?:钱|亿元|万元|亿|万)?"
    r"(小时|人次|[家项件人个篇款所位名场次批台套座起元天倍吨亩辆艘架块张条支部期轮株])?")
# A 几 that does not ask a number: `这几门学科` (these few), `好几个` (several), `几乎` (almost), `几经`
# (after several), `哪几家` (which ones: a question for names).
_NOT_ASKING = re.compile(r"[这那好哪第]几|几[乎经]")
# The asking word of an ordinal (`第几届`, jieba's `几届`): no word of the measure.
_ORDINAL_ASK = re.compile(r"第?几[\u4e00-\u9fff]?")


def ask_match(text: str) -> re.Match[str] | None:
    """The question's quantity word: its 多少 wherever it stands, else its last 几 that asks.

    `在数理化生这几门基础学科里，一共有多少个…课题` asks 多少个, not 这几门: the first match
    would make the measure the words before 这几 and miss 课题.
    """
    asking = [m for m in _ASK.finditer(text)
              if not _NOT_ASKING.search(text, max(0, m.start() - 1), min(len(text), m.end() + 1))]
    return next((m for m in asking if "多少" in m.group()), asking[-1] if asking else None)


def _other_counters(text: str, ask: re.Match[str]) -> tuple[str, ...]:
    """The counters of a question's other quantity words (`分几批…多少个` → 批), in its clause."""
    start = max(text.rfind(p, 0, ask.start()) for p in "，,。；;？?") + 1
    end = min((i for p in "，,。；;？?" if (i := text.find(p, ask.end())) >= 0), default=len(text))
    return tuple(dict.fromkeys(
        m.group(1) for m in _ASK.finditer(text, start, end)
        if m.start() != ask.start() and m.group(1) and m.group(1) != ask.group(1)
        and not _NOT_ASKING.search(text, max(0, m.start() - 1), min(len(text), m.end() + 1))))


_NAME_ASK = re.compile(r"叫什么(?:名字)?|是什么|是哪(?:个|些|家|一)?[^，。？?]{0,3}|有哪些|哪些|哪个|什么")
_DAY_ASK = re.compile(r"哪一天|哪天|哪几天|几月几日|日期|\b(?:what|which) (?:dates?|days?)\b|\bon what day\b",
                      re.IGNORECASE)
# (English `when` asks only where it opens a question or a clause: `…opened when its institute opened` asks nothing.)
_DATE_ASK = re.compile(r"什么时候|何时|几月份?|哪个月|哪一个月|(?:^|[,;:?]\s*|\band\s+)when\b|what month|which month",
                       re.IGNORECASE)
_DOCNUM_ASK = re.compile(r"文号|发文字号|发文号|document number|reference number", re.IGNORECASE)
_YEAR_ASK = re.compile(r"哪一年|哪年|哪一?个?年度|什么年度|which year|what year", re.IGNORECASE)
# A question about a standing in a ranking (`全国排第几`, `where did … rank`), not an event's ordinal (`第几届`).
_RANK_ASK = re.compile(r"第几(?![届次批期轮代类号章节条款个项家])|名次|排名(?:多少|如何|怎样)|"
                       r"\b(?:where|what|which)\b[^?]*\brank(?:ed|s|ing)?\b|\bwhat (?:place|position)\b",
                       re.IGNORECASE)
# A standing as the reports give one: 全国第二, 全球第5位, 位列第九, 榜首, 首位, 前十名.
_RANK = re.compile(r"第[一二三四五六七八九十\d]+(?:位|名)?(?![届次批期轮代类号章节条款个项家桶\d])|榜首|首位|居首|"
                   r"前[一二三四五六七八九十\d]+(?:名|位|强)?")
# A question about where: a city, a province, a district, a site.
# (`在哪举办`, `在哪些国家` ask a place; `在哪几个新赛道`, `在哪些前沿技术上` ask which fields: no place.)
_PLACE_ASK = re.compile(r"哪里|哪儿|在哪(?![几些一个]{0,2}[\u4e00-\u9fff]{0,2}?"
                        r"(?:领域|方向|方面|赛道|行业|产业|环节|技术|学科|阶段|问题))|哪座|哪个城市|哪一城市|哪个省|哪一省|"
                        r"哪(?:一|几)?个区|哪些区|什么地方|"
                        r"\bwhere\b|\b(?:which|what) (?:city|province|district|country|venue|location|place)\b",
                        re.IGNORECASE)
# Who: the answer names a person (`联系人是谁？`, `Who won…?`).
# (English `who` asks only where it opens a question or a clause: `researchers who want…` asks nothing.)
_PERSON_ASK = re.compile(r"是谁|有谁|哪位|哪几位(?!院士|专家|科学家)|什么人|(?:^|[,;]\s*(?:and\s+)?)who\b(?!se)",
                         re.IGNORECASE)
# A question for contact details: the answer must hold one (the reports' contact lines are noise).
_EMAIL_ASK = re.compile(r"邮箱|电子邮件|\be-?mail\b", re.IGNORECASE)
_PHONE_ASK = re.compile(r"电话|\b(?:tele)?phone\b", re.IGNORECASE)
# A place name as the reports write one: 大阪市, 浙江省, 嘉定区, 洋山港, 张江科学城.
_PLACE = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:省|市|区|县|镇|港|湾|岛|州|城)")
_SHARE_ASK = re.compile(r"比例|占比|比重|份额|百分之|多少%|几成|share|percentage|proportion", re.IGNORECASE)
# A question about a change (`增长了百分之几`, `比一年前多了百分之几`): a growth rate answers it.
_CHANGE_ASK = re.compile(r"增长|增速|增幅|增加|提高|提升|下降|降低|减少|多了|少了|涨|降了|"
                         r"growth|increase|decrease|rise|fell", re.IGNORECASE)
# The base a change is asked against (`比上年`, `较去年`): no word of the measure.
_CHANGE_BASE = frozenset({"上年", "去年", "前一年", "同比", "比上年", "较上年", "上一年", "一年", "比前", "比去年"})
# A change asked in percentage points (`比前一年多了几个点`, `提高了多少个百分点`): a rate answers it.
_POINTS_ASK = re.compile(r"几个(?:百分)?点|多少个?百分点")
# How much something changed, with no unit named (`比上年增长了多少`): a change, not a count.
_CHANGE_BY = re.compile(r"(?:增长|增加|提高|提升|下降|降低|减少|上涨|涨)了?多少(?![\u4e00-\u9fff])"
                        # The rate asked by name (`支出的增幅是多少`, `增速有多大`).
                        r"|(?:增幅|增速|增长率|涨幅|降幅)(?:是|为|有)?(?:多少|多大)")
# A rate of change, which is not a share of a whole: `同比增长7.2%`, `比上年提高0.5%`.
_CHANGE_RATE = re.compile(r"(?:增长|增幅|增速|下降|降低|提高|提升|增加|上升|回落|减少)(?:了|达到?|为|约|近|超过?|\s)*"
                          r"\d[\d.]*\s*%")
# New ones in a year (a flow) against all there are (a stock): `新认定…多少家` is not answered by `累计636家`.
_FLOW = re.compile(r"新认定|新增|新建|新设|新晋|新引进|新获批|新落户|新培育|新成立|新入选|新评上|新当选|新签|"
                   r"新纳入|新入库|新注册|新登记|新挂牌|新上市|新备案|新开工|新落地|新招收|新加入|新核发|新颁发|新发放"
                   r"|\bnewly\b|\bnew\b(?![- ](?:type|energy|materials?|drugs?)\b)", re.IGNORECASE)
_STOCK = re.compile(r"累计|总数|总量|存量|有效期内|现有|总计|共计|\bin total\b|\bcumulative|\baccumulated\b|\bso far\b",
                    re.IGNORECASE)
# Words with 新 that do not say "new ones": 创新, 新型, 新兴…
_NOT_NEW = re.compile(r"创新|高新|新型|新兴|更新|革新|重新|最新|新区|新片区|新城|新能源|新材料|新赛道|新质|"
                      r"新一代|新一轮")
# A sentence giving new ones says so: 新/增 or a verb of arrival (认定, 当选, 入选, 获批, 引进, 落户, 成立…).
# A bare 新 says it only before a verb (新认定, 新建): 新技术和新产品 are new things, not new ones counted.
_FLOW_SAID = re.compile(r"新(?:认定|增|建|设|晋|引进|获|落户|培育|成立|入|评|当选|签|纳入|注册|登记|挂牌|上市|"
                        r"备案|开工|落地|招|加入|核发|颁发|发放)|增|当选|认定|入选|获批|引进|落户|成立|设立|建成|揭牌|签约|签署")
# The part of a whole a question asks (`三大母基金中，集成电路母基金的规模`): what follows the lone 中.
_PART_MARK = frozenset({"中", "其中"})
_AMOUNT_ASK = re.compile(r"金额|多少钱|多少亿|多少万元|多少元|投资额|成交额是多少|营收是多少|how much money|yuan|"
                         r"多少(?:财政|科研|专项|研发|政府|配套)?(?:资金|经费|奖金|融资|拨款|补贴|投资|钱款)",
                         re.IGNORECASE)
# An English question about a sum of money names it by a word of money, not by a unit: the answer is in 元.
_EN_AMOUNT_ASK = re.compile(r"\b(?:valuation|valued|worth|turnover|revenues?|income|funding|budget|endowment|"
                            r"(?<=how much )(?:prize )?money|"
                            r"(?:market|total|combined|contract|transaction|output) value|value of|"
                            r"market capitali[sz]ation)\b"
                            # `what funding approach` asks a way of funding, not a sum.
                            r"(?!\s+(?:approach|model|mechanism|policy|policies|programme|program|scheme|method|way))",
                            re.IGNORECASE)
_EN_HOW_MANY = re.compile(r"\bhow many\b", re.IGNORECASE)
# An English count of people: a Chinese answer gives it in 人, 名, 位 or 人次, whatever the noun.
_EN_TIMES = re.compile(r"\bhow many times\b", re.IGNORECASE)
_EN_COUNT = re.compile(
    r"how many\s+(?:[\w'-]+\s+){0,3}?(people|persons|experts|talents|attendees|scientists|laureates|researchers|"
    r"residents|visitors|participants|staff|employees|students|academicians|members|users|viewers|workers|"
    r"professionals|engineers|doctors|fellows|entrepreneurs|investors|delegates|guests|winners|recipients)\b",
    re.IGNORECASE)
# A Chinese question for a figure that names no unit: `…的利润是多少？`, `基金规模有多大？`.
_NUMBER_ASK = re.compile(r"(?:是|有|为|达到?|约)多少(?![\u4e00-\u9fff])|有多少(?=是)|有?多大(?:规模)?[？?。]?$"
                         r"|规模多大")
_SEGMENT = re.compile(r"[，,：:；;的]")
_NUM = r"(?:\d[\d,.]*|[一二两三四五六七八九十百千]+)\s*(?:余|多)?\s*(?:万|亿)?\s*(?:余|多)?\s*"
# Counters that answer for each other (a count of people may be given in 人次 or 名).
COUNTER_ALIASES: dict[str, tuple[str, ...]] = {
    "人": ("人", "名", "位"), "位": ("位", "人", "名"), "名": ("名", "人", "位"), "家": ("家",),
    "个": ("个", "家", "项", "所", "座", "台", "套", "款", "种", "席"), "项": ("项", "个"), "件": ("件", "项"),
    "次": ("次", "场", "人次"), "场": ("场", "次"), "款": ("款", "个", "种", "项"), "种": ("种", "个", "款", "项"),
    "小时": ("小时", "机时"), "天": ("天", "日"), "人次": ("人次", "人"), "期": ("期", "批", "届"),
    "批": ("批", "期"), "轮": ("轮", "批", "次"), "辆": ("辆", "台"), "架": ("架", "台")}


def _counters(counter: str) -> str:
    """A regex alternation of the counters that answer for `counter` (`个` → `个|家|项|…`)."""
    return "|".join(COUNTER_ALIASES.get(counter, (counter,)))

# The noun a "what" question asks for (`什么机制？`, `什么样的研究机构`): its last two characters are the
# head of the compound (机制, 机构), which a sentence naming the asked thing should carry.
# Heads that ask for a name without saying of what kind (`叫什么名字`): any name answers them.
_GENERIC_HEADS = frozenset("名字 名称 称号 意思 内容 东西 地方 样子".split())
_NAME_HEAD = re.compile(r"什么(?:样的?)?([\u4e00-\u9fff]{2,8})[？?吗呢。]?$")
# The attribute a "what is X's A" question asks (`…交易会的主题分别是什么`): a sentence naming it may be a
# high-confidence answer; one that does not (the title quoted as `“…”`) may still answer.
_ATTRIBUTE = re.compile(r"的([\u4e00-\u9fff]{2,4}?)(?:分别|各自|各)?(?:是|叫|为)(?:什么|哪些|哪个|哪一个)")
# The same asked for in English (`What was the theme of …?`), by the word the reports write for it.
_EN_ATTRIBUTE = re.compile(r"\bwhat (?:is|was|are|were) the (theme|slogan|motto) of\b", re.IGNORECASE)
_EN_ATTRIBUTE_ZH = {"theme": "主题", "slogan": "口号", "motto": "口号"}


_ROLE = re.compile(r"的([\u4e00-\u9fff]{2,6}?)(?:分别|各自|各)?是谁")


def _role(text: str) -> str | None:
    """The role a who-question asks the holder of (`…的首任院长是谁` → 院长): its last two characters."""
    return match.group(1)[-2:] if (match := _ROLE.search(text)) else None


def _attribute(text: str) -> str | None:
    """The attribute a question asks of a thing: `…的主题是什么` → 主题, `What was the theme of…` → 主题."""
    if match := _ATTRIBUTE.search(text):
        return match.group(1)
    if match := _EN_ATTRIBUTE.search(text):
        return _EN_ATTRIBUTE_ZH[match.group(1).lower()]
    return None


_AMOUNT = re.compile(_NUM + r"(?:美元|元)")
# A share as a percentage, a fraction (`占比达到2/3`, `三分之二`), in tenths (`七成`) or a half (`过半`).
_SHARE = re.compile(r"\d[\d.]*\s*%|百分之|[一二三四五六七八九]成|过半|半数|(?<![\d/])\d\s*/\s*\d{1,2}(?![\d/])|"
                    r"[一二三四五六七八九十]分之[一二三四五六七八九]")
_DATE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月")
_DAY = re.compile(r"\d{1,2}\s*日")
# A word right after these is a divisor (每万人口, 人均), not the measure itself.
_PER = ("每万", "每千", "每百", "每十万", "每", "人均")


@dataclass(frozen=True)
class Asked:
    """What a question asks for: the measure's words, and the kind of value."""

    measure: tuple[str, ...]
    kind: str | None = None  # "count", "amount", "share", "change", "date", "day", "year", "docnum", "rank", "place"
    counter: str | None = None
    # Whether the measure must be found: a question asking a value, or a bare keyword query.
    check_measure: bool = False
    # A keyword query is the measure itself: all of its words must be there, a rare one is not enough.
    whole: bool = False
    # The head noun a "what" question asks for (`机制` of `什么机制`), None for other questions.
    head: str | None = None
    # The attribute a "what is X's A" question asks (`主题` of `…的主题是什么`), None for other questions.
    attribute: str | None = None
    # It asks for new ones in a period (`新认定`), not for all there are (`累计`).
    flow: bool = False
    # The question itself, normalised: a place it already names is not the place it asks for.
    text: str = ""
    # The words naming the part of a whole it asks for (`三大母基金中，集成电路母基金的规模` → 集成电路):
    # the value must sit beside them, not beside the whole.
    part: tuple[str, ...] = ()
    # An English question's measure: its words, each with the corpus's Chinese words for it.
    renderings: tuple[Rendering, ...] = ()
    # The noun a value question asks the value of, after its last 的 (`基金的总规模是多少` → 总规模).
    value_noun: str = ""
    # The noun a bare `多少` asks the quantity of (`一共赚了多少利润` → 利润): a figure of no word
    # sharing a character with it (`营收6272.59亿元`) is another measure's.
    quantity_noun: str = ""
    # The words naming a whole the question counts and asks a part of (`新晋的10家独角兽里，人工智能公司占几家`
    # → 独角兽): the answer names it, and a sentence giving only that count beside the measure gives the whole.
    given_whole: tuple[str, ...] = ()
    # The figures the question itself gives (`3000余家服务机构中，上海的有多少家` → 3000): the asked
    # value is another one.
    given: tuple[str, ...] = ()
    # What a share is the share of (`基础研究投入占全社会研发经费的比重` → 基础研究, 投入): the sentence
    # must name it, not only the whole.
    share_of: tuple[str, ...] = ()
    # The whole a share is asked within (`市级财政科技支出中，基础研究支出占比` → 财政, 科技, 支出):
    # the sentence must name it, not a share of another whole.
    share_whole: tuple[str, ...] = ()
    # The names the question quotes (`“全球科技伙伴计划”`, `《…方案》`): the sentence must carry them.
    quoted: tuple[str, ...] = ()
    # The event a count is of, by its verb's group (`现场签约了多少个` → 签约): a count of another event
    # (`集中展示…50个`) does not answer it.
    event: str = ""
    # What the question leaves out of its count (`两院院士（不含其他资深科学家）` → 资深, 科学家): a
    # figure counting them in (`40余位两院院士及资深科学家`) is another figure.
    excluded: tuple[str, ...] = ()
    # The month a figure is asked as of (`截至2024年1月底`, `by the end of January 2024`), or 12 for a
    # year's end (`年底`, `by the end of 2024`): a running total as of another month is another figure.
    as_of: int | None = None
    # A whole year asked (`全年`, `一整年`): a figure for part of it (`1—11月`, `上半年`) is another figure.
    full_year: bool = False
    # Counters the question asks beside its main one (`分几批部署了多少个项目` → 批): the answer gives both.
    also: tuple[str, ...] = ()
    # The count a names question gives of what it asks and the noun after it (`新建的三大平台分别叫什么名字`
    # → 三大, 平台; empty for other questions): a sentence only repeating the count names nothing.
    counted: tuple[str, ...] = ()
    # The noun right after a count's counter (`几座城市` → 城市): `九城市` counts it without the counter.
    noun: str = ""
    # The category a figure is asked within (`专利转让类合同` → 转让, `1类创新药` → 1类): read once here,
    # not for every sentence checked.
    category: str | None = None
    # The question's words the reports never use, with the reports' words for each (`高科技` → 高新技术).
    equivalents: tuple[Equivalent, ...] = ()
    # An English question's content words anywhere in it (not only its head), with their Chinese words:
    # a count's asked thing (`projects`) is often generic, and the rest of the question says whose.
    question_renderings: tuple[Rendering, ...] = ()


def _measure_text(text: str) -> str:
    """The words naming the asked measure: the clause around the quantity or name question word.

    The whole clause, not a guessed head noun: which of its words must appear is decided by
    their rarity (see `measure_found`), so a verb or a reporting phrase in it costs nothing.
    """
    match = ask_match(text) or _NAME_ASK.search(text)
    if match is None:
        return text
    after = re.sub(r"[吗呢?？。!！\s]+", "", text[match.end():])
    before = text[: match.start()]
    return f"{before} {after}" if len(after) >= 2 and not ask_match(after) else before


def read_asked(query: QueryInfo, tokenize: Callable[[str], list[str]],
               known: Callable[[str], bool] | None = None) -> Asked:
    """The measure and kind of value a (single-part) question asks for (`known`: the dictionary's words)."""
    text = query.normalized
    kind: str | None = None
    counter: str | None = None
    ask = ask_match(text)
    if _DOCNUM_ASK.search(text):
        kind = "docnum"
    elif _EMAIL_ASK.search(text):
        kind = "email"
    elif _PHONE_ASK.search(text):
        kind = "phone"
    elif _DAY_ASK.search(text):
        kind = "day"
    elif _DATE_ASK.search(text):
        kind = "date"
    elif _YEAR_ASK.search(text):
        kind = "year"
    elif _PERSON_ASK.search(text):
        kind = "person"
    elif _RANK_ASK.search(text):
        kind = "rank"
    elif _PLACE_ASK.search(text):
        kind = "place"
    elif _SHARE_ASK.search(text):
        kind = "change" if _CHANGE_ASK.search(text) and not re.search(r"比例|占比|比重|share|proportion", text,
                                                                       re.IGNORECASE) else "share"
    elif ((_AMOUNT_ASK.search(text) and (ask or _NUMBER_ASK.search(text) or not _NAME_ASK.search(text)))
          or (ask and ask.group(0).endswith(("亿元", "万元", "元", "钱")))):
        # (`最大投资额外资项目是哪家企业的` names the project by its sum and asks whose it is: no amount.)
        kind = "amount"
    elif _CHANGE_BY.search(text) or _POINTS_ASK.search(text):
        kind = "change"  # `比上年增长了多少？`: the reports give a change as a rate (`增长36.7%`)
    elif ask and ask.group(1) and ask.group(1) != "元" and (len(ask.group(1)) > 1
                                                         or not _starts_word(text, ask.start(1), tokenize, known)):
        kind, counter = "count", ask.group(1)
    elif query.english and _EN_TIMES.search(text):
        kind, counter = "count", "次"  # `how many times was it viewed`: a count of times (次, 人次)
    elif query.english and _EN_COUNT.search(text):
        kind, counter = "count", "人"
    elif query.english and _EN_AMOUNT_ASK.search(text) and not _EN_HOW_MANY.search(text):
        kind = "amount"
    elif query.english and _EN_HOW_MANY.search(text):
        kind = "count"  # English names no counter: any count will do, but a count there must be
    elif not query.english and _NUMBER_ASK.search(text):
        kind = "number"  # `利润是多少`, `规模有多大`: no unit named, but a figure there must be
    if query.profile.bridge is not None:
        # An English question's measure words are in English: they are checked word by word
        # through their renderings (`english_measure`), not as Chinese words.
        words = []
    else:
        # What the count leaves out (`（不含其他资深科学家）`) is no word of the measure.
        words = tokenize(_LEVEL.sub(r"\1 ", _measure_text(_EXCLUDING.sub("", re.sub(r"(?:19|20)\d\d\s*年?度?", "",
                                                                                   text)))))
    # A place (嘉定区) is checked against the passage on its own: as a measure word it would let
    # any sentence of that district's passage pass for the measure.
    content = list(dict.fromkeys(
        w for w in words
        if w not in QUESTION_WORDS and w.lower() not in _FILLER and len(w) > 1 and not w.isdigit()
        and not (len(w) == 2 and w.endswith("了"))  # `发了`, `有了`: a verb and its aspect, no measure
        and re.sub(r"新?区$", "", w) not in KNOWN_PLACES and not _ORDINAL_ASK.fullmatch(w)
    ))
    # Whole words only: search-mode sub-words (成交 of 成交额) would let a part stand for the word.
    # (A part of a filler word is no word of the measure either: 海市 of 上海市.)
    measure = tuple(w for w in content if not any(w != o and w in o for o in [*content, *words]))
    if kind == "change":
        # `比上年增长了多少`: the change asked and its base year say which kind of value, not which measure.
        measure = tuple(w for w in measure if not _CHANGE_ASK.fullmatch(w) and w not in _CHANGE_BASE)
    head = _NAME_HEAD.search(text.strip())
    return Asked(_with_unknown_words(words, measure), kind, counter,
                 check_measure=bool(kind) or query.asks_quantity or query.keyword, whole=query.keyword,
                 head=head.group(1)[-2:] if head and not kind and head.group(1)[-2:] not in _GENERIC_HEADS else None,
                 flow=(bool(kind) or query.asks_quantity) and bool(_FLOW.search(_NOT_NEW.sub("", text)))
                 and not _STOCK.search(text),
                 text=text,
                 attribute=_attribute(text) if not kind else _role(text) if kind == "person" else None,
                 part=_part_words(text, tokenize, counted=kind == "count")
                 if kind and query.profile.bridge is None else (),
                 renderings=english_measure(query.renderings, text),
                 value_noun=_value_noun(text, tokenize if kind == "number" else None)
                 if kind in ("amount", "count", "share", "number") and not query.english else "",
                 quantity_noun=_noun_after_quantity(text, tokenize) if kind is None and not query.english else "",
                 given=_given_numbers(text) if kind in ("amount", "count", "number") else (),
                 given_whole=_given_whole(text, tokenize) if kind in ("amount", "count", "number") else (),
                 share_of=_share_of(text, tokenize) if kind == "share" and not query.english else (),
                 share_whole=_share_whole(text, tokenize) if kind == "share" and not query.english else (),
                 quoted=quoted_names(query),
                 event=(_english_event(text) if query.english else _event(text, ask) if ask else "")
                 if kind in ("count", "number", "amount") else "",
                 excluded=_excluded(text, tokenize) if kind and not query.english else (),
                 as_of=_as_of(text) if kind in ("count", "amount", "number") else None,
                 full_year=bool(_FULL_YEAR.search(text)) and kind in _FIGURES,
                 also=_other_counters(text, ask) if kind == "count" and ask else (),
                 counted=_counted(text) if kind in (None, "place", "person") and not query.english else (),
                 noun=_noun_after(text, ask) if kind == "count" and ask and not query.english else "",
                 category=_category(text, tokenize) if kind in _FIGURES and query.profile.bridge is None else None,
                 equivalents=query.equivalents,
                 question_renderings=english_measure(query.renderings))


# Verbs of the events the reports count, grouped by what they mean: 签约 and 签署 count the same deals,
# 展示 and 签约 do not. A count's event is one group; a sentence counting another group's event only
# (`集中展示…50个项目` asked `签约了多少个项目`) gives a figure for something else.
EVENT_VERBS: dict[str, tuple[str, ...]] = {
    "签约": ("签约", "签署", "签订", "达成"),
    "展示": ("展示", "展出", "发布", "亮相", "首发"),
    "揭牌": ("揭牌", "授牌", "挂牌成立"),
    "获批": ("获批", "批准", "立项", "获立项"),
    "申报": ("申报", "报名", "参赛", "申请"),
    "授权": ("授权",),
    "获奖": ("获奖", "获得奖", "得奖", "摘得"),
    "上市": ("上市", "登陆", "挂牌上市", "首发上市"),
    "入库": ("入库", "纳入"),
    "入驻": ("入驻", "落户", "进驻"),
}
_EVENT_OF = {verb: group for group, verbs in EVENT_VERBS.items() for verb in verbs}
_EVENT = re.compile("|".join(sorted(_EVENT_OF, key=len, reverse=True)))


def _event(text: str, ask: re.Match[str]) -> str:
    """The group of the last event verb before a question's quantity word, within its clause, or
    of the first after it (`吸引了多少家公司落户`)."""
    clause = re.split(r"[，,。；;：:？?！!]", text[:ask.start()])[-1]
    verbs = _EVENT.findall(clause) or _EVENT.findall(re.split(r"[，,。；;：:？?！!]", text[ask.end():])[0])[:1]
    return _EVENT_OF[verbs[-1]] if verbs else ""


# The same groups as an English question names them (`How many companies won prizes…`).
_EN_EVENT = {
    "签约": r"\bsign(?:ed|ing)\b",
    "展示": r"\b(?:showcased|exhibited|displayed|on show|on display)\b",
    "获批": r"\bapproved\b",
    "申报": r"\b(?:applied|entered|entries)\b",
    "获奖": r"\b(?:won|awarded|prize[- ]?winning)\b",
    "上市": r"\b(?:IPOs?|went public|listed on (?:the )?(?:STAR|Sci-?Tech|stock|exchange|board|market))",
}


def _english_event(text: str) -> str:
    """The group of the first event an English question names."""
    found = [(m.start(), group) for group, pattern in _EN_EVENT.items()
             if (m := re.search(pattern, text, re.IGNORECASE))]
    return min(found)[1] if found else ""


# A place before a level (`上海市级财政`): jieba reads 上海市 + 级, losing the 市级 the measure is about.
_LEVEL = re.compile(rf"({'|'.join(KNOWN_PLACES)})(?=[市区省县]级)")
_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
              "october", "november", "december")
_AS_OF_MONTH = re.compile(r"(?:截至|截止|到)\s*(?:(?:19|20)\d\d\s*年)?\s*(\d{1,2})\s*月(?:底|末)?|"
                          r"\bend of (" + "|".join(_EN_MONTHS) + r")\b", re.IGNORECASE)
_AS_OF_YEAR_END = re.compile(r"(?:19|20)\d\d\s*年(?:底|末)|\bend of (?:19|20)\d\d\b|\bend of the year\b",
                             re.IGNORECASE)


_FULL_YEAR = re.compile(r"全年|一整年|整整一年|整年|full[- ]year|whole year", re.IGNORECASE)
# Part of a year, as a sentence gives a figure for it: `1—11月`, `上半年`, `前三季度`, `头11个月`.
_PART_YEAR = re.compile(r"\d{1,2}\s*[—–\-~～至到]\s*\d{1,2}\s*月|上半年|下半年|前三季度|[一二三四]季度|"
                        r"前\s*[\d一二三四五六七八九十]+\s*个?月|头\s*[\d一二三四五六七八九十]+\s*个月")


def _as_of(text: str) -> int | None:
    """The month a question asks a figure as of: `截至2024年1月底` → 1, `by the end of 2024` → 12."""
    if match := _AS_OF_MONTH.search(text):
        return int(match.group(1)) if match.group(1) else _EN_MONTHS.index(match.group(2).lower()) + 1
    return 12 if _AS_OF_YEAR_END.search(text) else None


def _sentence_as_of(sentence: str) -> int | None:
    """The month a sentence's running total is as of (`截至2024年1月底`), or 12 for a year's end."""
    if match := _AS_OF_MONTH.search(sentence):
        return int(match.group(1)) if match.group(1) else None
    return 12 if re.search(r"(?:截至|截止|到)\s*(?:(?:19|20)\d\d\s*年)?\s*(?:年底|年末)|全年", sentence) else None


# (Not `除了…`: `除了X，还有多少Y` asks besides X, another thing, not a total less X.)
_EXCLUDING = re.compile(r"(?:不含|不包括|不包含|不计)([^，,。？?）)]{2,20}?)(?:以外|之外|外)?(?=[，,。？?）)]|$)")


def _excluded(text: str, tokenize: Callable[[str], list[str]]) -> tuple[str, ...]:
    """The whole words of what a question's count leaves out (`（不含其他资深科学家）`), less `其他`."""
    words = [w for m in _EXCLUDING.finditer(text) for w in tokenize(m.group(1))
             if len(w) > 1 and w not in ("其他", "其它", "以外", "之外")]
    return tuple(dict.fromkeys(w for w in words if not any(w != o and w in o for o in words)))


_QUOTED = re.compile(r"[“\"《「]([^”\"》」]{2,40})[”\"》」]")


def quoted_names(query: QueryInfo) -> tuple[str, ...]:
    """The names a Chinese question quotes (`“3+365”`, `《…方案》`): an answer must carry one."""
    return () if query.english else tuple(q for q in _QUOTED.findall(query.normalized) if len(q) >= 2)
# A figure as a question gives one: 3000余家, 1.55亿元, 7家 (a year is not a figure given).
_GIVEN = re.compile(r"(?<![\d.])(\d[\d,.]*)\s*(?:余|多)?\s*(?:万|亿)?\s*(?:余|多)?\s*(?![年月日\d])")


def _given_numbers(text: str) -> tuple[str, ...]:
    """The figures a question states (not its years, not an edition `第7届`): `3000余家` → 3000."""
    return tuple(dict.fromkeys(m.group(1).replace(",", "") for m in _GIVEN.finditer(text)
                               if text[max(0, m.start() - 1):m.start()] != "第"
                               and not re.fullmatch(r"(?:19|20)\d\d", m.group(1).strip())))  # `the 2020 report`


def _share_of(text: str, tokenize: Callable[[str], list[str]]) -> tuple[str, ...]:
    """The words naming what a share is the share of: before `占` in `A占B的比重`, those B does not use.

    Read within the clause of the 占 (a part of a multi-part question carries the other parts' lead-in).
    """
    marks = [m.start() for m in re.finditer("占(?!比)", text)]
    if not marks:
        return ()
    at = marks[-1]
    start = max((m.end() for m in re.finditer(r"[，,。；;：:？?！!]", text[:at])), default=0)
    end = next((m.start() + at for m in re.finditer(r"[，,。；;：:？?！!]", text[at:])), len(text))
    part = re.sub(r"(?:19|20)\d\d\s*年?度?", "", text[start:at])
    whole = set(tokenize(text[at + 1:end]))
    words = [w for w in dict.fromkeys(tokenize(part)) if len(w) > 1 and not w.isdigit() and w not in QUESTION_WORDS
             and w.lower() not in _FILLER and w not in whole and re.sub(r"新?区$", "", w) not in KNOWN_PLACES]
    return tuple(w for w in words if not any(w != o and w in o for o in words))


# The whole a question names after 占 (`占全市一般公共预算支出的比重`, `占全国的几成`).
_SHARE_BASE = re.compile(r"占(?!比)了?([^，,？?。]{2,20}?)的?(?:比重|比例|份额|几成|多少|多大|百分之)")


def _share_whole(text: str, tokenize: Callable[[str], list[str]]) -> tuple[str, ...]:
    """The words naming the whole a share is asked within: `市级财政科技支出中，基础研究支出占比是多少`
    → 财政, 科技, 支出. A share of another whole (`占全社会研发经费支出比例`) is another figure.

    The whole named after 占 (`占全市一般公共预算支出的比重`), or else the lead-in of the shape
    `X中，…占比`: before its `中`/`里` and a comma, when the question names no whole after a 占 of its own.
    """
    if named := _SHARE_BASE.search(text):
        # `财政科技支出占全市一般公共预算支出的比重`: the whole is named after 占.
        whole = named.group(1)
    else:
        match = re.match(r"(.+?)(?:当中|之中|中|里)[，,]", text)
        if not match or re.search("占(?!比)", text[match.end():]):
            # `…抗体药里，上海的占了全国的几成？` names its whole itself, after 占: the lead-in is a group.
            return ()
        whole = match.group(1)
    tokens = tokenize(re.sub(r"(?:19|20)\d\d\s*年?度?", "", whole))
    words = [w for w in dict.fromkeys(tokens) if len(w) > 1 and not w.isdigit() and w not in QUESTION_WORDS
             and w.lower() not in _FILLER and re.sub(r"新?区$", "", w) not in KNOWN_PLACES]
    # Whole words only, and no part of a place's name (海市 of 上海市).
    return tuple(w for w in words if not any(w != o and w in o for o in tokens))


def _value_noun(text: str, tokenize: Callable[[str], list[str]] | None = None) -> str:
    """The noun right before a value question's quantity word, after the question's last 的:
    `G60科技成果转化基金的总规模是多少亿元` → 总规模, `生物医药产业实现的利润总额是多少` → 利润总额.

    With `tokenize` (a question asking a bare figure), a longer run names its thing by its last
    word that is not the kind of value: `长三角基础研究联合基金规模有多大` → 基金.
    """
    ask = ask_match(text) or _NUMBER_ASK.search(text)
    if ask is None:
        return ""
    before = re.sub(r"(?:一共|总共|共|累计|分别|各|又|已经|已|大概|大约|大致|到底|究竟|约)*(?:有|是|为|达到|达|占)?$",
                    "", text[:ask.start()])
    if "的" not in before and tokenize is None:
        return ""
    noun = before.rsplit("的", 1)[-1]
    # A share's word (比例) is the kind of value, checked as such; `报告说` names a source, not a value.
    if _SHARE_ASK.search(noun) or "报告" in noun:
        return ""
    if 2 <= len(noun) <= 6 and re.fullmatch(r"[\u4e00-\u9fff]+", noun):
        return noun
    if tokenize is None:
        return ""
    tail = re.sub(r"^.*[^\u4e00-\u9fff]", "", noun)
    words = [w for w in tokenize(tail) if len(w) > 1 and w not in _FILLER and w not in QUESTION_WORDS
             and re.sub(r"新?区$", "", w) not in KNOWN_PLACES]
    return words[-1] if words and re.sub(f"(?:{'|'.join(map(re.escape, _FILLER))})+$", "", tail).endswith(words[-1]) \
        else ""


# A figure the question gives, counting a whole it asks a part of (`10家独角兽里，`, `6款新冠检测试剂中，`):
# the counter, the whole's name, and the mark.
_GIVEN_WHOLE = re.compile(r"(?<![\d.第])\d[\d,.]*\s*(?:余|多)?\s*(?:万|亿)?\s*[家项件人个篇款所位名场次批台套座种份]"
                          r"([^，,。？?；;\d]{1,16}?)(?:里|中|之中|当中)[，,]")


def _given_whole(text: str, tokenize: Callable[[str], list[str]]) -> tuple[str, ...]:
    """The words naming a whole the question counts and asks a part of (`新晋的10家独角兽里，人工智能公司占
    几家` → 独角兽; `6款新冠检测试剂中，抗体检测试剂有几款` → 新冠, 检测, 试剂); empty for other questions.
    """
    match = _GIVEN_WHOLE.search(text)
    if match is None:
        return ()
    words = [w for w in dict.fromkeys(tokenize(match.group(1).split("的")[-1])) if len(w) > 1
             and w not in QUESTION_WORDS and w.lower() not in _FILLER and re.sub(r"新?区$", "", w) not in KNOWN_PLACES]
    return tuple(w for w in words if not any(w != o and w in o for o in words))


def _noun_after_quantity(text: str, tokenize: Callable[[str], list[str]]) -> str:
    """The noun a bare `多少` asks the quantity of, right after it: `一共赚了多少利润` → 利润.

    No counter and no unit is asked, so the noun itself says what the figure is: `营收6272.59亿元`
    is no 利润.
    """
    match = re.search(r"多少(?=[\u4e00-\u9fff]{2})", text)
    if match is None:
        return ""
    words = tokenize(text[match.end():match.end() + 6])
    word = words[0] if words else ""
    if len(word) < 2 or not text.startswith(word, match.end()) or word in QUESTION_WORDS or word in _FILLER:
        return ""
    return word


# English words that say which kind of value is asked, or nothing at all: not the measure.
_EN_KIND_WORDS = frozenset(
    "rank ranked ranking ranks position place share proportion percentage ratio number numbers total amount "
    "figure figures value level count year years time times report reports edition list".split())
# Where an English question's asked thing starts: after `how many`, `what share of`, `what was the`, `where did`.
_EN_HEAD = re.compile(r"\bhow (?:many|much)\b|\bwhat (?:share|proportion|percentage|fraction) of\b|"
                      r"\b(?:what|which)\s+(?:was|is|were|are)\s+(?:the\s+)?|\bwhere (?:did|does|do|was|is)\b",
                      re.IGNORECASE)
# And where it ends: at its verb or the first preposition after it (`… unicorn companies on the Hurun list`).
_EN_HEAD_END = frozenset("were was did do does has have had are is in by at on under that which who whom with "
                         "from to for into went came made according".split())


def english_head(text: str) -> str:
    """The words of an English question naming the thing asked: `How many class 1 innovative drugs
    were approved…` → `class 1 innovative drugs`; `What was the total valuation of Shanghai's unicorn
    companies on the 2025 Hurun list?` → `total valuation of shanghai's unicorn companies`. The whole
    question when it has none of these shapes; every head when it has several (a part of a question
    split by year still holds the other parts' clauses, and which clause is its own is not known here)."""
    lower = text.lower()
    heads: list[str] = []
    for start in _EN_HEAD.finditer(lower):
        words: list[str] = []
        for word in lower[start.end():].split():
            if word in _EN_HEAD_END and words:
                break
            words.append(word)
        heads.append(" ".join(words))
    return " ".join(heads) if heads else lower


def english_measure(renderings: tuple[Rendering, ...], text: str = "") -> tuple[Rendering, ...]:
    """The renderings that name the asked thing: in the question's head (`english_head` of `text`),
    not a kind-of-value word (rank, share, total), and only Chinese words that could name one (not
    累计, 上海, a district, a single character)."""
    head = set(re.findall(r"[a-z0-9&']+", english_head(text).replace("-", " "))) if text else set()
    out = []
    for rendering in renderings:
        if rendering.english in _EN_KIND_WORDS or (head and not set(rendering.english.split()) <= head):
            continue
        chinese = tuple(t for t in rendering.chinese
                        if len(t) > 1 and t.lower() not in _FILLER and t not in QUESTION_WORDS
                        and re.sub(r"新?区$", "", t) not in KNOWN_PLACES)
        if chinese:
            out.append(Rendering(rendering.english, chinese, rendering.curated))
    return tuple(out)


def _part_words(text: str, tokenize: Callable[[str], list[str]], counted: bool = False) -> tuple[str, ...]:
    """The words naming the part of a whole a question asks for, those the whole does not also use.

    `科技服务业中研发服务一项的营收` asks the part 研发服务一项 of 科技服务业: its own word is 研发
    (营收 is the measure, which the whole has too). The part ends at its first 的 or at the
    question word; a 中 inside a word (中心, 中国) is not the mark, only the word 中 or 其中.
    """
    tokens = set(tokenize(text))
    given = _GIVEN_WHOLE.search(text)
    if given is not None and text[given.end() - 2] == "里":
        # `49项成果里，一等奖占了几项`: after a whole the question counts, 里 marks the part too (alone it
        # is as often a place: `在园区里，…`).
        mark = given.end() - 1
    else:
        if not tokens & _PART_MARK and not re.search("中[，,]", text):
            return ()
        # Search-mode tokens overlap: a 中 is the mark where no longer word (中心, 集中) covers it.
        covered: set[int] = set()
        for token in tokens:
            if len(token) > 1 and "中" in token and token != "其中":
                for found in re.finditer(re.escape(token), text):
                    covered.update(range(found.start(), found.end()))
        # `科学家中，来自…的有多少位`: a 中 before a comma is the mark, whatever word jieba reads across it (家中).
        marks = [m.end() for m in re.finditer("中", text)
                 if (m.start() not in covered or text[m.end():m.end() + 1] in ("，", ",")) and m.end() < len(text)]
        if not marks:
            return ()
        mark = marks[-1]
    whole, part = text[:mark], re.sub(r"^[，,、\s]+", "", text[mark:])
    ask = ask_match(part)
    if ask:
        # `14家单位中，有几家是高校？` names the part after the question word.
        before, after = part[: ask.start()], part[ask.end():]
        part = before if re.search(r"[\u4e00-\u9fff]{2}", before) else re.sub(r"^(?:是|为|属于)", "", after)
    # The part ends at its first 的 (`研发服务一项的营收`: 营收 is the measure, which the whole has too),
    # but what a count counts is named last (`参与的企业有多少家`: the 企业 among the participants).
    head = part.rsplit("的", 1)[1] if counted and "的" in part else ""
    part = part.split("的", 1)[0] + (f" {head}" if head else "")
    whole_words = set(tokenize(whole))
    words = [w for w in dict.fromkeys(tokenize(part)) if len(w) > 1 and not w.isdigit()
             and w not in QUESTION_WORDS and w.lower() not in _FILLER and w not in whole_words]
    # Whole words only (集成电路, not its pieces 集成, 电路).
    return tuple(w for w in words if not any(w != o and w in o for o in words))


def _starts_word(text: str, at: int, tokenize: Callable[[str], list[str]],
                 known: Callable[[str], bool] | None = None) -> bool:
    """Whether the character at `at` begins a word rather than standing alone as a counter:
    `多少所得税` asks an amount of 所得税, not a count of 所. With `known` (the analyser's
    dictionary), only a real word counts: jieba's search mode joins `几家硕博士` into 家硕 + 博士."""
    tokens = tokenize(text[at:at + 4])
    return (bool(tokens) and len(tokens[0]) > 1 and tokens[0][0] == text[at]
            and (known is None or known(tokens[0])))


def _with_unknown_words(words: list[str], measure: tuple[str, ...]) -> tuple[str, ...]:
    """Add the words jieba does not know (瞪羚 → 瞪 + 羚): a run of single Chinese characters.

    Such a word is often the most specific one of the question, exactly the one an answer
    must name; it is matched as text, since the tokenizer cannot produce it as a word.
    """
    runs, run = [], ""
    for w in [*words, ""]:
        if len(w) == 1 and "\u4e00" <= w <= "\u9fff" and w not in _FILLER and w not in QUESTION_WORDS:
            run += w
            continue
        if len(run) >= 2 and run not in _FILLER:
            runs.append(run)
        run = ""
    return tuple(dict.fromkeys([*runs, *measure]))


def has_word(word: str, tokens: set[str], text: str) -> bool:
    """The word is one of the text's words, and not only as a divisor (`每万人口`).

    A word the tokenizer cannot produce (an unknown word, split into characters) is matched as text.
    """
    if word not in tokens and not all(ch in tokens for ch in word):
        return False
    # The tokens are folded to lower case (`CNS` → cns): so is the text they are looked for in.
    return any(not text[:match.start()].endswith(_PER)
               for match in re.finditer(re.escape(word), text, re.IGNORECASE))


_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")


def abbreviates(short: str, long: str) -> bool:
    """Whether `short` is an abbreviation of `long` (`研发` of `研究开发`, `市科委` of `市科学技术委员会`,
    `长三角` of `长江三角洲`, `科创` of `科技创新`): same first character, its characters in order, not a
    contiguous part (`成交` of `成交额` is a sub-word, not a synonym).

    The reports write both forms, and a question may use either; pairs of words the corpus
    itself uses are what this relates, not a list of synonyms.
    """
    if not (_HAN_WORD.fullmatch(short) and _HAN_WORD.fullmatch(long)):
        return False
    if len(long) <= len(short) or len(long) > 4 * len(short) or short[0] != long[0] or short in long:
        return False
    at = 0
    for ch in short:
        at = long.find(ch, at) + 1
        if at == 0:
            return False
    return True


def _word_or_abbreviation(word: str, tokens: set[str], text: str) -> bool:
    """`has_word`, or a word of the text that abbreviates it or that it abbreviates (not a filler word),
    or two words of the text written together that it abbreviates (`高企` of `高新技术` + `企业`: the
    analyser has no word for the whole name)."""
    if has_word(word, tokens, text) or any(
            t not in _FILLER and (abbreviates(word, t) or abbreviates(t, word)) for t in tokens):
        return True
    if not _HAN_WORD.fullmatch(word):
        return False
    heads = [t for t in tokens if t.startswith(word[0]) and t not in _FILLER]
    tails = [t for t in tokens if word[-1] in t and t not in _FILLER]
    return any(abbreviates(word, head + tail) and head + tail in text for head in heads for tail in tails)


def _equivalents_of(word: str, asked: Asked) -> tuple[str, ...]:
    """The reports' words for a question word they never use (`税收` of `税收优惠` → 减免), or ()."""
    return tuple(w for e in asked.equivalents if word in e.word for w in e.corpus)


def _said_otherwise(word: str, asked: Asked, tokens: set[str], text: str) -> bool:
    """Whether the text has one of the reports' words for a question word they never use."""
    return any(has_word(w, tokens, text) for w in _equivalents_of(word, asked))


def _found(word: str, asked: Asked, tokens: set[str], text: str) -> bool:
    """`_word_or_abbreviation`, or one of the reports' words for a word they never use."""
    return _word_or_abbreviation(word, tokens, text) or _said_otherwise(word, asked, tokens, text)


def _weight(word: str, asked: Asked, idf: Callable[[str], float]) -> float | None:
    """A measure word's idf; for a word the corpus never uses, that of the most common of the
    reports' words for it (a word it can be found as); None when it has none (it is not asked for)."""
    if corpus_words((word,), idf):
        return idf(word)
    return min((idf(w) for w in _equivalents_of(word, asked)), default=None)


def _with_first_character(word: str, text: str, idf: Callable[[str], float]) -> str:
    """The word with the character before it in the question, where together they are a word the
    reports use: jieba may cut a word's first character off in one context and not in another
    (`上海的科创板上市公司` → 的 科 创板, where the reports' `科创板上市企业` gives 科创板, and
    `自科创板开市` gives 创板): a measure word is found as either."""
    at = text.find(word)
    if at < 1 or not _HAN.fullmatch(text[at - 1]) or not corpus_words((text[at - 1] + word,), idf):
        return word
    return text[at - 1] + word


def measure_found(asked: Asked, sentence: str, context: str, tokenize: Callable[[str], list[str]],
                  idf: Callable[[str], float], min_share: float, distinctive_idf: float,
                  english_min_share: float = 0.0) -> bool:
    """Whether the sentence (or its headings) names the asked measure, as words.

    Either most of the measure's words (IDF-weighted share ≥ `min_share`), or one of its
    distinctive words (idf ≥ `distinctive_idf`: rare in the corpus, so it names the
    thing, where 企业 or 科技 name nearly everything) — paraphrases keep the rare word
    (科创板) and change the common ones (公司 → 企业).
    """
    if asked.renderings:
        text = f"{sentence} {context}"
        # A domain phrase of the glossary (unicorn → 独角兽) is a reliable rendering: the sentence must have it.
        if any(r.curated and min(map(idf, r.chinese)) >= distinctive_idf and not any(t in text for t in r.chinese)
               for r in asked.renderings):
            return False
        return english_measure_share(asked.renderings, text, idf, tokenize) > english_min_share
    if not asked.measure:
        return True
    text = f"{sentence} {context}"
    tokens = set(tokenize(text))
    whole = {w: _with_first_character(w, asked.text, idf) for w in asked.measure}
    direct = [w for w in asked.measure if _word_or_abbreviation(w, tokens, text)
              or (whole[w] != w and _word_or_abbreviation(whole[w], tokens, text))]
    # A word the reports never use is found as one of their words for it, weighing as that word.
    through = [w for w in asked.measure if w not in direct and _said_otherwise(w, asked, tokens, text)]
    if not asked.whole and (any(idf(w) >= distinctive_idf for w in direct)
                            or any((_weight(w, asked, idf) or 0.0) >= distinctive_idf for w in through)):
        return True
    if asked.whole:  # a keyword query names the measure itself: every one of its words
        return len(direct) + len(through) == len(asked.measure)
    # A word the corpus never uses (a colloquial word) and has no word for cannot be required of any sentence.
    weights = {w: weight for w in asked.measure if (weight := _weight(w, asked, idf)) is not None}
    if not weights:
        weights = {w: idf(w) for w in asked.measure}
    total = sum(weights.values())
    return total == 0 or sum(weights[w] for w in [*direct, *through] if w in weights) / total >= min_share


def english_measure_share(renderings: tuple[Rendering, ...], text: str, idf: Callable[[str], float],
                          tokenize: Callable[[str], list[str]]) -> float:
    """The IDF-weighted share of an English measure's words that the text renders.

    A word is found when any one of its Chinese words is in the text (not as a divisor). A word
    weighs as its most common rendering (a word rendered by 企业 names little, one rendered only
    by 估值 names the measure); a rendering the analyser does not hold as one word (创新药) weighs as
    its rarest word. Words whose renderings the corpus never uses are not asked for.
    """
    unseen = idf("\uffff")

    def weight(term: str) -> float:
        if idf(term) < unseen:
            return idf(term)
        return max((idf(t) for t in tokenize(term) if len(t) > 1 and idf(t) < unseen), default=0.0)

    total = found = 0.0
    for rendering in renderings:
        weights = [w for w in map(weight, rendering.chinese) if w > 0]
        if not weights:
            continue
        total += min(weights)
        if any(not text[:m.start()].endswith(_PER) for t in rendering.chinese for m in re.finditer(re.escape(t), text)):
            found += min(weights)
    return 1.0 if total == 0 else found / total


def corpus_words(words: tuple[str, ...], idf: Callable[[str], float]) -> list[str]:
    """The words the corpus uses: those rarer than a word it never says (the idf of an unseen token)."""
    unseen = idf("\uffff")
    return [w for w in words if idf(w) < unseen]


def names_enough(words: tuple[str, ...], text: str, tokenize: Callable[[str], list[str]],
                 idf: Callable[[str], float], min_share: float) -> bool:
    """Whether the text names at least `min_share` (IDF-weighted) of the words the corpus uses among
    `words` (as words, or abbreviated); True when the corpus uses none of them (they name nothing)."""
    known = corpus_words(words, idf)
    if not known:
        return True
    tokens = set(tokenize(text))
    return sum(idf(w) for w in known if _word_or_abbreviation(w, tokens, text)) >= min_share * sum(map(idf, known))


def sounds_alike(asked: Asked, sentence: str, idf: Callable[[str], float], distinctive_idf: float) -> str | None:
    """The word a sentence has where the question has another of the same shape: asked `专利授权量`,
    the sentence says `专利申请量` — one word of the measure changed, a different measure. Returns
    the sentence's phrase, or None.

    Only a rare word (idf ≥ `distinctive_idf`) that the sentence lacks, ending in a character naming
    a quantity (量, 额, 数, 率), where the sentence has another word of its length and last character
    after the same two characters as in the question.
    """
    text = sentence.replace("**", "")
    for word in asked.measure:
        if len(word) < 2 or word[-1] not in "量额数率" or word in text or idf(word) < distinctive_idf:
            continue
        at = asked.text.find(word)
        before = asked.text[at - 2:at] if at >= 2 else ""
        if not _HAN_WORD.fullmatch(before):
            continue
        other = re.search(f"{re.escape(before)}[\u4e00-\u9fff]{{{len(word) - 1}}}{re.escape(word[-1])}", text)
        if other and other.group() != before + word:
            return other.group()
    return None


_SHARE_OF_WHOLE = re.compile(r"(?:占|相当于)(?!比)([^，,；;。：:%]{2,20}?)(?:的)?(?:比例|比重|份额|\d)")


def _share_of_other_whole(asked: Asked, sentence: str, tokenize: Callable[[str], list[str]],
                          idf: Callable[[str], float], min_share: float) -> str | None:
    """The whole the sentence's shares are taken of, when every one it states is another than the
    asked whole (`占全社会研发经费支出比例` for `市级财政科技支出中…占比`); None otherwise.

    Only a whole the sentence states after 占 or 相当于 (`相当于全市生产总值的比例`) counts: a bare
    `占比达23.6%` under its whole's clause (`其中市级财政支出…，基础研究支出占比达23.6%`), or a share
    with no 占 (`境外比例近40%`), may still be the asked one, and is left to the other checks.
    """
    wholes = []
    for clause in _CLAUSE.split(sentence.replace("**", "")):
        if not _SHARE.search(_CHANGE_RATE.sub("", clause)):
            continue
        match = _SHARE_OF_WHOLE.search(clause)
        if not match or names_enough(asked.share_whole, match.group(1), tokenize, idf, min_share):
            return None
        wholes.append(match.group(1))
    return wholes[0] if wholes else None


def _at_qizhong(sentence: str) -> tuple[str, str] | None:
    """The sentence cut at its `其中`: the whole it gives, and the parts after it (None: no 其中)."""
    text = sentence.replace("**", "")
    at = text.find("其中")
    return (text[:at], text[at:]) if at >= 0 else None


def _within_other_group(asked: Asked, sentence: str, tokenize: Callable[[str], list[str]],
                        idf: Callable[[str], float]) -> str | None:
    """The group a sentence's figure is counted within, when the question names no such group: in
    `涌现3项特等奖，其中技术发明奖1项` the 1 is the technology-invention awards among the 特等奖, not
    all of them, which `科学技术奖中，技术发明奖有多少项` asks."""
    if (cut := _at_qizhong(sentence)) is None or not asked.counter:
        return None
    whole, part = cut
    named = [w for w in corpus_words(asked.measure, idf) if has_word(w, set(tokenize(part)), part)
             and not has_word(w, set(tokenize(whole)), whole)]
    counted = list(re.finditer(_NUM + f"(?:{_counters(asked.counter)})", whole))
    if not named or not counted:
        return None
    # The group: what follows its figure up to 其中 (`488位领军人才担任“项目经理”`), any word of which
    # the question may name it by.
    group = [w for w in tokenize(whole[counted[-1].end():]) if len(w) > 1 and _HAN.search(w)]
    return group[0] if group and not any(w in asked.text for w in group) else None


def _part_after_qizhong(asked: Asked, sentence: str, context: str, tokenize: Callable[[str], list[str]],
                        idf: Callable[[str], float]) -> str | None:
    """A measure word the sentence names only after its `其中` (a part of the whole it gives the value
    of), when the asked kind of value is only before it: `全市财政科技支出528.1亿元、增长36.7%，其中
    市级财政支出265.3亿元` gives the city's growth, not the 市级 one asked."""
    if (cut := _at_qizhong(sentence)) is None:
        return None
    whole, part = cut
    if not any(kind_fits(asked, c) for c in _CLAUSE.split(whole)):
        return None
    whole_words = set(tokenize(whole))
    for word in corpus_words(asked.measure, idf):
        naming = [c for c in _CLAUSE.split(part) if has_word(word, set(tokenize(c)), c)]
        # Named after 其中 only, and with no value of the asked kind there: the value is the whole's.
        if (naming and not has_word(word, whole_words, whole) and word not in context
                and not any(kind_fits(asked, c) for c in naming)):
            return word
    return None


def _list_total(asked: Asked, sentence: str) -> list[str] | None:
    """The items a count is the total of, when the question asks only some of them: `新建11个专业实验室、
    概念验证中心、技术转化平台` counts all three, so it does not say how many 专业实验室 there are.
    Only a list in 、 (items starting with their own figure, `9个1类创新药、9个…`, are counts of
    their own)."""
    text = sentence.replace("**", "")
    for match in re.finditer(_NUM + f"(?:{_counters(asked.counter or '')})", text):
        run = re.split(r"和|及|与|以及|等|[，,；;。（(]", text[match.end():])[0]
        items = []
        for item in run.split("、"):
            if not item or re.match(r"[\d一二两三四五六七八九十]", item):
                break
            items.append(item.strip())
        asked_items = [item for item in items if item in asked.text]
        if len(items) > 1 and asked_items and len(asked_items) < len(items):
            return items
    return None


def _broader_value(asked: Asked, sentence: str, values: list[str],
                   idf: Callable[[str], float]) -> tuple[str, str] | None:
    """The asked noun and the broader one the sentence's figure is of, where the sentence names both:
    `全年收入1.55亿元，服务收入占比过半` gives the income, not the 服务收入 asked; `吸引观众近5万人次
    （专业观众占比超80%）` the visitors, not the 专业观众. Nouns are a measure word and its ending
    (服务收入 → 收入), or two measure words the question writes together (专业 观众, 境外的嘉宾): the
    modifier (服务, 专业, 境外) is named, but not beside any figure of the asked kind, which is the head's."""
    words = asked.measure
    ask = ask_match(asked.text)
    before = re.sub(r"(?:一共|总共|共|累计|分别|各|都|已经?|有|是|为|达到?|约)+$", "",
                    asked.text[:ask.start()]) if ask else ""
    nouns = [(w, w[:i], w[i:]) for w in words if asked.value_noun.startswith(w)
             for i in range(1, len(w) - 1) if corpus_words((w[i:],), idf)]
    nouns += [(a + b, a, b) for a, b in itertools.pairwise(words)
              if before.endswith(a + b) or before.endswith(f"{a}的{b}")]
    text = sentence.replace("**", "")
    # A parenthesis is a clause of its own here: `近5万人次(专业观众占比超80%)`.
    values = [p for c in values for p in re.split(r"[()（）]", c) if kind_fits(asked, p)]
    for noun, modifier, end in nouns:
        # The sentence gives the modifier's share of the head (`服务收入占比过半`, `境外比例近40%`): its
        # figure of the asked kind is the whole head's.
        if (len(modifier) > 1 and modifier in text and not any(modifier in c for c in values)
                and any(end in c for c in values)
                and any(modifier in c and _SHARE.search(c) for c in re.split(r"[，,；;。()（）]", text))):
            return noun, end
    return None


# A pair of places by their one-character names, Shanghai's first (沪滇: Yunnan, 沪明: Sanming), or by
# their names (`上海-六安`): an event of two places' cooperation, one of many such in the reports.
_PLACE_PAIR = re.compile(r"沪[\u4e00-\u9fff]")
_NAMED_PAIR = re.compile(r"上海\s*[-－—–]\s*([\u4e00-\u9fff]{2,4}?)(?=科技|合作|创新|产业|协同|对口|交流)")
# Places every report is about, or that name no particular one.
_HOME = frozenset({"上海", "中国", "全国"})


def named_places(asked: Asked) -> list[str]:
    """The places the asked measure names (`上海-六安科技成果对接交流活动` → 六安, `沪滇…活动` → 沪滇,
    `新加坡`): the answer's sentence or its headings must name them too, or it is about another
    place's event. Shanghai's districts are checked against the whole passage by the answer step.
    (jieba's place tags are too loose here: they tag 上市, 嘉宾 and 外国 as places.)"""
    pairs = [m.group(1) for m in _NAMED_PAIR.finditer(asked.text)]
    return list(dict.fromkeys([*pairs, *(w for w in asked.measure if w not in _HOME
                                         and (w in PLACES or _PLACE_PAIR.fullmatch(w))),
                               *(_english_places(asked.text) if not _HAN.search(asked.text) else [])]))


# An English place name, longest first (`South Africa` before `Africa`), as written (`US`, not `us`).
_EN_PLACE = re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, sorted(PLACES_EN, key=len, reverse=True)))
                       + r")(?![\w'])")


def _one_of_listed(place: str, sentence: str) -> bool:
    """Whether the sentence names the place only as an item of a list of places (`新加坡、芬兰、澳大利亚`)."""
    text = sentence.replace("**", "")
    found = list(re.finditer(re.escape(place), text))
    return bool(found) and all(
        (text[m.end():m.end() + 1] == "、" and text[m.end() + 1:].startswith(KNOWN_PLACES))
        or (text[max(0, m.start() - 1):m.start()] == "、" and text[:m.start() - 1].endswith(KNOWN_PLACES))
        for m in found)


def place_named(place: str, text: str) -> bool:
    """Whether the text names the place, by its name or in a pairing with Shanghai (`沪滇` names 云南)."""
    return place in text or (
        (short := PROVINCE_CHARACTERS.get(place)) is not None and (f"沪{short}" in text or f"{short}沪" in text))


def _english_places(text: str) -> list[str]:
    """The places an English question names, by their Chinese names (`Hefei scientists` → 合肥)."""
    return [PLACES_EN[m.group(1)] for m in _EN_PLACE.finditer(text)]


# A rate per head or per unit (`每万人口`, `人均`, `每平方公里`), as a question asks it and a sentence gives it.
# (Chinese questions only: an English part's text keeps its other clauses' words.)
_PER_UNIT = re.compile(r"每(?:[十百千万亿]+)?(?:人口?|户|家|平方公里|平方米|亩|元)|人均")
# An average says the same of a sentence (`平均研发投入同比增加11.9%` answers `平均每家…`).
_AVERAGE = re.compile(r"平均|户均|家均|均值")
# The kinds of value a near indicator answers with a wrong figure.
_FIGURES = frozenset({"count", "amount", "share", "number", "change"})


def _left_out(asked: Asked, text: str, idf: Callable[[str], float], distinctive_idf: float) -> str | None:
    """The rare measure word the text leaves out of the asked phrase, the words on either side of it
    written together: asked `每万人口高价值发明专利拥有量`, the text's `每万人口发明专利拥有量` is
    the broader indicator. A word missing at either end is a paraphrase (全市技术合同成交额), and a
    common word left out is a shortened name (国家蛋白质科学设施 → 国家蛋白质设施): neither is this."""
    words = asked.measure
    for before, word, after in zip(words, words[1:], words[2:], strict=False):
        if (f"{before}{word}{after}" in asked.text and word not in text and f"{before}{after}" in text
                and distinctive_idf <= idf(word) < idf("\uffff")):
            return word
    return None


# A category the question counts within (`专利转让类合同`, `A类人才`): the figure must be that category's.
_CATEGORY = re.compile(r"(?:([A-Za-z0-9]{1,3})|([\u4e00-\u9fff]{2,6}))类(?![型别似比])(?=[\u4e00-\u9fff])")
_NOT_CATEGORY = re.compile(r"[各这此该哪几两多诸同一二三四五六七八九十人分门种大品归]$")


def _category(text: str, tokenize: Callable[[str], list[str]]) -> str | None:
    """What names the category a figure question narrows to, as a sentence giving it must write
    it: `1类创新药` → `1类` (a code is written with its 类), `专利转让类合同` → 转让 (the last word
    before 类). None for a quantifier or a word of its own (各类, 这类, 两类, 人类, 分类, 门类).
    """
    for m in _CATEGORY.finditer(text):
        if m.group(1):
            return f"{m.group(1)}类"
        if _NOT_CATEGORY.search(m.group(2)):
            continue
        words = [w for w in tokenize(m.group(2)) if len(w) > 1]
        if words and m.group(2).endswith(words[-1]):
            return words[-1]
    return None


def new_place(asked: Asked, text: str) -> bool:
    """Whether the text names a place the question does not (a city, a province, a district…)."""
    named = [m.group() for m in _PLACE.finditer(text) if not m.group().endswith(_GENERIC_PLACES)]
    named += [p for p in KNOWN_PLACES if p in text]
    return any(p not in asked.text for p in named)


# The kind of place a which-question names (`哪个展馆`, `哪座机场`): a place of another kind does not answer.
_WHICH_VENUE = re.compile(r"哪(?:一)?[个座家所处]((?:展|场|会|体育|博物|图书|会展|艺术)?馆|场馆|会场|"
                          r"机场|港口|码头|车站|园区|大厦|中心)")


# A which-district question (`落在哪几个区`, `哪个区的`): the answer names a district of Shanghai.
_WHICH_DISTRICT = re.compile(r"哪(?:一|几|些)?个?区(?![域别分])")


def _asked_venue(text: str) -> str | None:
    """The kind of venue a which-place question asks for (`在哪个展馆举办的` → 展馆), or None."""
    return match.group(1) if (match := _WHICH_VENUE.search(text)) else None


# Nouns with a place's ending that name no place (`40个国家和地区`, `园区`, `全市`).
_GENERIC_PLACES = ("地区", "区域", "园区", "社区", "城区", "片区", "辖区", "城市", "市区", "全市", "本市", "我市")


@lru_cache(maxsize=1)
def _part_of_speech() -> Any:
    """jieba's part-of-speech tagger on a private dictionary (loaded once, on the first "who" question)."""
    import jieba
    import jieba.posseg

    return jieba.posseg.POSTokenizer(jieba.Tokenizer())


_LATIN_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")


def names_a_person(text: str, besides: str = "") -> bool:
    """Whether the text names a person: a Chinese personal name (jieba's `nr…`, two characters or more)
    or a Latin one (`Peter Higgs`). A count of people (`科技功臣奖2人`) names none.

    A name the question itself gives (`besides`) answers no who-question: the greeting `汪泓代表：`
    does not say who the reply's contact person is.
    """
    if any(name not in besides for name in _LATIN_NAME.findall(text)):
        return True
    # nr, and jieba's nrfg / nrt for names in its dictionary (习近平) and transliterated ones.
    tagger = _part_of_speech()
    return any(flag in ("nr", "nrfg", "nrt") and len(word) >= 2 and word not in besides
               and not _common_word_as_name(word, tagger.tokenizer.FREQ)
               for word, flag in tagger.cut(text))


# How often a given name's part must be an ordinary word for the whole to be read as a word.
_COMMON_WORD_FREQ = 1000


def _common_word_as_name(word: str, freq: dict[str, int]) -> bool:
    """Whether jieba's dictionary tags an ordinary word as a name: a surname's character before a common
    word (`高水平` = 高 + 水平, `严先生`). A given name is rarely a common word, and a name jieba reads
    from its characters (`田春芝`, not in the dictionary) is never this."""
    return len(word) >= 3 and freq.get(word, 0) > 0 and freq.get(word[1:], 0) >= _COMMON_WORD_FREQ


# A question asking which company (`是哪家企业研发的`, `which company`): the answer names one.
_COMPANY_ASK = re.compile(r"哪(?:一)?家(?:企业|公司)|哪个(?:企业|公司)|\bwhich (?:company|firm|enterprise)\b",
                          re.IGNORECASE)
# jieba tags common words as places (上市, 海洋: thousands of uses in its dictionary); a foreign name it
# reads as one (德纳 of 莫德纳) is rare there.
_RARE_NAME_FREQ = 50
# An organisation jieba knows that is a government body (国家药监局, 市科委), not a company.
_AUTHORITY = ("局", "委", "厅", "部", "办", "署", "政府", "委员会")
_COMPANY_SUFFIX = re.compile(r"[\u4e00-\u9fff]{2,}(?:公司|集团|药业|股份)")


def names_a_company(text: str, besides: str = "") -> bool:
    """Whether the text names a company the question does not: an organisation's name (jieba's `nt`,
    `联影`), a name ending as companies' do (`…集团`), or a foreign name jieba reads as a place it
    does not know as one (`莫德纳` → 德纳). A sentence saying only what was made names none."""
    if any(m.group() not in besides for m in _COMPANY_SUFFIX.finditer(text)):
        return True
    tagger = _part_of_speech()
    return any(word not in besides and len(word) >= 2 and (
        (flag == "nt" and not word.endswith(_AUTHORITY))
        or (flag == "ns" and tagger.tokenizer.FREQ.get(word, 0) < _RARE_NAME_FREQ))
        for word, flag in tagger.cut(text))


def kind_fits(asked: Asked, sentence: str) -> bool:
    """Whether the sentence holds a value of the asked kind (no kind asked: anything fits)."""
    text = with_units(sentence.replace("**", ""))  # a table row's units live in its label/header
    if asked.kind == "person":
        return names_a_person(text, asked.text)
    if asked.kind == "amount":
        return bool(_AMOUNT.search(text))
    if asked.kind == "share":
        return bool(_SHARE.search(_CHANGE_RATE.sub("", text)))
    if asked.kind == "change":
        return bool(_SHARE.search(text) or re.search(r"\d[\d.]*\s*倍|翻[一两]?番", text))
    if asked.kind == "date":
        return bool(_DATE.search(text))
    if asked.kind == "day":
        return bool(_DAY.search(text))
    if asked.kind == "year":
        return bool(re.search(r"(?:19|20)\d\d\s*年", text))
    if asked.kind == "rank":
        return bool(_RANK.search(text))
    if asked.kind == "email":
        return bool(re.search(r"[\w.-]+@[\w-]+\.[\w.]+", text))
    if asked.kind == "phone":
        return bool(re.search(r"\d{3,4}[-\s]?\d{7,8}|(?<!\d)\d{8}(?!\d)", text))
    if asked.kind == "docnum":
        return bool(DOCUMENT_NUMBER.search(text))
    if asked.kind == "count" and asked.counter:
        # `几座城市` may be answered without its counter: `G60九城市` (a numeral right before the noun).
        noun = f"|{_NUM}{re.escape(asked.noun)}" if asked.noun else ""
        return bool(re.search(_NUM + f"(?:{_counters(asked.counter)}){noun}", text))
    if asked.kind in ("count", "number"):
        text = _SLOGAN.sub("", text)  # `“四位一体”培育机制` counts nothing
        if re.search(_NUM + "[家项件人个篇款所位名场次批台套座种份颗]", text):
            return True
        # A count with no counter asked (English) is no length, sum, share or date (`4000米海试`), nor a
        # model's name (`C919`).
        return bool(re.search(r"\d", text) if asked.kind == "number" else _BARE_COUNT.search(text))
    return True


# A bare number that may be a count: not part of a name (`C919`, `6G`) and not followed by a unit.
_BARE_COUNT = re.compile(r"(?<![A-Za-z\d.,])\d[\d,.]*(?![\d.,]|\s*(?:余|多)?\s*(?:万|亿)?\s*(?:余|多)?\s*"
                         r"(?:米|公里|千米|厘米|%|％|年|月|日|元|美元|倍|级|号|届|度|小时|天|[A-Za-z]))")
# A short quoted slogan or model's name (`“四位一体”`, `“一网通办”`, `“3+6”`): its numeral is no count.
_SLOGAN = re.compile(r"“[^”]{1,8}”")


def _change_beside_measure(asked: Asked, sentence: str, idf: Callable[[str], float]) -> bool:
    """Whether a rate of change stands beside the measure's words: their clause or the next one.

    `每万人口发明专利拥有量60.2件，…输出技术合同成交额占比达70%` gives a level for the asked indicator
    and a share for another: no change of the one asked. A measure named only in the headings is
    not checked here.
    """
    # Any word of the measure: a long indicator (`三省一市发布的“企业出题”重点揭榜任务`) spreads over
    # clauses, and its value sits by some of them, not always by the rarest.
    known = corpus_words(asked.measure, idf)
    clauses = re.split(r"[，,；;。]", sentence.replace("**", ""))
    own = [i for i, c in enumerate(clauses) if any(w in c for w in known)]
    # The next clause gives the change of the same measure only when it opens with the change
    # (`…60.2件，比上年增长15.1%`), not when it names its own (`…成交额占比达70%`).
    return not own or any(kind_fits(asked, clauses[i]) or (
        i + 1 < len(clauses) and _CHANGE_OPENS.match(clauses[i + 1]) and kind_fits(asked, clauses[i + 1]))
        for i in own)


_CHANGE_OPENS = re.compile(r"\s*(?:同比|比上年|较上年|比去年|年均|分别)?(?:增长|增加|提高|提升|下降|减少|降低|上升|翻)")


# A question asking the names of things it counts itself: `新建的三大平台分别叫什么名字？`,
# `和哪6所高校开展协同创新？`, `获批上市的4个1类创新药分别是哪几款？`.
_NAMES_ASK = re.compile(r"分别(?:叫|是|为)(?:什么|哪)|叫什么名字|哪几|哪些|名称|名单|列出"
                        r"|哪\s*(?:\d+|[两二三四五六七八九十]+)")
_COUNTED = re.compile(r"(\d+|[一两二三四五六七八九十]+)\s*(大|个|所|家|项|款|种|位|名|类|座|条|批)")
# Names beside a count: a list or a quoted name before it in its clause (`集成电路、生物医药、人工智能三大
# 先导产业`), or a list announced after it (`三大平台：…`, `（A、B）`, `分别是…`, `包括…`).
_NAMES_BEFORE = re.compile(r"[、“《]|[\u4e00-\u9fff]{2,}(?:和|及|与)[\u4e00-\u9fff]{2,}")
_NAMES_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,8}(?:[：:（(]|，?(?:分别(?:是|为)|包括|即|涵盖))")


def _noun_after(text: str, ask: re.Match[str]) -> str:
    """The two-character noun right after a question's counter (`几座城市的政府` → 城市), else ""."""
    m = re.match(r"([\u4e00-\u9fff]{2})(?:的|[？?，,。]|$)", text[ask.end():])
    return m.group(1) if m else ""


def _counted(text: str) -> tuple[str, ...]:
    """The count a names question gives of what it asks, and the noun right after it (`新建的三大平台`
    → 三大, 平台; `哪6所高校` → 6所, 高校; `4个1类创新药` → 4个 and no noun). The last one: the
    thing whose names are asked stands next to the asking words (`聚焦三大先导产业新建的三大平台`)."""
    if not _NAMES_ASK.search(text):
        return ()
    text = re.sub(r"(?:19|20)\d\d\s*年", "", text)
    counts = [m for m in _COUNTED.finditer(text)
              if not (m.group(2) == "类" and m.group(1) == "1") and text[max(0, m.start() - 1):m.start()] != "第"]
    if not counts:
        return ()
    m = counts[-1]
    noun = re.match(r"[\u4e00-\u9fff]{0,2}", text[m.end():]).group()  # type: ignore[union-attr]
    return (f"{m.group(1)}{m.group(2)}", noun)


# Nouns too general to be in the names that answer (`哪两家单位` → `…科技厅、…科技局`).
_GENERIC_NOUNS = frozenset("单位 机构 部门 地方 方面 领域 场所 东西 项目 事情 措施 举措 场合 地区 城市 国家".split())


def _only_counted(asked: Asked, sentence: str) -> str | None:
    """The count a sentence repeats without naming what it counts (`新建三大平台`), or None.

    A names question is not answered by the count it gives itself: the names must be there, as
    a list or quoted names before the count in its clause, or announced after it.
    """
    count, noun = asked.counted
    text = sentence.replace("**", "")
    found = None
    for m in re.finditer(rf"(?<![\d.]){re.escape(count[:-1])}\s*{re.escape(count[-1])}\s*", text):
        if noun and not text[m.end():].startswith(noun):
            continue
        clause_start = max(text.rfind(c, 0, m.start()) for c in "，,；;。") + 1
        if _NAMES_BEFORE.search(text[clause_start:m.start()]) or _NAMES_AFTER.search(text[m.end():]):
            return None
        found = found or m.group().strip() + noun
    return found


# A question answered by yes or no: a sentence repeating its words says yes.
_YES_NO = re.compile(r"是否|有没有|有无|吗[？?]?$|\b(?:did|does|do|is|was|were|has|have)\b", re.IGNORECASE)


def _news(sentence: str, question: str, tokenize: Callable[[str], list[str]]) -> list[str]:
    """What a sentence has that the question does not: words (two Chinese characters or more), or
    figures and codes (`10人`, `“1+24+2+2+X”`)."""
    asked = set(tokenize(question))
    return [t for t in tokenize(sentence.replace("**", "")) if t not in asked and t.lower() not in _FILLER
            and ((len(t) >= 2 and _HAN_WORD.fullmatch(t) and not any(t in a for a in asked))
                 or re.search(r"[\dA-Za-z]", t))]


# A reply's plans (`下一步，我委将…`), and a question asking about plans.
_NEXT_STEP = re.compile(r"下一步|今后|接下来")
_ASKS_PLAN = re.compile(r"下一步|接下来|今后|将来|未来(?:几|三|五)年|打算|计划(?:要|将|怎么|如何)|准备|将要|"
                        r"要怎么|怎么做|\bnext\b|\bplans?\b|\bintend|\bwill\b", re.IGNORECASE)
# A reply's opening formula (`…收悉，经研究，现将办理情况答复如下：`), and a question asking the title it quotes.
_ACKNOWLEDGEMENT = re.compile(r"收悉|答复如下")
_ASKS_TITLE = re.compile(r"(?:建议|提案|议案|意见|来信)[^，,？?]{0,6}(?:题目|标题|名称|名字|叫什么|是什么)"
                         r"|\b(?:title|titled)\b", re.IGNORECASE)


def why_not(asked: Asked, sentence: str, context: str, tokenize: Callable[[str], list[str]],
            idf: Callable[[str], float], min_measure: float, distinctive_idf: float,
            english_min_measure: float = 0.0, english_min_question: float = 0.0) -> str | None:
    """The reason a sentence does not answer (for `no_answer_reason`), or None when it does.

    The measure is checked for questions asking a value (a count, amount, share or date):
    those are where a near sentence gives a wrong figure; a question asking what or whether
    is paraphrased too freely for word checks and is left to the similarity scores.
    """
    if _NEXT_STEP.match(sentence.replace("**", "").strip()) and not _ASKS_PLAN.search(asked.text):
        # `下一步，我委将…` says what will be done: what has been (`正在积极培育哪些…`) is another sentence.
        return "相关句子讲的是下一步的打算，不是已经做的"
    if _ACKNOWLEDGEMENT.search(sentence) and not _ASKS_TITLE.search(asked.text):
        # `汪泓代表：您提出的“…”收悉，…答复如下：` names the addressee and the suggestion's title, and
        # answers only what that title is; the addressee's name is not what any other question asks.
        return "相关句子是答复开头的收悉套语，只给出了建议的题目"
    # A document number is found by its shape: the line that holds it names nothing else.
    if asked.check_measure and asked.kind != "docnum" and not measure_found(
            asked, sentence, context, tokenize, idf, min_measure, distinctive_idf, english_min_measure):
        named = ''.join(asked.measure[:3]) or " ".join(r.english for r in asked.renderings[:4])
        return f"报告中没有关于“{named}”的句子"
    if (asked.renderings and asked.kind == "count" and english_min_question > 0 and english_measure_share(
            asked.question_renderings, f"{sentence} {context}", idf, tokenize) < english_min_question):
        # `How many projects had the future industry fund invested in?` asks a count of projects, but of
        # the fund's: a sentence with some count of 项目 or 计划 and nothing of the fund counts others.
        named = " ".join(r.english for r in asked.question_renderings if r not in asked.renderings) or " ".join(
            r.english for r in asked.question_renderings)
        return f"相关句子没有提到问题所说的“{named}”"
    if asked.kind in _FIGURES and (narrower := _left_out(asked, f"{sentence} {context}", idf, distinctive_idf)):
        return f"相关句子给出的指标没有“{narrower}”，不是所问的那一项"
    if asked.category and asked.category not in re.sub(r"\s+", "", f"{sentence} {context}"):
        return f"相关句子没有给出“{asked.category}”这一类的数"
    if (asked.kind in _FIGURES and not asked.renderings and (per := _PER_UNIT.search(asked.text))
            and not _PER_UNIT.search(sentence) and not _AVERAGE.search(sentence)):
        # `每万人口…拥有量` is a rate: a total (`发明专利授权24208件`) is another measure.
        return f"相关句子给出的不是{per.group()}的数"
    if (place := next((p for p in named_places(asked) if not place_named(p, f"{sentence} {context}")),
                      None)) is not None:
        return f"相关句子没有提到{place}"
    if asked.kind in _FIGURES and (place := next((p for p in PLACES if p in asked.text and p not in _HOME
                                                  and _one_of_listed(p, sentence)), None)) is not None:
        # `与新加坡合作共建的联合实验室有几家`: `深化与新加坡、芬兰…等双边合作机制，布局建设5家国际联合实验室`
        # names Singapore among others, and its figure is for all of them.
        return f"相关句子的数不是{place}单独的：{place}只是所列多个地方之一"
    if asked.value_noun:
        words = [w for w in tokenize(asked.value_noun) if len(w) > 1]
        noun_words = corpus_words(tuple(words), idf)
        both = f"{sentence} {context}"
        noun_words += [w for w in words if w not in noun_words and _equivalents_of(w, asked)]
        if words and not any(_found(w, asked, set(tokenize(both)), both)
                             for w in [asked.value_noun, *noun_words]):
            return f"相关句子没有给出“{asked.value_noun}”"
        if (len(noun_words) > 1 and not _found(asked.value_noun, asked, set(tokenize(both)), both)
                and not names_enough(tuple(noun_words), both, tokenize, idf, min_measure)):
            return f"相关句子没有给出“{asked.value_noun}”"
    text = f"{sentence} {context}"
    if asked.quantity_noun and not any(ch in text for ch in asked.quantity_noun):
        # A paraphrase keeps a morpheme (`贷款` for `信贷资金`, `创投资金` for `风险投资基金`); a
        # sentence sharing none gives another measure (`营收` for `利润`).
        return f"相关句子没有给出“{asked.quantity_noun}”"
    # A quoted name in the reports' own words (not a colloquial `“经济盘子”`) is what the answer is about.
    # With several, one is enough: `“中央科创区”规划的“2+1”产业创新体系` is answered by the 2+1 sentence.
    quoted = [q for q in asked.quoted if all(corpus_words((w,), idf) for w in tokenize(q) if len(w) > 1)]
    if quoted and not any(q in text for q in quoted):
        return f"相关句子没有提到“{quoted[0]}”"
    if asked.share_of and not names_enough(asked.share_of, text, tokenize, idf, min_measure):
        return f"相关句子没有给出“{''.join(asked.share_of)}”所占的比例"
    if asked.share_whole and (other_whole := _share_of_other_whole(asked, sentence, tokenize, idf, min_measure)):
        return f"相关句子的比例是占“{other_whole}”的，不是占“{''.join(asked.share_whole)}”的"
    if (asked.share_whole and _SHARE_BASE.search(asked.text)
            and not names_enough(asked.share_whole, text, tokenize, idf, min_measure)):
        # A whole the question names after 占 (`占全市一般公共预算支出的比重`) is named by the answer too:
        # a share of no stated whole (`基础研究支出占比达23.6%`) may be of any.
        return f"相关句子没有给出占“{''.join(asked.share_whole)}”的比例"
    if (other := sounds_alike(asked, sentence, idf, distinctive_idf)) is not None:
        return f"相关句子给出的是“{other}”，不是所问的“{'、'.join(asked.measure[:3])}”"
    # (A quoted name may be a theme, never a person: a who-question's role must be said.)
    if asked.attribute and asked.attribute not in sentence and (asked.kind == "person" or not re.search(
            r"“[^”]{2,}”|《[^》]{2,}》|\"[^\"]{2,}\"", sentence)):
        # `…的主题是什么？`: a sentence naming no 主题 may still quote the theme, but one doing neither
        # (`10月 - 第7届世界顶尖科学家论坛举办`) only says the event took place.
        return f"相关句子没有给出所问的{asked.attribute}"
    if _COMPANY_ASK.search(asked.text) and not names_a_company(sentence.replace("**", ""), asked.text):
        return "相关句子没有给出所问的企业"
    if asked.kind == "place":
        # The place may be the passage's heading (`崇明区`): read with the context.
        if not new_place(asked, f"{sentence} {context}"):
            return "相关句子没有给出所问的地点"
        if _WHICH_DISTRICT.search(asked.text) and not any(
                d in f"{sentence} {context}" and d not in asked.text for d in DISTRICTS):
            # `分别落在哪几个区` asks Shanghai's districts: a city or a zone of another kind is not one.
            return "相关句子没有给出所问的区"
        if (venue := _asked_venue(asked.text)) and venue[-1] not in f"{sentence} {context}":
            # `在哪个展馆举办的` asks a hall: a guest city (`境外主宾城:日本大阪市`) is another place.
            return f"相关句子没有给出所问的{venue}"
        return None
    if not kind_fits(asked, sentence):
        wanted = {"amount": "金额", "share": "比例", "change": "增减幅度", "date": "时间", "day": "日期",
                  "year": "年份", "docnum": "文号", "rank": "排名",
                  "email": "电子邮箱", "phone": "电话", "person": "人名"}.get(
            asked.kind or "", f"以“{asked.counter}”计的数量" if asked.counter else "数量")
        return f"相关句子没有给出所问的{wanted}"
    if asked.kind == "number" and (rate := _only_a_rate_of_measure(asked, sentence, idf)):
        return f"相关句子给出的是“{rate}”，不是所问指标本身的数值"
    if asked.kind == "change" and not _change_beside_measure(asked, sentence, idf):
        return "相关句子给出的增减幅度不是所问指标的"
    if asked.counted and (count := _only_counted(asked, sentence)):
        return f"相关句子只给出了数量（{count}），没有给出名称"
    if (asked.counted and (noun := asked.counted[1]) and noun not in _GENERIC_NOUNS and tokenize(noun) == [noun]
            and noun[-1] not in f"{sentence} {context}"):
        # `新建的三大平台分别叫什么名字`: names of alliances and bases (`…联盟、…基地`) are no platforms'.
        return f"相关句子没有提到所问的{noun}"
    if (asked.kind is None and not asked.renderings and not _YES_NO.search(asked.text)
            and not _news(sentence, asked.text, tokenize)):
        # `强化科技金融支撑。` for `…强化科技金融支撑时，提出要培育什么样的资本？`, or a bare `10月`: a
        # sentence saying nothing the question does not already say answers nothing.
        return "相关句子只重复了问题里的话"
    values = [c for c in _CLAUSE.split(sentence.replace("**", "")) if kind_fits(asked, c)]
    if values and all("意向" in c for c in values) and not _INTENT_ASK.search(asked.text):
        # `现场达成合作意向556项` counts intentions: how many agreements were signed is another figure.
        return "相关句子给出的是意向的数，不是所问的实际数"
    if asked.given and (figures := asked_figures(asked, sentence)) and set(figures) <= set(asked.given):
        # `3000余家服务机构中，上海的有多少家？` is not answered by the sentence giving the 3000.
        return f"相关句子只给出了问题里已有的“{'、'.join(figures)}”"
    if asked.given_whole and not names_enough(asked.given_whole, text, tokenize, idf, min_measure):
        # `6款新冠检测试剂中，抗体检测试剂有几款？` is about those reagents: a sentence naming none of the
        # whole (`3款抗体药获国家应急项目支持`) counts something else.
        return f"相关句子没有提到问题所说的“{''.join(asked.given_whole)}”"
    if asked.given and _GIVEN_WHOLE.search(asked.text) and (beside := _given_beside_measure(asked, sentence, idf)):
        # `新晋的10家独角兽里，人工智能公司占几家？`: `独角兽新晋10家，总数达到65家` gives the 10 beside
        # the measure and another figure (the total) beside none of its words.
        return f"相关句子只给出了问题里已有的“{'、'.join(beside)}”"
    if asked.flow and values:
        # `累计…103家` or `40余位两院院士` (at a forum) is not how many were new that year. What says
        # "new" is read beside the value: its clause and the one before (`新认定…，共计7396家`).
        # Clauses here keep a 、 list whole: `新布局建设5个高质量孵化器、7个概念验证中心` says new of both.
        clauses = re.split(r"[，,；;。：:]", sentence.replace("**", ""))
        fitting = [i for i, c in enumerate(clauses) if kind_fits(asked, c)]
        # The value beside the measure's rarest word, where one is: `日均新增科技企业超320家` says new
        # of other firms than `胡润独角兽企业(64家)`.
        known = [w for w in corpus_words(asked.measure, idf) if not _FLOW.search(w)]  # not 新晋 itself
        rarest = max(known, key=idf) if known else ""
        own = [i for i in fitting if rarest and rarest in clauses[i]] or fitting
        near = " ".join(_NOT_NEW.sub("", " ".join(clauses[max(0, i - 1):i + 1])) for i in own)
        if _STOCK.search(sentence) and not re.search("新|增", near):
            return "相关句子给出的是累计数，不是所问的新增数"
        if not _FLOW_SAID.search(near):
            return "相关句子没有说是新增的数量"
    if asked.event and values:
        clauses = _CLAUSE.split(sentence.replace("**", ""))
        near = " ".join(" ".join(clauses[max(0, i - 1):i + 1]) for i, c in enumerate(clauses) if c in values)
        groups = {_EVENT_OF[v] for v in _EVENT.findall(near)}
        # An English question's words are checked loosely (any rendering of one): there its event
        # must be said, where a Chinese sentence naming no event may still answer in other words.
        if groups and asked.event not in groups:
            return f"相关句子的数量是{'、'.join(sorted(groups))}的，不是所问{asked.event}的"
        if not groups and asked.renderings:
            return f"相关句子没有说是{asked.event}的数量"
    if values and (group := _within_other_group(asked, sentence, tokenize, idf)) is not None:
        return f"相关句子的数是“{group}”中的一部分，问题没有问“{group}”"
    if values and (part := _part_after_qizhong(asked, sentence, context, tokenize, idf)) is not None:
        return f"相关句子的数是总数的，“{part}”只是其中一部分"
    if asked.kind == "count" and asked.counter and (listed := _list_total(asked, sentence)) is not None:
        return f"相关句子的数是{'、'.join(listed)}合计的，不是所问的一项"
    if values and (broader := _broader_value(asked, sentence, values, idf)) is not None:
        return f"相关句子的数是“{broader[1]}”的，所问的“{broader[0]}”另有所指"
    if asked.as_of is not None and values and (month := _sentence_as_of(f"{sentence} {context}")) != asked.as_of:
        # Asked as of January, a year-end total (or one of no stated date) is another figure; asked as
        # of the year's end, a total as of January is.
        if asked.as_of != 12:
            return f"相关句子的数不是截至{asked.as_of}月的"
        if month is not None:
            return f"相关句子的数是截至{month}月的，不是年底的"
    if asked.full_year and values and (part_year := _PART_YEAR.search(sentence)) and not _FULL_YEAR.search(sentence):
        return f"相关句子的数是{part_year.group()}的，不是全年的"
    if asked.also and (lacking := next((c for c in asked.also if not re.search(
            _NUM + f"(?:{_counters(c)})", with_units(sentence.replace("**", "")))), None)):
        return f"相关句子没有给出所问的以“{lacking}”计的数量"
    if asked.excluded and values and (counted := next((w for w in asked.excluded if any(w in c for c in values)),
                                                      None)):
        return f"相关句子的数包含了所问不含的“{counted}”"
    # Only the part's words the corpus uses: one it never says (a colloquial word) names nothing.
    known = corpus_words(asked.part, idf)
    if known and values:
        for word in sorted(known, key=idf, reverse=True):
            if not any(word in c for c in values):
                return f"相关句子给出的是总数，没有“{word}”这一项的数"
    return None


_CLAUSE = re.compile(r"[，,；;。、：:]")
# A question about intentions (`意向交易`, `intended investment`): a figure of intentions answers it.
_INTENT_ASK = re.compile(r"意向|意愿|\bintent|\bintend", re.IGNORECASE)
_HAN = re.compile(r"[\u4e00-\u9fff]")


# Digits that are no figure: a year (`2020年`), a percentage's own digits are kept.
_PERCENT_FREE = re.compile(r"(?:19|20)\d\d\s*年")
# A measure that is itself a rate or a share: its figure is a percentage.
_RATE_MEASURE = re.compile(r"率|比例|比重|占比|指数|强度|水平|增速|增幅|份额")
# A rate or share of the measure written right after it (`技术合同成交额占比达70%`).
_RATE_OF = re.compile(r"^(?:的)?(?:占比|比例|比重|增长|增速|增幅|提高|提升|下降)")


def _only_a_rate_of_measure(asked: Asked, sentence: str, idf: Callable[[str], float]) -> str | None:
    """The phrase when the only figure a bare-figure question (`技术合同成交额各是多少`) finds beside its
    measure is a rate or share of it (`技术合同成交额占比达70%`); None otherwise.

    The question asks the measure's own value: a percentage answers only a measure that is a
    rate (`达标率`, `比重`), which the question would then name.
    """
    if _RATE_MEASURE.search(asked.text):
        return None
    text = sentence.replace("**", "")
    found = [w for w in corpus_words(asked.measure, idf) if w in text]
    if not found:
        return None
    rarest = max(found, key=idf)
    beside = [c for c in _CLAUSE.split(text) if rarest in c and re.search(r"\d", c)]
    if not beside or any(re.search(r"\d(?![\d.]*\s*%)", _PERCENT_FREE.sub("", c)) for c in beside):
        return None
    for clause in beside:
        for word in found:  # the measure's last word is the one its rate follows (`成交额占比`)
            at = clause.find(word) + len(word)
            if word in clause and (rate := _RATE_OF.match(clause[at:])) is not None:
                start = min(clause.find(w) for w in found if w in clause)
                return clause[start:at] + rate.group()
    return None


def _given_beside_measure(asked: Asked, sentence: str, idf: Callable[[str], float]) -> list[str]:
    """The figures beside the measure's rarest word the sentence has, when each is one the question
    already gives; empty otherwise (no such clause, or one with a figure of its own)."""
    text = sentence.replace("**", "")
    # The whole's own words sit beside the figure given for it (`11 款大模型中，上海占据 3 席`): the part's
    # words say where the asked figure is.
    found = [w for w in corpus_words(asked.measure, idf) if w in text and w not in asked.given_whole]
    if not found:
        return []
    rarest = max(found, key=idf)
    figures = [f for clause in _CLAUSE.split(text) if rarest in clause for f in asked_figures(asked, clause)]
    return list(dict.fromkeys(figures)) if figures and set(figures) <= set(asked.given) else []


def asked_figures(asked: Asked, sentence: str) -> list[str]:
    """The figures in the sentence of the asked kind, as digits (`3000余家` → 3000 for a count in 家);
    words for numbers and years are left out (a year is not a count)."""
    text = with_units(sentence.replace("**", ""))
    if asked.kind == "count" and asked.counter:
        unit = _counters(asked.counter)
    elif asked.kind == "amount":
        unit = "美元|元"
    else:
        unit = ""
    pattern = re.compile(r"(?<![\d.])(\d[\d,.]*)\s*(?:余|多)?\s*(?:万|亿)?\s*(?:余|多)?\s*" + (f"(?:{unit})" if unit
                                                                                   else r"(?![年月日\d.,])"))
    return list(dict.fromkeys(m.group(1).replace(",", "").rstrip(".") for m in pattern.finditer(text)))


def value_beside_measure(asked: Asked, sentence: str, tokenize: Callable[[str], list[str]],
                         idf: Callable[[str], float], min_share: float = 0.0) -> bool:
    """Whether the sentence names the rarest word of the measure, with the asked value in a clause
    that names most of the measure (IDF-weighted share ≥ `min_share`), and the noun a "what"
    question asks for (`什么机制` → 机制).

    `新建11个专业实验室、概念验证中心` holds a count and names the measure, but the count belongs
    to 专业实验室: such a sentence may answer, yet it is not a high-confidence answer. The share
    is what keeps a clause naming one word of the measure (`新建11个…`) from passing for it.
    """
    text = sentence.replace("**", "")
    if asked.head and asked.head not in text:  # `什么机制？` is not answered by a sentence naming no 机制
        return False
    if asked.attribute and asked.attribute not in text:  # `…的主题是什么？`: a sentence naming no 主题
        return False
    if not asked.measure:
        return True
    rarest = max(asked.measure, key=idf)
    if not has_word(rarest, set(tokenize(text)), text):
        return False
    if not asked.kind:
        return True
    total = sum(idf(w) for w in asked.measure) or 1.0
    for clause in _CLAUSE.split(text):
        if not kind_fits(asked, clause):
            continue
        words = set(tokenize(clause))
        share = sum(idf(w) for w in asked.measure if has_word(w, words, clause)) / total
        if rarest in clause and share >= min_share:
            return True
    return False


# What a framing passage (ingest/boilerplate.py: document number, courtesy close, sign-off) can answer.
BOILERPLATE_KINDS = frozenset({"docnum", "date", "day"})
