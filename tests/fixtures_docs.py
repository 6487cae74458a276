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
