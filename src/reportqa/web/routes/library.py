"""The library: list the corpus folder's reports, upload new ones, edit their metadata, delete them.

`GET /api/library` reads the folder and `reports.toml` and compares each report with the
serving index, so the page can say what a rebuild would change (`pending`) and what the last
build left out (`skipped`). It never waits for the index: while it loads, or when there is
none, every report is listed as pending.

The writes (`POST /api/documents`, `PATCH`/`DELETE /api/documents/{id}`) need the admin token
and go through `reportqa.ingest.library`, which serialises them and makes each one all or
nothing. They are refused (409) while a rebuild runs: the build is reading the folder. The
upload body is parsed only after the token and the size (`Content-Length`) have been checked,
so an anonymous or oversized request costs no disk space.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from reportqa.index.base import SearchIndex
from reportqa.ingest.library import (
    MAX_YEAR,
    MIN_YEAR,
    CorpusEntry,
    Library,
    LibraryError,
    MetadataChange,
    Upload,
    accepted_suffixes,
    file_sha256,
)
from reportqa.models import ReportMeta
from reportqa.schemas import ErrorBody, LibraryAdded, LibraryDeleted, LibraryEntry, MetadataUpdate
from reportqa.web.deps import AppState, StateDep, check_doc_id, require_admin
from reportqa.web.rebuild import RebuildStatus
from reportqa.web.routes.admin import AUTH_ERRORS
from reportqa.web.routes.documents import BAD_ID, DocId

#: The fields a PATCH may set, as its refusals list them.
_EDITABLE = "title、year、publisher、kind、content_years"
_EXAMPLE_BODY = '{"year": 2024}'
_YEAR_FIELDS = ("year", "content_years")
_INT_ERRORS = {"int_type", "int_parsing", "int_from_float", "greater_than_equal", "less_than_equal",
               "greater_than", "less_than"}


def _shown_value(value: object) -> str:
    """A refused value as the client sent it (JSON), short enough for a one-line message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _validation_line(errors: Sequence[Mapping[str, Any]]) -> str:
    """FastAPI's validation errors as one Chinese line that names each field and what it must be.

    The app's own handler words them in pydantic's English ("year: Input should be less than or
    equal to 2100"), which suits the search API's clients; the library page shows every message
    as it is, in Chinese, so this router words its own (the same wording as `check_metadata`).
    """
    lines: list[str] = []
    unknown: list[str] = []
    for err in errors:
        kind = str(err.get("type", ""))
        loc = [p for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        ctx = err.get("ctx") or {}
        names = [p for p in loc if isinstance(p, str)]
        name = names[0] if names else ""
        items = [p for p in loc if isinstance(p, int)]
        field = f"{name} 的第 {items[0] + 1} 项" if name and items else f"{name} " if name else ""
        got = f"，收到 {_shown_value(err.get('input'))}"
        if kind == "json_invalid":
            line = f"请求体不是有效的 JSON：请发送 JSON 对象，如 {_EXAMPLE_BODY}"
        elif kind == "missing" and not name:
            line = f"缺少请求体：请发送 JSON 对象，如 {_EXAMPLE_BODY}"
        elif kind in ("model_attributes_type", "model_type", "dict_type"):
            line = f"请求体须为 JSON 对象，如 {_EXAMPLE_BODY}"
        elif kind == "extra_forbidden":
            unknown.append(name or "?")
            continue
        elif kind == "missing":
            line = f"缺少字段 {field.strip()}"
        elif name in _YEAR_FIELDS and kind in _INT_ERRORS:
            line = f"{field}须为 {MIN_YEAR} 到 {MAX_YEAR} 之间的整数年份（如 2024）{got}"
        elif name in _YEAR_FIELDS and kind == "list_type":
            line = f"{field}须为年份列表，如 [2023]{got}"
        elif kind == "string_type":
            line = f"{field}须为文字{got}"
        elif kind == "string_too_short":
            line = f"{field}不能为空：要清除它请传 null"
        elif kind == "string_too_long":
            line = f"{field}太长：最多 {ctx.get('max_length', '?')} 个字符"
        elif kind == "too_long":
            line = f"{field}太长：最多 {ctx.get('max_length', '?')} 项"
        else:
            line = f"{field or '请求'}的值无效{got}"
        if line not in lines:
            lines.append(line)
    if unknown:
        lines.insert(0, f"不能修改的字段：{'、'.join(unknown)}；可改 {_EDITABLE}")
    return "；".join(lines) or "请求无效：请检查后重试"


class _ChineseValidationRoute(APIRoute):
    """A route whose request validation errors are a 422 with one Chinese line (see `_validation_line`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise HTTPException(422, _validation_line(exc.errors())) from None

        return handle


router = APIRouter(route_class=_ChineseValidationRoute)

#: Most files one upload request may carry; each may be up to `serve.max_upload_mb`.
MAX_FILES_PER_UPLOAD = 20
#: Room for the multipart headers around the files in a request's Content-Length.
_MULTIPART_OVERHEAD = 1 << 20
#: The manifest key a build may record the corpus files' sha256 under (`{file name: hex digest}`); when it is
#: there a file changed after the build shows as pending, when it is not only new files and metadata changes do.
SOURCE_FILES_KEY = "source_files"

NEW_FILE = "新文件，尚未重建索引"
META_CHANGED = "元数据已修改，重建索引后生效"
CONTENT_CHANGED = "文件内容已修改，重建索引后生效"
LOADING = "索引尚未加载完成"
NO_INDEX = "还没有可用的索引：重建索引后生效"

BUSY = {409: {"model": ErrorBody, "description": "A rebuild is running, or the change collides with an existing "
                                                 "file or id, or another writer holds the folder."}}
DISK = {503: {"model": ErrorBody, "description": "The disk refused the write, or the corpus folder is missing or its "
                                                 "reports.toml is broken; nothing was changed."}}


class LibraryListing(BaseModel):
    """What the library page shows. Declared here, not in `reportqa.schemas`: it holds a `RebuildStatus`,
    whose module imports the schemas."""

    writable: bool = Field(description="Whether writes are enabled (REPORTQA_ADMIN_TOKEN is set on the server).")
    max_upload_bytes: int = Field(description="Largest file one upload may carry (setting serve.max_upload_mb).")
    formats: list[str] = Field(description="Accepted file suffixes.")
    rebuild: RebuildStatus | None = Field(description="The running rebuild, else the last one (null before the "
                                                      "first), so a reloaded page can resume its progress.")
    reports: list[LibraryEntry]


@dataclass(frozen=True)
class _IndexView:
    """What the serving index knows about each report, computed once per version."""

    version: str
    built_at: str | None
    documents: dict[str, Any]  # id -> DocumentRecord
    chunks: dict[str, int] | None
    pages: dict[str, int]
    skipped: dict[str, str]
    source_files: dict[str, str]


_VIEWS: dict[int, _IndexView] = {}


def _index_view(state: AppState) -> _IndexView | None:
    service = state.service
    if service is None:
        return None
    index = service.engine.index
    view = _VIEWS.get(id(index))
    if view is None or view.version != index.version:
        view = _make_view(index)
        _VIEWS.clear()  # one app serves one version at a time; a few test apps at most: keep the newest
        _VIEWS[id(index)] = view
    return view


def _make_view(index: SearchIndex) -> _IndexView:
    manifest = index.manifest or {}
    chunks: Counter[str] | None = None
    pages: dict[str, int] = {}
    store = index.chunks
    if hasattr(store, "__iter__"):  # the in-memory stores; a networked one would be read whole for a count
        chunks = Counter()
        for chunk in store:
            chunks[chunk.doc_id] += 1
            if chunk.page is not None:
                last = chunk.page + (1 if chunk.page_break is not None else 0)
                pages[chunk.doc_id] = max(pages.get(chunk.doc_id, 0), last)
        # Pages are told apart by the form feeds between them (ingest/loaders/pdf.py), so the chunks of a PDF
        # whose text is all on one page carry no page: its text spans exactly one.
        for doc_id, record in index.documents.items():
            if chunks[doc_id] and doc_id not in pages and Path(record.file).suffix.lower() == ".pdf":
                pages[doc_id] = 1
    rows = manifest.get("skipped", [])
    skipped = {str(r.get("file")): str(r.get("reason", "")) for r in rows if isinstance(r, dict)} \
        if isinstance(rows, list) else {}
    sources = manifest.get(SOURCE_FILES_KEY)
    return _IndexView(version=index.version, built_at=_iso(manifest.get("built_at")), documents=dict(index.documents),
                      chunks=dict(chunks) if chunks is not None else None, pages=pages, skipped=skipped,
                      source_files={str(k): str(v) for k, v in sources.items()} if isinstance(sources, dict) else {})


def _iso(value: object) -> str | None:
    """A build time as ISO 8601 with a `+08:00`-style offset (the manifest writes `+0800`)."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").isoformat()
    except ValueError:
        return value


