"""Answers people can quote, through the real server: a wrong figure abstains, each asked year gets its own.

The questions are the confident wrong answers users reported: the answer must carry the asked measure
(as words), the asked kind of value, the asked year and place in its own report, or the system says
why not. Several years asked get one verified sentence each, in the order asked.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server_utils import REPO, run_cli, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(real_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=real_server, timeout=60) as c:
        yield c


def search(client: httpx.Client, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("question", "because"), [
    ("上海的人口是多少？", "人口"),  # 人口 appears only inside 每万人口, a divisor
    ("2023年上海入库的科技型中小企业有多少家？", "科技型中小企业"),  # only 高新技术企业 figures for 2023
    ("2025年上海40岁以下承担市科技项目的负责人一共有多少人？", "人"),  # the report gives a share, not a count
])
def test_a_question_no_sentence_answers_abstains_and_says_why(client: httpx.Client, question: str,
                                                             because: str) -> None:
    body = search(client, question)
    assert body["no_answer"] and body["answers"] == [] and body["answer"] is None
    assert because in body["no_answer_reason"]
    assert body["results"], "the closest passages are still listed as related"


@pytest.mark.parametrize(("question", "because"), [
    # The reports give the three funds' 1000亿元 together, not the integrated-circuit fund's own size.
    ("2024年设立的三大先导产业母基金中，集成电路母基金的规模是多少亿元？", "集成电路"),
    # They give the running total of foreign R&D centres for 2025 (累计636家), not the year's new ones.
    ("2025年上海新认定了多少家外资研发中心？", "新增"),
    # The 7 bases were recognised by 长宁区; 奉贤区's passage gives no such count.
    ("2024年奉贤区全年认定了几家硕博士创新实践基地？", "奉贤"),
])
def test_a_near_miss_of_another_part_year_or_district_abstains_and_says_why(client: httpx.Client, question: str,
                                                                            because: str) -> None:
    body = search(client, question)
    assert body["no_answer"] and body["answers"] == []
    assert because in body["no_answer_reason"]


@pytest.mark.parametrize(("question", "because"), [
    # The 2025 report names Singapore, Finland and Queensland as partners; Canada nowhere.
    ("2025年上海与加拿大哪个省深化了双边科技合作机制？", "加拿大"),
    # Class 1 drug counts are given for 2023-2025; the 2020 report's nearest sentence is about rent relief.
    ("How many class 1 innovative drugs were approved in Shanghai in 2020?", "innovative drugs"),
    # The pipeline's 1283 companies are a running total, not the year's newcomers.
    ("2020年当年新纳入上海科创企业上市培育库的企业有多少家？", "新增"),
    # The reply lists no e-mail address (its contact lines are not quotable text either).
    ("What email address is given for the contact person of the reply to deputy Wang Hong?", "电子邮箱"),
    # The project's construction start is given (开工建设), never its completion; a heading line's
    # `2023 年以来` is not its year just because the passage below it names the project.
    ("磁-惯性约束聚变能源项目是在哪一年建成并投入运行的？", "年份"),
])
def test_a_near_miss_of_another_country_year_flow_or_detail_abstains_and_says_why(
        client: httpx.Client, question: str, because: str) -> None:
    body = search(client, question)
    assert body["no_answer"] and body["answers"] == []
    assert because in body["no_answer_reason"]


def test_the_year_that_gives_the_english_figure_is_answered(client: httpx.Client) -> None:
    body = search(client, "How many class 1 innovative drugs were approved in Shanghai in 2025?")
    assert "9个1类创新药" in body["answer"]["text"]


def test_the_district_that_gave_the_figure_is_answered(client: httpx.Client) -> None:
    body = search(client, "2024年长宁区全年认定了几家硕博士创新实践基地？")
    assert not body["no_answer"] and "7家硕博士创新实践基地" in body["answers"][0]["plain_text"]


def test_a_paraphrase_in_words_the_reports_never_use_is_answered_in_theirs(client: httpx.Client) -> None:
    """高科技公司 and 税收优惠 are nowhere in the reports; 高新技术企业 and 减免 are their words for them."""
    body = search(client, "2024年上海的高科技公司享受了多少亿元的税收优惠？")
    assert not body["no_answer"] and "减免所得税248.84亿元" in body["answers"][0]["plain_text"]


def test_an_ordinary_word_jieba_tags_as_a_place_is_not_a_place_no_report_mentions(client: httpx.Client) -> None:
    """扎根 ("to take root") is in jieba's dictionary as a place name; the question is about Shanghai."""
    body = search(client, "扎根上海的外资研发中心到2025年累计有多少家？")
    assert not body["no_answer"] and "636家" in body["answers"][0]["plain_text"]


