"""Every tuning number and every `REPORTQA_*` variable, declared once.

Weights tuned on the dev set used to live as dataclass defaults and inline
literals in a dozen modules, so trying another value meant editing code and a
reader could not tell which numbers were knobs. Here each setting is one
dataclass field carrying its default, one line of help and, where the
environment can set it, its variable name. Everything else derives from these
declarations: `reportqa settings` prints them, `--set group.name=value` on
`ask`/`eval` changes them for one run (a grid point without an edit), the
README's Settings table is generated from them and a test checks it is
complete, and `ranking_params()` is what an index manifest records so a
result can be traced to the numbers that produced it.

The model is datasette's SETTINGS; dataclasses rather than a flat list
because the consumers take one group each (the retriever its fusion
weights, the extractor its answer weights) and a typed attribute
(`settings.answer.lexical`) is checked by mypy where a string key is not.

This module imports only the standard library and `reportqa.errors`, so any
stage can read it without import cycles.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import os
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from reportqa.errors import SettingsError

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def setting(
    default: Any,
    help_text: str,
    *,
    env: str | None = None,
    minimum: float | None = None,
    choices: tuple[str, ...] | None = None,
    secret: bool = False,
) -> Any:
    """Declare one setting: a dataclass field whose metadata says how to document, read and check it.

    `minimum` and `choices` are checked whenever a group is built, so a bad
    `--set` or environment value fails at start-up with its name, not deep in
    a query. `secret` values are never printed.
    """
    meta: dict[str, Any] = {"help": help_text}
    if env is not None:
        meta["env"] = env
    if minimum is not None:
        meta["minimum"] = minimum
    if choices is not None:
        meta["choices"] = choices
    if secret:
        meta["secret"] = True
    return field(default=default, metadata=meta)


class _Group:
    """Shared checks of every settings group; each group is a frozen dataclass."""

    def __post_init__(self) -> None:
        group = _GROUP_NAMES.get(type(self), type(self).__name__)
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            key = f"{group}.{f.name}"
            minimum = f.metadata.get("minimum")
            if minimum is not None and value is not None and value < minimum:
                raise SettingsError(f"{key} must be at least {_show(minimum)}, got {_show(value)}")
            choices = f.metadata.get("choices")
            if choices is not None and value not in choices:
                raise SettingsError(f"{key} must be one of {', '.join(choices)}, got {value!r}")


@dataclass(frozen=True)
class ChunkingSettings(_Group):
    """How reports are cut into passages and sentences; a change needs `reportqa build --force`."""

    max_chars: int = setting(
        450, "Longest chunk in characters; e5 truncates past 512 tokens (about 0.8 token per Chinese char).",
        minimum=1)
    merge_below: int = setting(
        80, "Neighbouring paragraphs of one section are merged while the chunk is shorter than this.", minimum=0)
    new_topic_min_chars: int = setting(
        60, "A bold lead-in starts a new chunk once the current one has at least this many characters.",
        minimum=0)
    min_sentence_chars: int = setting(
        6, "Shorter fragments (a month line like `1月`) are joined to the next sentence.", minimum=1)
    max_file_mb: float = setting(
        100.0, "A report file larger than this (MB) is skipped with a message instead of stalling the build.",
        minimum=0)


@dataclass(frozen=True)
class FusionSettings(_Group):
    """Hybrid retrieval: weighted reciprocal-rank fusion of the dense and BM25 legs, then a year prior."""

    dense: float = setting(1.0, "Weight of the dense (e5) leg in the rank fusion.", minimum=0)
    lexical: float = setting(0.3, "Weight of the lexical (BM25) leg in the rank fusion.", minimum=0)
    rrf_k: float = setting(10.0, "Reciprocal-rank constant: a leg's rank r adds weight / (rrf_k + r + 1).",
                           minimum=0)
    year_boost: float = setting(0.5, "A passage's fused score is multiplied by 1 + year_boost × year affinity.",
                                minimum=0)
    sentence_weight: float = setting(
        0.5, "A passage's dense score adds this times its best sentence's similarity.", minimum=0)
    english_dense: float = setting(1.0, "Dense-leg weight for English questions.", minimum=0)
    english_lexical: float = setting(
        0.7, "Lexical-leg weight for English questions (their glossary's Chinese terms are searched; "
        "the English words are noise).", minimum=0)
    english_terms_per_word: int = setting(
        2, "Chinese words (CC-CEDICT's, kept to the corpus's) an English question word is bridged to.", minimum=0)
    keyword_dense: float = setting(0.6, "Dense-leg weight for short keyword queries.", minimum=0)
    keyword_lexical: float = setting(1.2, "Lexical-leg weight for short keyword queries.", minimum=0)
    year_in_text: float = setting(1.0, "Year affinity of a passage whose own text names the asked year.",
                                  minimum=0)
    year_in_report: float = setting(
        0.7, "Year affinity of a passage whose report covers the asked year but whose text does not name it.",
        minimum=0)
    exhaustive_below: int = setting(
        5000, "Below this many chunks the dense leg rescores every chunk instead of the vector index's top.",
        minimum=0)
    depth: int = setting(50, "Candidates taken from each leg before fusion.", minimum=1)
    dense_overfetch: int = setting(
        2, "Above exhaustive_below, the vector index returns depth × this for sentence rescoring.", minimum=1)


@dataclass(frozen=True)
class AnswerSettings(_Group):
    """Choosing the answer sentence among the top passages, and when to abstain."""

    dense: float = setting(1.0, "Weight of a sentence's e5 similarity to the question.", minimum=0)
    lexical: float = setting(0.6, "Weight of the IDF-weighted share of the question's words in the sentence.",
                             minimum=0)
    figure: float = setting(0.05, "Bonus for a sentence holding a figure when the question asks how many.",
                            minimum=0)
    name: float = setting(0.05, "Bonus for a quoted name or title when the question asks for a name.",
                          minimum=0)
    retrieval: float = setting(4.0, "Weight of the passage's fused retrieval score (relative to the best).",
                               minimum=0)
    year: float = setting(0.05, "Weight of the passage's year affinity.", minimum=0)
    year_conflict: float = setting(0.15, "Penalty for a sentence dated to other years than the asked ones.",
                                   minimum=0)
    missing_number: float = setting(
        0.15, "Penalty when the passage lacks a number the question pins (`第18届`).", minimum=0)
    min_coverage: float = setting(
        0.05, "Abstain when the best sentence covers less than this share of the question's words.", minimum=0)
    record_label: float = setting(
        0.5, "Bonus for a reply's record or contact line whose label the question names (`联系人是谁？`).",
        minimum=0)
    top_passages: int = setting(5, "Passages whose sentences compete for the answer.", minimum=1)
    panel_extra_passages: int = setting(
        2, "Passages of an infographic run whose head panel names the edition a question asks (`第17届`) read "
        "beyond top_passages, whatever their rank.", minimum=0)
    quoted_extra_passages: int = setting(
        2, "Passages holding a name the question quotes (`“3+365”`) read beyond top_passages, whatever their rank.",
        minimum=0)
    retrieval_scale: float = setting(0.05, "Scale applied to the retrieval term on top of its weight.",
                                     minimum=0)
    section_title_credit: float = setting(
        0.5, "Credit for a question word found only in the passage's section titles.", minimum=0)
    high_clause_measure: float = setting(
        0.7, "Share of the measure's words (IDF-weighted) the clause holding the asked value must name for a "
        "high-confidence answer.", minimum=0)
    high_confidence: float = setting(0.6, "Word coverage at or above which an answer's confidence is high.",
                                     minimum=0)
    medium_confidence: float = setting(
        0.3, "Word coverage at or above which an answer's confidence is medium (else low).", minimum=0)
    dated_pool_factor: int = setting(
        2, "For a dated question, passages about the year are sought among top_passages × this.", minimum=1)
    verify: bool = setting(True, "Check that the answer sentence carries the asked measure, kind of value and year.")
    min_measure: float = setting(
        0.5, "Share (IDF-weighted) of the asked measure's words an answer sentence or its headings must hold.",
        minimum=0)
    measure_idf: float = setting(
        2.0, "A measure word this rare (BM25 idf) found in the sentence is enough to name the measure.", minimum=0)
    english_min_measure: float = setting(
        0.0, "An English question's asked thing (`how many X`): share (IDF-weighted) of its words, through their "
        "Chinese renderings, an answer sentence or its headings must exceed (0: at least one of them).", minimum=0)
    english_min_question: float = setting(
        0.2, "An English count question's other words (`how many projects had the future industry fund invested "
        "in`: future industry, fund): share (IDF-weighted), through their Chinese renderings, an answer sentence "
        "or its headings must hold, beside its asked thing.", minimum=0)
    english_check_terms: int = setting(
        4, "Chinese renderings per English word the answer check accepts (any one of them names the word).",
        minimum=1)
    max_parts: int = setting(6, "Most parts (years, places) of one question answered; the rest are listed missing.",
                             minimum=1)
    heading_chars: int = setting(
        24, "A section heading this short may name the measure for the sentences under it.", minimum=0)
    verify_candidates: int = setting(30, "Best-scored sentences tried, in order, until one passes the checks.",
                                     minimum=1)
    timeline_passages: int = setting(
        80, "Passages (lexical leg, whole corpus) whose sentences are searched for a measure's timeline.", minimum=1)
    timeline_min_measure: float = setting(
        0.7, "Share (IDF-weighted) of the measure's words a figure's own clause must hold to join a timeline.",
        minimum=0)


@dataclass(frozen=True)
class IndexSettings(_Group):
    """The vector index and how a build embeds the corpus."""

    backend: str = setting("faiss", "Index engine: local FAISS + BM25 files, or a Milvus server or cluster.",
                           env="REPORTQA_BACKEND", choices=("faiss", "milvus"))
    milvus_uri: str | None = setting(
        None, "Milvus to use with backend milvus: http://host:19530 (server, cluster) or a local path (embedded "
        "Milvus Lite; unset: milvus.db in the index folder).", env="REPORTQA_MILVUS_URI")
    milvus_token: str | None = setting(
        None, "Token (user:password or API key) for an authenticated Milvus.", env="REPORTQA_MILVUS_TOKEN",
        secret=True)
    milvus_collection: str = setting(
        "reportqa", "Prefix of the Milvus collections and alias of one index (letters, digits, _).")
    milvus_timeout_s: float = setting(10.0, "Seconds one Milvus call may take before the server answers 503.",
                                      minimum=0.1)
    milvus_grace_s: float = setting(
        300.0, "A replaced Milvus version is dropped this long after the switch (other servers finish with it).",
        minimum=0)
    milvus_cache_chunks: int = setting(
        20_000, "Chunks whose text and sentence vectors a Milvus-backed server keeps in memory (LRU).", minimum=1)
    ann_threshold: int = setting(
        50_000, "From this many chunks on, an approximate index replaces exact search.", minimum=1)
    ann_kind: str = setting("ivf", "Approximate index used above ann_threshold (IVF builds 1M in minutes).",
                            choices=("ivf", "hnsw"))
    ivf_nlist_factor: float = setting(4.0, "IVF inverted lists = this × √(number of chunks).", minimum=0)
    ivf_nprobe_fraction: float = setting(0.1, "Share of IVF lists visited per query (recall@10 ≈ 0.96 at 1M).",
                                         minimum=0)
    ivf_min_nprobe: int = setting(32, "Fewest IVF lists visited per query.", minimum=1)
    ivf_train_per_list: int = setting(64, "Training vectors per IVF list (faiss wants at least 39).", minimum=1)
    hnsw_m: int = setting(32, "HNSW graph degree M.", minimum=2)
    hnsw_ef_construction: int = setting(80, "HNSW efConstruction (build-time search width).", minimum=1)
    hnsw_ef_search: int = setting(128, "HNSW efSearch (query-time search width).", minimum=1)
    embed_slice: int = setting(
        512, "Texts embedded between cache saves, so a killed build keeps most of its work.", minimum=1)
    build_batch_size: int = setting(32, "Encoder batch size of `reportqa build`.", minimum=1)
    rebuild_batch_size: int = setting(
        8, "Encoder batch size of a server's in-process rebuild (small: searches share the encoder).", minimum=1)


@dataclass(frozen=True)
class ServeSettings(_Group):
    """Answering requests: input limits, hot reload, question batching, admin access."""

    max_query_chars: int = setting(500, "Longest accepted query, in characters.", minimum=1)
    max_k: int = setting(50, "Most passages one search may return.", minimum=1)
    max_upload_mb: float = setting(
        50.0, "Largest report file (MB) one upload to POST /api/documents may carry; larger ones get 413.",
        minimum=0.001)
    reload_interval_s: float = setting(1.0, "Seconds between a server's checks for a newly built index.",
                                       minimum=0.01)
    max_batch: int = setting(16, "Most concurrent questions encoded in one call.", minimum=1)
    max_query_tokens: int = setting(
        128, "Encoder tokens of a question that are embedded; the rest is cut (BM25 and answers still see it).",
        minimum=1)
    long_query_tokens: int = setting(
        48, "Questions with more encoder tokens are encoded on their own, never padded into a short batch.",
        minimum=1)
    long_query_share: float = setting(
        0.2, "Most of the encoder's recent time long questions get while short ones wait.", minimum=0.01)
    max_searches_per_client: int = setting(
        4, "Searches one client (remote address) may have in flight; more get 429 with Retry-After.", minimum=1)
    admin_max_failures: int = setting(
        5, "Wrong admin tokens one client may send per admin_failure_window_s before it gets 429.", minimum=1)
    admin_failure_window_s: float = setting(
        60.0, "Window (seconds) over which wrong admin tokens are counted; also the longest back-off.",
        minimum=0.01)
    min_admin_token_chars: int = setting(
        16, "A shorter REPORTQA_ADMIN_TOKEN is accepted but logged as a warning at start-up.", minimum=1)
    admin_token: str | None = setting(
        None, "Bearer token for POST /api/index/rebuild; rebuilding through the API is off while unset.",
        env="REPORTQA_ADMIN_TOKEN", secret=True)
    fast_queries: bool = setting(
        True, "Encode questions with ONNX Runtime when the model allows it (0 = always PyTorch).",
        env="REPORTQA_FAST_QUERIES")


@dataclass(frozen=True)
class PathSettings(_Group):
    """Where the reports, the index, the model and the per-machine cache live."""

    # RUF009 cannot tell that `setting` returns a `field`; a Path default is immutable anyway.
    corpus: Path = setting(  # noqa: RUF009
        Path("corpus"), "Folder of report files and reports.toml.", env="REPORTQA_CORPUS")
    index: Path = setting(Path("index"), "Index folder.", env="REPORTQA_INDEX")  # noqa: RUF009
    model: str | None = setting(
        None, "A local sentence-transformers model directory (unset: the bundled e5-small).",
        env="REPORTQA_MODEL")
    cache_dir: Path | None = setting(  # noqa: RUF009
        None, "Where the converted model is kept (unset: ~/.cache/reportqa).", env="REPORTQA_CACHE_DIR")


_GROUP_NAMES: dict[type, str] = {
    ChunkingSettings: "chunking",
    FusionSettings: "fusion",
    AnswerSettings: "answer",
    IndexSettings: "index",
    ServeSettings: "serve",
    PathSettings: "paths",
}

_G = TypeVar("_G", bound=_Group)


@dataclass(frozen=True)
class SettingInfo:
    """One row of `Settings.describe()`: what `reportqa settings` and the README show."""

    name: str
    type: str
    value: Any
    default: Any
    env: str | None
    help: str
    secret: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: paths as strings, a secret's value reduced to whether it is set."""
        value = ("(set)" if self.value is not None else None) if self.secret else _jsonable(self.value)
        return {"name": self.name, "type": self.type, "value": value, "default": _jsonable(self.default),
                "env": self.env, "help": self.help}

    @property
    def shown_value(self) -> str:
        """The current value as text; a secret only says whether it is set."""
        if self.secret:
            return "(set)" if self.value is not None else "(unset)"
        return _show(self.value)

    @property
    def shown_default(self) -> str:
        return _show(self.default)


