"""What the routers share, handed to them as FastAPI dependencies.

A route module never reaches into a closure or a global: it asks for the
loaded service (`ServiceDep`, which answers 503 "still loading" until the
index is ready), for the app's state (`StateDep`) or for the admin check
(`require_admin`). That is what lets a new endpoint be one new router module
registered in `create_app`, and lets several apps (tests) live in one process.
"""

from __future__ import annotations

import hmac
import threading
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from reportqa.errors import ReportQAError
from reportqa.service import QAService
from reportqa.settings import Settings
from reportqa.web.rebuild import RebuildJobs

LOADING = "the index is still loading; try again in a few seconds"


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


async def require_admin(state: StateDep, authorization: Annotated[str | None, Header()] = None) -> None:
    """Admin endpoints: off (403) without a configured token, then `Authorization: Bearer <token>`.

    A missing or non-bearer header is 401 and names the scheme; a bearer with the wrong
    token is 403. The comparison is constant-time so the token cannot be guessed byte by byte.
    """
    if not state.admin_token:
        raise HTTPException(403, "rebuilding through the API is disabled: set REPORTQA_ADMIN_TOKEN to enable it")
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "missing bearer token: send 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(authorization.removeprefix("Bearer ").strip().encode(), state.admin_token.encode()):
        raise HTTPException(403, "invalid token")
