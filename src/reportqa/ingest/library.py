"""Writing the corpus folder: add report files, edit a report's metadata, delete a report.

The library page and its API (`reportqa.web.routes.library`) change the corpus through this
module only, so every change keeps three promises:

- **Serialised.** Each write holds a per-folder threading lock and an exclusive `fcntl.flock`
  on `<corpus>/.library.lock`, so two threads, two server workers or a server and a script
  cannot interleave their read-modify-write of `reports.toml`.
- **All or nothing.** `reports.toml` is written to a temporary file in the same folder,
  fsynced, then `os.replace`d over the old one. A delete moves the file to `<corpus>/.trash/`
  first and moves it back if the manifest cannot be written; an upload writes every file of
  the request or none. A failure leaves the folder and the manifest as they were.
- **Inside the folder.** Uploaded names are sanitised (no separators, `..`, NUL, leading dot)
  and the content must match the suffix (a PDF named `.docx` is refused), so nothing is
  written outside the corpus and nothing is written that the build would only skip later.

`reports.toml` is written by this module, not by `tomli_w`: the manifest's shape is flat
(tables of strings, integers and lists of integers), so a small writer covers it without a new
dependency, and it keeps the file's comments (the bundled corpus explains its fields in an
opening block and notes like "dated 2024 but reports on 2023" above a key), which `tomli_w`
would drop. Only end-of-line comments and blank-line layout are lost. Every written text is
parsed back with `tomllib` and compared with what was meant before it replaces the old file,
so a writer bug can refuse a change but never corrupt the manifest.

The dot-names used here (`.trash/`, `.library.lock`, the temporary files) are never reports:
`report_files` ignores every name that starts with a dot.

Messages are Chinese: they are shown on the library page as they are.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import math
import os
import re
import secrets
import threading
import time
import tomllib
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from reportqa.durable import fsync_dir
from reportqa.errors import ReportQAError
from reportqa.ingest.corpus import MANIFEST_NAME, read_manifest, report_files, safe_id
from reportqa.ingest.loaders import SUPPORTED_SUFFIXES
from reportqa.models import ReportMeta

LOCK_NAME = ".library.lock"
TRASH_DIR = ".trash"
Format = Literal["pdf", "docx", "html", "md", "txt"]
#: The report formats the library accepts, by suffix: what the content must look like.
FORMATS: dict[str, Format] = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".md": "md",
                              ".markdown": "md", ".txt": "txt"}
#: How long a write waits for another process holding the folder's lock before giving up (409).
LOCK_TIMEOUT_S = 10.0
#: Longest id a report may get: the API's id pattern (`reportqa.web.deps.DOC_ID_PATTERN`) allows 120 characters.
MAX_ID_CHARS = 120
#: Longest file name in bytes most file systems allow.
MAX_NAME_BYTES = 255
#: Metadata text fields longer than this are refused; a title is a line, not a paragraph.
MAX_TEXT_CHARS = 200
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_CONTENT_YEARS = 50

# Characters other systems cannot hold in a file name (Windows, SMB shares): replaced, so the folder copies anywhere.
_AWKWARD = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")
# Markup that makes a text a web page (the HTML loader needs elements to find the article in).
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|meta|title|article|section|main|div|p|h[1-6]|table|span|a|ul|ol"
                     rb"|li|br)\b", re.IGNORECASE)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.05
# Fields a metadata change may set, in the order they are written into a new [[report]] table.
_FIELD_ORDER = ("id", "file", "title", "year", "publisher", "kind", "content_years")


class LibraryError(ReportQAError):
    """A change to the corpus that was refused; nothing was written. `status` is its HTTP status."""

    status = 400


class UnsafeNameError(LibraryError):
    """A file name that could escape the folder or that the corpus scan would ignore."""

    status = 400


class UnknownReportError(LibraryError):
    """No report of that id in the corpus folder."""

    status = 404


class ConflictError(LibraryError):
    """The change collides with what is there: an existing file or id, a busy lock, a broken manifest."""

    status = 409


class TooLargeError(LibraryError):
    """An upload over the size limit."""

    status = 413


class InvalidMetadataError(LibraryError):
    """A metadata value of the wrong type or out of range."""

    status = 422


class UnsupportedContentError(LibraryError):
    """A suffix no loader reads, or content that does not match the suffix."""

    status = 415


class WriteFailedError(LibraryError):
    """The disk refused the write (full, read-only); everything was put back as it was."""

    status = 503


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the client gave it, and its bytes (a spooled file, read from the start)."""

    name: str
    source: IO[bytes]


