"""Build real PDF, DOCX and HTML reports for tests.

The loaders must be tested on files made by the same kinds of tools that make
real reports (a typesetter that wraps CJK lines and prints page numbers, Word
heading styles, an HTML page with scripts and navigation), not on hand-written
strings. The CLI tests reuse these builders, so they take plain arguments and
return the path they wrote.
"""

from __future__ import annotations

import html
from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

# reportlab's built-in Adobe CID font: Chinese text without shipping a font file.
CJK_FONT = "STSong-Light"


def _register_cjk_font() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _draw_page_number(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    """Print a lone folio at the foot of each page, as real reports do."""
    canvas.setFont(CJK_FONT, 9)
    canvas.drawCentredString(A4[0] / 2, 30, str(doc.page))


def make_pdf(path: Path, heading: str, paragraphs: list[str]) -> Path:
    """A text PDF: a large heading, then body paragraphs wrapped CJK-style, page numbers in the footer."""
    _register_cjk_font()
    heading_style = ParagraphStyle("heading", fontName=CJK_FONT, fontSize=18, leading=26, spaceAfter=12)
    body_style = ParagraphStyle(
        "body", fontName=CJK_FONT, fontSize=11, leading=17, spaceAfter=8, wordWrap="CJK"
    )
    story = [Paragraph(html.escape(heading), heading_style)]
    story += [Paragraph(html.escape(text), body_style) for text in paragraphs]
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=heading)
    doc.build(story, onFirstPage=_draw_page_number, onLaterPages=_draw_page_number)
    return Path(path)


def make_scanned_pdf(path: Path) -> Path:
    """A PDF whose page is only drawing, like a scan: it has no text layer."""
    canvas = Canvas(str(path), pagesize=A4)
    canvas.rect(72, 72, 300, 400, fill=1)
    canvas.showPage()
    canvas.save()
    return Path(path)


def make_docx(path: Path, heading: str, subheading: str, paragraphs: list[str]) -> Path:
    """A Word file with a Heading 1, a Heading 2 and body paragraphs."""
    document = docx.Document()
    document.add_heading(heading, level=1)
    document.add_heading(subheading, level=2)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return Path(path)


def make_html(path: Path, heading: str, subheading: str, paragraphs: list[str]) -> Path:
    """A UTF-8 web page with site chrome (nav, script, style) around an h1/h2/p article."""
    body = "\n".join(f"    <p>{html.escape(text)}</p>" for text in paragraphs)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>{html.escape(heading)} - 上海市科学技术委员会</title>
  <style>body {{ font-family: sans-serif; }}</style>
  <script>var tracker = "analytics-should-not-appear";</script>
</head>
<body>
  <nav><a href="/">首页</a> <a href="/news">新闻中心</a></nav>
  <article>
    <h1>{html.escape(heading)}</h1>
    <h2>{html.escape(subheading)}</h2>
{body}
  </article>
  <script>document.title = "script-should-not-appear";</script>
</body>
</html>
"""
    Path(path).write_text(page, encoding="utf-8")
    return Path(path)


# ---------------------------------------------------------------- real-shaped reports (issue 11)

TABLE_CAPTION = "表1 全市科技创新主要指标"
TABLE_HEADER = ["指标", "2022年", "2023年"]
TABLE_ROWS = [
    ["高新技术企业数（家）", "13500", "15888"],
    ["技术合同成交额（亿元）", "650.2", "777.7"],
    ["发明专利授权量（件）", "21400", "24100"],
]
RUNNING_HEADER = "杭州市海洋科技发展报告（2023）"
PDF_TITLE = "2023年杭州市海洋科技发展报告"


def _page_furniture(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    """A running header on every page and a `第 N 页` footer, as typeset reports have."""
    canvas.setFont(CJK_FONT, 9)
    canvas.drawCentredString(A4[0] / 2, A4[1] - 40, RUNNING_HEADER)
    canvas.drawCentredString(A4[0] / 2, 30, f"第 {doc.page} 页")


def make_report_pdf(path: Path, *, pdf_title: str = "", extra_pages: int = 0) -> Path:
    """A typeset report: an 18-pt title line, 14-pt numbered headings, a table, headers and footers.

    Page 1 holds the title, the first chapter and the table; page 2 the second
    chapter (its fact is what a citation must place on `第2页`). `extra_pages`
    appends more body pages (for the speed benchmark).
    """
    from reportlab.lib import colors
    from reportlab.platypus import PageBreak, Table, TableStyle

    _register_cjk_font()
    title_style = ParagraphStyle("title", fontName=CJK_FONT, fontSize=18, leading=26, spaceAfter=14)
    heading_style = ParagraphStyle("h", fontName=CJK_FONT, fontSize=14, leading=20, spaceBefore=8, spaceAfter=8)
    body_style = ParagraphStyle("body", fontName=CJK_FONT, fontSize=11, leading=17, spaceAfter=8, wordWrap="CJK")
    caption_style = ParagraphStyle("caption", fontName=CJK_FONT, fontSize=10, leading=14, spaceAfter=4)
    story: list = [
        Paragraph(PDF_TITLE, title_style),
        Paragraph("一、海洋科技创新", heading_style),
        Paragraph("2023年，全市海洋科技创新能力稳步提升，海洋领域研发投入持续增长，一批关键核心技术取得突破，"
                  "海洋装备、海洋生物医药等产业加快发展，为建设海洋强市提供了有力支撑。", body_style),
        Paragraph(TABLE_CAPTION, caption_style),
    ]
    table = Table([TABLE_HEADER, *TABLE_ROWS])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), CJK_FONT, 10),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story += [table, PageBreak(),
              Paragraph("二、海洋科技人才", heading_style),
              Paragraph("全市新引进海洋领域高层次人才326名，建成海洋科技创新平台18个，"
                        "海洋科技人才队伍规模持续扩大。", body_style)]
    for n in range(extra_pages):
        story += [PageBreak(), Paragraph(f"（{n + 1}）专题研究{n + 1}", heading_style)]
        story += [Paragraph(f"第{n + 1}项专题围绕海洋科技创新开展研究，形成了一批具有应用价值的成果，"
                            "推动海洋产业结构优化升级，带动相关企业研发投入增长，"
                            "为全市经济社会高质量发展提供科技支撑。" * 2, body_style) for _ in range(5)]
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=pdf_title, topMargin=70, bottomMargin=60)
    doc.build(story, onFirstPage=_page_furniture, onLaterPages=_page_furniture)
    return Path(path)


def make_table_docx(path: Path) -> Path:
    """A Word report whose figures are in a 4×3 table under a caption."""
    document = docx.Document()
    document.add_heading("2023年全市科技创新统计公报", level=1)
    document.add_paragraph("2023年，全市科技创新主要指标保持增长，创新主体不断壮大。")
    document.add_paragraph(TABLE_CAPTION)
    table = document.add_table(rows=1 + len(TABLE_ROWS), cols=len(TABLE_HEADER))
    for r, row in enumerate([TABLE_HEADER, *TABLE_ROWS]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("全市科技创新环境持续优化，创新生态日益完善。")
    document.save(str(path))
    return Path(path)


def _html_table() -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in TABLE_HEADER)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in TABLE_ROWS)
    return (f"<table><caption>{html.escape(TABLE_CAPTION)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def make_semantic_html(path: Path) -> Path:
    """A well-formed page: header/nav/footer chrome, an article with h1/h2, prose and a table."""
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>2023年科技创新统计公报 | 示范市科技局</title></head>
<body>
<header><a href="/">示范市科技局</a></header>
<nav><a href="/">首页</a><a href="/news">新闻中心</a><a href="/hd">互动交流</a></nav>
<main><article>
  <h1>2023年科技创新统计公报</h1>
  <h2>一、创新主体</h2>
  <p>2023年，全市科技创新主要指标保持增长，高新技术企业数量再创新高，创新主体不断壮大。</p>
  {_html_table()}
  <h2>二、创新环境</h2>
  <p>全市新建省级以上科技企业孵化器12家，科技创新环境持续优化，创新生态日益完善。</p>
</article></main>
<footer>版权所有：示范市科技局 备案号：浙ICP备12345678号</footer>
</body></html>
"""
    Path(path).write_text(page, encoding="utf-8")
    return Path(path)


