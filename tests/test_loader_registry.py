"""The loader registry: one module per format, and the registry as the only list of suffixes.

Adding a format must be one decorated reader; everything that lists formats
(the suffix set, the corpus scan, error messages, the CLI) must follow the
registry without being edited, so these tests register a throwaway format and
look for it everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reportqa.errors import UnsupportedFileError
from reportqa.ingest.corpus import report_files
from reportqa.ingest.loaders import (
    SUPPORTED_SUFFIXES,
    load_bytes,
    load_text,
    loader_for,
    register_loader,
    supported_suffixes,
    unregister_loader,
)
from tests.server_utils import run_cli

BUILT_INS = {
    ".md": "text",
    ".markdown": "text",
    ".txt": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
BUILT_IN_LIST = ".docx, .htm, .html, .markdown, .md, .pdf, .txt"
NEW_SUFFIX = ".rqatest"


def _read_upper(data: bytes, name: str) -> str:
    """A toy format: its text is the bytes, upper-cased, so the test can tell it was used."""
    return data.decode("utf-8").upper()


@pytest.fixture
def new_format() -> Iterator[str]:
    """Register the toy format for one test and always take it out again, so other tests see the built-ins."""
    register_loader(NEW_SUFFIX)(_read_upper)
    try:
        yield NEW_SUFFIX
    finally:
        unregister_loader(NEW_SUFFIX)
    assert NEW_SUFFIX not in SUPPORTED_SUFFIXES


def test_a_registered_suffix_is_read_by_load_text(new_format: str, tmp_path: Path) -> None:
    path = tmp_path / f"report{new_format.upper()}"
    path.write_bytes("科技 report".encode())
    assert load_text(path) == "科技 REPORT"
    assert load_bytes(b"upload", f"x{new_format}") == "UPLOAD"


def test_a_registered_suffix_is_listed_everywhere(new_format: str, tmp_path: Path) -> None:
    # SUPPORTED_SUFFIXES was imported before the registration: it is a live view, not a snapshot.
    assert new_format in SUPPORTED_SUFFIXES
    assert new_format in supported_suffixes()
    assert sorted(SUPPORTED_SUFFIXES) == list(supported_suffixes())
    (tmp_path / f"a{new_format}").write_text("x")
    (tmp_path / "b.xyz").write_text("x")
    assert [p.name for p in report_files(tmp_path)] == [f"a{new_format}"]
    with pytest.raises(UnsupportedFileError, match=f"supported: .*{new_format}"):
        load_bytes(b"x", "data.xyz")


def test_registration_is_case_insensitive_and_returns_the_reader(tmp_path: Path) -> None:
    reader = register_loader(".RQAUPPER")(_read_upper)
    try:
        assert reader is _read_upper
        assert loader_for("file.rqaupper") is _read_upper
        assert ".rqaupper" in SUPPORTED_SUFFIXES
    finally:
        unregister_loader(".rqaupper")
    assert ".rqaupper" not in supported_suffixes()


def test_a_taken_suffix_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match=r"already registered for \.pdf"):
        register_loader(".PDF")(_read_upper)
    assert loader_for("x.pdf").__module__ == "reportqa.ingest.loaders.pdf"


@pytest.mark.parametrize("suffix", ["epub", ".", ".tar.gz", " .epub"])
def test_a_malformed_suffix_is_refused(suffix: str) -> None:
    with pytest.raises(ValueError, match="one dot and a name"):
        register_loader(suffix)


def test_unknown_suffix_gives_the_unsupported_file_message(tmp_path: Path) -> None:
    expected = f"data.xyz has an unsupported file type ('.xyz'); supported: {BUILT_IN_LIST}"
    with pytest.raises(UnsupportedFileError) as error:
        loader_for(tmp_path / "data.xyz")
    assert str(error.value) == expected
    path = tmp_path / "data.xyz"
    path.write_bytes(b"text")
    with pytest.raises(UnsupportedFileError) as error:
        load_text(path)
    assert str(error.value) == expected


def test_no_suffix_says_so() -> None:
    with pytest.raises(UnsupportedFileError) as error:
        load_bytes(b"text", "README")
    assert str(error.value) == f"README has an unsupported file type (no suffix); supported: {BUILT_IN_LIST}"


def test_the_built_in_suffixes_are_exactly_the_documented_ones() -> None:
    assert supported_suffixes() == tuple(sorted(BUILT_INS))
    assert set(SUPPORTED_SUFFIXES) == set(BUILT_INS)
    assert len(SUPPORTED_SUFFIXES) == len(BUILT_INS)


@pytest.mark.parametrize(("suffix", "module"), sorted(BUILT_INS.items()))
def test_each_built_in_suffix_maps_to_its_module(suffix: str, module: str) -> None:
    for name in (f"report{suffix}", f"REPORT{suffix.upper()}"):
        assert loader_for(name).__module__ == f"reportqa.ingest.loaders.{module}"


def test_cli_lists_the_registered_suffixes_when_the_corpus_has_none(tmp_path: Path) -> None:
    empty = tmp_path / "corpus"
    empty.mkdir()
    result = run_cli("build", "--corpus", str(empty), "--index", str(tmp_path / "index"))
    assert result.returncode != 0
    assert f"no report files ({' '.join(sorted(BUILT_INS))}) in" in result.stderr
