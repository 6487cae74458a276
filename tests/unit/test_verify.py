"""An answer sentence must carry what was asked: the measure as words, and the kind of value."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reportqa.index.tokenizer import ChineseTokenizer
from reportqa.query.analyze import analyze
from reportqa.rank.verify import (
    Asked,
    english_head,
    kind_fits,
    named_places,
    names_a_company,
    names_a_person,
    new_place,
    place_named,
    read_asked,
    value_beside_measure,
    why_not,
)

TOKENIZER = ChineseTokenizer()


def asked(question: str) -> Asked:
    return read_asked(analyze(question), TOKENIZER.tokenize)


def reason(question: str, sentence: str, context: str = "") -> str | None:
    return why_not(asked(question), sentence, context, TOKENIZER.tokenize, lambda _: 1.0, 0.5, 2.0)


@pytest.mark.parametrize(("question", "kind", "counter"), [
    ("2024年上海有多少家高新技术企业？", "count", "家"),
    ("2025年上海40岁以下承担市科技项目的负责人一共有多少人？", "count", "人"),
    ("2024年全市技术合同成交额是多少亿元？", "amount", None),
    ("基础研究经费占全社会研发经费支出的比重是多少？", "share", None),
    ("市科委的答复是哪一天印发的？", "day", None),
    ("第17届浦江创新论坛是什么时候举办的？", "date", None),
    ("上海获得了哪一年世界科技传播大会的主办权？", "year", None),
    ("第10届上交会是在哪个展馆举办的？", "place", None),
    ("On which dates was the 17th Pujiang Innovation Forum held?", "day", None),
    ("2023年全市财政科技支出的增幅是多少？", "change", None),  # a rate asked by name
    ("How many times was the online livestream of the forum viewed?", "count", "次"),
    # The project is named by its sum; whose it is is asked.
    ("2023年落户上海的全国生物医药最大投资额外资项目是哪家企业的什么项目？", None, None),
    ("When was the Shanghai plan formally released?", "date", None),
    ("What was approved in 2024, and when was it released?", "date", None),
    # A subordinate `when` asks no date, nor does a way of funding ask a sum.
    ("In 2024, on which two areas did Changning District focus when revising its AI policies?", None, None),
    ("What funding approach was Shanghai taking for intergovernmental cooperation projects?", None, None),
    ("编制“一业一方案”是想在哪几个新赛道率先取得突破？", None, None),  # which fields: no place
    ("2025年又在哪些前沿技术上抢先布局？", None, None),
    ("How many people attended the forum in person?", "count", "人"),
    ("Roughly how many visitors did the 10th China (Shanghai) International Technology Fair draw?", "count", "人"),
    ("How many high-level experts are gathered on the platform?", "count", "人"),
])
def test_the_kind_of_value_is_read_off_the_question(question: str, kind: str, counter: str | None) -> None:
    got = asked(question)
    assert (got.kind, got.counter) == (kind, counter)


def test_a_count_of_people_is_not_answered_by_a_share() -> None:
    assert reason("2025年上海40岁以下承担市科技项目的负责人一共有多少人？",
                  "强化青年科技人才自主培养，40岁以下承担市科技项目负责人比例超过60%。") is not None


def test_a_count_of_people_may_be_given_in_ming() -> None:
    assert kind_fits(asked("2020年在上海的两院院士一共有多少位？"), "在沪两院院士共178名") is True


def test_an_amount_needs_yuan_and_a_share_needs_a_percentage() -> None:
    assert kind_fits(asked("2024年全市技术合同成交额是多少亿元？"), "全市技术合同成交额5200.73亿元") is True
    assert kind_fits(asked("2024年全市技术合同成交额是多少亿元？"), "技术合同成交额同比增长7.2%") is False
    assert kind_fits(asked("研发投入占GDP的比例是多少？"), "比例达到4.4%左右") is True


def test_a_word_inside_a_divisor_is_not_the_measure() -> None:
    """人口 in 每万人口 divides the figure; the sentence is about patents, not population."""
    assert reason("上海的人口是多少？", "每万人口高价值发明专利数65件。") is not None


def test_another_indicator_with_the_right_counter_is_not_the_answer() -> None:
    assert reason("2023年上海入库的科技型中小企业有多少家？", "2023年，上海新认定高新技术企业超8000家。") is not None


def test_the_sentence_that_names_the_measure_and_its_count_answers() -> None:
    assert reason("2024年全市入库的科技型中小企业有多少家？", "全年入库科技型中小企业17244家。") is None


def test_a_what_question_is_not_word_checked() -> None:
    assert reason("上海为大模型企业打造的集聚区叫什么？", "“模速空间”已吸引百余家企业入驻。") is None


def test_the_measure_may_be_named_by_the_section_heading() -> None:
    assert reason("2019年度上海市科学技术奖共有多少个获奖项目？", "共授予获奖项目294项。",
                  context="2019年度上海市科学技术奖") is None


def test_a_count_beside_another_noun_is_not_high_confidence_evidence() -> None:
    """The 11 belongs to 专业实验室; the sentence may answer, but not at high confidence."""
    from reportqa.rank.verify import value_beside_measure

    question = asked("上海2024年新建了多少个概念验证中心？")
    idf = {"概念": 3.0, "验证": 3.0}.get
    assert not value_beside_measure(question, "新建11个专业实验室、概念验证中心、技术转化平台。", TOKENIZER.tokenize,
                                    lambda w: idf(w) or 1.0)
    assert value_beside_measure(question, "新布局建设7个概念验证中心。", TOKENIZER.tokenize, lambda w: idf(w) or 1.0)


def test_high_confidence_needs_the_valued_clause_to_name_most_of_the_measure() -> None:
    """新建 is the rarest word here, and its clause holds a count, but the count is of 专业实验室."""
    from reportqa.rank.verify import value_beside_measure

    question = asked("上海2024年新建了多少个概念验证中心？")
    idf = {"新建": 4.0, "概念": 3.0, "验证": 3.0}.get
    sentence = "新建11个专业实验室、概念验证中心、技术转化平台。"
    assert value_beside_measure(question, sentence, TOKENIZER.tokenize, lambda w: idf(w) or 1.0, 0.0)
    assert not value_beside_measure(question, sentence, TOKENIZER.tokenize, lambda w: idf(w) or 1.0, 0.7)
    assert value_beside_measure(question, "新建7个概念验证中心。", TOKENIZER.tokenize, lambda w: idf(w) or 1.0, 0.7)


def test_a_document_number_question_asks_for_a_document_number() -> None:
    question = asked("市科委对汪泓代表建议的答复文号是什么？")
    assert question.kind == "docnum"
    assert kind_fits(question, "沪科建复〔2024〕34号")
    assert not kind_fits(question, "2024年6月21日")


@pytest.mark.parametrize(("short", "long"), [("研发", "研究开发"), ("科委", "科学技术委员会"), ("长三角", "长江三角洲"),
                                             ("科创", "科技创新"), ("高企", "高新技术企业")])
def test_an_abbreviation_is_recognised(short: str, long: str) -> None:
    from reportqa.rank.verify import abbreviates

    assert abbreviates(short, long)


@pytest.mark.parametrize(("short", "long"), [("成交", "成交额"), ("创新", "科技创新"), ("科技", "技术科学"),
                                             ("研发", "研发"), ("2024", "2024年")])
def test_a_sub_word_or_a_reordering_is_not_an_abbreviation(short: str, long: str) -> None:
    from reportqa.rank.verify import abbreviates

    assert not abbreviates(short, long)


def test_the_measure_may_be_named_by_its_full_form_in_the_report() -> None:
    """The question says 长三角, the report 长江三角洲: the corpus's own two forms of one name."""
    from reportqa.rank.verify import measure_found

    measure = Asked(("长三角",), "count", "家", check_measure=True)
    assert measure_found(measure, "长江三角洲共建创新联合体24家。", "", TOKENIZER.tokenize, lambda _: 1.0, 0.5, 2.0)
    assert not measure_found(measure, "全市共建创新联合体24家。", "", TOKENIZER.tokenize, lambda _: 1.0, 0.5, 2.0)


def test_shanghai_city_is_not_read_as_an_abbreviation_of_a_listing() -> None:
    """上市 (listing) is not 上海市: a filler word of every report never stands for a measure."""
    assert reason("2024年广州市在科创板上市的企业累计有多少家？", "上海市企业累计达到95家。") is not None


def test_a_what_question_names_the_noun_it_asks_for() -> None:
    assert asked("上海培育可控核聚变等未来产业用的是什么机制？").head == "机制"
    assert asked("2024年上海推动设立的自然科学发展基金会叫什么名字？").head is None


