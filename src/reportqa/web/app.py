"""The HTTP API and the web page, served by `reportqa serve`.

The index and the model load in a background thread so `/api/health` can say
503 while the server warms up; a poller swaps in indexes published by other
processes. Every error a user can cause is a 4xx with a one-line `detail`.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from reportqa.embedding.base import Embedder
from reportqa.errors import InvalidQueryError, ReportQAError
from reportqa.schemas import DocumentDetail, DocumentSummary, ErrorBody, Health, SearchResponse
from reportqa.service import MAX_K, MAX_QUERY_CHARS, QAService
from reportqa.web.rebuild import RebuildBusyError, RebuildJobs, RebuildStatus

WEB_DIR = Path(__file__).resolve().parent / "static"
_DOC_ID = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff_.-]{1,120}$")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

log = logging.getLogger("reportqa.access")


@dataclass
class AppSettings:
    """What the app needs to know; built by the CLI from flags and environment."""

    index_root: Path
    corpus_dir: Path
    load_embedder: Callable[[], Embedder]
    reload_interval_s: float = 1.0
    admin_token: str | None = None
    cors_origins: list[str] = field(default_factory=list)
    web_dir: Path = WEB_DIR


class AppState:
    """The app's one loaded index (through its service) and its readiness."""

    def __init__(self) -> None:
        self.service: QAService | None = None
        self.error: str | None = None
        self.stop = threading.Event()


def _json_logger() -> None:
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _load(settings: AppSettings, state: AppState) -> None:
    """Load model and index, warm up, then poll for newly published indexes."""
    try:
        embedder = settings.load_embedder()
        embedder.warm_up()
        service = QAService(settings.index_root, embedder)
        service.search("上海科技创新", k=3)  # first query pays faiss/torch start-up costs
        state.service = service
    except ReportQAError as exc:
        state.error = str(exc)
        log.info(json.dumps({"event": "load_failed", "error": str(exc)}, ensure_ascii=False))
        return
    log.info(json.dumps({"event": "ready", "index_version": service.engine.index.version,
                         "chunks": service.engine.index.chunk_count}))
    while not state.stop.wait(settings.reload_interval_s):
        try:
            if service.reload_if_changed():
                log.info(json.dumps({"event": "reloaded", "index_version": service.engine.index.version}))
        except ReportQAError as exc:  # a broken new version: keep serving the old one
            log.info(json.dumps({"event": "reload_failed", "error": str(exc)}, ensure_ascii=False))
        except Exception as exc:  # a bug must not stop hot reload for good
            log.info(json.dumps({"event": "reload_failed", "error": type(exc).__name__}))


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where}: {err.get('msg', 'invalid value')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def create_app(settings: AppSettings) -> FastAPI:
    """The FastAPI application: JSON API under /api, the web page at /."""
    _json_logger()
    state = AppState()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=_load, args=(settings, state), name="index-loader", daemon=True)
        thread.start()
        yield
        state.stop.set()

    app = FastAPI(
        title="reportqa",
        summary="Ask Chinese government science-and-technology reports; get the cited sentence that answers.",
        version="0.1.0",
        lifespan=lifespan,
        responses={422: {"model": ErrorBody}},
    )
    app.state.reportqa = state

    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])

    @app.middleware("http")
    async def headers_and_log(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            response: Response = await call_next(request)
        except Exception:  # never a traceback to the client
            log.exception("unhandled error")
            response = _error(500, "internal error")
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        log.info(json.dumps({
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S"), "method": request.method, "path": request.url.path,
            "status": response.status_code, "ms": round((time.perf_counter() - started) * 1000, 2),
        }))
        return response

    @app.exception_handler(RequestValidationError)
    async def on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc))

    @app.exception_handler(InvalidQueryError)
    async def on_invalid(_: Request, exc: InvalidQueryError) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(ReportQAError)
    async def on_reportqa(_: Request, exc: ReportQAError) -> JSONResponse:
        return _error(503, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    def service() -> QAService:
        if state.service is None:
            raise ReportQAError(state.error or "the index is still loading; try again in a few seconds")
        return state.service

    @app.get("/api/health", response_model=Health, responses={503: {"model": Health}})
    def health() -> Any:
        """200 once the index is loaded and the model warmed up; 503 before (or if loading failed)."""
        if state.service is None:
            body = Health(status="error" if state.error else "loading", detail=state.error)
            return JSONResponse(body.model_dump(), status_code=503)
        index = state.service.engine.index
        return Health(status="ok", index_version=index.version, chunk_count=index.chunk_count)

    @app.get("/api/search", response_model=SearchResponse)
    def search(
        q: Annotated[str, Query(description=f"The question, at most {MAX_QUERY_CHARS} characters.")],
        k: Annotated[int, Query(ge=1, le=MAX_K, description="How many passages to return.")] = 10,
        doc: Annotated[str | None, Query(description="Only this report (id from /api/documents).")] = None,
        year: Annotated[int | None, Query(description="Only reports of this year.")] = None,
    ) -> SearchResponse:
        """Answer a question: the best sentence with its citation, and the ranked passages."""
        return service().search(q, k=k, doc=doc, year=year)

    @app.get("/api/documents", response_model=list[DocumentSummary])
    def documents() -> list[DocumentSummary]:
        """The reports in the index."""
        return service().documents()

    @app.get("/api/documents/{doc_id}", response_model=DocumentDetail, responses={404: {"model": ErrorBody}})
    def document(doc_id: str) -> Any:
        """A report's sections with their text, for showing a passage in context."""
        if not _DOC_ID.match(doc_id):
            return _error(400, "invalid document id: use an id from /api/documents")
        detail = service().document(doc_id)
        if detail is None:
            return _error(404, f"unknown document '{doc_id}'; see /api/documents for the valid ids")
        return detail

    jobs = RebuildJobs(settings.corpus_dir, settings.index_root, lambda: service().embedder,
                       on_published=lambda: state.service is not None and state.service.reload_if_changed())

    def authorize(authorization: str | None) -> JSONResponse | None:
        if not settings.admin_token:
            return _error(403, "rebuilding through the API is disabled: set REPORTQA_ADMIN_TOKEN to enable it")
        if not authorization or not authorization.startswith("Bearer "):
            response = _error(401, "missing bearer token: send 'Authorization: Bearer <token>'")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if not hmac.compare_digest(authorization.removeprefix("Bearer ").strip().encode(),
                                   settings.admin_token.encode()):
            return _error(403, "invalid token")
        return None

    @app.post("/api/index/rebuild", status_code=202, response_model=RebuildStatus,
              responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 409: {"model": ErrorBody}})
    def start_rebuild(
        authorization: Annotated[str | None, Header()] = None,
        force: Annotated[bool, Query(description="Re-embed even if nothing changed.")] = False,
    ) -> Any:
        """Start rebuilding the index from the corpus in the background (admin token required)."""
        if (denied := authorize(authorization)) is not None:
            return denied
        service()
        try:
            return jobs.start(force=force)
        except RebuildBusyError as exc:
            return _error(409, str(exc))

    @app.get("/api/index/rebuild/{job_id}", response_model=RebuildStatus,
             responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}})
    def rebuild_status(job_id: str, authorization: Annotated[str | None, Header()] = None) -> Any:
        """Progress and outcome of a rebuild job."""
        if (denied := authorize(authorization)) is not None:
            return denied
        job = jobs.get(job_id)
        if job is None:
            return _error(404, f"unknown rebuild job '{job_id}'")
        return job

    if settings.web_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web")
    return app
