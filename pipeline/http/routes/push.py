"""POST /v1/dispatches: a document in any supported format, to the raw topic or the dead letters."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from connectors.registry import FORMATS
from pipeline.http.bounded import read_bounded
from pipeline.http.deps import UNAUTHORIZED, UNAVAILABLE, Admin, ErrorBody, Svc

router = APIRouter()

FormatName = StrEnum("FormatName", {f: f for f in FORMATS})  # type: ignore[misc]
_DOCUMENT = {"type": "string", "format": "binary", "minLength": 1}


@router.post(
    "/v1/dispatches",
    status_code=202,
    summary="Push one document (IPTC 7901, NITF, NewsML 1.2, NewsML-G2, ninjs, RSS/Atom, plain text)",
    responses={
        202: {"description": "Queued: the guids of the dispatches it held"},
        413: {
            "model": ErrorBody,
            "description": "Larger than WIRE_MAX_DOCUMENT_BYTES; kept (its beginning) in the "
            "dead-letter topic (`dead_letter_id`)",
        },
        422: {
            "model": ErrorBody,
            "description": "Refused, with the reason (empty, binary, mis-encoded, malformed, "
            "no dispatch in it); the document is kept in the dead-letter topic "
            "(`dead_letter_id`)",
        },
        **UNAUTHORIZED,
        **UNAVAILABLE,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The document as its bytes, under any Content-Type (XML, JSON, "
            "plain text alike): the format is read from the content, never from the "
            "Content-Type, so a body that is not what its Content-Type says is not refused "
            "for that",
            "content": {
                media: {"schema": _DOCUMENT} for media in ("application/octet-stream", "text/plain")
            },
        }
    },
)
async def push(
    svc: Svc,
    request: Request,
    _: Admin,
    x_wire_format: Annotated[
        FormatName | None, Header(description="Skip format detection: parse as this format")
    ] = None,
    x_wire_encoding: Annotated[
        str | None,
        Header(
            description="Encoding of plain text, e.g. cp1252 (an unknown one is a refusal)",
            pattern=r"^[A-Za-z0-9_.:-]{1,40}$",
        ),
    ] = None,
) -> dict[str, Any]:
    # Over the limit: a 413 and a dead letter with the true size (pipeline.http.bounded).
    body = await read_bounded(request.stream(), svc.settings.max_document_bytes)
    client = request.client.host if request.client else "unknown"
    publisher = await run_in_threadpool(svc.publisher)
    result = await run_in_threadpool(
        publisher.publish,
        body.head,
        f"http-push:{client}",
        encoding=x_wire_encoding,
        fmt=x_wire_format.value if x_wire_format else None,
        size=body.size,
        sha256=body.sha256,
    )
    if result.refused:
        status = 413 if body.over(svc.settings.max_document_bytes) else 422
        raise HTTPException(
            status, {"error": result.refused, "dead_letter_id": result.dead_letter_id}
        )
    return {"queued": result.guids, "format": result.format}