def _mtime_iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def _listed(entry: CorpusEntry, view: _IndexView | None, state: AppState) -> LibraryEntry:
    """One report as the page shows it, with its status against the serving index."""
    meta = entry.meta
    record = view.documents.get(entry.id) if view else None
    if record is not None and record.file != entry.file:
        record = None  # the id now names another file
    status, reason = "pending", NEW_FILE
    if view is None:
        reason = NO_INDEX if state.error else LOADING
    elif entry.file in view.skipped:
        status, reason = "skipped", view.skipped[entry.file]
    elif record is not None:
        if _meta_differs(meta, record):
            reason = META_CHANGED
        elif entry.file in view.source_files and _digest(entry) not in (None, view.source_files[entry.file]):
            reason = CONTENT_CHANGED
        else:
            status, reason = "indexed", None
    shown = meta or (_record_meta(record) if record is not None else None)
    return LibraryEntry(
        id=entry.id, file=entry.file, format=entry.format, size_bytes=entry.size_bytes,
        title=shown.title if shown else None, year=shown.year if shown else None,
        publisher=(shown.publisher or None) if shown else None, kind=(shown.kind or None) if shown else None,
        content_years=list(shown.content_years) if shown else [],
        sections=record.section_count if record is not None else None,
        chunks=view.chunks.get(entry.id) if record is not None and view and view.chunks is not None else None,
        pages=view.pages.get(entry.id) if record is not None and view else None,
        added_at=_mtime_iso(entry.modified), indexed_at=view.built_at if record is not None and view else None,
        status=status, reason=reason,
    )


