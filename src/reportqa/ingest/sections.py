"""Turn a report's text into its real tree of sections.

The reports' headings are inconsistent: Markdown `#` levels that do not match
the hierarchy, bare short lines, Chinese ordinals, decimal numbers on a line of
their own, `»`/`▶` markers, bold lead-ins. The level of a heading therefore
comes from its *kind* (its numbering pattern), not from its `#` count: a
heading whose kind is already open becomes a sibling of that open heading; a
new kind nests under the current one. Plain Markdown headings (no numbering)
are the only ones whose `#` count matters.

Offsets stay true to the source: every paragraph records the spans of the
source lines it is made of, so noise lines (page numbers, `---`, contact
footers) can be dropped without losing the way back to the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.ingest.tables import table_block
from reportqa.models import Paragraph, ParsedReport, ReportMeta, Section, Span
from reportqa.text.zh import CLOSING_QUOTES, HAN_BASIC, SENTENCE_END

MAX_BARE_TITLE = 24
MAX_NUMBERED_TITLE = 90
TERMINAL_PUNCT = SENTENCE_END
# A line that ends in a closing quote has ended; so has one ending in a book title (`《…》`) or
# a bold run (`**`): wider than the sentence splitter's CLOSING_QUOTES, which only follow an end mark.
CLOSING_MARKS = CLOSING_QUOTES + "》*"
# Any of these makes a short line a sentence rather than a title.
SENTENCE_PUNCT = "，。；：:,;！？!?、"

_CN_DIGITS = "一二三四五六七八九十百"
_MD_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*[。：:]?$")
_MARKER = re.compile(r"^[»▶◆■●►▸]\s*")
_CN_NUM = re.compile(rf"^([{_CN_DIGITS}]+)、")
_CN_PAREN = re.compile(rf"^[（(]([{_CN_DIGITS}]+)[）)]")
_ARABIC = re.compile(r"^(\d{1,2})[.．、]\s*(?=\S)(?!\d)")
_DECIMAL_ALONE = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)$")
_DECIMAL_TITLE = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\s+(\S.*)$")
_CHAPTER_NUMBER = re.compile(r"^\d{1,2}$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•·]|\d+[)）])\s+")
_LEAD_IN_BOLD = re.compile(r"^\*\*(.{1,60}?)\*\*")
_LEAD_IN_ORDINAL = re.compile(rf"^(?:\*\*)?([{_CN_DIGITS}]是)(?:\*\*)?")
_MONTH_LINE = re.compile(r"^\d{1,2}月(?:份)?$")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
_CJK = re.compile(f"[{HAN_BASIC}]")  # the basic block, as always: a wider range would re-parse titles

# Lines that carry no content: page numbers, rules, the English chapter tag. (An official reply's
# contact and distribution footer is kept: it answers `联系人是谁？`; ingest/boilerplate.py flags it.)
_NOISE = [
    re.compile(r"^\d{1,3}$"),
    re.compile(r"^[-—_=*]{3,}$"),
    re.compile(r"^(?:#+\s*)?SUMMARIZE$", re.IGNORECASE),
]


_UNNUMBERED = {"md", "bare"}


@dataclass
class _Line:
    text: str  # stripped
    start: int
    end: int


@dataclass
class _Block:
    lines: list[_Line]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def single(self) -> bool:
        return len(self.lines) == 1


@dataclass
class _Heading:
    kind: str
    title: str
    number: str | None
    span: Span
    md_level: int | None = None
    # The line as a paragraph, should the "heading" turn out to be a numbered sentence.
    as_paragraph: Paragraph | None = None


@dataclass
class _Para:
    paragraph: Paragraph
    lead_in: bool = False


@dataclass
class _Open:
    section: Section
    kind: str
    md_level: int | None
    has_lead_ins: bool = False
    children_kinds: list[str] = field(default_factory=list)


def is_noise_line(text: str) -> bool:
    """True for a line that is layout debris rather than content."""
    stripped = text.strip()
    return any(p.match(stripped) for p in _NOISE)


def _blocks(text: str) -> list[_Block]:
    """Split the text into runs of non-blank lines, keeping tight source offsets."""
    blocks: list[_Block] = []
    current: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        line_start, pos = pos, pos + len(raw) + 1
        stripped = raw.strip()
        if not stripped:
            if current:
                blocks.append(_Block(current))
                current = []
            continue
        lead = len(raw) - len(raw.lstrip())
        current.append(_Line(stripped, line_start + lead, line_start + lead + len(stripped)))
    if current:
        blocks.append(_Block(current))
    return blocks


def _clean_title(title: str) -> str:
    title = title.strip()
    title = re.sub(r"^\*\*(.*)\*\*$", r"\1", title).strip()
    title = title.replace("**", "")
    title = _MARKER.sub("", title).strip()
    return title.rstrip("。.；;").strip()


def _numbered_kind(title: str) -> tuple[str, str] | None:
    """The numbering kind of a heading text and its number, if it has one."""
    if m := _CN_PAREN.match(title):
        return "cn_paren", f"（{m.group(1)}）"
    if m := _CN_NUM.match(title):
        return "cn_num", m.group(1)
    if m := _DECIMAL_TITLE.match(title):
        return f"decimal{m.group(1).count('.')}", m.group(1)
    if m := _ARABIC.match(title):
        return "arabic", m.group(1)
    return None


def _looks_like_numbered_heading(text: str) -> bool:
    """A numbered line is a heading only if it reads like a title, not a sentence."""
    if len(text) > MAX_NUMBERED_TITLE:
        return False
    body = text.rstrip("。")
    return "。" not in body and "；" not in body


def _is_bare_title(block: _Block) -> bool:
    """A short, unpunctuated line standing alone, such as `长宁区` or `推动成果转化`."""
    if not block.single:
        return False
    text = block.lines[0].text
    if len(text) > MAX_BARE_TITLE or len(_CJK.findall(text)) < 2:
        return False
    if any(ch in text for ch in SENTENCE_PUNCT) or "**" in text:
        return False
    if _LIST_ITEM.match(text) or _MONTH_LINE.match(text):
        return False
    # Digits only inside parentheses, e.g. `浦江创新论坛(第17届)`; `专题论坛24场` is content.
    return not re.search(r"\d", re.sub(r"[（(][^）)]*[）)]", "", text))


def _heading_of(block: _Block, prev_content: bool) -> _Heading | None:
    """Classify a single-line block as a heading, or None for content."""
    if not block.single:
        return None
    line = block.lines[0]
    text = line.text
    span = Span(line.start, line.end)
    if m := _MD_HEADING.match(text):
        title = _clean_title(m.group(2))
        if not title:
            return None
        numbered = _numbered_kind(title)
        if numbered:
            return _Heading(numbered[0], title, numbered[1], span)
        return _Heading("md", title, None, span, md_level=len(m.group(1)))
    if m := _BOLD_LINE.match(text):
        title = _clean_title(m.group(1))
        numbered = _numbered_kind(title)
        if numbered and _looks_like_numbered_heading(title):
            return _Heading(numbered[0], title, numbered[1], span)
        return None
    if _MARKER.match(text) and not text.startswith("- "):
        title = _clean_title(text)
        if title and len(title) <= 40 and "。" not in title:
            return _Heading(f"marker{text[0]}", title, None, span)
        return None
    numbered = _numbered_kind(text)
    if numbered and _looks_like_numbered_heading(text):
        sentence = _paragraph(block.lines) if text.endswith("。") else None
        return _Heading(numbered[0], _clean_title(text), numbered[1], span, as_paragraph=sentence)
    return None


def _lead_in(text: str) -> str | None:
    """The topic phrase a paragraph opens with: a bold lead-in or a `一是…` clause."""
    bold = _LEAD_IN_BOLD.match(text)
    ordinal = _LEAD_IN_ORDINAL.match(text)
    if bold and not re.fullmatch(rf"[{_CN_DIGITS}]是", bold.group(1)):
        return bold.group(1).strip().rstrip("。：:，,").strip() or None
    if ordinal:
        rest = text[ordinal.end():].replace("**", "")
        clause = re.split(r"[。；;]", rest, maxsplit=1)[0]
        if 0 < len(clause) <= 40:
            return clause.strip()
    return None


def _paragraph(lines: list[_Line]) -> Paragraph:
    is_list = all(_LIST_ITEM.match(line.text) for line in lines) or bool(
        _LIST_ITEM.match(lines[0].text) and len(lines) > 1
    )
    sep = "\n" if is_list else ""
    text = sep.join(line.text for line in lines)
    return Paragraph(
        text=text,
        pieces=[Span(line.start, line.end) for line in lines],
        topic=None if is_list else _lead_in(text),
        is_list=is_list,
    )


def _table(lines: list[_Line]) -> Paragraph:
    """A table block: its lines (caption, rows) kept apart, so each row can be quoted alone."""
    return Paragraph(text="\n".join(line.text for line in lines), pieces=[Span(line.start, line.end) for line in lines],
                     is_list=True, is_table=True)


def _ends_mid_sentence(text: str) -> bool:
    last = text.rstrip()[-1:]
    return bool(last) and last not in TERMINAL_PUNCT + CLOSING_MARKS + "：:，,、"


def _continues(prev: Paragraph, nxt: Paragraph) -> bool:
    """Whether `nxt` is the rest of a sentence the page layout cut after `prev`.

    The cut paragraph ends without punctuation; its continuation is prose that
    ends a sentence and does not open a new topic. Infographic lines (short,
    unpunctuated) are left alone.
    """
    if prev.is_list or nxt.is_list or len(prev.text) < 20:
        return False
    if not _ends_mid_sentence(prev.text):
        return False
    if _lead_in(nxt.text) is not None or nxt.text.startswith("**"):
        return False
    return nxt.text.rstrip()[-1:] in TERMINAL_PUNCT


def _join(prev: Paragraph, nxt: Paragraph) -> Paragraph:
    return Paragraph(
        text=prev.text + nxt.text,
        pieces=prev.pieces + nxt.pieces,
        topic=prev.topic,
        is_list=False,
    )


def _items(text: str) -> list[_Heading | _Para]:
    """The report as a flat sequence of headings and paragraphs."""
    blocks: list[_Block] = []
    for block in _blocks(text):
        kept = [line for line in block.lines if not is_noise_line(line.text)]
        # A lone number opening the document is a chapter number, not a page number.
        if not blocks and block.single and _CHAPTER_NUMBER.match(block.lines[0].text):
            kept = block.lines
        if kept:
            blocks.append(_Block(kept))

    items: list[_Heading | _Para] = []
    i = 0
    seen_content = False
    while i < len(blocks):
        block = blocks[i]
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        first = block.lines[0]
        if table_block([line.text for line in block.lines]) is not None:
            items.append(_Para(_table(block.lines)))  # a table is content, never a heading
            seen_content = True
            i += 1
            continue
        # `8` or `8.1` on its own line, the title on the next line.
        number_alone = block.single and (
            _DECIMAL_ALONE.match(first.text) or (not seen_content and _CHAPTER_NUMBER.match(first.text))
        )
        if number_alone and nxt is not None and nxt.single and len(nxt.lines[0].text) <= 40:
            number = first.text
            kind = "chapter" if "." not in number else f"decimal{number.count('.')}"
            title_line = nxt.lines[0]
            items.append(
                _Heading(kind, f"{number} {_clean_title(title_line.text)}", number,
                         Span(first.start, title_line.end))
            )
            i += 2
            continue
        heading = _heading_of(block, seen_content)
        if heading is None and _is_bare_title(block):
            # A title needs content after it: not another title, nor a signature's date.
            follower_is_title = nxt is None or _is_bare_title(nxt) or bool(_DATE_LINE.match(nxt.text))
            if not follower_is_title:
                heading = _Heading("bare", _clean_title(first.text), None, Span(first.start, first.end))
        if heading is not None:
            items.append(heading)
        else:
            para = _paragraph(block.lines)
            if items and isinstance(items[-1], _Para) and _continues(items[-1].paragraph, para):
                items[-1] = _Para(_join(items[-1].paragraph, para), items[-1].lead_in)
            else:
                items.append(_Para(para, lead_in=para.topic is not None and not para.is_list))
            seen_content = True
        i += 1
    return _demote_numbered_sentences(items)


def _demote_numbered_sentences(items: list[_Heading | _Para]) -> list[_Heading | _Para]:
    """`1. …。` lines with nothing under them, followed by `2. …。`, are a numbered list, not headings."""
    out: list[_Heading | _Para] = []
    for i, item in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        bodiless = nxt is None or (isinstance(nxt, _Heading) and nxt.kind == getattr(item, "kind", None))
        if isinstance(item, _Heading) and item.as_paragraph is not None and bodiless:
            out.append(_Para(item.as_paragraph))
        else:
            out.append(item)
    return out


def _open_heading(stack: list[_Open], heading: _Heading) -> None:
    """Place a heading in the tree: a sibling of an open heading of its kind, else a child."""
    if heading.kind == "md":
        level = heading.md_level or 1
        keep = next(
            (i for i in range(len(stack) - 1, 0, -1)
             if stack[i].kind == "md" and (stack[i].md_level or 1) < level),
            None,
        )
        if keep is None:
            first_md = next((i for i in range(1, len(stack)) if stack[i].kind == "md"), len(stack))
            keep = first_md - 1
        del stack[keep + 1:]
    else:
        open_kinds = [entry.kind for entry in stack]
        if heading.kind in open_kinds:
            del stack[open_kinds.index(heading.kind):]
    parent = stack[-1].section
    section = Section(
        title=heading.title,
        level=parent.level + 1,
        path=[*parent.path, heading.title],
        heading_span=heading.span,
        number=heading.number,
    )
    parent.children.append(section)
    stack.append(_Open(section, heading.kind, heading.md_level))


def _add_paragraph(stack: list[_Open], item: _Para) -> None:
    """Attach a paragraph; a lead-in paragraph returns to the section its sibling lead-ins are in.

    A sidebar box inside a section (a sub-heading with a few figures) is followed
    by more lead-in paragraphs of the enclosing section; they belong there.
    """
    if item.lead_in and not stack[-1].has_lead_ins:
        owner = next((i for i in range(len(stack) - 1, 0, -1) if stack[i].has_lead_ins), None)
        if owner is not None and all(entry.kind in _UNNUMBERED for entry in stack[owner + 1:]):
            del stack[owner + 1:]
    stack[-1].section.paragraphs.append(item.paragraph)
    if item.lead_in:
        stack[-1].has_lead_ins = True


def parse_report(text: str, meta: ReportMeta) -> ParsedReport:
    """Parse a report's decoded text into its section tree."""
    root = Section(title=meta.title, level=0, path=[])
    stack = [_Open(root, "root", 0)]
    for item in _items(text):
        if isinstance(item, _Heading):
            _open_heading(stack, item)
        else:
            _add_paragraph(stack, item)
    return ParsedReport(meta=meta, text=text, root=root)


def first_heading(text: str) -> str | None:
    """The first heading's title, used to name a report that has no manifest entry."""
    for item in _items(text):
        if isinstance(item, _Heading):
            return item.title
    return None
