"""`/api/documents`: the reports in the index, and one report's sections for showing a passage in context.

A document id is checked against a strict pattern before any lookup: ids reach this
route from URLs, and a path-like id (`../`, backslashes, NUL) must be a clean 400.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException

from reportqa.schemas import DocumentDetail, DocumentSummary, ErrorBody
from reportqa.text.zh import HAN_BASIC
from reportqa.web.deps import ServiceDep

DOC_ID = re.compile(rf"^[0-9A-Za-z{HAN_BASIC}_.-]{{1,120}}$")  # the alphabet ingest/corpus.py makes ids of

router = APIRouter()


@router.get("/api/documents", response_model=list[DocumentSummary])
def documents(service: ServiceDep) -> list[DocumentSummary]:
    """The reports in the index."""
    return service.documents()


@router.get("/api/documents/{doc_id}", response_model=DocumentDetail, responses={404: {"model": ErrorBody}})
def document(doc_id: str, service: ServiceDep) -> DocumentDetail:
    """A report's sections with their text, for showing a passage in context."""
    if not DOC_ID.match(doc_id):
        raise HTTPException(400, "invalid document id: use an id from /api/documents")
    detail = service.document(doc_id)
    if detail is None:
        raise HTTPException(404, f"unknown document '{doc_id}'; see /api/documents for the valid ids")
    return detail