def test_a_sentence_without_the_asked_noun_is_not_high_confidence_evidence() -> None:
    """The sentence lists 可控核聚变 but names no 机制: it may answer, not at high confidence."""
    from reportqa.rank.verify import value_beside_measure

    question = asked("上海培育可控核聚变等未来产业用的是什么机制？")
    without, with_noun = "实施脑机接口、可控核聚变等“一业一方案”。", "构建未来产业“四位一体”培育机制，支持可控核聚变。"
    assert not value_beside_measure(question, without, TOKENIZER.tokenize, lambda _: 1.0, 0.7)
    assert value_beside_measure(question, with_noun, TOKENIZER.tokenize, lambda _: 1.0, 0.7)


def test_a_count_of_products_may_be_given_with_another_counter() -> None:
    """`几款新药` is answered by `9个1类创新药`: 款 and 个 both count products."""
    assert kind_fits(asked("2025年上海有几款一类新药获批上市？"), "9个1类创新药获批上市。")


def test_a_counter_that_begins_a_word_is_not_a_counter() -> None:
    """`多少所得税` asks how much 所得税, not how many 所."""
    assert asked("2024年高新技术企业少交了多少所得税？").counter is None
    assert asked("上海有多少所高校？").counter == "所"


@pytest.mark.parametrize("sentence", [
    "“全球高层次科技专家信息平台”集聚高层次专家57万余人。",
    "吸引观众近5万人次。",
    "在沪两院院士共178名。",
])
def test_a_count_of_people_may_be_written_with_wan_and_yu(sentence: str) -> None:
    assert kind_fits(Asked(("专家",), "count", "人"), sentence)



def reason_with_rarity(question: str, sentence: str) -> str | None:
    """`reason` where the corpus knows every word (idf 1) but the sentinel of an unseen one (idf 5)."""
    return why_not(asked(question), sentence, "", TOKENIZER.tokenize, lambda w: 5.0 if w == "\uffff" else 1.0,
                   0.5, 2.0)


def test_a_growth_rate_is_not_a_share() -> None:
    assert reason("2024年技术合同成交额中技术输出的占比是多少？",
                  "全市技术合同成交额5200.73亿元，同比增长7.2%。") is not None


def test_a_share_still_answers_a_share_question() -> None:
    assert reason("2024年技术合同成交额中技术输出的占比是多少？",
                  "技术合同成交额中技术输出占比70%。") is None


def test_a_question_about_a_change_is_answered_by_a_growth_rate() -> None:
    got = asked("2024年技术合同成交额比上年增长了百分之几？")
    assert got.kind == "change"
    assert reason("2024年技术合同成交额比上年增长了百分之几？", "全市技术合同成交额5200.73亿元，同比增长7.2%。") is None


def test_a_count_in_hours_needs_hours() -> None:
    question = "2025年上海光源为企业用户提供了多少小时的机时？"
    assert asked(question).counter == "小时"
    assert reason(question, "上海光源服务企业用户机时为同比的1.7倍。") is not None
    assert reason(question, "上海光源为企业用户提供机时3200小时。") is None


def test_new_ones_are_not_answered_by_a_running_total() -> None:
    question = "2025年上海新认定了多少家外资研发中心？"
    assert asked(question).flow
    assert reason(question, "外资研发中心数量累计636家。") is not None
    assert reason(question, "出台外资研发中心提升计划，新认定外资研发中心30家、累计建设591家。") is None


def test_a_part_of_a_whole_is_not_answered_by_the_wholes_figure() -> None:
    question = "2025年上海科技服务业中研发服务一项的营收是多少亿元？"
    assert asked(question).part == ("研发",)
    assert reason_with_rarity(question, "全市科技服务业营收5621.89亿元，同比增长1.5%，研发服务、专业设计等占比达到2/3。"
                              ) is not None


def test_a_part_of_a_whole_is_answered_beside_its_own_name() -> None:
    question = "2024年设立的三大先导产业母基金中，集成电路母基金的规模是多少亿元？"
    assert "集成电路" in asked(question).part
    assert reason_with_rarity(question, "设立三大先导产业母基金，其中集成电路母基金规模450.01亿元。") is None
    assert reason_with_rarity(question, "设立总规模1000亿元的三大先导产业母基金和未来产业基金。") is not None


def test_a_word_inside_another_is_not_the_part_mark() -> None:
    assert asked("长三角国家技术创新中心引进了多少位领军人才？").part == ()


def test_a_counter_jieba_joins_to_the_next_character_is_still_a_counter() -> None:
    got = read_asked(analyze("2024年奉贤区全年认定了几家硕博士创新实践基地？"), TOKENIZER.tokenize, TOKENIZER.is_word)
    assert (got.kind, got.counter) == ("count", "家")


def test_a_real_word_after_how_many_is_not_a_counter() -> None:
    got = read_asked(analyze("2024年高新技术企业少交了多少所得税？"), TOKENIZER.tokenize, TOKENIZER.is_word)
    assert got.counter is None



def test_a_which_city_question_needs_a_place_the_question_does_not_name() -> None:
    question = "第10届中国（上海）国际技术进出口交易会的境外主宾城是哪座城市？"
    assert asked(question).kind == "place"
    assert reason(question, "第10届中国(上海)国际技术进出口交易会举办。") is not None
    assert reason(question, "境外主宾城:日本大阪市", "中国(上海)国际技术进出口交易会(第10届)") is None


def test_a_which_district_question_may_be_answered_by_the_passages_district_heading() -> None:
    assert reason("上海哪个区的公共交通已经全部用上新能源车？", "全域新能源公交、出租车全覆盖。", "崇明区") is None


def test_a_colloquial_word_the_corpus_never_uses_is_not_required_of_the_answer() -> None:
    corpus_words = {"长三角", "技术", "难题", "项目", "联合", "攻关", "创新", "联合体"}

    def idf(word: str) -> float:
        return 1.0 if word in corpus_words else 5.0

    question = "2025年长三角各地手拉手一起啃了多少个技术难题项目？"
    sentence = "成立24家长三角创新联合体，开展联合攻关项目147个。"
    assert why_not(asked(question), sentence, "", TOKENIZER.tokenize, idf, 0.5, 2.0) is None
    # Were they words of the reports, a sentence holding none of them would not name the measure.
    assert why_not(asked(question), sentence, "", TOKENIZER.tokenize, lambda w: 5.0 if w == "\uffff" else 1.0,
                   0.5, 2.0) is not None


def test_the_word_naming_the_kind_of_value_is_not_the_measure() -> None:
    measure = asked("2024年上海向国内外输出技术的合同成交额占比是多少？").measure
    assert "占比" not in measure and "成交额" in measure
    assert reason("2024年上海向国内外输出技术的合同成交额占比是多少？",
                  "上海49项科技成果获国家科学技术奖，占全国18.7%，连续6年占比超过15%。") is not None


def test_new_ones_are_not_answered_by_a_cumulative_count_that_says_how_they_came() -> None:
    question = "2024年上海新增两院院士多少位？"
    assert reason(question, "累计遴选引进488位领军人才担任“项目经理”，其中两院院士22名。") is not None


def test_new_ones_are_not_answered_by_a_count_that_does_not_say_they_are_new() -> None:
    assert reason("2024年上海新增两院院士多少位？", "近300位全球科学家、40余位两院院士及资深科学家参会。") is not None
    assert reason("2023年上海新增两院院士多少位？", "2023年上海新当选两院院士18位。") is None


def test_the_new_in_chuangxin_does_not_say_new_ones() -> None:
    question = "2024年长三角国家技术创新中心当年新建了多少家研发载体？"
    assert reason(question, "累计布局建设专业研究所、技术创新中心等研发载体103家。") is not None


def test_a_place_in_the_question_is_not_a_measure_word() -> None:
    assert "闵行区" not in asked("2024年闵行区“先投后股”政策累计支持了多少个项目？").measure


@pytest.mark.parametrize(("question", "flow"), [
    ("How many new unicorn companies emerged in Shanghai in 2024?", True),
    ("How many new-type R&D institutions does Shanghai have?", False),
    ("《中国区域科技创新评价报告》中上海的综合科技创新水平排名第几？", False),  # 创新评价 is not 新评
    ("2023年上海新评上了几位两院院士？", True),
])
def test_a_question_about_new_ones_is_read_in_chinese_and_english(question: str, flow: bool) -> None:
    assert asked(question).flow is flow


def test_a_count_of_visits_is_a_count_in_renci() -> None:
    got = asked("第10届交易会吸引的观众有多少人次？")
    assert (got.kind, got.counter) == ("count", "人次")


def test_new_said_elsewhere_in_the_sentence_does_not_make_a_running_total_new() -> None:
    question = "2020年上海当年新建了几家“一带一路”国际联合实验室？"
    sentence = "主动融入和服务“双循环”新发展格局，累计与20多个国家签订合作协议，建设“一带一路”国际联合实验室22家。"
    assert reason(question, sentence) is not None


def test_new_said_in_the_clause_before_the_value_counts() -> None:
    assert reason("2020年上海新认定了多少家高新技术企业？", "全年新认定高新技术企业，共计7396家。") is None