@dataclass(frozen=True)
class Settings:
    """All settings, one group per pipeline stage."""

    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    fusion: FusionSettings = field(default_factory=FusionSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    paths: PathSettings = field(default_factory=PathSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, overridden by every `REPORTQA_*` variable that is set and not empty."""
        environ = os.environ if environ is None else environ
        changes: dict[str, dict[str, Any]] = {}
        for group, f in _all_fields():
            env = f.metadata.get("env")
            raw = environ.get(env) if env else None
            if raw:
                changes.setdefault(group, {})[f.name] = _parse(f"{group}.{f.name}", raw, _field_type(group, f),
                                                               f.metadata, source=env)
        return cls()._replace(changes)

    def with_overrides(self, items: Iterable[str]) -> Settings:
        """These settings with `group.name=value` items applied, each parsed by its field's type.

        An unknown name or a value of the wrong type raises `SettingsError`
        with a one-line message naming what is valid.
        """
        changes: dict[str, dict[str, Any]] = {}
        for item in items:
            key, sep, raw = item.partition("=")
            key, raw = key.strip(), raw.strip()
            if not sep or not key:
                raise SettingsError(f"--set takes group.name=value, got '{item}'; see `reportqa settings`")
            group, f = _lookup(key)
            changes.setdefault(group, {})[f.name] = _parse(key, raw, _field_type(group, f), f.metadata)
        return self._replace(changes)

    def _replace(self, changes: Mapping[str, Mapping[str, Any]]) -> Settings:
        groups = {name: dataclasses.replace(getattr(self, name), **values) for name, values in changes.items()}
        return dataclasses.replace(self, **groups)

    def get(self, key: str) -> Any:
        """A setting by its `group.name`."""
        group, f = _lookup(key)
        return getattr(getattr(self, group), f.name)

    def describe(self) -> list[SettingInfo]:
        """Every setting in declaration order, with its current value, default, variable and help."""
        rows: list[SettingInfo] = []
        for group, f in _all_fields():
            rows.append(SettingInfo(
                name=f"{group}.{f.name}", type=_type_name(_field_type(group, f)),
                value=getattr(getattr(self, group), f.name), default=f.default,
                env=f.metadata.get("env"), help=f.metadata["help"], secret=bool(f.metadata.get("secret")),
            ))
        return rows

    def changed(self) -> dict[str, Any]:
        """`group.name` → value of every setting that differs from its default (secrets left out)."""
        return {row.name: _jsonable(row.value) for row in self.describe()
                if row.value != row.default and not row.secret}

    def ranking_params(self) -> dict[str, dict[str, Any]]:
        """The numbers that decide what a question gets back, for an index manifest or an eval report.

        Chunking is included because it shapes what can be retrieved at all.
        """
        return {name: {k: _jsonable(v) for k, v in dataclasses.asdict(getattr(self, name)).items()}
                for name in ("chunking", "fusion", "answer")}


def env_value(key: str, environ: Mapping[str, str] | None = None) -> Any:
    """One environment-backed setting, read now; for modules that need a single variable.

    Reading only the one variable keeps a bad value elsewhere from breaking an
    unrelated caller.
    """
    group, f = _lookup(key)
    env = f.metadata.get("env")
    if env is None:
        raise SettingsError(f"{key} is not read from the environment")
    raw = (os.environ if environ is None else environ).get(env)
    if not raw:
        return f.default
    value = _parse(key, raw, _field_type(group, f), f.metadata, source=env)
    # Build the group so the value passes the same range checks as everywhere else.
    dataclasses.replace(_GROUP_CLASSES[group](), **{f.name: value})
    return value


def env_var(key: str) -> str:
    """The environment variable of a setting, e.g. `env_var("paths.model")` → `REPORTQA_MODEL`."""
    _, f = _lookup(key)
    env = f.metadata.get("env")
    if env is None:
        raise SettingsError(f"{key} is not read from the environment")
    return str(env)


def env_vars() -> dict[str, str]:
    """Every `REPORTQA_*` variable → the setting it sets."""
    return {f.metadata["env"]: f"{group}.{f.name}" for group, f in _all_fields() if "env" in f.metadata}


def setting_names() -> list[str]:
    """Every `group.name`, in declaration order."""
    return [f"{group}.{f.name}" for group, f in _all_fields()]


def markdown_table(settings: Settings | None = None) -> str:
    """The README's Settings table (regenerate with `reportqa settings --markdown`)."""
    rows = (settings or Settings()).describe()
    lines = ["| Setting | Default | Environment | What it does |", "|---|---|---|---|"]
    for r in rows:
        env = f"`{r.env}`" if r.env else ""
        help_text = r.help.replace("|", "\\|")
        lines.append(f"| `{r.name}` | `{r.shown_default}` | {env} | {help_text} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- internals

_GROUP_CLASSES: dict[str, type[_Group]] = {name: cls for cls, name in _GROUP_NAMES.items()}


def _all_fields() -> list[tuple[str, dataclasses.Field[Any]]]:
    return [(name, f) for name, cls in _GROUP_CLASSES.items() for f in dataclasses.fields(cls)]  # type: ignore[arg-type]


def _lookup(key: str) -> tuple[str, dataclasses.Field[Any]]:
    """The group and field of `group.name`, or a one-line error naming the valid keys."""
    group, _, name = key.partition(".")
    cls = _GROUP_CLASSES.get(group)
    if cls is not None:
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name == name:
                return group, f
    valid = [k for k in setting_names() if k.startswith(f"{group}.")] if cls else setting_names()
    close = difflib.get_close_matches(key, setting_names(), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise SettingsError(f"unknown setting '{key}'{hint}; valid keys: {', '.join(valid)}")


def _field_type(group: str, f: dataclasses.Field[Any]) -> Any:
    """The field's annotation as a type (they are strings under `from __future__ import annotations`)."""
    return _hints(_GROUP_CLASSES[group])[f.name]


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if args:
        return f"{args[0].__name__} | None"
    return str(tp.__name__)


def _parse(key: str, raw: str, tp: Any, meta: Mapping[str, Any], *, source: str | None = None) -> Any:
    """Text → the field's type, or a one-line `SettingsError` saying what was expected."""
    where = f"{source} (setting {key})" if source else key
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if args:  # Optional[X]: empty text means "unset"
        if raw == "":
            return None
        tp = args[0]
    choices = meta.get("choices")
    if choices is not None and raw not in choices:
        raise SettingsError(f"bad value for {where}: '{raw}'; valid values: {', '.join(choices)}")
    try:
        if tp is bool:
            low = raw.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError
        if tp is int:
            return int(raw)
        if tp is float:
            value = float(Fraction(raw)) if "/" in raw else float(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
        if tp is Path:
            return Path(raw).expanduser()
        return str(raw)
    except (ValueError, ZeroDivisionError):
        expected = {bool: "true or false (1/0, yes/no, on/off)", int: "a whole number",
                    float: "a finite number"}.get(tp, tp.__name__)
        raise SettingsError(f"bad value for {where}: '{raw}' is not {expected}") from None


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    return str(value)


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value
