"""The corpus folder: manifest metadata, and reports added without it."""

from __future__ import annotations

import shutil
import warnings

import pytest

from reportqa.errors import CorpusError
from reportqa.ingest.corpus import MetadataWarning, infer_meta, iter_corpus, read_manifest, safe_id


def test_manifest_describes_every_bundled_report(corpus_dir):
    manifest = read_manifest(corpus_dir)
    assert set(manifest) == {p.name for p in corpus_dir.iterdir() if p.suffix in {".md", ".txt"}}
    reply = manifest["2024-reply-deputy-suggestion-0671.md"]
    assert reply.year == 2024 and reply.content_years == (2023,)
    assert reply.kind == "official reply" and reply.original_file == "004_0cae1a68a4c38414.txt"
    assert all(m.publisher == "上海市科学技术委员会" for m in manifest.values())


def test_report_without_manifest_entry_gets_inferred_metadata_and_a_warning(tmp_path, corpus_dir):
    shutil.copy(corpus_dir / "2020-overview.md", tmp_path / "新增报告.md")
    with pytest.warns(MetadataWarning, match="新增报告.md"):
        reports = list(iter_corpus(tmp_path))
    meta = reports[0].meta
    assert meta.inferred and meta.title == "综述" and meta.year == 2020
    assert meta.id == "新增报告"


def test_inferred_year_is_the_year_the_text_mentions_most(tmp_path):
    path = tmp_path / "x.md"
    meta = infer_meta(path, "# 报告\n\n2023年全市…2023年…2021年…")
    assert meta.year == 2023


def test_document_ids_cannot_carry_path_characters():
    assert safe_id("../../etc/passwd") == "etc-passwd"
    assert "/" not in safe_id("a/b\\c")


def test_broken_manifest_is_a_clear_error(tmp_path):
    (tmp_path / "reports.toml").write_text("[[report]\nfile = ", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"reports\.toml"):
        read_manifest(tmp_path)


def test_manifest_entry_for_a_missing_file_only_warns(tmp_path, corpus_dir):
    shutil.copy(corpus_dir / "reports.toml", tmp_path / "reports.toml")
    shutil.copy(corpus_dir / "2025-overview.md", tmp_path / "2025-overview.md")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reports = list(iter_corpus(tmp_path))
    assert [r.meta.id for r in reports] == ["2025-overview"]
    assert any("2024-overview.txt" in str(w.message) for w in caught)