def test_one_word_of_the_measure_changed_is_another_measure() -> None:
    question = "2025年上海PCT专利授权量是多少件？"
    assert reason_with_rarity(question, "每万人口高价值发明专利数65件，PCT专利申请量7446件。") is not None
    assert reason_with_rarity(question, "PCT专利授权量1200件。") is None


def test_the_asked_attribute_word_itself_is_needed_for_high_confidence() -> None:
    """A quoted title may answer `…的主题是什么` without the word 主题, but not at high confidence."""
    got = asked("第10届交易会的主题是什么？")
    assert got.attribute == "主题"
    assert reason("第10届交易会的主题是什么？", "第10届交易会以“数链时代 绿动未来”为题举办。") is None
    assert not value_beside_measure(got, "第10届交易会以“数链时代 绿动未来”为题举办。", TOKENIZER.tokenize,
                                    lambda _: 1.0)


# An idf for English checks: every corpus word equally common, an unseen one (`\uffff`) rarer.
def _idf(word: str) -> float:
    return 5.0 if word == "\uffff" else 1.0


def reason_in_corpus(question: str, sentence: str, context: str = "") -> str | None:
    """`reason` with an index whose corpus uses every word asked (`reason`'s counts none as used)."""
    return why_not(asked(question), sentence, context, TOKENIZER.tokenize, _idf, 0.5, 2.0)


@pytest.mark.parametrize(("question", "kind"), [
    ("2024年在沪全国重点实验室的数量在全国排第几？", "rank"),
    ("Where did the Shanghai-Suzhou cluster rank in the Global Innovation Index 2024?", "rank"),
    ("What was the total valuation of Shanghai's unicorn companies on the 2025 Hurun list?", "amount"),
    ("How many innovation service stations has the Yangtze River Delta set up?", "count"),
    ("In which venue was the 7th World Laureates Forum held?", "place"),
    ("What email address is given for the contact person of the reply?", "email"),
    ("答复里留的联系电话是多少？", "phone"),
])
def test_more_kinds_of_value_are_read_off_the_question(question: str, kind: str) -> None:
    assert asked(question).kind == kind


def test_an_events_ordinal_is_not_a_rank() -> None:
    """`第几届` asks which edition, not a standing in a ranking."""
    assert asked("2024年举办的上海科技传播大会是第几届？").kind != "rank"


def test_a_rank_is_a_standing_not_an_ordinal_of_something_else() -> None:
    rank = asked("2024年在沪全国重点实验室的数量在全国排第几？")
    assert kind_fits(rank, "实现14个领域全覆盖、数量保持全国第二") is True
    assert kind_fits(rank, "市委科技委第一次会议、部市工作协调机制第一次会议顺利召开") is False


def test_an_english_how_many_needs_a_number_whatever_its_counter() -> None:
    count = asked("How many enterprises were newly certified as high-tech enterprises in Shanghai in 2024?")
    assert kind_fits(count, "支持外资企业在沪设立全球研发中心和开放式创新平台。") is False
    assert kind_fits(count, "全年新认定高新技术企业7396家") is True


def test_a_contact_detail_the_reply_does_not_give_is_not_answered_by_its_salutation() -> None:
    assert reason("What email address is given for the contact person of the reply?",
                  "汪泓代表：您提出的“打造具有世界影响力科技创新中心的挑战及建议”收悉。") is not None


def test_the_english_head_is_the_thing_asked() -> None:
    assert english_head("What was the total valuation of Shanghai's unicorn companies on the 2025 Hurun list?") \
        == "total valuation of shanghai's unicorn companies"
    assert english_head("How many class 1 innovative drugs were approved in Shanghai in 2020?") \
        == "class 1 innovative drugs"


def test_an_english_question_is_not_answered_by_a_sentence_naming_none_of_its_asked_thing() -> None:
    """`innovative drugs` renders as 创新药: a sentence about rent relief names none of it."""
    question = "How many class 1 innovative drugs were approved in Shanghai in 2020?"
    rent_relief = "出台支持科技企业抗疫情稳发展16条举措，全市各类创新创业载体减免房租金额约4亿元"
    assert reason_in_corpus(question, rent_relief) is not None
    assert reason_in_corpus(question, "新增7款1类创新药、15个三类创新医疗器械获批上市") is None


def test_newly_added_ones_are_not_answered_by_a_running_total() -> None:
    assert reason("2020年当年新纳入上海科创企业上市培育库的企业有多少家？",
                  "科创企业上市培育库累计入库企业1283家，其中8家企业登陆科创板；") is not None


def test_new_products_do_not_make_a_count_of_new_enterprises() -> None:
    """新技术和新产品 are new things; the 28 enterprises are not said to be new ones."""
    assert reason("2024年上海新认定的高新技术企业有多少家？", "28家企业全球或国内首发新技术和新产品") is not None


def test_a_count_of_part_of_the_participants_is_not_answered_by_all_of_them() -> None:
    """The count counts what is named last: 企业 among the alliances' 参与单位."""
    question = "2025年国家实验室组建的7个全国创新联盟中，参与的企业有多少家？"
    assert "企业" in asked(question).part
    assert reason_in_corpus(question, "组建7个全国创新联盟，参与单位超150家") is not None


def test_a_share_may_be_asked_as_a_portion() -> None:
    assert asked("2020年上海成交的技术合同金额里，卖给上海以外地区的占了多大份额？").kind == "share"


def test_a_piece_of_a_filler_word_is_not_a_measure_word() -> None:
    """jieba's search mode cuts 上海市 into 上海 and 海市 too; 海市 names nothing asked."""
    assert "海市" not in asked("2023年上海市本级财政科技支出中，基础研究支出占比是多少？").measure


def test_an_asked_attribute_needs_its_word_or_a_quoted_title() -> None:
    question = "第7届世界顶尖科学家论坛的主题是什么？"
    assert reason(question, "10月 - 第7届世界顶尖科学家论坛举办") is not None
    assert reason(question, "主题:卓越科学 创新致成") is None
    assert reason(question, "论坛以“卓越科学 创新致成”为题举办") is None


def test_a_rare_domain_phrase_of_an_english_question_must_be_named() -> None:
    """`unicorn` is a glossary phrase (独角兽), rare in the reports: a sentence about STAR Market listings
    names 企业 (companies) but is not about unicorns."""
    def idf(word: str) -> float:
        return {"\uffff": 5.0, "独角兽": 3.0}.get(word, 1.0)

    question = asked("How many unicorn companies did Shanghai have in 2020?")
    star_market = "自科创板开市至2020年底，上海有37家企业在科创板上市，排名全国第二。"
    assert why_not(question, star_market, "", TOKENIZER.tokenize, idf, 0.5, 2.0) is not None
    assert why_not(question, "全市独角兽新晋10家，总数达到65家", "", TOKENIZER.tokenize, idf, 0.5, 2.0) is None


def test_the_noun_a_value_is_asked_of_is_read_after_the_last_de() -> None:
    assert asked("截至2024年底，G60科技成果转化基金的总规模是多少亿元？").value_noun == "总规模"
    assert asked("2023年上海新增院士占全国新增院士总数的比例是多少？").value_noun == ""  # the kind, checked as such
    assert asked("在沪设立代表处的国际科技组织：2020年的报告说共有几家？").value_noun == ""  # a source, not a value


def test_an_amount_of_another_noun_does_not_answer_a_funds_size() -> None:
    """The fund's invested amount (投资额) is not its size (规模)."""
    question = "截至2024年底，G60科技成果转化基金的总规模是多少亿元？"
    assert reason_in_corpus(question, "G60科技成果转化基金已投资项目27个, 投资额7.92亿元") is not None
    assert reason_in_corpus(question, "G60科技成果转化基金总规模达到50亿元") is None


def test_a_value_noun_the_reports_never_use_is_not_answered_by_another_measure() -> None:
    """利润总额: the reports give the industry's size, never a profit."""
    def idf(word: str) -> float:
        return 5.0 if word in {"\uffff", "利润", "总额", "利润总额"} else 1.0

    question = asked("2023年上海生物医药产业实现的利润总额是多少亿元？")
    sentence = "全年生物医药产业规模超过 9300 亿元，同比增长 4.9%。"
    assert why_not(question, sentence, "", TOKENIZER.tokenize, idf, 0.5, 2.0) is not None


def _corpus_idf(unseen: set[str] = frozenset()) -> Callable[[str], float]:
    """An idf where the words in `unseen` (and the unseen marker) are words the reports never use."""
    return lambda w: 5.0 if w == "\uffff" or w in unseen else 1.0


def checked(question: str, sentence: str, context: str = "", unseen: set[str] = frozenset()) -> str | None:
    return why_not(asked(question), sentence, context, TOKENIZER.tokenize, _corpus_idf(unseen), 0.5, 2.0)


def test_the_quantity_word_is_the_questions_not_a_these_few() -> None:
    """这几门 (these few subjects) is no question: the measure is read around 多少个."""
    got = asked("2023年上海在数理化生这几门基础学科里，一共有多少个探索性的前沿课题获批？")
    assert (got.kind, got.counter) == ("count", "个")
    assert "课题" in got.measure


