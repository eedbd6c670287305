"""POST /v1/dispatches: a document in any supported format, to the raw topic or the dead letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from pipeline.http.bounded import read_bounded
from pipeline.http.deps import Admin, Svc
from pipeline.store import saved_searches as saved_searches

router = APIRouter()


@router.post(
    "/v1/dispatches",
    status_code=202,
    summary="Push one document (IPTC 7901, NITF, NewsML 1.2, NewsML-G2, ninjs, RSS/Atom, plain text)",
    responses={
        202: {"description": "Queued: the guids of the dispatches it held"},
        413: {
            "description": "Larger than WIRE_MAX_DOCUMENT_BYTES; kept (its beginning) in the "
            "dead-letter topic (`dead_letter_id`)"
        },
        422: {
            "description": "Refused, with the reason; the document is kept in the dead-letter topic"
        },
    },
)
async def push(
    svc: Svc,
    request: Request,
    _: Admin,
    x_wire_format: Annotated[str | None, Header(description="Skip format detection")] = None,
    x_wire_encoding: Annotated[str | None, Header(description="Encoding of plain text")] = None,
) -> dict[str, Any]:
    # Over the limit: a 413 and a dead letter with the true size (pipeline.http.bounded).
    body = await read_bounded(request.stream(), svc.settings.max_document_bytes)
    client = request.client.host if request.client else "unknown"
    result = await run_in_threadpool(
        svc.publisher().publish,
        body.head,
        f"http-push:{client}",
        encoding=x_wire_encoding,
        fmt=x_wire_format,
        size=body.size,
        sha256=body.sha256,
    )
    if result.refused:
        status = 413 if body.over(svc.settings.max_document_bytes) else 422
        raise HTTPException(
            status, {"error": result.refused, "dead_letter_id": result.dead_letter_id}
        )
    return {"queued": result.guids, "format": result.format}
