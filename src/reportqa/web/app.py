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
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Match

from reportqa.embedding.base import Embedder
from reportqa.errors import InvalidQueryError, ReportQAError
from reportqa.schemas import ErrorBody
from reportqa.service import QAService
from reportqa.settings import ServeSettings, Settings
from reportqa.web.assets import PageFiles
from reportqa.web.deps import AppState
from reportqa.web.docs import docs_router
from reportqa.web.routes import admin, documents, health, indicator, library, search

# The page ships inside the package (package data), so an installed wheel serves it too.
WEB_DIR = Path(__file__).resolve().parent / "static"
# In this order in OpenAPI; the page's static mount at "/" comes after all of them.
ROUTERS: tuple[APIRouter, ...] = (health.router, search.router, indicator.router, documents.router, library.router,
                                  admin.router)
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
    """Load model and index, warm up, then poll for newly published indexes.

    Every failure ends in a visible state, never an endless "loading": `state.error` holds a
    one-line reason that health (503) and every endpoint report. An index that fails to load
    is tried again only once `CURRENT` changes, so a server started on a damaged or missing
    index serves as soon as `reportqa build` has repaired it, without a restart. A broken
    newer version is logged once and the loaded one keeps serving (`reload_if_changed`).
    """
    from reportqa.errors import BackendUnavailableError, os_error_message
    from reportqa.index.base import Catalog
    from reportqa.index.factory import open_catalog

    def reason(exc: Exception) -> str:
        if isinstance(exc, ReportQAError):
            return " ".join(str(exc).split())
        if isinstance(exc, OSError):
            return os_error_message(exc)
        return f"loading the index failed unexpectedly ({type(exc).__name__}); see the server log"

    def failed(event: str, exc: Exception) -> str:
        message = reason(exc)
        if not isinstance(exc, ReportQAError | OSError):  # a bug: its traceback goes to the log, not the client
            log.error(json.dumps({"event": event, "error": message}), exc_info=exc)
        else:
            log.info(json.dumps({"event": event, "error": message}, ensure_ascii=False))
        return message

    catalogs: list[Catalog] = []  # opened once, on the first poll

    def pointer() -> str:
        """What CURRENT says now (or why it cannot be read): a retry waits until this changes."""
        try:
            if not catalogs:
                catalogs.append(open_catalog(settings.index_root, settings.settings.index.backend))
            return str(catalogs[0].current_version())
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    try:
        embedder = settings.load_embedder()
        embedder.warm_up()
    except Exception as exc:
        state.error = failed("load_failed", exc)
        return
    service: QAService | None = None
    failed_on: str | None = None  # CURRENT's value when the last load failed
    while True:
        if service is None:
            seen = pointer()
            if seen != failed_on:
                try:
                    candidate = QAService(settings.index_root, embedder, settings=settings.settings)
                    candidate.search("上海科技创新", k=3)  # first query pays faiss/torch start-up costs
                except Exception as exc:
                    # An engine that is unreachable for now (a Milvus server) is tried again at every poll.
                    failed_on = None if isinstance(exc, BackendUnavailableError) else seen
                    state.error = failed("load_failed", exc)
                else:
                    service = state.service = candidate
                    state.error = None
                    log.info(json.dumps({"event": "ready", "index_version": service.engine.index.version,
                                         "chunks": service.engine.index.chunk_count}))
        else:
            try:
                if service.reload_if_changed():
                    log.info(json.dumps({"event": "reloaded", "index_version": service.engine.index.version}))
            except Exception as exc:  # a broken new version (logged once): keep serving the old one
                failed("reload_failed", exc)
        if state.stop.wait(settings.reload_interval_s):
            return


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape of the API: `{"detail": "<one line>"}`."""
    return JSONResponse(ErrorBody(detail=detail).model_dump(), status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where}: {err.get('msg', 'invalid value')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def _query_string_error(request: Request) -> str | None:
    """Why the raw query string cannot be read as UTF-8, or None.

    Starlette decodes percent-escapes with errors="replace", so `q=%FF` would reach
    the search as U+FFFD, a question nobody asked; it is refused here instead.
    """
    raw: bytes = request.scope.get("query_string", b"")
    for pair in raw.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                name = pair.split(b"=", 1)[0].decode("ascii", "replace")
                return f"the query string is not valid UTF-8 (in '{name}'): percent-encode the text as UTF-8"
    return None


def _api_allow(request: Request) -> str | None:
    """The `Allow` header for an /api path that exists but not for this method; None otherwise.

    The page's static mount at "/" matches every path, so without this a `DELETE
    /api/search` would reach it and get its "Allow: GET, HEAD" instead of the API's.
    Where a literal path and a templated one both match (`/api/documents/skipped` and
    `/api/documents/{doc_id}`), the literal one is the resource: only its methods count.
    """
    if not request.url.path.startswith("/api/"):
        return None
    methods: dict[str, set[str]] = {}  # by path template, in declaration order
    full: set[str] = set()
    for route in (r for router in ROUTERS for r in router.routes):  # the routers declare full paths
        if isinstance(route, APIRoute):
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods.setdefault(route.path_format, set()).update(route.methods)
            if match is Match.FULL:
                full.add(route.path_format)
    if not methods:
        return None
    resource = min(methods, key=lambda path: path.count("{"))
    return None if resource in full else ", ".join(sorted(methods[resource]))


def _cors_preflight(request: Request) -> bool:
    """A browser's CORS preflight to an app with CORS origins: the CORSMiddleware inside answers it, not a 405."""
    return (request.method == "OPTIONS" and "access-control-request-method" in request.headers
            and bool(getattr(request.app.state, "cors_origins", None)))


async def _headers_and_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Security headers and one JSON access-log line on every response, the 500 of a bug included."""
    started = time.perf_counter()
    try:
        bad_query = _query_string_error(request)
        allow = None if bad_query or _cors_preflight(request) else _api_allow(request)
        if bad_query:
            response = error_response(400, bad_query)
        elif allow:
            response = error_response(405, "Method Not Allowed", {"Allow": allow})
        else:
            response = await call_next(request)
    except Exception:  # never a traceback to the client
        log.exception("unhandled error")
        response = error_response(500, "internal error")
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    response.headers.setdefault("Cache-Control", "no-cache")  # API answers change with the index; assets set theirs
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


def _warn_short_token(token: str | None, min_chars: int) -> None:
    """One JSON log line at start-up when the admin token is short enough to guess.

    A short token still works (refusing to start would lock an operator out over a
    policy), but the back-off on wrong tokens is the only thing protecting it then.
    """
    if token and len(token) < min_chars:
        log.warning(json.dumps({
            "event": "weak_admin_token",
            "warning": f"REPORTQA_ADMIN_TOKEN has {len(token)} characters; use at least {min_chars}, e.g. "
                       "python -c 'import secrets; print(secrets.token_urlsafe(24))'",
        }))


def create_app(settings: AppSettings) -> FastAPI:
    """The FastAPI application: JSON API under /api, the web page at /."""
    _json_logger()
    _warn_short_token(settings.admin_token, settings.settings.serve.min_admin_token_chars)
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
        docs_url=None,  # FastAPI's /docs and /redoc need a CDN and an inline script: reportqa.web.docs instead
        redoc_url=None,
        responses={422: {"model": ErrorBody}},
    )
    app.state.reportqa = state

    # The last middleware added is the outermost: CORS first, so its answers get the headers and the log too.
    app.state.cors_origins = settings.cors_origins
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    app.middleware("http")(_headers_and_log)
    # Outermost: text responses (page, JS, CSS, JSON) of 500 bytes or more go out gzip-compressed.
    app.add_middleware(GZipMiddleware)

    # Starlette picks the handler of the most specific class: InvalidQueryError (422) before ReportQAError (503).
    app.exception_handler(RequestValidationError)(_on_validation)
    app.exception_handler(InvalidQueryError)(_on_invalid_query)
    app.exception_handler(ReportQAError)(_on_reportqa)
    app.exception_handler(StarletteHTTPException)(_on_http)

    for router in ROUTERS:
        app.include_router(router)
    if settings.web_dir.is_dir():
        files = PageFiles(directory=settings.web_dir)
        app.include_router(docs_router(files))
        app.mount("/", files, name="web")
    return app
