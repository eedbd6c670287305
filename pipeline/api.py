"""The HTTP service (`wire serve`): agencies push documents; health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline.publisher import Publisher
from pipeline.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    s = settings or get_settings()
    state: dict[str, Publisher] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if "pub" in state:
            state.pop("pub").close()

    app = FastAPI(
        lifespan=lifespan,
        title="wirestream",
        version="0.1.0",
        description="Push wire dispatches in any supported format; search and subscribe (see /docs).",
    )

    def publisher() -> Publisher:
        if "pub" not in state:
            state["pub"] = Publisher(s, "http-push")
        return state["pub"]

    @app.post(
        "/v1/dispatches",
        status_code=202,
        summary="Push one document (IPTC 7901, NITF, NewsML 1.2, NewsML-G2, ninjs, RSS/Atom, plain text)",
        responses={
            202: {"description": "Queued: the guids of the dispatches it held"},
            413: {"description": "Larger than WIRE_MAX_DOCUMENT_BYTES"},
            422: {
                "description": "Refused, with the reason; the document is kept in the dead-letter topic"
            },
        },
    )
    async def push(
        request: Request,
        x_wire_format: Annotated[str | None, Header(description="Skip format detection")] = None,
        x_wire_encoding: Annotated[str | None, Header(description="Encoding of plain text")] = None,
    ) -> dict[str, Any]:
        declared = int(request.headers.get("content-length") or 0)
        if declared > s.max_document_bytes:
            raise HTTPException(
                413, f"document is {declared} bytes, over the {s.max_document_bytes} limit"
            )
        data = await request.body()
        if len(data) > s.max_document_bytes:
            raise HTTPException(
                413, f"document is {len(data)} bytes, over the {s.max_document_bytes} limit"
            )
        client = request.client.host if request.client else "unknown"
        result = await run_in_threadpool(
            publisher().publish,
            data,
            f"http-push:{client}",
            encoding=x_wire_encoding,
            fmt=x_wire_format,
        )
        if result.refused:
            raise HTTPException(
                422, {"error": result.refused, "dead_letter_id": result.dead_letter_id}
            )
        return {"queued": result.guids, "format": result.format}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(HTTPException)
    async def _errors(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, dict) else {"error": exc.detail}
        return JSONResponse(detail, status_code=exc.status_code)

    return app
