"""What the routers share, handed to them as FastAPI dependencies.

A route module never reaches into a closure or a global: it asks for the
loaded service (`ServiceDep`, which answers 503 "still loading" until the
index is ready), for the app's state (`StateDep`) or for the admin check
(`require_admin`). That is what lets a new endpoint be one new router module
registered in `create_app`, and lets several apps (tests) live in one process.

Two guards against a single client wearing the server down also live here,
because they need the client's identity (its remote address) that only the web
layer knows: `search_slot` caps the searches one client has in flight (429 with
`Retry-After` beyond it), and `require_admin` backs off a client that keeps
sending wrong admin tokens (429 with `Retry-After` until its window clears).
"""

from __future__ import annotations

import collections
import hmac
import math
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from reportqa.errors import ReportQAError
from reportqa.service import QAService
from reportqa.settings import Settings
from reportqa.text.zh import HAN_BASIC
from reportqa.web.rebuild import RebuildJobs

LOADING = "the index is still loading; try again in a few seconds"
# Seconds a client told "too many searches in flight" should wait: one search takes well under this.
SEARCH_RETRY_AFTER_S = 1
# The alphabet ingest/corpus.py makes document ids of. Ids reach the API from URLs (the path of
# /api/documents/{id}, the `doc` filter of /api/search), so both are checked against it before any
# lookup, and both declare it in OpenAPI: a path-like id (`../`, backslashes, NUL) is a clean 400.
DOC_ID_PATTERN = rf"^[0-9A-Za-z{HAN_BASIC}_.-]{{1,120}}$"
DOC_ID = re.compile(DOC_ID_PATTERN)
INVALID_DOC_ID = "invalid document id: use an id from /api/documents"
# Clients whose failures are remembered at once; beyond this the stalest are forgotten (bounded memory).
MAX_TRACKED_CLIENTS = 10_000
# The admin refusals, in Chinese: the library page shows them, and they guard the rebuild and the library
# writes alike, so each names both and its fix. The page tells "admin disabled" from "wrong token" (both 403)
# by REPORTQA_ADMIN_TOKEN in the message (library.js `adminDisabled`), so only the first may name it; the 401
# keeps "bearer token" so a client reading the message learns the scheme's name.
ADMIN_DISABLED = ("管理功能（重建索引、增删改报告）未启用：请在服务器上设置环境变量 REPORTQA_ADMIN_TOKEN "
                  "后重启服务")
MISSING_TOKEN = ("缺少管理令牌（bearer token）：请发送请求头 Authorization: Bearer <令牌>，"
                 "令牌即服务器上设置的 REPORTQA_ADMIN_TOKEN")
WRONG_TOKEN = "管理令牌不正确：请在请求头 Authorization: Bearer <令牌> 中发送服务器设置的令牌"


def check_doc_id(doc_id: str) -> str:
    """The id, if it is made of the id alphabet; else a 400 that points to the list of ids."""
    if not DOC_ID.match(doc_id):
        raise HTTPException(400, INVALID_DOC_ID)
    return doc_id


def client_of(request: Request) -> str:
    """The client a limit applies to: its remote address (behind a proxy, the proxy's, unless the
    server trusts forwarded headers)."""
    return request.client.host if request.client else "unknown"


