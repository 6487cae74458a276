"""The command line explains itself: a version, flags shown as flags, examples, and paths named as typed."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from reportqa import __version__
from reportqa.cli import app
from tests.server_utils import run_cli

runner = CliRunner()
COMMANDS = ["setup-model", "build", "sections", "chunks", "ask", "serve", "eval", "settings"]


def help_text(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"reportqa {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_boolean_options_are_shown_as_flags_without_a_value(command: str) -> None:
    assert "<bool>" not in help_text(command)


def test_the_json_flag_of_ask_is_listed_without_a_type() -> None:
    line = next(line for line in help_text("ask").splitlines() if "--json" in line)
    assert re.search(r"--json\s+Print the API's JSON response", line), line


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_ends_with_examples(command: str) -> None:
    text = help_text(command)
    assert "Examples:" in text
    assert f"reportqa {command}" in text.split("Examples:", 1)[1]


def test_ask_help_shows_a_chinese_example_question() -> None:
    assert 'reportqa ask "2024年全市技术合同成交额是多少？"' in help_text("ask")


def test_the_top_level_help_lists_the_version_flag_and_where_to_start() -> None:
    text = help_text()
    assert "--version" in text
    assert "reportqa setup-model" in text


@pytest.mark.parametrize("command", ["sections", "chunks"])
def test_a_missing_report_file_is_named_as_typed(command: str) -> None:
    result = run_cli(command, "./missing.md")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: file not found: ./missing.md; check the path and try again"


def test_a_folder_given_as_a_report_file_is_named_as_typed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("sections", f"{tmp_path}/")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {tmp_path}/ is a folder, not a report file")


def test_an_unsupported_file_is_named_with_its_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "notes.xyz").write_text("全市技术合同成交额5200.73亿元。", encoding="utf-8")
    result = run_cli("sections", str(tmp_path / "notes.xyz"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {tmp_path}/notes.xyz has an unsupported file type ('.xyz')")


def test_a_missing_question_file_is_named_as_typed() -> None:
    result = run_cli("eval", "./no-such-questions.jsonl")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: question file not found: ./no-such-questions.jsonl"


def test_a_missing_corpus_folder_is_named_with_its_parents(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("build", "--corpus", str(tmp_path / "reports" / "2024"), "--index", str(tmp_path / "index"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: corpus folder not found: {tmp_path}/reports/2024"
