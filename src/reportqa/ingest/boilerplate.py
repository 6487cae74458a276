"""Lines of an official document that frame it rather than say anything: flagged at chunking time.

An official reply opens with its record lines (`办理结果：解决采纳`) and its document
number (`沪科建复〔2024〕34号`) and closes with a courtesy line
(`感谢您对本市科技工作的关心和支持。`), the issuing body and the date. Such a passage
is short and shares words with many questions (科技, 上海, 工作), so, unflagged, it
ranks and even answers above the content. The chunker keeps these lines in chunks of
their own and marks them (`Chunk.boilerplate`); the answer step never quotes them
except for a question asking for the document's own number or date, and ranks them
below content.

The patterns describe the genre's shapes (a number in 〔year〕 brackets, a thanks for
"关心/支持/关注", an organisation name alone on a line, a bare date), never one
document's words; `tests/unit/test_boilerplate.py` holds them to real lines.
"""

from __future__ import annotations

import re

# `沪科建复〔2024〕34号`, `国办发[2023]12号`, `京政发（2021）5号`: an issuer's abbreviation, the year
# in brackets, a serial number.
DOCUMENT_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}\s*[〔\[［（(【]\s*(?:19|20)\d\d\s*[〕\]］）)】]\s*第?\s*\d{1,5}\s*号")
_PATTERNS = (
    re.compile(rf"^{DOCUMENT_NUMBER.pattern}$"),
    # Record lines printed above a published reply.
    re.compile(r"^(?:办理结果|公开属性|公开方式|签发人|签发|主题词|密级|紧急程度|缓急|发文单位|成文日期|发布日期)\s*[:：]"),
    # The courtesy close: thanks for the reader's concern or support, one short sentence.
    re.compile(r"^(?:再次|衷心|诚挚)?(?:感谢|谢谢)[^。！!]{0,40}(?:关心|支持|关注|理解|帮助)[^。！!]{0,10}[。！!]?$"),
    re.compile(r"^(?:特此(?:答复|函复|复函|通知|报告|函告)|此复|特此函达)[。！!]?$"),
    # The sign-off's date, alone on its line.
    re.compile(r"^(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$"),
)
# The sign-off's issuing body alone on a line. Only beside one of the lines above: alone, a short
# name (`国家技术转移东部中心`) is as likely an infographic's content line.
_BODY = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}(?:委员会|科委|科技局|科学技术局|管理局|办公室|办公厅|人民政府)$")


def _clean(line: str) -> str:
    return line.strip().replace("**", "").strip()


def is_boilerplate_line(line: str) -> bool:
    """Whether a line only frames the document (number, record line, courtesy close, date)."""
    text = _clean(line)
    return bool(text) and any(p.match(text) for p in _PATTERNS)


def may_be_boilerplate(text: str) -> bool:
    """Whether every non-empty line is boilerplate or a body's name: what the chunker keeps apart from content."""
    lines = [_clean(line) for line in text.split("\n") if line.strip()]
    return bool(lines) and all(is_boilerplate_line(line) or _BODY.match(line) for line in lines)


def is_boilerplate(text: str) -> bool:
    """Whether a text (a chunk) is boilerplate: every line is, a body's name only beside another such line."""
    lines = [line for line in text.split("\n") if line.strip()]
    return may_be_boilerplate(text) and any(is_boilerplate_line(line) for line in lines)


# The words a question uses for what a framing line is (`文号是什么？`, `哪一天印发的？`): the line
# itself never says them, so the lexical index is given them beside it.
_ROLES = (
    (DOCUMENT_NUMBER, "文号 发文字号"),
    (re.compile(r"^(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$"), "日期 印发 落款"),
)


def role_words(text: str) -> str:
    """The words naming the roles of a framing passage's lines (for the lexical index only)."""
    lines = [_clean(line) for line in text.split("\n")]
    return " ".join(dict.fromkeys(words for pattern, words in _ROLES if any(pattern.search(x) for x in lines)))