def test_which_ones_asks_for_names_not_a_count() -> None:
    assert asked("2023年在沪高质量运行的3家国家实验室分别是哪几家？").kind is None


@pytest.mark.parametrize("question", ["2024年首批7家高质量孵化器全年实现的利润是多少？",
                                      "2024年正式设立的长三角基础研究联合基金规模有多大？"])
def test_a_bare_figure_question_asks_a_number(question: str) -> None:
    assert asked(question).kind == "number"


def test_a_bare_figure_question_is_not_answered_without_a_figure() -> None:
    assert checked("2024年正式设立的长三角基础研究联合基金规模有多大？",
                   "签订长三角加强基础研究合作框架协议,探索设立基础研究联合基金。") is not None


def test_a_bare_figure_question_needs_the_noun_it_asks_the_figure_of() -> None:
    """Asked the profit, the sentence gives the income: 利润 is not named."""
    assert checked("2024年首批7家高质量孵化器全年实现的利润是多少？",
                   "首批7家高质量孵化器积极探索超前孵化、孵投联动等模式，全年收入1.55亿元。") is not None
    assert checked("2024年首批7家高质量孵化器全年实现的收入是多少？",
                   "首批7家高质量孵化器积极探索超前孵化、孵投联动等模式，全年收入1.55亿元。") is None


def test_the_asked_noun_may_be_abbreviated_in_the_sentence() -> None:
    """营收 is how the report writes 营业收入."""
    assert checked("2024年上海科技服务业规模以上企业的营业收入是多少？",
                   "上海市科技服务业规上企业营收6272.59亿元，比上年增长6.1%。") is None


def test_a_figure_the_question_already_gives_is_not_the_answer() -> None:
    assert checked("截至2024年底，长三角科技资源共享服务平台的3000余家服务机构中，上海的机构有多少家？",
                   "截至年底, 长三角科技资源共享服务平台服务机构3000余家, 集聚大型科学仪器超4.7万台(套)") is not None


def test_a_new_figure_beside_the_given_one_may_answer() -> None:
    assert checked("2024年首批7家高质量孵化器新孵化企业有多少家？",
                   "首批7家高质量孵化器新建11个专业实验室，新孵化企业84家。") is None


def test_a_share_must_be_of_what_was_asked() -> None:
    """Asked the share of basic research in R&D spending, the sentence gives R&D spending's share of GDP."""
    assert checked("2020年上海基础研究投入占全社会研发经费支出的比重是多少？",
                   "2020年上海全社会研究开发(R&D)经费支出相当于地区生产总值的比例预计为4.1%。") is not None
    assert checked("2020年上海基础研究投入占全社会研发经费支出的比重是多少？",
                   "基础研究投入占全社会研发经费支出比重达到10%。") is None


def test_a_quoted_name_must_be_in_the_answer() -> None:
    assert checked("关于“全球科技伙伴计划”，市科委2024年打算怎么做？",
                   "四是实施鼓励外资研发中心提升计划，支持外资企业在沪设立全球研发中心。") is not None
    assert checked("关于“全球科技伙伴计划”，市科委2024年打算怎么做？",
                   "探索实施“全球科技伙伴计划”，深化双边合作机制。") is None


def test_a_quoted_colloquial_phrase_is_not_required() -> None:
    """`“经济盘子”` is the asker's word, which the reports never use."""
    assert checked("2024年头11个月，张江高新区规模以上工业和服务业的“经济盘子”有多大？",
                   "1—11月,张江高新区规上工业和服务业经济总量49525.20亿元,同比增长14.4%。",
                   unseen={"盘子"}) is None


def test_one_of_several_quoted_names_is_enough() -> None:
    assert checked("上海“中央科创区”规划的“2+1”产业创新体系，核心产业是哪两个？",
                   "规划形成以数字科技、生命健康为核心,以科创服务业为支撑的“2+1”产业创新体系。") is None


def test_a_part_before_a_comma_is_asked_even_where_jieba_reads_across_it() -> None:
    """科学家中， is read 科学 + 家中 by jieba; the 中 before the comma still marks the part asked."""
    assert checked("第7届世界顶尖科学家论坛的参会科学家中，来自中国以外的有多少位？", "近300位全球科学家") is not None


@pytest.mark.parametrize(("question", "place"), [
    ("2024年上海-六安科技成果对接交流活动上集中展示了多少个科技合作项目？", "六安"),
    ("2024年沪滇科技成果对接交流活动现场签约了多少个合作项目？", "沪滇"),
])
def test_the_place_a_measure_names_is_read_off_the_question(question: str, place: str) -> None:
    assert named_places(asked(question)) == [place]


def test_shanghai_and_china_are_not_named_places() -> None:
    """Every report is about them: requiring them would refuse every sentence that leaves them out."""
    assert named_places(asked("2024年上海全社会研发经费支出占全国的比重是多少？")) == []


def test_another_places_event_does_not_answer() -> None:
    """Asked the Shanghai-Lu'an event's projects, the Sanming event's 50 projects are no answer."""
    question = "2024年上海-六安科技成果对接交流活动上集中展示了多少个科技合作项目？"
    assert checked(question, "沪明科技成果对接交流活动暨沪明纺织产业创新发展研讨活动成功举办,"
                             "会上集中展示近两年沪明两地50个科技合作项目") == "相关句子没有提到六安"


def test_a_named_place_in_the_headings_is_enough() -> None:
    assert checked("沪琼科技成果对接交流活动签约了多少个合作项目？",
                   "聚焦生物医药大健康、深海科技、特色农业等海南重点产业,签约9个合作项目",
                   context="沪琼科技成果对接交流活动") is None


@pytest.mark.parametrize(("question", "event"), [
    ("2024年10月的沪明科技成果对接交流活动上，现场签约了多少个科技合作项目？", "签约"),
    ("上海-六安科技成果对接交流活动上集中展示了多少个科技合作项目？", "展示"),
    ("2024年上海有多少家科技型中小企业入库？", "入库"),
    ("上海为生成式AI创业公司打造的集聚基地吸引了多少家公司落户？", "入驻"),
])
def test_the_event_a_count_is_of_is_read_before_the_quantity_word(question: str, event: str) -> None:
    assert asked(question).event == event


def test_a_count_of_another_event_does_not_answer() -> None:
    """Projects shown (展示) are not projects signed (签约)."""
    assert checked("沪明科技成果对接交流活动上，现场签约了多少个科技合作项目？",
                   "沪明科技成果对接交流活动成功举办,会上集中展示近两年沪明两地50个科技合作项目") is not None


def test_a_count_of_the_same_event_in_other_words_answers() -> None:
    """签署 and 签约 count the same deals."""
    assert checked("沪琼科技成果对接交流活动现场签约了多少个合作项目？",
                   "沪琼科技成果对接交流活动成功举办,现场签署9个合作项目") is None


def test_a_rate_per_head_is_not_answered_by_a_total() -> None:
    """发明专利 is rare enough to name the measure: what is wrong is the total given for a rate."""
    def idf(word: str) -> float:
        return {"\uffff": 5.0, "发明专利": 3.7}.get(word, 1.0)

    question = asked("2020年上海每万人口发明专利拥有量是多少件？")
    sentence = "发明专利授权24208件，比上年增长6.5%；"
    assert why_not(question, sentence, "", TOKENIZER.tokenize, idf, 0.5, 2.0) == "相关句子给出的不是每万人口的数"


def test_a_word_left_out_of_the_middle_of_an_indicator_makes_it_another_indicator() -> None:
    """每万人口发明专利拥有量 is the broader indicator: 高价值 (rare in the reports) narrows the asked one."""
    def idf(word: str) -> float:
        return {"\uffff": 5.0, "高价值": 3.1, "拥有量": 4.6}.get(word, 1.0)

    tokenizer = ChineseTokenizer(["高价值"])  # as the index's dictionary holds it
    question = read_asked(analyze("2020年上海每万人口高价值发明专利拥有量是多少件？"), tokenizer.tokenize)
    sentence = "2020年上海每万人口发明专利拥有量60.2件，公民科学素质水平达标率继续保持全国第一。"
    assert why_not(question, sentence, "", tokenizer.tokenize, idf, 0.5, 2.0) == (
        "相关句子给出的指标没有“高价值”，不是所问的那一项")


def test_a_common_word_left_out_of_a_name_is_a_shortened_name() -> None:
    """国家蛋白质设施 is how the report shortens 国家蛋白质科学设施: 科学 names nothing of its own."""
    assert checked("2025年国家蛋白质科学设施服务企业用户的机时是前一年的几倍？",
                   "上海光源和国家蛋白质设施服务企业用户机时分别为同比的1.7倍和5.8倍。") is None


@pytest.mark.parametrize(("question", "event"), [
    ("How many companies won prizes at the 'Entrepreneurship in Shanghai' competition?", "获奖"),
    ("How many cooperation projects were signed at the Shanghai–Hainan matchmaking event?", "签约"),
    ("How many vertical application demonstration scenarios did Shanghai release?", ""),
])
def test_the_event_of_an_english_count_is_read(question: str, event: str) -> None:
    assert asked(question).event == event


