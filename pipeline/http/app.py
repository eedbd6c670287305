"""The HTTP service (`wire serve`): push, search, subscribe, monitor; the web page at /.

Routes (OpenAPI at /docs):
  POST /v1/dispatches                 push a document in any supported format   [admin]
  GET  /v1/search                     dispatches: text, filters, facets, histogram [read]
  GET  /v1/dispatches/{guid}          one dispatch, its version history and events [read]
  GET  /v1/events                     extracted events, filtered                    [read]
  GET  /v1/stream/dispatches          SSE live feed of indexed dispatches      [subscribe]
  GET  /v1/stream/events              SSE events and retractions, filtered     [subscribe]
  GET  /v1/stream/alerts              SSE saved-search alerts                  [subscribe]
  POST/GET/DELETE /v1/saved-searches  saved searches that alert                [subscribe]
  GET  /v1/pipeline/health            throughput, consumer lag, dead letters        [read]
  GET  /v1/entities/{id}              an entity's timeline, dispatches, related     [read]
  GET  /v1/alerts                     alert history with delivery status       [subscribe]
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from elastic_transport import ConnectionError as ESConnectionError
from elasticsearch import ApiError
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from pipeline.http.deps import Services, reasons
from pipeline.http.routes import (
    alerts,
    entities,
    health,
    push,
    saved_searches,
    search,
    streams,
)
from pipeline.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    svc = Services(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await svc.aclose()

    app = FastAPI(
        lifespan=lifespan,
        title="wirestream",
        version="0.1.0",
        description=(
            "Push wire dispatches in any supported format; search them; subscribe to "
            "extracted events, the live feed and saved-search alerts (Server-Sent Events). "
            "When API keys are configured, send one as `X-API-Key` (or `?api_key=` for "
            "EventSource)."
        ),
    )
    app.state.services = svc
    for module in (push, search, saved_searches, streams, health, entities, alerts):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    # Page addresses people share (an entity's timeline, a dispatch): the same page,
    # which reads the address and opens that view.
    @app.get("/entities/{ident:path}", include_in_schema=False)
    @app.get("/dispatches/{guid:path}", include_in_schema=False)
    def page_view() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(HTTPException)
    async def _errors(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, dict) else {"error": exc.detail}
        return JSONResponse(detail, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error": "invalid request", "reasons": reasons(exc.errors())}, status_code=422
        )

    @app.exception_handler(ESConnectionError)
    async def _es_down(request: Request, exc: ESConnectionError) -> JSONResponse:
        return JSONResponse({"error": f"Elasticsearch unavailable at {svc.settings.es_url}"}, 503)

    @app.exception_handler(ApiError)
    async def _es_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.meta.status == 404:
            return JSONResponse({"error": "nothing indexed yet: is a worker running?"}, 404)
        return JSONResponse({"error": f"search refused: {exc.message}"}, 400)

    return app
