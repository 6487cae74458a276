"""Lines of an official document that frame it rather than say anything: flagged at chunking time.

An official reply opens with its record lines (`办理结果：解决采纳`) and its document
number (`沪科建复〔2024〕34号`) and closes with a courtesy line
(`感谢您对本市科技工作的关心和支持。`), the issuing body, the date, the contact lines
(`联系人姓名：田春芝`) and the distribution line (`抄送：…`). Such a passage
is short and shares words with many questions (科技, 上海, 工作), so, unflagged, it
ranks and even answers above the content. The chunker keeps these lines in chunks of
their own and marks them (`Chunk.boilerplate`); the answer step never quotes them
except for a question asking for the document's own number or date, or naming a record
line's label (`联系人是谁？`, `抄送了哪些部门？`: `record_labels`), and ranks them below content.

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
# A record line: a label, a colon, its value (`办理结果：解决采纳`, `联系人姓名：田春芝`, `抄送：…`).
RECORD_LINE = re.compile(
    r"^(办理结果|公开属性|公开方式|签发人|签发|主题词|密级|紧急程度|缓急|发文单位|成文日期|发布日期"
    r"|联系人(?:姓名)?|联系电话|联系地址|通讯地址|邮政编码|电子邮箱|电子邮件|传真|抄送|抄报)\s*[:：]")
_PATTERNS = (
    re.compile(rf"^{DOCUMENT_NUMBER.pattern}$"),
    # Record lines printed above a published reply, and the contact and distribution lines below it.
    RECORD_LINE,
    # The courtesy close: thanks for the reader's concern or support, one short sentence.
    re.compile(r"^(?:再次|衷心|诚挚)?(?:感谢|谢谢)[^。！!]{0,40}(?:关心|支持|关注|理解|帮助)[^。！!]{0,10}[。！!]?$"),
    re.compile(r"^(?:特此(?:答复|函复|复函|通知|报告|函告)|此复|特此函达)[。！!]?$"),
    # The sign-off's date, alone on its line, and the printing line (`上海市科委办公室 2024年6月21日印发`).
    re.compile(r"^(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$"),
    re.compile(r"^.{0,20}(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发$"),
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
    (re.compile(r"印发$"), "日期 印发"),
    (re.compile(r"^(?:联系人|联系电话|联系地址|通讯地址|电子邮)"), "联系方式"),
    (re.compile(r"^(?:抄送|抄报)"), "部门 单位"),
)


def role_words(text: str) -> str:
    """The words naming the roles of a framing passage's lines (for the lexical index only)."""
    lines = [_clean(line) for line in text.split("\n")]
    return " ".join(dict.fromkeys(words for pattern, words in _ROLES if any(pattern.search(x) for x in lines)))


def record_labels(text: str) -> list[str]:
    """The labels of a passage's record lines (`联系人姓名：田春芝` → 联系人姓名), in order.

    A question naming one (`联系人是谁？`, `抄送了哪些部门？`, `办理结果是什么？`) is about that
    line: the one case where a framing passage answers something other than a number or date.
    """
    return [m.group(1) for line in text.split("\n") if (m := RECORD_LINE.match(_clean(line)))]


# What a question calls each record line (`联系人是谁？`, `What street address…`): the genre's own words
# for its fields, in Chinese and English, matched against the question.
_LABEL_WORDS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    # (English `contact` alone is also said of an address or phone: only a who-question asks the person.)
    (re.compile(r"^联系人"), re.compile(r"联系人|\bcontact (?:person|name)\b|\bwho\b.*\bcontact\b", re.IGNORECASE)),
    (re.compile(r"电话$"), re.compile(r"电话|\b(?:tele)?phone\b", re.IGNORECASE)),
    (re.compile(r"地址$"), re.compile(r"地址|\baddress\b", re.IGNORECASE)),
    (re.compile(r"^邮政编码$"), re.compile(r"邮编|邮政编码|\bpost(?:al)? ?code\b|\bzip code\b", re.IGNORECASE)),
    (re.compile(r"^电子邮"), re.compile(r"邮箱|电子邮件|\be-?mail\b", re.IGNORECASE)),
    (re.compile(r"^传真$"), re.compile(r"传真|\bfax\b", re.IGNORECASE)),
    (re.compile(r"^抄[送报]$"), re.compile(r"抄送|抄报|\bcopied\b|\bcc\b|\bcopy\b", re.IGNORECASE)),
    (re.compile(r"^办理结果$"), re.compile(r"办理结果|\boutcome\b", re.IGNORECASE)),
    (re.compile(r"^公开"), re.compile(r"公开属性|公开方式|公开范围")),
    (re.compile(r"^签发"), re.compile(r"签发|\bsigned off\b", re.IGNORECASE)),
)


def names_record(question: str, label: str) -> bool:
    """Whether a question asks for the record line with this label (`联系人是谁？` → `联系人姓名`)."""
    return any(field.search(label) and words.search(question) for field, words in _LABEL_WORDS)


def record_named(question: str, text: str) -> bool:
    """Whether a question names one of the record lines of a (framing) passage."""
    return any(names_record(question, label) for label in record_labels(text))


def asks_record(question: str, line: str) -> bool:
    """Whether a question asks for this record line: it names the label and does not already give the
    value (`联系人田春芝担任什么职务？` is about 田春芝, not asking who the contact is)."""
    m = RECORD_LINE.match(_clean(line))
    if m is None:
        return False
    value = _clean(line)[m.end():].strip(" 。.")
    return names_record(question, m.group(1)) and not (value and value in question)


# The document's own acts that its sign-off dates (`哪一天印发的？`, `答复日期`); a question dating
# another event (`哪一天收到…建议`, `何时提出`) is not answered by the sign-off's date.
_DOCUMENT_ACT = re.compile(r"印发|发布|答复|回复|复函|签发|发文|成文|落款|发出|出具|issued|replied|dated|signed",
                           re.IGNORECASE)
_OTHER_EVENT = re.compile(r"收到|提出|提交|受理|召开|举办|开幕|成立|启动|签约|received|submitted|held|opened",
                          re.IGNORECASE)


def dates_the_document(question: str) -> bool:
    """Whether a date question asks when the document itself was issued (what a sign-off date answers)."""
    return bool(_DOCUMENT_ACT.search(question)) and not _OTHER_EVENT.search(question)