def test_what_a_count_leaves_out_is_read_off_the_question() -> None:
    question = asked("第7届世界顶尖科学家论坛的参会者中，两院院士（不含其他资深科学家）有多少位？")
    assert question.excluded == ("资深", "科学家")
    assert "资深" not in question.measure


def test_a_figure_counting_in_what_the_question_leaves_out_does_not_answer() -> None:
    assert checked("第7届世界顶尖科学家论坛的参会者中，两院院士（不含其他资深科学家）有多少位？",
                   "40余位两院院士及资深科学家", context="第7届世界顶尖科学家论坛"
                   ) == "相关句子的数包含了所问不含的“资深”"


def test_a_figure_of_the_broader_noun_does_not_answer_the_narrower_one() -> None:
    """The sentence names 服务收入 only with a share: its 1.55亿元 is all the income."""
    assert checked("2024年首批7家高质量孵化器的服务收入具体是多少万元？",
                   "首批7家高质量孵化器积极探索超前孵化、孵投联动等模式，全年收入1.55亿元，服务收入占比过半。"
                   ) == "相关句子的数是“收入”的，所问的“服务收入”另有所指"


def test_a_count_of_all_visitors_does_not_answer_the_professional_ones() -> None:
    fair = "第10届中国（上海）国际技术进出口交易会"
    assert checked(f"{fair}吸引的专业观众有多少人次？", "吸引观众近5万人次(专业观众占比超80%)",
                   context=fair) == "相关句子的数是“观众”的，所问的“专业观众”另有所指"
    assert checked(f"{fair}吸引的观众有多少人次？", "吸引观众近5万人次(专业观众占比超80%)", context=fair) is None


def test_a_count_of_a_list_does_not_answer_one_of_its_items() -> None:
    """11个 counts the labs, the proof-of-concept centres and the platforms together."""
    sentence = "首批7家高质量孵化器新建11个专业实验室、概念验证中心、技术转化平台，新孵化企业84家。"
    assert checked("2024年首批7家高质量孵化器新建的各类平台里，专业实验室单独有几个？", sentence) == (
        "相关句子的数是专业实验室、概念验证中心、技术转化平台合计的，不是所问的一项")


def test_counts_each_with_its_own_figure_are_not_a_list() -> None:
    assert checked("2024年上海有多少个1类创新药获批上市？",
                   "新增7款1类创新药、15个三类创新医疗器械获批上市，发布2批产品目录。") is None


def test_an_ordinal_asked_is_neither_a_count_nor_a_measure_word() -> None:
    """第几届 asks which edition: 几 there asks no quantity, and 几届 names nothing the answer must hold."""
    got = asked("2024年上海为吸引海外人才举办的全球创新创业峰会是第几届、叫什么名字？")
    assert got.kind is None
    assert not any("几" in w for w in got.measure)


def test_an_english_question_for_a_theme_needs_the_theme() -> None:
    """`10月 - 第7届世界顶尖科学家论坛举办` says the forum was held, not its theme."""
    question = asked("What was the theme of the 7th World Laureates Forum?")
    assert question.attribute == "主题"
    assert why_not(question, "10月 - 第7届世界顶尖科学家论坛举办", "", TOKENIZER.tokenize, _idf, 0.5, 2.0) is not None
    forum = "第7届世界顶尖科学家论坛"
    assert why_not(question, "主题:卓越科学 创新致成", forum, TOKENIZER.tokenize, _idf, 0.5, 2.0) is None


@pytest.mark.parametrize(("question", "month"), [
    ("截至2024年1月底，上海外资研发中心累计有多少家？", 1),
    ("How many foreign-invested R&D centres had Shanghai accumulated by the end of January 2024?", 1),
    ("截至2024年底，上海外资研发中心累计有多少家？", 12),
    ("2024年上海新认定外资研发中心多少家？", None),
])
def test_the_month_a_total_is_asked_as_of_is_read(question: str, month: int | None) -> None:
    assert asked(question).as_of == month


def test_a_total_as_of_another_month_does_not_answer() -> None:
    as_of_january = "截至2024年1月底，上海跨国公司地区总部、外资研发中心累计分别达到962家和563家。"
    year_end = "全年，上海新认定外资研发中心30家，累计认定共591家。"
    assert checked("截至2024年底，上海外资研发中心累计有多少家？", as_of_january) == (
        "相关句子的数是截至1月的，不是年底的")
    assert checked("截至2024年1月底，上海外资研发中心累计有多少家？", year_end) == "相关句子的数不是截至1月的"
    assert checked("截至2024年1月底，上海外资研发中心累计有多少家？", as_of_january) is None


def test_two_quantities_asked_together_need_both() -> None:
    """`分几批…多少个`: the batches and the projects; a sentence counting only antibody drugs answers neither."""
    def idf(word: str) -> float:  # 应急 is rare in the reports: it names the measure
        return {"\uffff": 5.0, "应急": 3.0}.get(word, 1.0)

    question = asked("2020年抗击新冠时，上海前后分几批部署了多少个科研应急项目？")
    assert question.also == ("批",)
    drugs = "药物和疫苗研发加快推进，3款抗体药获国家应急项目支持，占全国的50%。"
    batches = "应对新冠疫情防控重大需求，建立市级应急科技攻关组，先后布局3批共19项应急攻关任务。"
    assert why_not(question, drugs, "", TOKENIZER.tokenize, idf, 0.5, 2.0) == "相关句子没有给出所问的以“批”计的数量"
    assert why_not(question, batches, "", TOKENIZER.tokenize, idf, 0.5, 2.0) is None


@pytest.mark.parametrize(("question", "kind"), [
    ("2019年度的两位上海市科技功臣分别是谁？", "person"),
    ("Who won the WLA Prize in Computer Science or Mathematics?", "person"),
    ("2024年在上交所上市的全国首单国家级孵化器REIT一共募集了多少资金？", "amount"),
    ("How much prize money did each winner of the WLA Prize receive?", "amount"),
    ("2023年上海市级财政科技支出比上年增长了多少？", "change"),
])
def test_who_and_how_much_money_are_read_off_the_question(question: str, kind: str) -> None:
    assert asked(question).kind == kind


def test_patent_grants_are_no_sum_of_money() -> None:
    assert asked("How fast did Shanghai's invention patent grants grow in 2020?").kind != "amount"


def test_a_who_question_is_not_answered_by_a_count_of_people() -> None:
    question = "2019年度的两位上海市科技功臣分别是谁？"
    assert checked(question, "上海市科技功臣奖2人", context="2019年度上海市科学技术奖") == "相关句子没有给出所问的人名"
    assert checked(question, "联系人：田春芝，联系电话：23116750", context="上海市科技功臣") is None


@pytest.mark.parametrize(("question", "counter"), [
    ("截至2024年底，崇明区投入运营的新能源公交车有多少辆？", "辆"),
    ("2024年上海科技管理干部学院给对口帮扶地区办了几期科技培训班？", "期"),
])
def test_counters_of_vehicles_and_sessions_are_read(question: str, counter: str) -> None:
    assert asked(question).counter == counter


def test_a_count_of_sessions_may_be_given_in_batches() -> None:
    assert checked("2024年上海科技管理干部学院给对口帮扶地区办了几期科技培训？",
                   "依托上海科技管理干部学院,全年为对口合作地区开展科技培训共计14批,培训人数700余人次") is None


def test_a_figure_before_qizhong_is_the_wholes_not_the_parts_after_it() -> None:
    """市级 is named only after 其中, where no growth rate is: the 36.7% is the whole city's."""
    question = "2023年上海市级财政科技支出比上年增长了多少？"
    sentence = "全市财政科技支出528.1亿元、增长36.7%，其中市级财政支出265.3亿元，基础研究支出占比达23.6%。"
    assert checked(question, sentence) == "相关句子的数是总数的，“市级”只是其中一部分"
    assert checked("2023年上海全市财政科技支出比上年增长了多少？", sentence) is None


def test_a_count_within_a_group_the_question_does_not_name_does_not_answer() -> None:
    """The 1 is the invention awards among the three 特等奖, not all the year's invention awards."""
    question = "2019年度上海市科学技术奖中，技术发明奖有多少项？"
    special = "在生命健康、信息技术、机械制造等领域涌现3项特等奖，其中技术发明奖1项、科技进步奖2项"
    assert "特等" in (checked(question, special) or "")
    assert checked("2019年度上海市科学技术特等奖中，技术发明奖有多少项？", special) is None


def test_a_count_within_the_group_the_question_names_answers() -> None:
    """The group is `领军人才担任“项目经理”`: the question names it by 项目经理."""
    assert checked("长三角国家技术创新中心遴选引进的“项目经理”里，有多少名两院院士？",
                   "累计遴选引进488位领军人才担任“项目经理”, 其中两院院士22名、海外院士22名",
                   context="长三角国家技术创新中心") is None


