"""Answer sentences: exact slices of the passage, cut where a reader would cut them."""

from __future__ import annotations

from reportqa.text.sentences import sentence_bounds, sentence_spans


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_sentences_end_at_chinese_full_stops():
    text = "全市技术合同成交额5200.73亿元，同比增长7.2%。有效期内高新技术企业达到2.5万家。"
    assert sentences(text) == ["全市技术合同成交额5200.73亿元，同比增长7.2%。", "有效期内高新技术企业达到2.5万家。"]


def test_closing_bold_marker_stays_with_its_sentence():
    text = "**技术转移渠道和网络加快构建。**技术市场活跃度不断提升，全年技术合同成交额1815.3亿元。"
    assert sentences(text)[1] == "技术市场活跃度不断提升，全年技术合同成交额1815.3亿元。"


def test_list_bullets_stay_outside_the_sentence():
    text = "- 近**20**个国家和地区\n- **11**位诺贝尔奖得主"
    assert sentences(text) == ["近**20**个国家和地区", "**11**位诺贝尔奖得主"]


def test_a_month_line_is_joined_to_the_item_after_it():
    text = "1月\n- 沪港创新合作论坛成功举办"
    assert sentences(text) == [text]


def test_closing_quotes_belong_to_the_sentence():
    text = "成立“上海泰坦自然科学发展基金会。”随后开展工作。"
    assert sentences(text)[0].endswith("。”")


def test_the_chunker_and_the_answers_cut_prose_at_the_same_places():
    """One rule: a paragraph is packed into chunks at the very ends an answer is quoted to."""
    text = ("全社会研发经费支出相当于全市生产总值的比例达4.4%左右；全市财政科技支出528.1亿元、增长36.7%。"
            "成立“上海泰坦自然科学发展基金会。”**技术转移渠道和网络加快构建。**技术市场活跃度不断提升！")
    assert sentence_bounds(text) == sentence_spans(text)
