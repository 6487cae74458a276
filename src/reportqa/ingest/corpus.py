"""The corpus folder: report files plus the manifest that says what each one is.

Users drop new reports into the folder; a file without a manifest entry still
works, with its title taken from its first heading and its year from its text,
and a warning so the user knows to describe it properly.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reportqa.errors import CorpusError, ReportQAError
from reportqa.ingest.chunking import chunk_report
from reportqa.ingest.loaders import SUPPORTED_SUFFIXES, load_text
from reportqa.ingest.loaders.base import display_name, one_line
from reportqa.ingest.sections import first_heading, parse_report
from reportqa.models import Chunk, ParsedReport, ReportMeta
from reportqa.text.zh import HAN_BASIC, text_years

MANIFEST_NAME = "reports.toml"
_RESERVED_IDS = frozenset({"skipped"})
_SAFE_ID = re.compile(rf"[^0-9A-Za-z{HAN_BASIC}_.-]+")  # the id alphabet web/routes/documents.py accepts


class MetadataWarning(UserWarning):
    """A report's metadata had to be guessed."""


class SkippedFileWarning(UserWarning):
    """A report file was left out of the build; the message names it and says why."""


@dataclass(frozen=True)
class SkippedFile:
    """A file of the corpus folder the build could not (or must not) index, and why."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} — {self.reason}"


@dataclass(frozen=True)
class CorpusFile:
    """A report file found in the corpus folder, with its metadata."""

    path: Path
    meta: ReportMeta


def safe_id(name: str) -> str:
    """A document id that is safe in a URL and a file name (no path characters)."""
    cleaned = _SAFE_ID.sub("-", unicodedata.normalize("NFKC", name)).strip("-.")
    if cleaned in _RESERVED_IDS:  # `/api/documents/skipped` is a route, not a report
        cleaned += "-report"
    return cleaned or "report"


def read_manifest(corpus_dir: Path) -> dict[str, ReportMeta]:
    """Manifest entries keyed by file name; a missing manifest is an empty one."""
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{MANIFEST_NAME} is not valid TOML: {exc}") from None
    except OSError as exc:  # a folder of that name, no permission
        from reportqa.errors import os_error_message

        raise CorpusError(f"{MANIFEST_NAME} cannot be read: {os_error_message(exc)}") from None
    reports = data.get("report", [])
    if not isinstance(reports, list):
        raise CorpusError(f"{MANIFEST_NAME}: 'report' must be a list of [[report]] tables, not {reports!r}")

    def is_int(value: object) -> bool:  # TOML's true/false are not years
        return isinstance(value, int) and not isinstance(value, bool)

    entries: dict[str, ReportMeta] = {}
    for i, entry in enumerate(reports, 1):
        if not isinstance(entry, dict) or "file" not in entry:
            raise CorpusError(f"{MANIFEST_NAME}: report #{i} has no 'file'")
        file = entry["file"]
        if not isinstance(file, str) or not file.strip():
            raise CorpusError(f"{MANIFEST_NAME}: report #{i} has a 'file' that is not a file name: {file!r}")
        # Every field has one type; a wrong one is the user's to fix, in one line, never a traceback.
        for key in ("id", "title", "publisher", "kind", "original_file"):
            if key in entry and not isinstance(entry[key], str):
                raise CorpusError(f"{MANIFEST_NAME}: report '{file}' has a non-text {key}: {entry[key]!r}")
        year = entry.get("year")
        if year is not None and not is_int(year):
            raise CorpusError(f"{MANIFEST_NAME}: report '{file}' has a non-integer year: {year!r}")
        content_years = entry.get("content_years", [])
        if not isinstance(content_years, list) or not all(is_int(y) for y in content_years):
            raise CorpusError(f"{MANIFEST_NAME}: report '{file}' has content_years that are not a list of "
                              f"years: {content_years!r}")
        entries[file] = ReportMeta(
            id=safe_id(entry.get("id") or Path(file).stem),
            file=file,
            title=entry.get("title") or Path(file).stem,
            year=year,
            publisher=entry.get("publisher", ""),
            kind=entry.get("kind", ""),
            original_file=entry.get("original_file", ""),
            content_years=tuple(content_years),
        )
    return entries


def infer_meta(path: Path, text: str) -> ReportMeta:
    """Metadata for a report nobody described: first heading as title, commonest year."""
    years = text_years(text)
    stem_year = re.search(r"(?<!\d)(20[0-4]\d|19[5-9]\d)(?!\d)", path.stem)
    year = years[0] if years else (int(stem_year.group(1)) if stem_year else None)
    return ReportMeta(
        id=safe_id(path.stem),
        file=path.name,
        title=first_heading(text) or path.stem,
        year=year,
        inferred=True,
    )


def report_files(corpus_dir: Path, skipped: list[SkippedFile] | None = None) -> list[Path]:
    """Supported report files in the folder, in a stable order.

    A file whose real location lies outside the folder (a symlink to
    `/etc/passwd`, or to another user's documents) is never a report: it is
    left out, with a `SkippedFileWarning` and an entry in `skipped`, so nothing
    outside the corpus can be indexed or served.
    """
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir.name or corpus_dir}")
    files = []
    for p in sorted(corpus_dir.iterdir()):
        if p.name.startswith(".") or p.suffix.lower() not in SUPPORTED_SUFFIXES or not p.is_file():
            continue
        if not is_inside(p, corpus_dir):
            _skip(skipped, p.name, "it links to a file outside the corpus folder")
            continue
        files.append(p)
    return files


def is_inside(path: Path, folder: Path) -> bool:
    """Whether `path`, all links followed, is a file inside `folder` (itself resolved)."""
    try:
        return path.resolve(strict=True).is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):  # a dangling link or a link loop
        return False


def _skip(skipped: list[SkippedFile] | None, name: str, reason: str) -> None:
    entry = SkippedFile(one_line(name), one_line(reason))
    if skipped is not None:
        skipped.append(entry)
    warnings.warn(f"skipped {entry}", SkippedFileWarning, stacklevel=3)


def check_size(path: Path, max_file_mb: float) -> None:
    """Refuse a file over the size limit before reading it: chunking it could take longer than it is worth."""
    size = path.stat().st_size
    if size > max_file_mb * 1_000_000:
        raise CorpusError(f"{display_name(path)} is {size / 1_000_000:.1f} MB, over the {max_file_mb:g} MB limit; "
                          "split it or raise the chunking.max_file_mb setting")


def parse_file(path: Path, meta: ReportMeta | None = None) -> ParsedReport:
    """Load and parse one report file; metadata is inferred when not given."""
    text = load_text(path)
    if meta is None:
        meta = infer_meta(path, text)
    return parse_report(text, meta)


def iter_corpus(corpus_dir: Path, *, skipped: list[SkippedFile] | None = None, strict: bool = False,
                max_file_mb: float | None = None) -> Iterator[ParsedReport]:
    """Parse every report of the corpus, warning about files the manifest does not describe.

    A file that cannot be read (random bytes named `.docx`, a PDF without a text
    layer, a file over `max_file_mb`) is skipped with a `SkippedFileWarning`
    naming it and why, and recorded in `skipped`, so one bad file never holds
    back the other reports. `strict=True` raises on it instead (CI-like use).
    """
    manifest = read_manifest(corpus_dir)
    files = report_files(corpus_dir, skipped)
    names = {p.name for p in files} | {s.file for s in skipped or []}
    for missing in sorted(set(manifest) - names):
        warnings.warn(f"{MANIFEST_NAME} lists '{missing}' but the file is not in the corpus",
                      MetadataWarning, stacklevel=2)
    used_ids: set[str] = set()
    for path in files:
        meta = manifest.get(path.name)
        try:
            if max_file_mb is not None:
                check_size(path, max_file_mb)
            report = parse_file(path, meta)
        except ReportQAError as exc:
            if strict:
                raise
            _skip(skipped, path.name, str(exc))
            continue
        except Exception as exc:  # a loader bug on one odd file must not stop the others
            if strict:
                raise
            _skip(skipped, path.name, f"it could not be read ({type(exc).__name__})")
            continue
        if meta is None:
            warnings.warn(
                f"'{path.name}' has no entry in {MANIFEST_NAME}: using title '{report.meta.title}' "
                f"and year {report.meta.year} guessed from its text",
                MetadataWarning, stacklevel=2,
            )
        if report.meta.id in used_ids:
            raise CorpusError(f"two reports share the id '{report.meta.id}': give them distinct ids "
                              f"in {MANIFEST_NAME}")
        used_ids.add(report.meta.id)
        yield report


def corpus_chunks(corpus_dir: Path) -> list[Chunk]:
    """Every chunk of every report, in corpus order."""
    return [c for report in iter_corpus(corpus_dir) for c in chunk_report(report)]
