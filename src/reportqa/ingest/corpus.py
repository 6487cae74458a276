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

from reportqa.errors import CorpusError
from reportqa.ingest.chunking import chunk_report
from reportqa.ingest.loaders import SUPPORTED_SUFFIXES, load_text
from reportqa.ingest.sections import first_heading, parse_report
from reportqa.models import Chunk, ParsedReport, ReportMeta
from reportqa.text.zh import HAN_BASIC, text_years

MANIFEST_NAME = "reports.toml"
_SAFE_ID = re.compile(rf"[^0-9A-Za-z{HAN_BASIC}_.-]+")  # the id alphabet web/routes/documents.py accepts


class MetadataWarning(UserWarning):
    """A report's metadata had to be guessed."""


@dataclass(frozen=True)
class CorpusFile:
    """A report file found in the corpus folder, with its metadata."""

    path: Path
    meta: ReportMeta


def safe_id(name: str) -> str:
    """A document id that is safe in a URL and a file name (no path characters)."""
    cleaned = _SAFE_ID.sub("-", unicodedata.normalize("NFKC", name)).strip("-.")
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
    entries: dict[str, ReportMeta] = {}
    for i, entry in enumerate(data.get("report", []), 1):
        if not isinstance(entry, dict) or "file" not in entry:
            raise CorpusError(f"{MANIFEST_NAME}: report #{i} has no 'file'")
        file = str(entry["file"])
        year = entry.get("year")
        if year is not None and not isinstance(year, int):
            raise CorpusError(f"{MANIFEST_NAME}: report '{file}' has a non-integer year: {year!r}")
        entries[file] = ReportMeta(
            id=safe_id(str(entry.get("id") or Path(file).stem)),
            file=file,
            title=str(entry.get("title") or Path(file).stem),
            year=year,
            publisher=str(entry.get("publisher", "")),
            kind=str(entry.get("kind", "")),
            original_file=str(entry.get("original_file", "")),
            content_years=tuple(int(y) for y in entry.get("content_years", [])),
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


def report_files(corpus_dir: Path) -> list[Path]:
    """Supported report files in the folder, in a stable order."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir.name or corpus_dir}")
    return sorted(
        p for p in corpus_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    )


def parse_file(path: Path, meta: ReportMeta | None = None) -> ParsedReport:
    """Load and parse one report file; metadata is inferred when not given."""
    text = load_text(path)
    if meta is None:
        meta = infer_meta(path, text)
    return parse_report(text, meta)


def iter_corpus(corpus_dir: Path) -> Iterator[ParsedReport]:
    """Parse every report of the corpus, warning about files the manifest does not describe."""
    manifest = read_manifest(corpus_dir)
    files = report_files(corpus_dir)
    names = {p.name for p in files}
    for missing in sorted(set(manifest) - names):
        warnings.warn(f"{MANIFEST_NAME} lists '{missing}' but the file is not in the corpus",
                      MetadataWarning, stacklevel=2)
    used_ids: set[str] = set()
    for path in files:
        meta = manifest.get(path.name)
        report = parse_file(path, meta)
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