@dataclass(frozen=True)
class CorpusEntry:
    """A report file of the corpus folder, with its metadata as the next build will read it.

    `meta` is None for a file `reports.toml` does not describe: the build guesses its title and
    year from its text, so only the index knows them (see the web route).
    """

    id: str
    file: str
    path: Path
    format: Format
    size_bytes: int
    modified: float
    meta: ReportMeta | None


@dataclass(frozen=True)
class MetadataChange:
    """The fields a PATCH sets: a field absent from `values` is left as it is; a value of None clears it."""

    values: Mapping[str, Any]

    def __post_init__(self) -> None:
        unknown = set(self.values) - set(_FIELD_ORDER[2:])
        if unknown:
            raise InvalidMetadataError(f"不能修改的字段：{'、'.join(sorted(unknown))}；可改 title、year、publisher、"
                                       "kind、content_years")
        if not self.values:
            raise InvalidMetadataError("没有要修改的字段：请给出 title、year、publisher、kind 或 content_years")


# --------------------------------------------------------------------------- checks on input


def sanitise_name(name: str) -> str:
    """The file name an upload is stored under, or `UnsafeNameError` saying why it cannot be.

    Refused: empty, path separators (`/`, `\\`), `..`, NUL, a leading dot (the corpus scan
    ignores hidden files), too long. Normalised: Unicode NFC, control and format characters
    removed, runs of spaces made one, spaces around the stem stripped, characters other file
    systems refuse (`<>:"|?*`) made `_`, the suffix lower-cased. Chinese is kept as it is.
    """
    if "\x00" in name:
        raise UnsafeNameError("文件名含有 NUL 字符：请重命名后再上传")
    if "/" in name or "\\" in name:
        raise UnsafeNameError(f"文件名不能含有路径分隔符（/ 或 \\）：{shown_name(name)}；请只上传文件本身")
    if ".." in name:
        raise UnsafeNameError(f"文件名不能含有“..”：{shown_name(name)}；请重命名后再上传")
    cleaned = "".join(c for c in unicodedata.normalize("NFC", name)
                      if unicodedata.category(c) not in ("Cc", "Cf") or c.isspace())
    cleaned = _AWKWARD.sub("_", _SPACES.sub(" ", cleaned).strip())
    if not cleaned:
        raise UnsafeNameError("文件名为空：请给文件起一个名字")
    if cleaned.startswith("."):
        raise UnsafeNameError(f"文件名不能以“.”开头（这样的文件会被忽略）：{shown_name(name)}")
    stem, suffix = _split(cleaned)
    if not stem:
        raise UnsafeNameError(f"文件名只有扩展名：{shown_name(name)}；请给文件起一个名字")
    cleaned = stem + suffix.lower()
    if len(cleaned.encode("utf-8")) > MAX_NAME_BYTES or len(safe_id(stem)) > MAX_ID_CHARS:
        raise UnsafeNameError(f"文件名太长：{shown_name(name)}；请改短（不超过 {MAX_ID_CHARS} 个字符）")
    if Path(cleaned).name != cleaned:  # a last guard: what is stored is one name inside the folder
        raise UnsafeNameError(f"文件名不安全：{shown_name(name)}")
    return cleaned


