"""`/api/search`: a question in, the cited answer sentence and the ranked passages out.

The limits are declared on the parameters so OpenAPI documents every one the
server enforces, and a request the schema calls valid is refused only for what a
schema cannot say (a query of punctuation only, an unsupported script, an unknown
report or year). The query's own checks (empty, too long before or after
normalisation, control characters) live in the service, shared with the CLI, and
surface as 422 through the app's `InvalidQueryError` handler; that is why `q`'s
lengths are declared in the schema rather than enforced by FastAPI, whose message
would differ from the CLI's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from reportqa.schemas import ErrorBody, SearchResponse
from reportqa.service import MAX_K, MAX_QUERY_CHARS
from reportqa.web.deps import DOC_ID_PATTERN, ServiceDep, check_doc_id, search_slot

router = APIRouter()

ERRORS = {
    400: {"model": ErrorBody, "description": "`doc` is not a document id, or the query string is not UTF-8."},
    422: {"model": ErrorBody, "description": "An unusable query or filter; `detail` says what to change."},
    429: {"model": ErrorBody, "description": "Too many searches in flight from this client; see Retry-After.",
          "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}},
    503: {"model": ErrorBody, "description": "The index is still loading, or failed to load."},
}


@router.get("/api/search", response_model=SearchResponse, responses=ERRORS,  # type: ignore[arg-type]
            dependencies=[Depends(search_slot, scope="function")])
def search(
    service: ServiceDep,
    q: Annotated[str, Query(
        description=f"The question, 1 to {MAX_QUERY_CHARS} characters (also after Unicode NFKC normalisation).",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS})],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many passages to return.")] = 10,
    doc: Annotated[str | None, Query(description="Only this report (id from /api/documents).",
                                     json_schema_extra={"pattern": DOC_ID_PATTERN})] = None,
    year: Annotated[int | None, Query(description="Only reports of this year.")] = None,
) -> SearchResponse:
    """Answer a question: the best sentence with its citation, and the ranked passages."""
    return service.search(q, k=k, doc=None if doc is None else check_doc_id(doc), year=year)