class ClientSlots:
    """How many requests each client has in flight, capped per client."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}

    def acquire(self, client: str) -> bool:
        """Take a slot for the client; False when it already holds `limit` of them."""
        with self._lock:
            held = self._in_flight.get(client, 0)
            if held >= self.limit:
                return False
            self._in_flight[client] = held + 1
            return True

    def release(self, client: str) -> None:
        with self._lock:
            held = self._in_flight.get(client, 0) - 1
            if held > 0:
                self._in_flight[client] = held
            else:
                self._in_flight.pop(client, None)


class FailureWindow:
    """Wrong admin tokens per client over a sliding window; a client at the limit waits until it clears.

    At the defaults (5 per 60 s) guessing a 16-character token is hopeless, while an
    operator who mistypes it a few times is only asked to wait a minute.
    """

    def __init__(self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: collections.OrderedDict[str, collections.deque[float]] = collections.OrderedDict()

    def retry_after(self, client: str) -> int:
        """Whole seconds until the client may try again; 0 when it may now."""
        with self._lock:
            failures = self._recent(client)
            if len(failures) < self.max_failures:
                return 0
            return max(1, math.ceil(failures[0] + self.window_s - self._clock()))

    def fail(self, client: str) -> None:
        with self._lock:
            failures = self._recent(client)
            failures.append(self._clock())
            self._failures[client] = failures
            self._failures.move_to_end(client)
            while len(self._failures) > MAX_TRACKED_CLIENTS:
                self._failures.popitem(last=False)

    def succeed(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str) -> collections.deque[float]:
        failures = self._failures.get(client, collections.deque())
        horizon = self._clock() - self.window_s
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures


class AppState:
    """One app's loaded index (through its service), its readiness and its rebuild jobs.

    It lives on `app.state.reportqa`; the loader thread fills `service` (or `error`) once the
    model and the index are ready, and sets nothing else, so readers need no lock.
    """

    def __init__(self, *, index_root: Path, corpus_dir: Path, admin_token: str | None,
                 settings: Settings | None = None) -> None:
        self.service: QAService | None = None
        self.error: str | None = None
        self.stop = threading.Event()
        self.admin_token = admin_token
        serve = (settings or Settings()).serve
        self.search_slots = ClientSlots(serve.max_searches_per_client)
        self.admin_failures = FailureWindow(serve.admin_max_failures, serve.admin_failure_window_s)
        self.jobs = RebuildJobs(corpus_dir, index_root, lambda: self.require_service().embedder,
                                on_published=self._reload_now, settings=settings or Settings())

    def require_service(self) -> QAService:
        """The loaded service, or the user-facing reason there is none yet (a 503)."""
        if self.service is None:
            raise ReportQAError(self.error or LOADING)
        return self.service

    def _reload_now(self) -> None:
        """Swap a just-published rebuild in at once, so a job reports "succeeded" only once it serves."""
        if self.service is not None:
            self.service.reload_if_changed()


async def get_state(request: Request) -> AppState:
    """The state of the app serving this request (async, like the others here: nothing blocks, no thread hop)."""
    state: AppState = request.app.state.reportqa
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_service(state: StateDep) -> QAService:
    """The loaded service; while loading (or after a failed load) the request is answered 503."""
    return state.require_service()


ServiceDep = Annotated[QAService, Depends(get_service)]


async def search_slot(request: Request, state: StateDep) -> AsyncIterator[None]:
    """Hold one of the client's search slots for the request; 429 with Retry-After when none is free.

    Encoding is fair between short and long questions (see embedding/batching.py), but
    a client could still open many connections at once; this caps what one address
    can queue, so the others keep their share.
    """
    client = client_of(request)
    if not state.search_slots.acquire(client):
        raise HTTPException(
            429, f"too many searches at once from your address (limit {state.search_slots.limit}); "
                 f"retry in {SEARCH_RETRY_AFTER_S} s", headers={"Retry-After": str(SEARCH_RETRY_AFTER_S)})
    try:
        yield
    finally:
        state.search_slots.release(client)


async def require_admin(request: Request, state: StateDep,
                        authorization: Annotated[str | None, Header()] = None) -> None:
    """Admin endpoints: off (403) without a configured token, then `Authorization: Bearer <token>`.

    The scheme name is case-insensitive (RFC 9110: `bearer` is `Bearer`). A missing or
    non-bearer header is 401 and names the scheme; a bearer with the wrong token is 403,
    and a client that sent `admin_max_failures` wrong tokens within the window gets 429
    with `Retry-After` (its token is not even compared) until the window clears. The
    comparison is constant-time so the token cannot be guessed byte by byte.
    """
    if not state.admin_token:
        raise HTTPException(403, ADMIN_DISABLED)
    client = client_of(request)
    wait = state.admin_failures.retry_after(client)
    if wait:
        raise HTTPException(429, f"too many wrong admin tokens from your address; retry in {wait} s",
                            headers={"Retry-After": str(wait)})
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, MISSING_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token.strip().encode(), state.admin_token.encode()):
        state.admin_failures.fail(client)
        raise HTTPException(403, WRONG_TOKEN)
    state.admin_failures.succeed(client)