def _meta_differs(meta: ReportMeta | None, record: Any) -> bool:
    """Whether the next build would describe the report otherwise than the serving index does."""
    if meta is None:  # undescribed now: the build guesses; it differs when the index holds a description
        return not record.inferred
    return (record.inferred or (meta.title, meta.year, meta.publisher, meta.kind, tuple(meta.content_years))
            != (record.title, record.year, record.publisher, record.kind, tuple(record.content_years)))


def _record_meta(record: Any) -> ReportMeta:
    return ReportMeta(id=record.id, file=record.file, title=record.title, year=record.year,
                      publisher=record.publisher, kind=record.kind, content_years=tuple(record.content_years),
                      inferred=record.inferred)


def _digest(entry: CorpusEntry) -> str | None:
    try:
        return file_sha256(entry.path)
    except OSError:
        return None


def _library(state: AppState) -> Library:
    return Library(state.jobs.corpus_dir, max_upload_bytes=_max_upload_bytes(state))


def _max_upload_bytes(state: AppState) -> int:
    return int(state.jobs.settings.serve.max_upload_mb * 1_000_000)


def _refuse_while_rebuilding(state: AppState) -> None:
    job = state.jobs.latest()
    if job is not None and job.state == "running":
        raise HTTPException(409, f"正在重建索引（任务 {job.job_id}）：请等重建完成后再修改报告库")


def _http(exc: LibraryError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


@router.get("/api/library", response_model=LibraryListing, responses=DISK)
def library(state: StateDep) -> LibraryListing:
    """The corpus folder's reports with their status against the serving index (no token needed)."""
    view = _index_view(state)
    entries = _library(state).entries()
    return LibraryListing(writable=bool(state.admin_token), max_upload_bytes=_max_upload_bytes(state),
                          formats=accepted_suffixes(), rebuild=state.jobs.latest(),
                          reports=[_listed(e, view, state) for e in entries])


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["files"],
            "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                     "description": f"One to {MAX_FILES_PER_UPLOAD} report files."}},
        }}},
    },
}


