"""Settings: declared once, documented in the README, listed by the CLI, settable per run.

The README test is the point of the module: a setting added to settings.py
without a README row fails here, as datasette's docs test does for its SETTINGS.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from reportqa import cli
from reportqa.errors import ReportQAError, SettingsError
from reportqa.schemas import SearchResponse
from reportqa.settings import (
    AnswerSettings,
    FusionSettings,
    Settings,
    env_value,
    env_var,
    env_vars,
    markdown_table,
    setting_names,
)

README = Path(__file__).resolve().parents[1] / "README.md"
runner = CliRunner()

# Today's tuned values, written out so the test still means something once rank/ reads the settings groups.
FUSION_DEFAULTS = {"dense": 1.0, "lexical": 0.3, "rrf_k": 10.0, "year_boost": 0.5, "sentence_weight": 0.5,
                   "english_dense": 1.0, "english_lexical": 0.7, "english_terms_per_word": 2,
                   "keyword_dense": 0.6, "keyword_lexical": 1.2,
                   "year_in_text": 1.0, "year_in_report": 0.7, "exhaustive_below": 5000, "depth": 50}
ANSWER_DEFAULTS = {"dense": 1.0, "lexical": 0.6, "figure": 0.05, "name": 0.05, "retrieval": 4.0, "year": 0.05,
                   "year_conflict": 0.15, "missing_number": 0.15, "min_coverage": 0.05, "top_passages": 5,
                   "retrieval_scale": 0.05, "section_title_credit": 0.5, "high_confidence": 0.6,
                   "medium_confidence": 0.3, "dated_pool_factor": 2}


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Settings\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "README.md has no `## Settings` section"
    return match.group(1)


# --------------------------------------------------------------------------- documentation


def test_every_setting_has_help_and_every_env_var_is_reportqa_prefixed() -> None:
    for row in Settings().describe():
        assert row.help.strip() and "\n" not in row.help, row.name
        assert row.env is None or row.env.startswith("REPORTQA_"), row.name
    assert len(env_vars()) == len({r.env for r in Settings().describe() if r.env})  # no variable used twice


@pytest.mark.parametrize("name", setting_names())
def test_every_setting_is_in_the_readme_with_its_default_and_variable(name: str) -> None:
    section = _readme_section()
    rows = [line for line in section.splitlines() if line.startswith(f"| `{name}` |")]
    assert rows, f"{name} is missing from README.md's Settings table: run `reportqa settings --markdown`"
    info = next(r for r in Settings().describe() if r.name == name)
    assert f"`{info.shown_default}`" in rows[0], f"README shows another default for {name}"
    if info.env:
        assert f"`{info.env}`" in rows[0], f"README does not name {info.env} for {name}"


def test_every_reportqa_variable_is_in_the_readme() -> None:
    section = _readme_section()
    for env in env_vars():
        assert env in section, f"{env} is not documented in README.md's Settings section"


def test_readme_table_is_the_generated_one() -> None:
    assert markdown_table() in _readme_section(), "regenerate the table with `reportqa settings --markdown`"


def test_every_reportqa_variable_read_in_the_code_is_declared() -> None:
    """A new os.environ["REPORTQA_X"] anywhere in src/ or bench/ must be declared in settings.py."""
    root = README.parent
    used: set[str] = set()
    for folder in ("src", "bench"):
        for path in (root / folder).rglob("*.py"):
            used |= set(re.findall(r"\bREPORTQA_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    assert used - set(env_vars()) == set()


# --------------------------------------------------------------------------- defaults match today's code


def test_fusion_and_answer_defaults_are_todays_tuned_values() -> None:
    """The values FusionWeights/AnswerWeights and rank/'s inline numbers had before they moved here."""
    fusion, answer = dataclasses.asdict(FusionSettings()), dataclasses.asdict(AnswerSettings())
    assert {k: fusion[k] for k in FUSION_DEFAULTS} == FUSION_DEFAULTS
    assert {k: answer[k] for k in ANSWER_DEFAULTS} == ANSWER_DEFAULTS


@pytest.mark.parametrize(("module", "constant", "key"), [
    ("reportqa.service", "MAX_QUERY_CHARS", "serve.max_query_chars"),
    ("reportqa.service", "MAX_K", "serve.max_k"),
])
def test_remaining_module_constants_agree_with_the_settings(module: str, constant: str, key: str) -> None:
    """Until a module reads its setting, its own constant must not drift from the declared default."""
    value = getattr(importlib.import_module(module), constant, None)
    if value is None:
        pytest.skip(f"{module}.{constant} is gone (the module reads {key} now)")
    assert value == Settings().get(key)


