"""The HTTP API and the web page, served by `reportqa serve`.

The index and the model load in a background thread so `/api/health` can say
503 while the server warms up; a poller swaps in indexes published by other
processes. Every error a user can cause is a 4xx with a one-line `detail`.

This module only assembles the app: middleware (security headers and a JSON
access log on every response, errors included), the exception handlers that
turn errors into that one-line `detail`, the routers of `reportqa.web.routes`
and the page. Endpoints live in their router modules and get what they need
through `reportqa.web.deps`; a new endpoint is one new module in `ROUTERS`.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from reportqa.embedding.base import Embedder
from reportqa.errors import InvalidQueryError, ReportQAError
from reportqa.schemas import ErrorBody
from reportqa.service import QAService
from reportqa.settings import ServeSettings, Settings
from reportqa.web.deps import AppState
from reportqa.web.routes import admin, documents, health, search

# The page ships inside the package (package data), so an installed wheel serves it too.
WEB_DIR = Path(__file__).resolve().parent / "static"
# In this order in OpenAPI; the page's static mount at "/" comes after all of them.
ROUTERS: tuple[APIRouter, ...] = (health.router, search.router, documents.router, admin.router)
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
    reload_interval_s: float = ServeSettings().reload_interval_s
    admin_token: str | None = None
    # Ranking, serving and rebuild settings (the CLI passes `Settings.from_env()` plus `--set`).
    settings: Settings = field(default_factory=Settings)
    cors_origins: list[str] = field(default_factory=list)
    web_dir: Path = WEB_DIR


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
        service = QAService(settings.index_root, embedder, settings=settings.settings)
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


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape of the API: `{"detail": "<one line>"}`."""
    return JSONResponse(ErrorBody(detail=detail).model_dump(), status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where}: {err.get('msg', 'invalid value')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


async def _headers_and_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Security headers and one JSON access-log line on every response, the 500 of a bug included."""
    started = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception:  # never a traceback to the client
        log.exception("unhandled error")
        response = error_response(500, "internal error")
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    log.info(json.dumps({
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S"), "method": request.method, "path": request.url.path,
        "status": response.status_code, "ms": round((time.perf_counter() - started) * 1000, 2),
    }))
    return response


async def _on_validation(_: Request, exc: RequestValidationError) -> Response:
    return error_response(422, _validation_message(exc))


async def _on_invalid_query(_: Request, exc: InvalidQueryError) -> Response:
    return error_response(422, str(exc))


async def _on_reportqa(_: Request, exc: ReportQAError) -> Response:
    """Any other error a user can act on (no index yet, still loading) means: not available now."""
    return error_response(503, str(exc))


async def _on_http(_: Request, exc: StarletteHTTPException) -> Response:
    """Routing's 404/405 and the routes' own 4xx in the one error shape, keeping Allow and WWW-Authenticate."""
    return error_response(exc.status_code, str(exc.detail), exc.headers)


def create_app(settings: AppSettings) -> FastAPI:
    """The FastAPI application: JSON API under /api, the web page at /."""
    _json_logger()
    state = AppState(index_root=settings.index_root, corpus_dir=settings.corpus_dir,
                     admin_token=settings.admin_token, settings=settings.settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
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

    # The last middleware added is the outermost: CORS first, so its answers get the headers and the log too.
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    app.middleware("http")(_headers_and_log)

    # Starlette picks the handler of the most specific class: InvalidQueryError (422) before ReportQAError (503).
    app.exception_handler(RequestValidationError)(_on_validation)
    app.exception_handler(InvalidQueryError)(_on_invalid_query)
    app.exception_handler(ReportQAError)(_on_reportqa)
    app.exception_handler(StarletteHTTPException)(_on_http)

    for router in ROUTERS:
        app.include_router(router)
    if settings.web_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web")
    return app
