"""A question that asks for several years or places is split into one question per part, in order."""

from __future__ import annotations

from reportqa.query.analyze import analyze
from reportqa.query.parts import asked_years, split_parts


def parts(question: str) -> list[tuple[str, str]]:
    query = analyze(question)
    return [(p.label, p.text) for p in split_parts(query.normalized, english=query.english)]


def test_a_single_question_has_no_parts() -> None:
    assert parts("2024年全市技术合同成交额是多少？") == []


def test_two_years_joined_by_he_make_two_parts_each_with_only_its_year() -> None:
    got = parts("2020年和2024年上海科学家在《细胞》《自然》《科学》上发表的论文分别有多少篇？")
    assert [label for label, _ in got] == ["2020年", "2024年"]
    assert "2024" not in got[0][1] and "2020" not in got[1][1]
    assert all("论文" in text for _, text in got)


def test_three_years_in_a_list_make_three_parts_in_the_order_asked() -> None:
    got = parts("2020年、2023年和2025年上海科创板上市企业分别有多少家？")
    assert [label for label, _ in got] == ["2020年", "2023年", "2025年"]


def test_an_english_year_list_keeps_english_labels() -> None:
    got = parts("How many Shanghai companies were listed on the STAR Market at the end of 2020, in 2023 and in 2025?")
    assert [label for label, _ in got] == ["2020", "2023", "2025"]
    assert got[1][1].endswith("2023?")


def test_each_question_mark_clause_is_a_part_and_keeps_the_shared_topic() -> None:
    got = parts("上海的科技创新券政策，2020年把使用额度提高到了多少？2025年在申领方式上实现了什么？")
    assert [label for label, _ in got] == ["2020年", "2025年"]
    assert got[1][1].startswith("上海的科技创新券政策")


def test_same_year_clauses_are_labelled_by_their_place() -> None:
    got = parts("2024年，松江区的高新技术企业培育库有多少家企业？同年全市有效期内的高新技术企业达到多少家？")
    assert [label for label, _ in got] == ["松江区", "全市"]
    assert got[1][1].startswith("2024年全市")  # 同年 becomes the year of the clause before


def test_a_short_follow_up_clause_borrows_the_words_of_the_clause_before() -> None:
    got = parts("截至2020年上海累计建设了多少家“一带一路”国际联合实验室？2024年又新建了多少家？")
    assert "国际联合实验室" in got[1][1]


def test_years_inside_a_title_or_a_range_are_not_parts() -> None:
    assert parts("《长三角地区一体化发展三年行动计划（2024—2026年）》一共提出了多少项重点任务？") == []
    assert asked_years("2024—2026年的行动计划") == ()


def test_a_list_of_measures_asked_together_makes_one_part_per_measure_with_the_shared_context() -> None:
    parts = split_parts("2019年度上海市科学技术奖中，自然科学奖、技术发明奖、科技进步奖和科学技术普及奖各有多少项？")
    assert [p.label for p in parts] == ["自然科学奖", "技术发明奖", "科技进步奖", "科学技术普及奖"]
    assert parts[3].text == "2019年度上海市科学技术奖中，科学技术普及奖有多少项？"


def test_a_joining_character_inside_a_word_does_not_split_a_list_item() -> None:
    parts = split_parts("2019年度科学技术奖中，技术发明奖和科学技术普及奖分别有多少项？")
    assert [p.label for p in parts] == ["技术发明奖", "科学技术普及奖"]


def test_a_list_without_its_own_context_clause_is_one_question() -> None:
    assert split_parts("2025年上海生物医药BD交易数量和交易金额分别是多少？") == []


def test_an_english_question_asking_a_second_thing_is_split_at_and_how_many() -> None:
    got = parts("In 2024, how many cooperation projects were showcased at the Shanghai–Sanming event, "
                "and how many were signed at the Shanghai–Hainan event in December?")
    assert len(got) == 2
    assert got[1][1].startswith("In 2024, how many were signed at the Shanghai–Hainan event")