# --------------------------------------------------------------------------- overrides and environment


def test_with_overrides_parses_by_type() -> None:
    s = Settings().with_overrides([
        "answer.lexical=0.5", "fusion.rrf_k=20", "answer.top_passages=7", "serve.fast_queries=off",
        "index.ivf_nprobe_fraction=1/16", " paths.index = /tmp/idx ", "paths.model=",
    ])
    assert s.answer.lexical == 0.5 and isinstance(s.fusion.rrf_k, float) and s.fusion.rrf_k == 20.0
    assert s.answer.top_passages == 7 and isinstance(s.answer.top_passages, int)
    assert s.serve.fast_queries is False
    assert s.index.ivf_nprobe_fraction == 1 / 16
    assert s.paths.index == Path("/tmp/idx") and s.paths.model is None
    assert s.answer.dense == 1.0  # untouched fields keep their value
    assert Settings().answer.lexical == 0.6  # and the original is unchanged (frozen)
    assert s.changed() == {"answer.lexical": 0.5, "fusion.rrf_k": 20.0, "answer.top_passages": 7,
                           "serve.fast_queries": False, "index.ivf_nprobe_fraction": 0.0625,
                           "paths.index": "/tmp/idx"}


@pytest.mark.parametrize("value", ["true", "1", "YES", "on"])
def test_bool_spellings_true(value: str) -> None:
    assert Settings().with_overrides([f"serve.fast_queries={value}"]).serve.fast_queries is True


@pytest.mark.parametrize(("item", "expected"), [
    ("answer.lexicl=0.5", r"unknown setting 'answer.lexicl' \(did you mean answer.lexical\?\); valid keys: "
                          r"answer.dense, answer.lexical"),
    ("bogus.x=1", r"unknown setting 'bogus.x'; valid keys: chunking.max_chars, .*paths.cache_dir"),
    ("answer.lexical=abc", r"bad value for answer.lexical: 'abc' is not a finite number"),
    ("answer.lexical=nan", r"not a finite number"),
    ("answer.top_passages=2.5", r"bad value for answer.top_passages: '2.5' is not a whole number"),
    ("serve.fast_queries=maybe", r"is not true or false"),
    ("fusion.depth=0", r"fusion.depth must be at least 1, got 0"),
    ("answer.lexical=-1", r"answer.lexical must be at least 0"),
    ("index.backend=elastic", r"bad value for index.backend: 'elastic'; valid values: faiss, milvus"),
    ("answer.lexical", r"--set takes group.name=value"),
])
def test_with_overrides_rejects_with_one_line(item: str, expected: str) -> None:
    with pytest.raises(SettingsError, match=expected) as info:
        Settings().with_overrides([item])
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ReportQAError)  # so the CLI prints it as one line


def test_from_env_reads_the_reportqa_variables() -> None:
    s = Settings.from_env({
        "REPORTQA_FAST_QUERIES": "0", "REPORTQA_MODEL": "/models/bge", "REPORTQA_ADMIN_TOKEN": "s3cret",
        "REPORTQA_CORPUS": "/data/corpus", "REPORTQA_INDEX": "/data/index", "REPORTQA_CACHE_DIR": "/cache",
        "REPORTQA_BACKEND": "faiss", "UNRELATED": "x",
    })
    assert s.serve.fast_queries is False and s.serve.admin_token == "s3cret"
    assert s.paths == type(s.paths)(corpus=Path("/data/corpus"), index=Path("/data/index"), model="/models/bge",
                                     cache_dir=Path("/cache"))
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env({"REPORTQA_MODEL": ""}).paths.model is None  # empty = unset
    assert "serve.admin_token" not in s.changed()  # secrets never leave the process in reports


def test_from_env_names_the_variable_of_a_bad_value() -> None:
    with pytest.raises(SettingsError, match=r"REPORTQA_FAST_QUERIES \(setting serve.fast_queries\)"):
        Settings.from_env({"REPORTQA_FAST_QUERIES": "maybe"})


def test_env_value_reads_one_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTQA_CACHE_DIR", "~/rq-cache")
    monkeypatch.setenv("REPORTQA_BACKEND", "not-a-backend")  # a bad unrelated variable does not matter
    assert env_value("paths.cache_dir") == Path("~/rq-cache").expanduser()
    monkeypatch.delenv("REPORTQA_FAST_QUERIES", raising=False)
    assert env_value("serve.fast_queries") is True
    assert env_var("paths.model") == "REPORTQA_MODEL"
    with pytest.raises(SettingsError, match="not read from the environment"):
        env_var("answer.lexical")