def _split(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        return name.strip(), ""
    return stem.strip(), "." + suffix.strip()


def shown_name(name: str) -> str:
    """A name as a message may show it: printable, one line, not too long."""
    text = "".join(c if c.isprintable() else "?" for c in name)
    return f"“{text[:80]}{'…' if len(text) > 80 else ''}”"


def format_of(name: str) -> Format:
    """The report format of a (sanitised) name, or `UnsupportedContentError` listing the accepted suffixes."""
    suffix = Path(name).suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None or suffix not in SUPPORTED_SUFFIXES:
        accepted = "、".join(accepted_suffixes())
        what = f" {suffix}" if suffix else "（没有扩展名）"
        raise UnsupportedContentError(f"不支持的文件类型{what}：{shown_name(name)}；支持 {accepted}")
    return fmt


def accepted_suffixes() -> list[str]:
    """The suffixes an upload may have: a format the library can check and a loader can read."""
    return sorted(s for s in FORMATS if s in SUPPORTED_SUFFIXES)


Sniffed = Literal["pdf", "docx", "zip", "html", "text", "binary", "empty"]
_KIND_NAMES: dict[Sniffed, str] = {"pdf": "PDF", "docx": "Word 文档（DOCX）", "zip": "ZIP 压缩包",
                                   "html": "网页（HTML）", "text": "纯文本", "binary": "二进制数据", "empty": "空文件"}


def sniff(data: bytes) -> Sniffed:
    """What the bytes are, by content alone: the suffix a client sends proves nothing."""
    if not data.strip():
        return "empty"
    if b"%PDF-" in data[:1024]:  # the header may follow a little junk, as PDF readers allow
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else "zip"
        except (zipfile.BadZipFile, OSError, ValueError):
            return "binary"
    if not _is_text(data):
        return "binary"
    return "html" if _MARKUP.search(data[:65536]) else "text"


def _is_text(data: bytes) -> bool:
    """UTF-8 or GB18030 text (a byte-order mark allowed), without the control bytes of binary data."""
    text: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                return False
            break
    if text is None:
        if b"\x00" in data:
            return False
        for encoding in ("utf-8", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            return False
    controls = len(_CONTROL.findall(text))
    return controls <= _MAX_CONTROL_RATIO * max(len(text), 1)


def check_content(name: str, fmt: Format, data: bytes) -> None:
    """Refuse content that does not match the suffix, saying what it is instead (415)."""
    kind = sniff(data)
    expected: dict[Format, tuple[Sniffed, ...]] = {"pdf": ("pdf",), "docx": ("docx",), "html": ("html",),
                                                   "md": ("text", "html"), "txt": ("text", "html")}
    if kind in expected[fmt]:
        return
    if kind == "empty":
        raise UnsupportedContentError(f"{shown_name(name)} 是空文件：没有可索引的内容")
    if fmt == "html" and kind == "text":
        raise UnsupportedContentError(f"{shown_name(name)} 没有 HTML 标记：纯文本请用 .txt 或 .md 扩展名")
    hint = {"pdf": "请把扩展名改为 .pdf", "docx": "请把扩展名改为 .docx", "html": "请把扩展名改为 .html",
            "text": "请把扩展名改为 .txt 或 .md"}.get(kind, "请上传 PDF、DOCX、HTML、Markdown 或 UTF-8/GB18030 文本")
    raise UnsupportedContentError(
        f"{shown_name(name)} 的内容是{_KIND_NAMES[kind]}，与扩展名 {Path(name).suffix} 不符；{hint}")


def check_metadata(change: MetadataChange) -> dict[str, Any]:
    """The change's values made canonical (NFC, trimmed), or `InvalidMetadataError` naming the field."""
    out: dict[str, Any] = {}
    for key, value in change.values.items():
        if value is None:
            out[key] = None
        elif key == "year":
            out[key] = _year(value, "year")
        elif key == "content_years":
            if not isinstance(value, list) or len(value) > MAX_CONTENT_YEARS:
                raise InvalidMetadataError(f"content_years 须为年份列表（最多 {MAX_CONTENT_YEARS} 个），如 [2023]")
            out[key] = sorted({_year(y, "content_years") for y in value})
        else:
            out[key] = _text(value, key)
    return out


def _year(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= MAX_YEAR:
        raise InvalidMetadataError(f"{name} 须为 {MIN_YEAR} 到 {MAX_YEAR} 之间的整数年份，收到 {value!r}")
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidMetadataError(f"{name} 须为文字，收到 {value!r}")
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not text:
        raise InvalidMetadataError(f"{name} 不能为空：要清除它请传 null")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidMetadataError(f"{name} 太长（{len(text)} 个字符）：最多 {MAX_TEXT_CHARS} 个")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidMetadataError(f"{name} 含有控制字符：请删除后再保存")
    return text


# --------------------------------------------------------------------------- reports.toml, written by hand


@dataclass(frozen=True)
class ManifestComments:
    """The comments of a manifest, to write back: its opening block, and those above a table or a key.

    `tables` is keyed by the table's `file` (tables move when one is deleted), then by the key
    the comment lines stand above (`[[report]]` for the table's header line).
    """

    header: str = ""
    tables: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)


def toml_text(data: Mapping[str, Any], comments: ManifestComments | None = None) -> str:
    """`data` (top-level keys, then the `report` list as [[report]] tables) as TOML, with `comments` kept.

    Checked: the text is parsed back and must equal `data`, so a value this writer cannot
    express is refused (`ConflictError`) instead of written wrongly.
    """
    comments = comments or ManifestComments()
    lines = [comments.header.rstrip("\n")] if comments.header.strip() else []
    top = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if k != "report"]
    if top:
        lines += ["", *top] if lines else top
    for entry in data.get("report", []):
        notes = comments.tables.get(str(entry.get("file")), {})
        lines += ["", *notes.get("[[report]]", []), "[[report]]"]
        for k, v in entry.items():
            lines += [*notes.get(k, []), f"{_key(k)} = {_value(v)}"]
    text = "\n".join(lines).lstrip("\n") + "\n"
    try:
        same = tomllib.loads(text) == dict(data)
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise ConflictError(f"{MANIFEST_NAME} 中有本程序无法原样写回的值：请手工编辑该文件")
    return text


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _string(text: str) -> str:
    out = []
    for c in text:
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")) if not math.isfinite(value) \
            else repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise ConflictError(f"{MANIFEST_NAME} 中有无法写回的值 {value!r}：请手工编辑该文件")


_TABLE_LINE = re.compile(r"\s*\[\[\s*report\s*\]\]\s*(?:#.*)?$")
_KEY_LINE = re.compile(r"\s*(\"?)([A-Za-z0-9_-]+)\1\s*=")


def manifest_comments(text: str, data: Mapping[str, Any]) -> ManifestComments:
    """The comment lines of a manifest's text: its opening block, and each block above a table or a key.

    Comments at the end of a line, and blank lines, are not kept (the writer spaces tables itself).
    """
    header: list[str] = []
    tables: dict[int, dict[str, list[str]]] = {}
    ordinal = -1  # which [[report]] table the lines belong to; -1 before the first
    pending: list[str] = []
    opening = True
    for line in text.splitlines():
        stripped = line.strip()
        if opening and (not stripped or stripped.startswith("#")):
            header.append(line.rstrip())
            continue
        opening = False
        if stripped.startswith("#"):
            pending.append(line.rstrip())
        elif _TABLE_LINE.match(line):
            ordinal += 1
            if pending:
                tables.setdefault(ordinal, {})["[[report]]"] = pending
            pending = []
        elif stripped:
            match = _KEY_LINE.match(line)
            if match and ordinal >= 0 and pending:
                tables.setdefault(ordinal, {})[match.group(2)] = pending
            pending = []
    reports = data.get("report", [])
    by_file = {str(reports[i].get("file")): notes for i, notes in tables.items()
               if isinstance(reports, list) and i < len(reports) and isinstance(reports[i], dict)}
    return ManifestComments(header="\n".join(header).strip("\n"), tables=by_file)


# --------------------------------------------------------------------------- the folder

_FOLDER_LOCKS: dict[Path, threading.Lock] = {}
_FOLDER_LOCKS_GUARD = threading.Lock()
# sha256 of file bytes by (path, size, mtime_ns): hashing a 50 MB PDF on every listing would be wasted work.
_DIGESTS: dict[tuple[str, int, int], str] = {}
_DIGESTS_MAX = 4096


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, remembered while its size and modification time stay the same."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    digest = _DIGESTS.get(key)
    if digest is None:
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        if len(_DIGESTS) >= _DIGESTS_MAX:
            _DIGESTS.clear()
        _DIGESTS[key] = digest
    return digest


class Library:
    """The corpus folder as the library API changes it; see the module docstring for the promises."""

    def __init__(self, corpus_dir: Path, *, max_upload_bytes: int) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.max_upload_bytes = max_upload_bytes

    # ----- reading (no lock: files and manifest are only ever replaced whole)

    def entries(self) -> list[CorpusEntry]:
        """The report files of the folder, in the order the build reads them, with their manifest metadata."""
        manifest = read_manifest(self.corpus_dir)
        out = []
        for path in report_files(self.corpus_dir):
            suffix = path.suffix.lower()
            if suffix not in FORMATS:  # a format registered by a plug-in: the library cannot describe it
                continue
            try:
                stat = path.stat()
            except OSError:  # gone between the scan and now
                continue
            meta = manifest.get(path.name)
            out.append(CorpusEntry(id=meta.id if meta else safe_id(path.stem), file=path.name, path=path,
                                   format=FORMATS[suffix], size_bytes=stat.st_size, modified=stat.st_mtime,
                                   meta=meta))
        return out

    def entry(self, report_id: str) -> CorpusEntry:
        for entry in self.entries():
            if entry.id == report_id:
                return entry
        raise UnknownReportError(f"没有 id 为“{report_id}”的报告：请在报告列表中选择")

    # ----- writing

    def add(self, uploads: Sequence[Upload]) -> list[CorpusEntry]:
        """Store every upload as a new report file, or none of them; the new entries, in upload order.

        Checked before anything is written: each name is safe, each file is within the size
        limit and its content matches its suffix, and no name, id or content repeats an
        existing report or another file of the same request.
        """
        if not uploads:
            raise LibraryError("没有收到文件：请用名为 files 的表单字段上传")
        planned: list[tuple[str, Upload, str]] = []  # (stored name, upload, sha256)
        for upload in uploads:
            name = sanitise_name(upload.name)
            fmt = format_of(name)
            data = self._read_limited(upload, name)
            check_content(name, fmt, data)
            planned.append((name, upload, hashlib.sha256(data).hexdigest()))
            del data
        with self._locked():
            manifest = read_manifest(self.corpus_dir)
            existing = self.entries()
            names = {p.name.casefold() for p in self.corpus_dir.iterdir()}
            ids = {e.id: e.file for e in existing} | {m.id: m.file for m in manifest.values()}
            digests = {}
            for e in existing:
                with contextlib.suppress(OSError):
                    digests[file_sha256(e.path)] = e.file
            seen_names: set[str] = set()
            for name, _, digest in planned:
                new_id = manifest[name].id if name in manifest else safe_id(Path(name).stem)
                if name.casefold() in names or name.casefold() in seen_names:
                    raise ConflictError(f"已有同名文件 {shown_name(name)}：请先删除旧报告或给新文件改名")
                if new_id in ids and ids[new_id] != name:
                    raise ConflictError(f"id“{new_id}”已被 {shown_name(ids[new_id])} 使用：请给新文件改名")
                if digest in digests:
                    raise ConflictError(f"{shown_name(name)} 与已有报告 {shown_name(digests[digest])} 内容相同")
                seen_names.add(name.casefold())
                ids[new_id] = name
                digests[digest] = name
            written: list[Path] = []
            try:
                for name, upload, _ in planned:
                    written.append(self._store(upload, name))
                fsync_dir(self.corpus_dir)
            except BaseException as exc:
                for path in written:
                    path.unlink(missing_ok=True)
                if isinstance(exc, LibraryError):
                    raise
                if isinstance(exc, OSError):
                    raise WriteFailedError(f"保存上传的文件失败（{_cause(exc)}）：语料文件夹保持原样") from None
                raise
            by_file = {e.file: e for e in self.entries()}
            return [by_file[name] for name, _, _ in planned if name in by_file]

    def update(self, report_id: str, change: MetadataChange, *, inferred: ReportMeta | None = None) -> CorpusEntry:
        """Set (or clear, with None) metadata fields of a report in `reports.toml`; its entry after the change.

        A report without a manifest entry gets one (its id and file first). `inferred` is what
        the index guessed for such a report: its title and year are written too, unless the
        change sets them, so describing one field does not lose the guessed ones.
        """
        values = check_metadata(change)
        with self._locked():
            entry = self.entry(report_id)
            data, comments = self._manifest_data()
            reports: list[dict[str, Any]] = data.setdefault("report", [])
            table = next((t for t in reports if t.get("file") == entry.file), None)
            if table is None:
                table = {"id": entry.id, "file": entry.file}
                if inferred is not None and inferred.file == entry.file:
                    table["title"] = inferred.title
                    if inferred.year is not None:
                        table["year"] = inferred.year
                reports.append(table)
            for key, value in values.items():
                if value is None or value == []:
                    table.pop(key, None)
                else:
                    table[key] = value
            self._write_manifest(data, comments)
            return self.entry(report_id)

    def delete(self, report_id: str) -> Path:
        """Move a report's file to `<corpus>/.trash/` and drop its manifest entry; the file's new place."""
        with self._locked():
            entry = self.entry(report_id)
            data, comments = self._manifest_data()
            reports = data.get("report", [])
            kept = [t for t in reports if t.get("file") != entry.file]
            trash = self.corpus_dir / TRASH_DIR
            try:
                trash.mkdir(exist_ok=True)
                target = _free_name(trash, entry.file)
                os.rename(entry.path, target)
            except OSError as exc:
                raise WriteFailedError(f"移动 {shown_name(entry.file)} 到 {TRASH_DIR}/ 失败（{_cause(exc)}）："
                                       "语料文件夹保持原样") from None
            if len(kept) != len(reports):
                data["report"] = kept
                try:
                    self._write_manifest(data, comments)
                except BaseException:
                    os.rename(target, entry.path)  # put the file back: both as they were
                    raise
            with contextlib.suppress(OSError):
                fsync_dir(self.corpus_dir)
                fsync_dir(trash)
            return target

    # ----- helpers

    def _read_limited(self, upload: Upload, name: str) -> bytes:
        upload.source.seek(0)
        data = upload.source.read(self.max_upload_bytes + 1)
        if len(data) > self.max_upload_bytes:
            raise TooLargeError(f"{shown_name(name)} 超过上传大小上限 {self.max_upload_bytes / 1_000_000:g} MB："
                                "请拆分文件，或调大 serve.max_upload_mb 设置")
        return data

    def _store(self, upload: Upload, name: str) -> Path:
        """Copy an upload into the folder under `name` without ever replacing a file there."""
        final = self.corpus_dir / name
        temp = self.corpus_dir / f".upload-{secrets.token_hex(6)}.tmp"
        try:
            upload.source.seek(0)
            with temp.open("xb") as out:
                while block := upload.source.read(1 << 20):
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temp, final)  # fails if the name exists: a file dropped in meanwhile is never replaced
            except FileExistsError:
                raise ConflictError(f"已有同名文件 {shown_name(name)}：请先删除旧报告或给新文件改名") from None
            except OSError:  # a file system without hard links
                if final.exists():
                    raise ConflictError(f"已有同名文件 {shown_name(name)}：请先删除旧报告或给新文件改名") from None
                os.rename(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        return final

    def _manifest_data(self) -> tuple[dict[str, Any], ManifestComments]:
        """The manifest as data plus its comments; refused when it does not read as a manifest."""
        read_manifest(self.corpus_dir)  # the same checks the build makes, with their one-line messages
        path = self.corpus_dir / MANIFEST_NAME
        if not path.exists():
            return {}, ManifestComments()
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
        return data, manifest_comments(text, data)

    def _write_manifest(self, data: dict[str, Any], comments: ManifestComments) -> None:
        """Replace `reports.toml` atomically: temp file in the folder, fsync, `os.replace`, fsync the folder."""
        text = toml_text(data, comments)
        path = self.corpus_dir / MANIFEST_NAME
        temp = self.corpus_dir / f".{MANIFEST_NAME}.{secrets.token_hex(6)}.tmp"
        try:
            with temp.open("x", encoding="utf-8", newline="\n") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except OSError as exc:
            raise WriteFailedError(f"写入 {MANIFEST_NAME} 失败（{_cause(exc)}）：语料文件夹和 {MANIFEST_NAME} "
                                   "保持原样") from None
        finally:
            temp.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            fsync_dir(self.corpus_dir)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """This folder's thread lock, then its file lock (other processes); 409 if another process keeps it."""
        if not self.corpus_dir.is_dir():
            report_files(self.corpus_dir)  # raises the build's one-line "corpus folder not found"
        key = self.corpus_dir.resolve()
        with _FOLDER_LOCKS_GUARD:
            lock = _FOLDER_LOCKS.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=LOCK_TIMEOUT_S):
            raise ConflictError("语料库正被另一个请求修改：请稍后重试")
        try:
            try:
                handle = (self.corpus_dir / LOCK_NAME).open("a")
            except OSError as exc:
                raise WriteFailedError(f"无法创建 {LOCK_NAME}（{_cause(exc)}）：请检查语料文件夹的权限") from None
            with handle:
                deadline = time.monotonic() + LOCK_TIMEOUT_S
                while True:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise ConflictError("语料库正被另一个进程修改：请稍后重试") from None
                        time.sleep(0.02)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            lock.release()


def _free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or with a time stamp (and a counter) before the suffix when that is taken."""
    target = folder / name
    if not target.exists():
        return target
    stem, suffix = Path(name).stem, Path(name).suffix
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        target = folder / f"{stem}.{stamp}{f'-{n}' if n > 1 else ''}{suffix}"
        if not target.exists():
            return target
    raise ConflictError(f"{TRASH_DIR}/ 中同名文件太多：请清理 {TRASH_DIR}/ 后重试")


def _cause(exc: OSError) -> str:
    """An OS error's cause, without the server's absolute paths."""
    return exc.strerror or type(exc).__name__


