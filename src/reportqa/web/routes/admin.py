"""`/api/index/rebuild`: rebuild the index from the corpus without stopping the server.

Every route here needs the admin token (`require_admin`, applied to the whole
router so a new admin endpoint cannot forget it). The build runs in the
background and publishes atomically; searches keep being served meanwhile.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from reportqa.schemas import ErrorBody
from reportqa.web.deps import ServiceDep, StateDep, require_admin
from reportqa.web.rebuild import RebuildBusyError, RebuildStatus

router = APIRouter(dependencies=[Depends(require_admin)])
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
_BEARER = {"WWW-Authenticate": {"description": "The scheme to use: Bearer.", "schema": {"type": "string"}}}
# What every admin route may answer before it runs: no or a malformed header, a wrong token, a back-off.
AUTH_ERRORS = {
    401: {"model": ErrorBody, "description": "No `Authorization: Bearer <token>` header.", "headers": _BEARER},
    403: {"model": ErrorBody, "description": "Wrong token, or admin access disabled (no REPORTQA_ADMIN_TOKEN)."},
    429: {"model": ErrorBody, "description": "Too many wrong tokens from this client; see Retry-After.",
          "headers": _RETRY_AFTER},
}


@router.post("/api/index/rebuild", status_code=202, response_model=RebuildStatus,
             responses={**AUTH_ERRORS, 409: {"model": ErrorBody, "description": "A rebuild is already running."},
                        503: {"model": ErrorBody, "description": "The index is still loading."}})
def start_rebuild(
    state: StateDep,
    _service: ServiceDep,  # the rebuild embeds with the loaded model: 503 until it is there
    force: Annotated[bool, Query(description="Re-embed even if nothing changed.")] = False,
) -> RebuildStatus:
    """Start rebuilding the index from the corpus in the background (admin token required)."""
    try:
        return state.jobs.start(force=force)
    except RebuildBusyError as exc:
        raise HTTPException(409, str(exc)) from exc


@router.get("/api/index/rebuild/{job_id}", response_model=RebuildStatus,
            responses={**AUTH_ERRORS, 404: {"model": ErrorBody, "description": "No such rebuild job."}})
def rebuild_status(job_id: str, state: StateDep) -> RebuildStatus:
    """Progress and outcome of a rebuild job."""
    job = state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"unknown rebuild job '{job_id}'")
    return job
