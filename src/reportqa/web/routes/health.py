"""`/api/health`: what load balancers, `reportqa serve` tests and the page poll while the server warms up.

It reads the state directly rather than through the service dependency: "still
loading" and "loading failed" are its answers (503 with a body), not errors.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from reportqa.schemas import Health
from reportqa.web.deps import StateDep

router = APIRouter()


@router.get("/api/health", response_model=Health, responses={503: {"model": Health}})
def health(state: StateDep, response: Response) -> Health:
    """200 once the index is loaded and the model warmed up; 503 before (or if loading failed)."""
    if state.service is None:
        response.status_code = 503
        return Health(status="error" if state.error else "loading", detail=state.error)
    index = state.service.engine.index
    return Health(status="ok", index_version=index.version, chunk_count=index.chunk_count)