def test_ranking_params_is_plain_json() -> None:
    params = Settings().with_overrides(["answer.lexical=0.5"]).ranking_params()
    assert set(params) == {"chunking", "fusion", "answer"}
    assert params["answer"]["lexical"] == 0.5 and params["fusion"] == dataclasses.asdict(FusionSettings())
    assert json.loads(json.dumps(params)) == params


# --------------------------------------------------------------------------- the command line


def test_settings_command_lists_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTQA_ADMIN_TOKEN", "s3cret")
    result = runner.invoke(cli.app, ["settings"])
    assert result.exit_code == 0, result.output
    for row in Settings().describe():
        assert row.name in result.output
        assert row.help in result.output
    for env in env_vars():
        assert env in result.output
    assert "s3cret" not in result.output


def test_settings_command_json_shows_current_values_and_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTQA_ADMIN_TOKEN", "s3cret")
    monkeypatch.setenv("REPORTQA_FAST_QUERIES", "0")
    result = runner.invoke(cli.app, ["settings", "--json", "--set", "answer.lexical=0.5"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert list(rows) == setting_names()
    assert rows["answer.lexical"]["value"] == 0.5 and rows["answer.lexical"]["default"] == 0.6
    assert rows["serve.fast_queries"] == {
        "name": "serve.fast_queries", "type": "bool", "value": False, "default": True,
        "env": "REPORTQA_FAST_QUERIES", "help": rows["serve.fast_queries"]["help"]}
    assert rows["serve.admin_token"]["value"] == "(set)"
    assert "s3cret" not in result.output


def test_settings_command_markdown_is_the_readme_table() -> None:
    result = runner.invoke(cli.app, ["settings", "--markdown"])
    assert result.exit_code == 0
    assert result.output.strip() == markdown_table()


def test_a_bad_set_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["reportqa", "settings", "--set", "answer.nope=1"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error: unknown setting 'answer.nope'") and "answer.lexical" in err


class _FakeService:
    """Stands in for QAService: records what the CLI built it with."""

    made: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, root: Path, embedder: object, *, settings: Settings | None = None) -> None:
        self.settings = settings
        _FakeService.made.append({"root": root, "settings": settings})

    def search(self, q: str, k: int = 10, doc: str | None = None, year: int | None = None, *,
               mode: str = "hybrid") -> SearchResponse:
        return SearchResponse(query=q, normalized_query=q, no_answer=True, no_answer_reason="fake", answer=None,
                              results=[], timings_ms={})


@pytest.fixture
def fake_service(monkeypatch: pytest.MonkeyPatch) -> type[_FakeService]:
    import reportqa.embedding.sbert
    import reportqa.service

    _FakeService.made = []
    monkeypatch.setattr(reportqa.service, "QAService", _FakeService)
    monkeypatch.setattr(reportqa.embedding.sbert, "load_embedder", lambda model=None: object())
    return _FakeService


def test_ask_passes_set_settings_to_the_service(fake_service: type[_FakeService], tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["ask", "技术合同成交额", "--index", str(tmp_path), "--json",
                                     "--set", "answer.lexical=0.5", "--set", "fusion.rrf_k=20"])
    assert result.exit_code == 0, result.output
    settings = fake_service.made[-1]["settings"]
    assert settings.answer.lexical == 0.5 and settings.fusion.rrf_k == 20.0
    assert json.loads(result.output)["no_answer"] is True


def test_ask_without_set_passes_the_environment_settings(fake_service: type[_FakeService], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTQA_FAST_QUERIES", "0")
    result = runner.invoke(cli.app, ["ask", "技术合同成交额", "--index", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert fake_service.made[-1]["settings"] == Settings.from_env()


def test_ask_with_a_bad_set_fails_before_loading_anything(fake_service: type[_FakeService], tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["ask", "技术合同成交额", "--index", str(tmp_path), "--set", "fusion.rrf_k=x"])
    assert isinstance(result.exception, SettingsError)
    assert fake_service.made == []


def test_eval_set_runs_a_grid_point_and_reports_it(fake_service: type[_FakeService], tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "u1", "q": "2030年的技术合同成交额？", "kind": "unanswerable",
                                     "answers": []}, ensure_ascii=False) + "\n", encoding="utf-8")
    args = ["eval", str(questions), "--index", str(tmp_path), "--set", "answer.min_coverage=0.2"]
    result = runner.invoke(cli.app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["settings"] == {"answer.min_coverage": 0.2}
    assert report["overall"]["abstain_unanswerable"] == 1.0
    assert fake_service.made[-1]["settings"].answer.min_coverage == 0.2

    text = runner.invoke(cli.app, args)
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[0] == "mode=hybrid k=10 answer.min_coverage=0.2"