@pytest.mark.parametrize(("question", "quoted"), [
    ("Roughly how many visitors did the 10th China (Shanghai) International Technology Fair draw?", "5万人次"),
    ("How many times was the online livestream of the 17th Pujiang Innovation Forum viewed?", "6000万次"),
])
def test_an_english_question_in_words_no_glossary_lists_is_answered(client: httpx.Client, question: str,
                                                                   quoted: str) -> None:
    body = search(client, question)
    assert not body["no_answer"] and quoted in body["answers"][0]["plain_text"]


def test_a_keyword_filtered_to_a_report_without_it_does_not_quote_another_figure(client: httpx.Client) -> None:
    body = search(client, "技术合同成交额", doc="2024-ch8")
    assert body["no_answer"] or all("技术合同成交额" in a["text"] for a in body["answers"])


def test_an_english_count_of_another_measure_is_not_the_answer(client: httpx.Client) -> None:
    body = search(client, "How many new unicorn companies emerged in Shanghai in 2024?")
    assert body["no_answer"] or any("新晋10家" in a["text"] for a in body["answers"])


def test_a_two_year_question_gets_two_verified_parts_with_their_own_citations(client: httpx.Client) -> None:
    body = search(client, "2020年和2024年上海科学家在《细胞》《自然》《科学》上发表的论文分别有多少篇？")
    parts = {a["part"]: a for a in body["answers"]}
    assert list(parts) == ["2020年", "2024年"] and body["missing_parts"] == []
    assert "124篇" in parts["2020年"]["text"] and parts["2020年"]["year"] == 2020
    assert "158篇" in parts["2024年"]["text"] and parts["2024年"]["year"] == 2024
    assert parts["2020年"]["doc_id"] != parts["2024年"]["doc_id"]
    assert body["answer"] == body["answers"][0]


def test_a_three_part_question_with_one_year_missing_gives_two_answers_and_one_missing_part(
        client: httpx.Client) -> None:
    body = search(client, "2018年、2020年和2024年上海科学家在《细胞》《自然》《科学》上发表的论文分别有多少篇？")
    assert [a["part"] for a in body["answers"]] == ["2020年", "2024年"]
    assert [m["part"] for m in body["missing_parts"]] == ["2018年"]
    assert "2018年" in body["missing_parts"][0]["reason"]


def test_the_cli_prints_one_line_per_part(built_index: Path) -> None:
    result = run_cli("ask", "2020年和2024年上海科学家在《细胞》《自然》《科学》上发表的论文分别有多少篇？",
                     "--index", str(built_index))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2020年: ") and "124篇" in lines[0]
    assert lines[1].startswith("2024年: ") and "158篇" in lines[1]


SUZHOU_REPORT = """# 苏州市科技创新发展报告2024

## 一、创新投入

2024年，苏州市全社会研发经费投入强度达到4.1%。全市技术合同成交额突破1000亿元。

## 二、创新主体

2024年，苏州市省级工程技术研究中心新增168家，累计达到2317家。苏州市高新技术企业超过1.6万家。
"""


@pytest.fixture(scope="module")
def with_suzhou(built_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over the bundled reports plus a small report about Suzhou (only its chunks embedded)."""
    dest = tmp_path_factory.mktemp("other-city")
    index, corpus = dest / "index", dest / "corpus"
    shutil.copytree(built_index, index, ignore=shutil.ignore_patterns(".build.lock"))
    shutil.copytree(REPO / "corpus", corpus)
    (corpus / "suzhou-2024.md").write_text(SUZHOU_REPORT, encoding="utf-8")
    with (corpus / "reports.toml").open("a", encoding="utf-8") as manifest:
        manifest.write('\n[[report]]\nid = "suzhou-2024"\nfile = "suzhou-2024.md"\n'
                       'title = "苏州市科技创新发展报告2024"\nyear = 2024\npublisher = "苏州市科学技术局"\n'
                       'kind = "annual report"\n')
    built = run_cli("build", "--corpus", str(corpus), "--index", str(index))
    assert built.returncode == 0, built.stderr
    with start_server(index, corpus_dir=corpus) as server:
        yield server.base_url


def test_another_citys_report_does_not_answer_a_question_about_shanghai(with_suzhou: str) -> None:
    with httpx.Client(base_url=with_suzhou, timeout=60) as client:
        shanghai = search(client, "2024年上海省级工程技术研究中心新增多少家？")
        suzhou = search(client, "2024年苏州市省级工程技术研究中心新增多少家？")
    assert all(a["doc_id"] != "suzhou-2024" for a in shanghai["answers"])
    assert shanghai["no_answer"]
    assert suzhou["answers"] and suzhou["answers"][0]["doc_id"] == "suzhou-2024"
    assert "168家" in suzhou["answers"][0]["text"]


def test_places_a_shanghai_sentence_lists_do_not_make_it_another_citys(client: httpx.Client) -> None:
    """太仓、无锡、昆山 are where Shanghai's service stations stand, named by the answer itself."""
    body = search(client, "在长三角区域内，除了太仓、无锡、昆山等地的创新服务驿站，还设了多少个园区服务站点？")
    assert body["answers"] and "32" in body["answers"][0]["text"]
