"""`/api/search`: a question in, the cited answer sentence and the ranked passages out.

The limits are declared on the parameters so OpenAPI documents them; the query's
own checks (empty, too long, control characters) live in the service, shared with
the CLI, and surface as 422 through the app's `InvalidQueryError` handler.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from reportqa.schemas import SearchResponse
from reportqa.service import MAX_K, MAX_QUERY_CHARS
from reportqa.web.deps import ServiceDep

router = APIRouter()


@router.get("/api/search", response_model=SearchResponse)
def search(
    service: ServiceDep,
    q: Annotated[str, Query(description=f"The question, at most {MAX_QUERY_CHARS} characters.")],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many passages to return.")] = 10,
    doc: Annotated[str | None, Query(description="Only this report (id from /api/documents).")] = None,
    year: Annotated[int | None, Query(description="Only reports of this year.")] = None,
) -> SearchResponse:
    """Answer a question: the best sentence with its citation, and the ranked passages."""
    return service.search(q, k=k, doc=doc, year=year)
