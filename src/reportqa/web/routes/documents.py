"""`/api/documents`: the reports in the index, one report's sections, its original file, and skipped files.

A document id is checked against a strict pattern before any lookup: ids reach this
route from URLs, and a path-like id (`../`, backslashes, NUL) must be a clean 400.
The original file is served only from inside the corpus folder, its real path
checked after following links, so nothing else on the machine can be read here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from reportqa.ingest.corpus import is_inside
from reportqa.schemas import DocumentDetail, DocumentSummary, ErrorBody, SkippedFileOut
from reportqa.web.deps import DOC_ID_PATTERN, ServiceDep, StateDep, check_doc_id

# The id alphabet (deps.DOC_ID_PATTERN), declared in OpenAPI; checked by `check_doc_id` (a 400, not FastAPI's 422).
DocId = Annotated[str, PathParam(description="A report id from /api/documents.",
                                 json_schema_extra={"pattern": DOC_ID_PATTERN})]
UNAVAILABLE = {503: {"model": ErrorBody, "description": "The index is still loading, or failed to load."}}
BAD_ID = {400: {"model": ErrorBody, "description": "Not a document id (path characters, too long)."},
          404: {"model": ErrorBody, "description": "No report with this id; see /api/documents."}}

# Content types of the original files; HTML is sandboxed (a saved page's scripts must not run on this origin).
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/plain",
    ".markdown": "text/plain",
    ".txt": "text/plain",
}

router = APIRouter()


@router.get("/api/documents", response_model=list[DocumentSummary], responses=UNAVAILABLE)  # type: ignore[arg-type]
def documents(service: ServiceDep) -> list[DocumentSummary]:
    """The reports in the index."""
    return service.documents()


@router.get("/api/documents/skipped", response_model=list[SkippedFileOut],
            responses=UNAVAILABLE)  # type: ignore[arg-type]
def skipped(service: ServiceDep) -> list[SkippedFileOut]:
    """Files of the corpus folder the serving index's build left out, each with the reason.

    Declared before `/api/documents/{doc_id}`; ingest/corpus.py never gives a report the id `skipped`.
    """
    return service.skipped()


@router.get("/api/documents/{doc_id}", response_model=DocumentDetail,
            responses={**BAD_ID, **UNAVAILABLE})  # type: ignore[arg-type]
def document(doc_id: DocId, service: ServiceDep) -> DocumentDetail:
    """A report's sections with their text, for showing a passage in context."""
    detail = service.document(check_doc_id(doc_id))
    if detail is None:
        raise HTTPException(404, f"unknown document '{doc_id}'; see /api/documents for the valid ids")
    return detail


@router.get("/api/documents/{doc_id}/file", response_class=FileResponse,
            responses={200: {"content": {t: {} for t in sorted(set(MEDIA_TYPES.values()))}},
                       **BAD_ID, **UNAVAILABLE})  # type: ignore[arg-type]
def document_file(doc_id: DocId, service: ServiceDep, state: StateDep) -> FileResponse:
    """The report's original file (PDF links add `#page=N` to open at the cited page)."""
    record = service.engine.index.documents.get(check_doc_id(doc_id))
    if record is None:
        raise HTTPException(404, f"unknown document '{doc_id}'; see /api/documents for the valid ids")
    corpus = Path(state.jobs.corpus_dir)
    path = corpus / record.file
    if Path(record.file).name != record.file or not is_inside(path, corpus):
        raise HTTPException(404, f"the original file of '{doc_id}' is not in the corpus folder")
    suffix = path.suffix.lower()
    media_type = MEDIA_TYPES.get(suffix, "application/octet-stream")
    if media_type == "text/plain" and _is_utf8(path):
        media_type = "text/plain; charset=utf-8"
    headers = {"X-Content-Type-Options": "nosniff"}
    if media_type == "text/html":
        headers["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    return FileResponse(path, media_type=media_type, headers=headers, filename=path.name,
                        content_disposition_type="inline")


def _is_utf8(path: Path) -> bool:
    try:
        path.read_bytes()[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= 65536 - 4  # a character cut at the sample's end
    return True