GOV_CHROME = ["首页", "机构概况", "互动交流", "当前位置", "打印本页", "关闭窗口", "分享到", "浙ICP备",
              "网站标识码", "主办单位"]


def make_gov_html(path: Path) -> Path:
    """A gov.cn-style page: chrome in `<div class="head/nav/foot/share">`, not semantic tags; GBK-encoded."""
    page = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>杭州市2023年科技创新工作总结_杭州市科学技术局</title></head>
<body>
<div class="head"><div class="logo">杭州市科学技术局</div>
  <div class="menu"><ul><li><a href="/">首页</a></li><li><a href="/jg">机构概况</a></li>
  <li><a href="/zw">政务公开</a></li><li><a href="/hd">互动交流</a></li></ul></div></div>
<div class="bread">当前位置：<a href="/">首页</a> &gt; <a href="/zw">政务公开</a> &gt; 工作总结</div>
<div class="main"><div class="left"><ul><li><a href="/a">通知公告</a></li><li><a href="/b">工作动态</a></li></ul></div>
<div class="content">
  <div class="title">杭州市2023年科技创新工作总结</div>
  <div class="info">发布时间：2024-01-15 来源：杭州市科学技术局 浏览次数：1024</div>
  <div class="article">
    <p>2023年，杭州市深入实施创新驱动发展战略，全市科技创新工作取得显著成效，区域创新能力位居全国前列。</p>
    <p><strong>一、创新主体持续壮大</strong></p>
    <p>全年新认定高新技术企业2376家，累计有效高新技术企业达15888家，科技型中小企业数量稳步增长。</p>
    {_html_table()}
    <p><strong>二、创新平台加快建设</strong></p>
    <p>新建省级重点实验室12家，之江实验室、西湖实验室等重大平台建设取得新进展。</p>
  </div>
  <div class="share">分享到：微信 微博 【打印本页】【关闭窗口】</div>
</div></div>
<div class="foot"><p>主办单位：杭州市科学技术局 地址：杭州市解放东路18号</p>
  <p>浙ICP备05012345号 网站标识码：3301000049</p></div>
</body></html>
"""
    Path(path).write_bytes(page.encode("gb18030"))
    return Path(path)


_GENERATED: dict[str, tuple[Path, Path]] = {}


def generated_corpus_index(root: Path, embedder: object) -> tuple[Path, Path]:
    """(corpus, index) of the four generated reports, built once per test process with `embedder`.

    The answer tests and the browser tests share it: building with the real model costs
    about 30 s on two cores, so it is built once and treated as read-only.
    """
    if "index" not in _GENERATED:
        from reportqa.index.build import build_index

        corpus = root / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        make_report_pdf(corpus / "海洋.pdf")
        make_table_docx(corpus / "公报.docx")
        make_semantic_html(corpus / "统计公报.html")
        make_gov_html(corpus / "zj.html")
        build_index(corpus, root / "index", embedder)  # type: ignore[arg-type]
        _GENERATED["index"] = (corpus, root / "index")
    return _GENERATED["index"]