def test_a_short_english_follow_up_borrows_the_first_clauses_words() -> None:
    got = parts("How many foreign-invested R&D centres had Shanghai accumulated by the end of January 2024, "
                "and how many by the end of 2024?")
    assert len(got) == 2 and "foreign-invested R&D centres" in got[1][1] and "2024" in got[1][1]


def test_an_english_year_list_is_still_split_by_year() -> None:
    assert [label for label, _ in parts("How many PCT patent applications did Shanghai record in 2020, "
                                        "and how many in 2025?")] == ["2020", "2025"]


def test_english_clauses_that_each_ask_their_own_year_are_the_parts() -> None:
    """Split by year alone, the 2025 part would still ask the 2020 clause's `how many countries`."""
    parts = split_parts("By 2020, with how many countries and regions had Shanghai signed cooperation agreements, "
                        "and with which countries did it deepen bilateral cooperation mechanisms in 2025?",
                        english=True)
    assert [p.label for p in parts] == ["2020", "2025"]
    assert "how many" not in parts[1].text and "which countries" in parts[1].text


def test_a_short_clause_naming_its_own_place_and_measure_stands_alone() -> None:
    """`奉贤区又修订发布了哪项产业政策？` asks its own thing: Xuhui's words would only mislead it."""
    got = parts("2024年，徐汇区为扶持孵化器和科创街区发布了什么文件？奉贤区又修订发布了哪项产业政策？")
    assert [label for label, _ in got] == ["徐汇区", "奉贤区"]
    assert "徐汇" not in got[1][1]


def test_a_short_clause_with_no_measure_of_its_own_borrows_the_one_before() -> None:
    got = parts("2025年上海瞪羚企業有多少家？全球排名第幾？")
    assert "瞪羚" in got[1][1]


def test_places_asked_each_make_one_part_per_place() -> None:
    got = parts("2024年普陀区和青浦区各自发布了什么行动方案或任务分工方案？")
    assert got == [("普陀区", "2024年普陀区发布了什么行动方案或任务分工方案?"),
                   ("青浦区", "2024年青浦区发布了什么行动方案或任务分工方案?")]


def test_places_asked_together_without_each_are_one_question() -> None:
    """`浦东新区和闵行区共有` asks one total."""
    assert parts("2024年浦东新区和闵行区共有多少家高新技术企业？") == []


def test_named_things_asked_the_same_attribute_each_make_one_part_each() -> None:
    got = parts("第17届浦江创新论坛和第10届中国（上海）国际技术进出口交易会的主题分别是什么？")
    assert [label for label, _ in got] == ["第17届浦江创新论坛", "第10届中国(上海)国际技术进出口交易会"]
    assert got[0][1] == "第17届浦江创新论坛的主题是什么?"


def test_a_short_english_clause_borrows_the_first_ones_words_but_not_its_date() -> None:
    got = parts("How many foreign-invested R&D centres had Shanghai accumulated by the end of January 2024, "
                "and how many by the end of 2024?")
    assert len(got) == 2
    assert "January" not in got[1][1] and "R&D centres" in got[1][1]


def test_a_clause_asking_nothing_gives_its_years_to_the_question_before_it() -> None:
    """`…？2020年、2023年、2024年的数都给我列一下` asks the first clause for each year it lists."""
    assert parts("上海高企到底有多少家？2020年、2023年、2024年的数都给我列一下") == [
        ("2020年", "2020年 上海高企到底有多少家"),
        ("2023年", "2023年 上海高企到底有多少家"),
        ("2024年", "2024年 上海高企到底有多少家"),
    ]


def test_two_digit_years_make_parts_too() -> None:
    assert [label for label, _ in parts("基础研究占全社会研发经费的比重，23、24、25这三年各是多少？")] == [
        "2023年", "2024年", "2025年"]


def test_a_clause_naming_its_own_edition_does_not_lean_on_the_one_before() -> None:
    """`同年第10届上交会又吸引了多少观众` is short but asks about its own fair, not the forum before it."""
    got = parts("2024年第17届浦江创新论坛线下来了多少人？同年第10届上交会又吸引了多少观众？")
    assert [text for _, text in got] == ["2024年第17届浦江创新论坛线下来了多少人", "2024年第10届上交会又吸引了多少观众"]