def test_a_count_of_all_guests_does_not_answer_how_many_came_from_abroad() -> None:
    """The sentence gives the overseas guests only as a share: its 300 is all of them."""
    assert checked("第17届浦江创新论坛来自境外的嘉宾一共有多少位？", "来自40个国家和地区300余位嘉宾参会(境外比例近40%)",
                   context="第17届浦江创新论坛") is not None


def test_a_things_own_figure_answers_what_is_asked_of_it() -> None:
    """基金的投资额: the fund's investment, which the sentence gives; no share splits the fund."""
    assert checked("截至2024年底，G60科技成果转化基金的投资额是多少？",
                   "截至年底, G60科技成果转化基金已投资项目27个, 投资额7.92亿元") is None


def test_a_who_question_needs_the_role_it_asks_of() -> None:
    question = asked("尚思自然科学研究院的首任院长是谁？")
    assert (question.kind, question.attribute) == ("person", "院长")
    assert checked("尚思自然科学研究院的首任院长是谁？",
                   "尚思研究院深化选题选人机制，面向国内外新引进50余位高水平人才，拓展先行区“1+N”体系") is not None


def test_which_month_asks_a_date() -> None:
    assert asked("上海光源二期是在2024年几月份通过国家验收的？").kind == "date"
    sentence = "上海光源二期通过国家验收，高效低碳燃气轮机试验装置建成。"
    assert checked("上海光源二期是在2024年几月份通过国家验收的？", sentence) is not None


def test_patent_applications_are_not_answered_by_grants() -> None:
    def idf(word: str) -> float:  # 发明专利 names the measure by itself
        return {"\uffff": 5.0, "发明专利": 3.7}.get(word, 1.0)

    question = asked("2020年上海发明专利申请量是多少件？")
    assert question.event == "申报"
    assert why_not(question, "发明专利授权24208件，比上年增长6.5%；", "", TOKENIZER.tokenize, idf, 0.5, 2.0) is not None


def test_new_said_of_other_firms_in_the_sentence_does_not_make_a_total_new() -> None:
    """新增 is said of the tech firms; the 64 unicorns are Hurun's list, not the new ones."""
    assert checked("2025年上海新晋的独角兽企业有多少家？",
                   "全市日均新增科技企业超320家，3018家科技小巨人(含培育)企业加快成长，胡润独角兽企业(64家)全国第二。"
                   ) == "相关句子没有说是新增的数量"


def test_the_change_asked_and_its_base_year_are_no_words_of_the_measure() -> None:
    assert asked("2023年上海市级财政科技支出比上年增长了多少？").measure == ("市级", "财政", "科技", "支出")


@pytest.mark.parametrize("question", [
    "What policy did Shanghai issue in 2025 to back researchers who want to start their own businesses?",
    "In 2025, what did Shanghai put out to encourage companies to put more money into basic research?",
])
def test_a_relative_who_or_a_mention_of_money_asks_neither_a_person_nor_a_sum(question: str) -> None:
    assert asked(question).kind is None


def test_an_adverb_before_the_ask_is_not_the_noun_asked() -> None:
    """大概有多大: 大概 (roughly) names nothing; the figure asked is the 产业规模's."""
    got = asked("2020年上海那批研发与转化功能型平台，带动的社会投资和产业规模大概有多大？")
    assert got.value_noun != "大概" and "大概" not in got.measure and "那批" not in got.measure


def test_a_year_naming_a_report_is_not_a_figure_the_question_gives() -> None:
    question = ("According to the 2020 report, for how many consecutive years had Shanghai topped the ranking in the "
                "China Regional S&T Innovation Evaluation Report?")
    assert "2020" not in asked(question).given


def test_besides_is_no_exclusion() -> None:
    """`除了X，还设了多少个Y` asks another thing, not a total less X."""
    assert asked("在长三角区域内，除了太仓、无锡、昆山等地的创新服务驿站，还设了多少个园区服务站点？").excluded == ()


def test_an_adverb_and_zhan_before_a_share_ask_are_not_the_noun_asked() -> None:
    assert "大概" not in asked("第17届浦江创新论坛的来宾里，从境外来的大概占几成？").value_noun


def test_a_whole_years_figure_is_not_answered_by_eleven_months() -> None:
    question = asked("张江高新区2024年一整年下来，规上工业和服务业的经济总量到底有多大？")
    assert question.full_year and "整年" not in question.measure
    assert checked("张江高新区2024年一整年下来，规上工业和服务业的经济总量到底有多大？",
                   "1—11月,张江高新区规上工业和服务业经济总量49525.20亿元,同比增长14.4%。") == (
        "相关句子的数是1—11月的，不是全年的")


def test_how_many_of_a_given_total_are_something_asks_a_figure() -> None:
    """`近2200万人次里头，有多少是在网上参与的`: the 2200万 the sentence repeats is no answer."""
    question = "2024年上海科技节那近2200万人次里头，有多少是在网上参与的？"
    assert asked(question).kind == "number"
    assert checked(question, "2024年上海科技节成功举办,累计参与近2200万人次。") is not None


def test_a_name_the_question_gives_does_not_answer_who() -> None:
    """The greeting `汪泓代表：` names the deputy the question names, not the contact person asked."""
    question = "市科委答复汪泓代表第0671号建议的文件里，联系人是谁？"
    assert not kind_fits(asked(question), "汪泓代表：")
    assert kind_fits(asked(question), "联系人姓名：田春芝")


def test_a_leaders_name_in_jiebas_dictionary_is_a_name() -> None:
    assert kind_fits(asked("2023年是哪位领导人亲临上海科技创新成果展展馆视察？"),
                     "成功策划上海科技创新成果展，习近平总书记亲临展馆视察指导工作。")


def test_how_much_fiscal_funding_asks_an_amount() -> None:
    question = "2020年扩大到303个的科研经费“包干制”试点项目，一共涉及多少财政经费？"
    assert asked(question).kind == "amount"
    assert checked(question, "科研经费“包干制”试点项目从20个扩大至303个，改革红利惠及面进一步扩大。") is not None


def test_newly_issued_permits_are_not_the_cumulative_number() -> None:
    question = "2020年当年上海新核发了多少份《外国人工作许可证》？"
    assert asked(question).flow
    assert checked(question, "累计核发《外国人工作许可证》26万余份，其中外国高端人才(A类)占比约18%") == (
        "相关句子给出的是累计数，不是所问的新增数")


def test_a_change_must_be_the_asked_indicators() -> None:
    """A level for the asked indicator and a share of another are no change of the one asked."""
    question = "2020年上海每万人口发明专利拥有量比上年增长了多少？"
    assert checked(question, "每万人口发明专利拥有量60.2件，上海向国内外输出技术合同成交额占比达70%。") == (
        "相关句子给出的增减幅度不是所问指标的")


def test_a_change_in_the_clause_after_its_measure_answers() -> None:
    question = "2024年长三角三省一市发布的“企业出题”重点揭榜任务数量同比增长了多少？"
    assert checked(question, "长三角三省一市共征集企业需求134项,发布“企业出题”的重点揭榜任务41项,同比增长46%") is None


@pytest.mark.parametrize(("question", "sentence"), [
    ("长三角科研院所联盟聚焦三大先导产业新建的三大平台，分别叫什么名字？",
     "聚焦集成电路、生物医药、人工智能三大先导产业,新建三大平台,推动长三角区域高质量发展。"),
    ("2024年闵行区是和哪6所高校开展协同创新的？", "深化区校合作机制，与6所高校协同创新。"),
    ("2023年上海获批上市的4个1类创新药分别是哪几款？", "年内上海共获批 1 类创新药 4 个、3 类医疗创新器械 9 个"),
    ("2024年新建的4家“一带一路”联合实验室，分别是和哪些国家共建的？", "新建4家“一带一路”联合实验室。"),
])
def test_names_asked_are_not_answered_by_their_count(question: str, sentence: str) -> None:
    assert (checked(question, sentence) or "").startswith("相关句子只给出了数量")


@pytest.mark.parametrize(("question", "sentence"), [
    ("长三角科研院所联盟聚焦的三大先导产业分别是什么？", "聚焦集成电路、生物医药、人工智能三大先导产业,新建三大平台"),
    ("浦东新区的三大平台分别叫什么名字？", "建设三大平台：张江实验室、临港实验室和浦江实验室"),
])
def test_names_listed_beside_their_count_answer(question: str, sentence: str) -> None:
    assert not (checked(question, sentence) or "").startswith("相关句子只给出了数量")


def test_how_many_of_a_given_total_are_universities_asks_the_universities() -> None:
    question = "2024年实行全部赋权的14家单位中，有几家是高校？"
    assert asked(question).part == ("高校",)
    assert checked(question, "全市39家单位深化赋权改革试点，全部赋权扩展至14家。") is not None