@router.post("/api/documents", status_code=201, response_model=LibraryAdded, openapi_extra=_UPLOAD_BODY,
             dependencies=[Depends(require_admin)],
             responses={**AUTH_ERRORS, **BUSY, **DISK,
                        400: {"model": ErrorBody, "description": "An unsafe file name, or no file."},
                        411: {"model": ErrorBody, "description": "No Content-Length header."},
                        413: {"model": ErrorBody, "description": "A file over serve.max_upload_mb."},
                        415: {"model": ErrorBody, "description": "An unsupported suffix, or content that does "
                                                                 "not match it."}})
async def upload(request: Request, state: StateDep) -> LibraryAdded:
    """Add report files to the corpus folder (multipart, parts named `files`; admin token required).

    Every file is checked first (safe name, size, content matching the suffix, no existing
    name, id or identical content); then all are written, or none. They are `pending`
    until the next rebuild.
    """
    _refuse_while_rebuilding(state)
    limit = _max_upload_bytes(state)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(411, "缺少 Content-Length：请以普通的 multipart/form-data 表单上传")
    if int(length) > MAX_FILES_PER_UPLOAD * limit + _MULTIPART_OVERHEAD:
        raise HTTPException(413, f"请求太大：一次最多上传 {MAX_FILES_PER_UPLOAD} 个文件，每个不超过 "
                                 f"{limit / 1_000_000:g} MB")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "请以 multipart/form-data 上传，文件放在名为 files 的字段中")
    try:
        form = await request.form(max_files=MAX_FILES_PER_UPLOAD, max_fields=MAX_FILES_PER_UPLOAD)
    except StarletteHTTPException as exc:  # Starlette's 400 for a malformed body or too many parts
        raise HTTPException(exc.status_code, f"无法解析上传的表单：{exc.detail}（一次最多 {MAX_FILES_PER_UPLOAD} "
                                             "个文件）") from None
    try:
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise HTTPException(400, "没有收到文件：请用名为 files 的表单字段上传")
        uploads = [Upload(name=f.filename or "", source=f.file) for f in files]
        try:
            added = await run_in_threadpool(_library(state).add, uploads)
        except LibraryError as exc:
            raise _http(exc) from None
    finally:
        await form.close()
    view = _index_view(state)
    return LibraryAdded(added=[_listed(e, view, state) for e in added])


@router.patch("/api/documents/{doc_id}", response_model=LibraryEntry, dependencies=[Depends(require_admin)],
              responses={**AUTH_ERRORS, **BAD_ID, **BUSY, **DISK,
                         422: {"model": ErrorBody, "description": "A value of the wrong type or out of range."}})
def edit(doc_id: DocId, state: StateDep,
         update: Annotated[MetadataUpdate, Body(openapi_examples={"title": {
             "summary": "New title and year", "value": {"title": "上海科技进步报告2024 · 综述", "year": 2024}}})],
         ) -> LibraryEntry:
    """Set a report's metadata in reports.toml (admin token required); `null` clears a field.

    The report is `pending` until the next rebuild; its id stays the same.
    """
    check_doc_id(doc_id)
    _refuse_while_rebuilding(state)
    view = _index_view(state)
    record = view.documents.get(doc_id) if view else None
    try:
        change = MetadataChange(update.model_dump(exclude_unset=True))
        entry = _library(state).update(doc_id, change,
                                       inferred=_record_meta(record) if record is not None and record.inferred
                                       else None)
    except LibraryError as exc:
        raise _http(exc) from None
    return _listed(entry, view, state)


@router.delete("/api/documents/{doc_id}", response_model=LibraryDeleted, dependencies=[Depends(require_admin)],
               responses={**AUTH_ERRORS, **BAD_ID, **BUSY, **DISK})
def delete(doc_id: DocId, state: StateDep) -> LibraryDeleted:
    """Delete a report (admin token required): its file moves to the corpus folder's `.trash/`, its
    reports.toml entry is removed. Answers keep citing it until the next rebuild."""
    check_doc_id(doc_id)
    _refuse_while_rebuilding(state)
    try:
        _library(state).delete(doc_id)
    except LibraryError as exc:
        raise _http(exc) from None
    return LibraryDeleted(deleted=doc_id)
