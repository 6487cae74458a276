"""The section parser recovers each report's real structure from messy headings."""

from __future__ import annotations

from reportqa.ingest.sections import parse_report
from reportqa.models import ReportMeta


def titles(report) -> list[str]:
    return [s.title for s in report.sections()]


def children(report, title: str) -> list[str]:
    section = next(s for s in report.sections() if s.title == title)
    return [c.title for c in section.children]


def test_2024_overview_has_its_six_numbered_sections_under_the_overview(reports):
    report = reports["2024-overview"]
    top = children(report, "综述")
    assert len(top) == 6
    assert top[0] == "一、服务国家战略，体系化布局战略科技力量"
    assert top[5].startswith("六、营造一流创新生态")
    assert all(t.startswith(n) for t, n in zip(top, "一二三四五六", strict=True))


def test_chapter_8_has_its_four_numbered_subsections_with_titles(reports):
    report = reports["2024-ch8"]
    assert titles(report)[0] == "8 构建开放创新网络"
    subs = children(report, "8 构建开放创新网络")
    assert subs == [
        "8.1 全域创新空间格局进一步优化",
        "8.2 长三角科技创新共同体建设加快推进",
        "8.3 国内科技合作交流成果丰硕",
        "8.4 国际科技开放合作持续深化",
    ]
    numbers = [s.number for s in report.sections() if s.title in subs]
    assert numbers == ["8.1", "8.2", "8.3", "8.4"]


def test_chapter_8_districts_are_subsections_of_8_1(reports):
    districts = children(reports["2024-ch8"], "8.1 全域创新空间格局进一步优化")
    for name in ["长宁区", "普陀区", "闵行区", "青浦区", "奉贤区", "崇明区"]:
        assert name in districts


def test_marker_headings_nest_under_their_numbered_section(reports):
    subs = children(reports["2024-ch8"], "8.2 长三角科技创新共同体建设加快推进")
    assert "长三角联合创新机制不断走深走实" in subs
    assert "长三角国家技术创新中心高质量运行" in subs
    assert not any(t.startswith("»") for t in titles(reports["2024-ch8"]))


def test_reply_has_sections_one_to_six_as_siblings_despite_mixed_markup(reports):
    report = reports["2024-reply-0671"]
    subs = children(report, "二、答复意见")
    assert [s[:3] for s in subs] == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"]


def test_reply_numbered_top_sections_are_siblings(reports):
    parent = children(reports["2024-reply-0671"], "对市十六届人大二次会议 第0671号代表建议的答复")
    assert parent == ["一、办理概述", "二、答复意见"]


def test_2020_overview_sections_ignore_markers_and_markdown_levels(reports):
    top = children(reports["2020-overview"], "综述")
    assert top == ["原始创新能力不断增强", "高质量发展支撑有力", "多元创新网络深入拓展", "创新创业环境持续优化"]


def test_bold_lead_in_after_a_sidebar_returns_to_its_section(reports):
    report = reports["2020-overview"]
    section = next(s for s in report.sections() if s.title == "原始创新能力不断增强")
    topics = [p.topic for p in section.paragraphs]
    assert topics == ["重大原创成果持续涌现", "国家战略科技力量不断壮大", "高水平科技创新人才加快集聚"]


def test_2025_numbered_headings_are_siblings_despite_different_markdown_levels(reports):
    subs = children(reports["2025-overview"], "各项重点工作取得成效")
    assert subs[0] == "1. 战略科技力量加快培育壮大"
    assert subs[3] == "4. 前沿技术和未来产业加快培育"
    assert len(subs) == 8


def test_summarize_is_never_a_section_title(reports):
    for report in reports.values():
        assert "SUMMARIZE" not in " ".join(titles(report))


def test_layout_broken_paragraph_is_rejoined(reports):
    report = reports["2024-reply-0671"]
    paragraphs = [p for s in report.sections() for p in s.paragraphs]
    joined = [p for p in paragraphs if "切中要害，" in p.text]
    assert len(joined) == 1
    assert len(joined[0].pieces) == 2


def test_lone_page_numbers_and_rules_are_dropped(reports):
    for report in reports.values():
        for s in report.root.walk():
            for p in s.paragraphs:
                assert not p.text.strip().isdigit()
                assert not p.text.startswith("---")


def test_a_replys_contact_footer_is_kept_for_questions_about_it(reports):
    """`联系人是谁？` is answered by the footer: it is kept (and flagged as framing when chunked)."""
    texts = [p.text for s in reports["2024-reply-0671"].root.walk() for p in s.paragraphs]
    assert any(t.startswith("联系人姓名") for t in texts)
    assert any(t.startswith("抄送") for t in texts)


def test_paragraph_pieces_point_at_their_source_text(reports):
    for report in reports.values():
        for s in report.root.walk():
            for p in s.paragraphs:
                source = [report.text[x.start:x.end] for x in p.pieces]
                assert p.text == ("\n" if p.is_list else "").join(source)


def test_text_without_headings_is_a_single_front_matter_section():
    text = "上海全社会研发经费支出相当于全市生产总值的比例达到4.4%左右。\n\n全市技术合同成交额5200.73亿元。"
    report = parse_report(text, ReportMeta(id="x", file="x.txt", title="无标题", year=2024))
    assert report.sections() == []
    assert len(report.root.paragraphs) == 2


def test_empty_text_parses_to_an_empty_tree():
    report = parse_report("", ReportMeta(id="x", file="x.txt", title="空", year=None))
    assert report.sections() == [] and report.root.paragraphs == []


def test_numbered_sentences_without_bodies_are_a_list_not_headings():
    text = ("# 综述\n\n1. 本节记录全市技术合同成交额5200.73亿元，同比增长7.2%。\n\n"
            "2. 有效期内高新技术企业达到2.5万家，并在4个区推广相关经验。\n")
    report = parse_report(text, ReportMeta(id="x", file="x.md", title="测试", year=2024))
    assert titles(report) == ["综述"]
    assert [p.text[:2] for p in report.sections()[0].paragraphs] == ["1.", "2."]