def test_a_category_asked_must_be_the_sentences() -> None:
    """`专利转让类合同` is one kind of contract: the total over all kinds is another figure."""
    question = "2024年上海事业法人登记的技术合同里，专利转让类合同的成交金额是多少？"
    assert checked(question, "全市事业法人登记技术合同成交金额365.93亿元，较上年翻番。") == (
        "相关句子没有给出“转让”这一类的数")
    assert checked("2023年上海获批了多少个1类创新药？", "年内上海共获批 1 类创新药 4 个") is None


def test_a_count_may_leave_out_its_counter_before_the_noun() -> None:
    """`几座城市` is answered by `九城市`: a numeral written right before the noun counts it."""
    question = asked("与上海证券交易所签署深化合作备忘录的，是G60科创走廊几座城市的政府？")
    assert (question.counter, question.noun) == ("座", "城市")
    assert kind_fits(question, "G60九城市人民政府与上海证券交易所签署深化合作备忘录")
    assert not kind_fits(question, "与上海证券交易所签署深化合作备忘录")


def test_a_share_within_a_whole_is_not_a_share_of_another_whole() -> None:
    """`市级财政科技支出中，基础研究支出占比` is not the share of 全社会研发经费支出 the sentence gives."""
    question = "2024年上海市级财政科技支出中，基础研究支出占比是多少？"
    assert asked(question).share_whole == ("财政", "科技", "支出")
    assert checked(question, "全社会研发经费支出相当于全市生产总值的比例达到4.4%左右，"
                             "其中基础研究投入占全社会研发经费支出比例预计11%左右。") is not None
    # A bare 占比 under its whole's clause may be the asked one.
    assert checked(question, "其中市级财政支出265.3亿元，基础研究支出占比达23.6%。") is None


def test_a_share_whose_whole_the_question_names_after_zhan_keeps_the_lead_in_as_a_group() -> None:
    """`…抗体药里，上海的占了全国的几成？`: the whole is 全国, the lead-in only says which group."""
    question = "2020年拿到国家应急项目资助的新冠抗体药里，上海的占了全国的几成？"
    assert asked(question).share_whole == ("全国",)
    assert checked(question, "药物和疫苗研发加快推进，3款抗体药获国家应急项目支持，占全国的50%。") is None


def test_a_bare_duoshao_asks_the_noun_after_it() -> None:
    """`一共赚了多少利润` asks profit: a revenue figure shares no character with 利润."""
    question = "2024年上海科技服务业规上企业一共赚了多少利润？"
    assert asked(question).quantity_noun == "利润"
    assert checked(question, "强化经济运行调度，上海市科技服务业规上企业营收6272.59亿元，比上年增长6.1%。") == (
        "相关句子没有给出“利润”")


def test_a_paraphrase_of_the_noun_after_duoshao_keeps_a_morpheme() -> None:
    question = "2020年疫情期间，上海帮参与抗疫的企业弄到了多少贷款？"
    assert asked(question).quantity_noun == "贷款"
    assert "贷款" not in (checked(question, "帮助抗疫企业解决信贷资金1.12亿元；") or "")


def test_a_part_of_a_given_whole_is_not_answered_by_the_whole() -> None:
    """The 10 new unicorns are given: `独角兽新晋10家` beside the measure gives the whole, not its AI firms."""
    question = "2024年上海新晋的10家独角兽里，人工智能公司占几家？"
    assert asked(question).given_whole == ("独角兽",)
    assert checked(question, "全市独角兽新晋10家，总数达到65家，分列全国第一和第二；") is not None


def test_a_given_figure_that_counts_no_whole_does_not_refuse_the_asked_figure() -> None:
    question = "2024年首批7家高质量孵化器新搭起了多少个实验室、概念验证和成果转化方面的平台？"
    assert asked(question).given_whole == ()


def test_an_english_question_about_another_city_needs_that_city() -> None:
    question = "How many Cell, Nature and Science papers did Hefei scientists publish in 2024?"
    assert named_places(asked(question)) == ["合肥"]
    sentence = "上海科学家在《细胞》《自然》《科学》上发表论文158篇，占全国30%。"
    assert checked(question, sentence) == "相关句子没有提到合肥"


def test_a_pairing_with_shanghai_names_the_province() -> None:
    """`沪滇科技合作` names Yunnan by its one-character name."""
    assert named_places(asked("How many platforms were unveiled when the branch opened in Yunnan in 2024?")) == ["云南"]
    assert place_named("云南", "沪滇科技合作示范点揭牌") and not place_named("云南", "沪琼合作升级")


def test_an_abbreviation_is_found_in_two_words_written_together() -> None:
    """`高企` abbreviates `高新技术企业`, which the analyser reads as 高新技术 + 企业."""
    question = "2023年上海高企有多少家？"
    assert checked(question, "2023 年，上海新认定高新技术企业超 8000 家，有效期内高新技术企业 2.4 万家。") is None
    assert checked(question, "上海科创板上市企业 89 家，数量全国第二。") is not None


def test_a_bare_figure_of_a_measure_is_not_a_share_of_it() -> None:
    """`技术合同成交额各是多少` asks the turnover: `技术合同成交额占比达70%` is a share of it."""
    question = "上海技术合同成交额，2020年是多少？"
    assert checked(question, "上海向国内外输出技术合同成交额占比达70%，公民科学素质水平达标率继续保持全国第一。") == (
        "相关句子给出的是“技术合同成交额占比”，不是所问指标本身的数值")
    assert checked(question, "技术市场活跃度不断提升，全年技术合同成交额1815.3亿元，比上年增长19.3%。") is None


def test_a_measure_that_is_a_rate_is_answered_by_a_percentage() -> None:
    assert checked("2020年上海公民科学素质水平达标率是多少？", "上海公民科学素质水平达标率达到24.3%。") is None


def test_an_acronym_is_found_whatever_its_case() -> None:
    """The analyser folds `CNS` to cns: the sentence's `（CNS）` is still that word."""
    question = "CNS三大刊，上海2023年发了多少篇？"
    assert "发了" not in asked(question).measure
    sentence = "2023年，上海科学家在《科学》《自然》《细胞》（CNS）三大国际顶尖期刊上发表论文120篇。"
    assert checked(question, sentence) is None


def test_colloquial_words_are_no_measure_words() -> None:
    assert "这块" not in asked("概念验证这块：2024年全市新布局了几个概念验证中心？").measure


def test_a_whole_named_after_zhan_must_be_the_answers() -> None:
    """`占全市一般公共预算支出的比重` is a share of that whole: one of a whole never named is another."""
    question = "2023年上海财政科技支出占全市一般公共预算支出的比重是多少？"
    assert asked(question).share_whole == ("一般", "公共", "预算", "支出")
    assert checked(question, "发布《上海市财政科研项目专项经费管理办法》，财政科技投入占比提高。") is not None


def test_a_change_in_points_asks_a_rate() -> None:
    """`比前一年多了几个点` asks a growth rate, not a count in 个."""
    question = "2020年上海发明专利拿证的数量比前一年多了几个点？"
    assert asked(question).kind == "change"
    assert "比前" not in asked(question).measure


def test_countries_and_regions_name_no_place() -> None:
    """`来自40个国家和地区…嘉宾` answers no which-country question: 地区 ends like a place but is none."""
    question = asked("第17届浦江创新论坛的境外主宾国是哪个国家？")
    assert not new_place(question, "来自40个国家和地区300余位嘉宾参会(境外比例近40%)")
    assert new_place(question, "境外主宾国:匈牙利")


def test_a_which_venue_question_needs_that_kind_of_place() -> None:
    """`在哪个展馆举办的` is not answered by the fair's guest city."""
    question = "第10届中国（上海）国际技术进出口交易会是在哪个展馆举办的？"
    reason = checked(question, "境外主宾城:日本大阪市", "中国(上海)国际技术进出口交易会")
    assert reason == "相关句子没有给出所问的展馆"


def test_a_part_of_a_given_whole_is_asked_of_that_whole() -> None:
    """`6款新冠检测试剂中，抗体检测试剂有几款？`: `3款抗体药获…支持` names none of the reagents."""
    question = "2020年上海获批上市的6款新冠检测试剂中，抗体检测试剂有几款？"
    assert asked(question).given_whole == ("新冠", "检测", "试剂")
    assert checked(question, "药物和疫苗研发加快推进，3款抗体药获国家应急项目支持，占全国的50%。") is not None


def test_li_after_a_counted_whole_marks_the_part() -> None:
    """`49项成果里，一等奖占了几项`: the part is 一等奖; a bare 里 (`基础学科里`) marks nothing."""
    assert asked("上海2024年获国家科学技术奖的49项成果里，一等奖占了几项？").part == ("一等奖",)
    assert asked("2023年上海在数理化生这几门基础学科里，一共有多少个探索性的前沿课题获批？").part == ()
    assert asked("市科委答复汪泓代表第0671号建议的文件里，联系人是谁？").given_whole == ()


