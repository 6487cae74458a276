"""`/api/indicator`: every year's figure the reports give for one measure, each point cited.

The measure is typed as words (`技术合同成交额`) or as a question (`历年技术合同成交额是多少`);
its years and trend words are ignored. Same limits and errors as `/api/search`: an unusable
query or an unknown report is a 4xx with a one-line `detail`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from reportqa.schemas import IndicatorResponse
from reportqa.service import MAX_QUERY_CHARS
from reportqa.web.deps import DOC_ID_PATTERN, ServiceDep, check_doc_id, search_slot
from reportqa.web.routes.search import ERRORS

router = APIRouter()


@router.get("/api/indicator", response_model=IndicatorResponse, responses=ERRORS,  # type: ignore[arg-type]
            dependencies=[Depends(search_slot, scope="function")])
def indicator(
    service: ServiceDep,
    q: Annotated[str, Query(
        description=f"The measure (or a question naming it), 1 to {MAX_QUERY_CHARS} characters.",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS})],
    doc: Annotated[str | None, Query(description="Only this report (id from /api/documents).",
                                     json_schema_extra={"pattern": DOC_ID_PATTERN})] = None,
) -> IndicatorResponse:
    """A measure's timeline: one point per year (oldest first), agreeing reports merged, differing ones listed."""
    return service.timeline(q, doc=None if doc is None else check_doc_id(doc))