@pytest.mark.parametrize(("question", "sentence"), [
    ("2024年上海由哪家科技企业等牵头组建创新联合体？", "联影医疗等牵头组建创新联合体。"),
    ("外国最大的生物医药投资项目是哪家公司在上海建的工厂？", "最大投资额外资项目——莫德纳中国首个药厂落户上海。"),
])
def test_a_which_company_question_is_answered_by_a_sentence_naming_one(question: str, sentence: str) -> None:
    assert names_a_company(sentence, asked(question).text)


@pytest.mark.parametrize("sentence", [
    "CT核心部件5MHU医药球管实现国产化,成功研发全球首台75厘米超大孔径3.0T磁共振设备,重大传染病和生物安全研究院挂牌成立。",
    "生物医药创新成果大量涌现,全年共获国家药监局药品批件177个,其中生产批件18个;",
    "此外,在海洋船舶、能源技术、航空发动机等方面突破了一批关键技术。",
])
def test_a_sentence_naming_no_company_does_not_say_which_company(sentence: str) -> None:
    """What was made, a government body, or jieba's loose place tags (海洋) name no company."""
    assert not names_a_company(sentence)
    assert checked("2020年研制成功的全球首台75厘米超大孔径3.0T磁共振设备，是上海哪家企业研发的？", sentence) is not None


def test_names_asked_of_a_kind_are_not_names_of_another_kind() -> None:
    """`新建的三大平台分别叫什么名字`: a sentence naming projects, no 平台, does not answer; a general
    noun (`哪两家单位`) is not required of the names."""
    question = "长三角科研院所联盟2024年新建的三大平台分别叫什么名字？"
    sentence = "通过“拨投结合”模式，在无感健康监测用毫米雷达、激光晶体材料等领域实施重大创新项目28个。"
    assert checked(question, sentence) == "相关句子没有提到所问的平台"
    assert checked("2024年上海与新疆方面的哪两家单位签署了新一轮科技对口援疆创新合作协议？",
                   "与新疆维吾尔自治区科技厅、新疆生产建设兵团科技局分别签署新一轮科技对口援疆创新合作协议") is None


_GREETING = "汪泓代表：\n您提出的“打造具有世界影响力科技创新中心的挑战及建议”收悉，经研究，现将办理情况答复如下："


def test_a_replys_opening_formula_answers_only_what_the_suggestion_was_called() -> None:
    """The greeting shares the deputy's name with every question about the reply; it says only the title."""
    assert checked("办理汪泓代表的建议时，市科委是会同哪个部门一起研究的？", _GREETING) is not None
    assert checked("汪泓代表的建议一共提出了几方面的对策和建议？", _GREETING) is not None
    assert checked("汪泓代表第0671号建议的题目是什么？", _GREETING) is None


def test_a_plan_does_not_say_what_is_being_done() -> None:
    """`正在积极培育哪些…` is answered by the progress made, not by `下一步，我委将…`."""
    plan = "下一步，我委将会同市有关部门和单位，持续推进国际大科学计划和大科学工程培育。"
    assert checked("按市科委2023年的答复，上海正在积极培育哪些国际大科学计划？", plan) is not None
    assert checked("市科委答复汪泓代表时说下一步要积极培育哪些国际大科学计划？", plan) is None


def test_a_sentence_only_repeating_the_question_answers_nothing() -> None:
    question = "2024年上海在强化科技金融支撑时，提出要培育什么样的资本？"
    assert checked(question, "强化科技金融支撑。") == "相关句子只重复了问题里的话"
    assert checked(question, "出台发挥资本市场作用促进科创企业高质量发展实施意见，培育长期耐心资本。") is None


def test_a_figure_or_code_is_something_the_question_does_not_say() -> None:
    assert checked("第17届浦江创新论坛重点组织的活动是用哪一串数字组合来概括的？", "重点组织“1+24+2+2+X”场活动") is None


def test_an_english_count_needs_the_rest_of_the_question_not_only_the_thing_counted() -> None:
    """`how many enterprises` of the future industry fund: a count of other enterprises is not it."""
    question = "How many enterprises had Shanghai's future industry fund invested in by the end of 2025?"
    asked_en = asked(question)

    def check(sentence: str) -> str | None:
        # 企业 is everywhere in the reports; the fund's words are rarer (an unseen word's idf is higher still).
        return why_not(asked_en, sentence, "", TOKENIZER.tokenize,
                       lambda w: 5.0 if w == "\uffff" else 0.5 if w == "企业" else 3.0, 0.5, 2.0, 0.0, 0.2)

    assert check("全年新认定高新技术企业7396家。") == "相关句子没有提到问题所说的“future industry fund”"
    assert check("未来产业基金已投资企业32家。") is None


def test_a_which_district_question_needs_a_district_of_shanghai() -> None:
    question = "2025年上海启动建设的4个未来产业集聚区分别落在哪几个区？"
    assert reason(question, "在苏州市启动建设4个未来产业集聚区。") == "相关句子没有给出所问的区"
    assert reason(question, "在浦东新区、闵行区启动建设4个未来产业集聚区。") is None


def test_a_common_word_jieba_tags_as_a_name_names_no_person() -> None:
    """jieba's dictionary tags 高水平 (高 + the common word 水平) as a person's name."""
    assert not names_a_person("国际高水平人才加快集聚，上海市科技伦理委员会组建成立。")
    assert names_a_person("联系人：田春芝，联系电话：23116750")


def test_a_part_of_a_given_whole_is_read_beside_the_parts_words_not_the_wholes() -> None:
    """`11个大模型里，上海占了几个名额`: 11 sits beside 大模型 (the whole), the asked 3 beside 上海 (in 席)."""
    question = "2023年首批通过备案的11个大模型里，上海占了几个名额？"
    assert reason(question, "国内首批通过备案的 11 款大模型中，上海占据 3 席。") is None
    assert reason(question, "国内首批通过备案的 11 款大模型已上线服务。") is not None


def test_a_share_may_be_a_fraction() -> None:
    question = "2025年科技服务业中专业服务的占比是多少？"
    assert reason(question, "科技服务业中研发服务、专业设计等专业服务占比达到2/3。") is None
    assert reason(question, "科技服务业专业服务营收5621.89亿元。") is not None


def test_a_place_named_only_in_a_list_of_places_has_no_figure_of_its_own() -> None:
    question = "2025年上海与新加坡合作共建的国际联合实验室有几家？"
    listed = "深化与新加坡、芬兰、澳大利亚等双边合作机制，合作共建5家国际联合实验室。"
    assert reason(question, listed) == "相关句子的数不是新加坡单独的：新加坡只是所列多个地方之一"
    assert reason(question, "与新加坡合作共建2家国际联合实验室。") is None


def test_a_figure_of_intentions_does_not_answer_how_many_were_signed() -> None:
    question = "第10届上交会现场签约了多少项合作？"
    assert reason(question, "第10届上交会现场达成合作意向556项。") == "相关句子给出的是意向的数，不是所问的实际数"
    assert reason("第10届上交会现场达成了多少项合作意向？", "第10届上交会现场达成合作意向556项。") is None


def test_an_english_count_is_not_a_length_nor_a_models_name() -> None:
    asked_en = asked("How many satellites of the constellation were put into orbit in 2024?")
    assert not kind_fits(asked_en, "深海采矿车4000米海试、火箭10公里级垂直起降、C919大型客机商业量产。")
    assert kind_fits(asked_en, "千帆星座18颗卫星入轨。")
    assert kind_fits(asked_en, "共有 66 家企业登上榜单。")


def test_a_measure_word_jieba_cut_short_is_found_as_the_reports_whole_word() -> None:
    """`上海的科创板上市公司` is cut 的 科 创板; the reports' `科创板上市企业` gives 科创板."""
    from reportqa.rank.verify import measure_found

    measure = Asked(("创板", "上市公司"), "count", "家", check_measure=True, text="上海的科创板上市公司累计有几家")

    def idf(word: str) -> float:
        return {"科创板": 3.5, "创板": 4.5}.get(word, 5.7)

    assert measure_found(measure, "科创板上市企业累计93家。", "", TOKENIZER.tokenize, idf, 0.5, 2.0)
    assert not measure_found(measure, "高新技术企业累计93家。", "", TOKENIZER.tokenize, idf, 0.5, 2.0)


def test_a_value_noun_of_several_words_needs_most_of_them() -> None:
    """`发布的企业创新需求又有多少项`: a count of 创新项目 names 创新 but not the 需求 counted."""
    question = "同年第10届上交会发布的企业创新需求又有多少项？"

    def idf(word: str) -> float:
        return {"企业": 1.0, "创新": 1.0, "需求": 3.5}.get(word, 4.5 if word != "\uffff" else 6.0)

    def check(sentence: str) -> str | None:
        return why_not(asked(question), sentence, "", TOKENIZER.tokenize, idf, 0.5, 2.0)

    assert check("第10届上交会发布推出创新项目64个。") == "相关句子没有给出“企业创新需求”"
    assert check("第10届上交会发布企业创新需求572项。") is None
