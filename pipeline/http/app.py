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
  GET  /v1/pipeline/health            each dependency, consumer lag, dead letters   [read]
  GET  /v1/entities/{id}              an entity's timeline, dispatches, related     [read]
  GET  /v1/alerts                     alert history with delivery status       [subscribe]
  POST/GET/DELETE /v1/session         the web page's login (an HttpOnly cookie)

A dependency that is down or too slow is a 503 naming it (`dependency`: kafka or
elasticsearch) and why, within the client timeouts (WIRE_ES_REQUEST_TIMEOUT_S,
WIRE_KAFKA_REQUEST_TIMEOUT_S), never a 500 after 30 s.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiokafka.errors import KafkaError as AIOKafkaError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from kafka.errors import KafkaError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.http.deps import Services, reasons
from pipeline.http.health import one_line
from pipeline.http.routes import (
    alerts,
    entities,
    health,
    push,
    saved_searches,
    search,
    session,
    streams,
)
from pipeline.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
RETRY_AFTER = {"Retry-After": "5"}


def create_app(settings: Settings | None = None) -> FastAPI:
    svc = Services(settings or get_settings())
    s = svc.settings

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
            "When API keys are configured, send one as `X-API-Key`, or log in "
            "(`POST /v1/session`) for a session cookie; `?api_key=` is for scripts only. "
            "A dependency that is down is a 503 saying which."
        ),
    )
    app.state.services = svc
    for module in (push, search, saved_searches, streams, health, session, entities, alerts):
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

    @app.exception_handler(StarletteHTTPException)
    async def _errors(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # A body that is not even text: invalid, like any other malformed JSON body.
            body = {"error": "invalid request", "reasons": ["body: not JSON text (UTF-8)"]}
            return JSONResponse(body, status_code=422)
        detail = exc.detail if isinstance(exc.detail, dict) else {"error": exc.detail}
        headers: dict[str, str] = {**(exc.headers or {})}
        if exc.status_code == 503:
            headers.update(RETRY_AFTER)
        return JSONResponse(detail, status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error": "invalid request", "reasons": reasons(exc.errors())}, status_code=422
        )

    def search_unavailable(why: str) -> JSONResponse:
        return JSONResponse(
            {
                "error": f"search unavailable: Elasticsearch at {s.es_url} {why}",
                "dependency": "elasticsearch",
            },
            status_code=503,
            headers=RETRY_AFTER,
        )

    @app.exception_handler(TransportError)
    async def _es_down(request: Request, exc: TransportError) -> JSONResponse:
        if isinstance(exc, ConnectionTimeout):
            return search_unavailable(f"did not answer within {s.es_request_timeout_s:g} s")
        return search_unavailable(f"cannot be reached ({one_line(exc, 200)})")

    @app.exception_handler(ApiError)
    async def _es_error(request: Request, exc: ApiError) -> JSONResponse:
        status = exc.meta.status
        if status == 404:
            return JSONResponse({"error": "nothing indexed yet: is a worker running?"}, 404)
        if status in (401, 403):  # our credentials for the cluster, not the caller's
            return search_unavailable(f"refused the service's credentials ({status})")
        if status == 429 or status >= 500:
            return search_unavailable(f"answered {status} ({one_line(exc, 200)})")
        return JSONResponse({"error": f"search refused: {one_line(exc, 300)}"}, 422)

    async def _kafka_down(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {
                "error": f"Kafka unavailable at {s.kafka_bootstrap}: {one_line(exc, 200)}",
                "dependency": "kafka",
            },
            status_code=503,
            headers=RETRY_AFTER,
        )

    app.add_exception_handler(KafkaError, _kafka_down)
    app.add_exception_handler(AIOKafkaError, _kafka_down)

    @app.middleware("http")
    async def _allow(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """A 405 lists every method the path has (Starlette lists only the first route's)."""
        response = await call_next(request)
        if response.status_code == 405:
            path = request.url.path
            methods = {
                m
                for regex, ms in _route_methods(app.router.routes)
                if regex.match(path)
                for m in ms
            }
            if methods:
                response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    return app


def _route_methods(routes: Iterable[object]) -> Iterator[tuple[re.Pattern[str], set[str]]]:
    """(path pattern, methods) of every route, through included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _route_methods(inner.routes)
        elif isinstance(getattr(route, "methods", None), set | frozenset):
            yield route.path_regex, set(route.methods)  # type: ignore[attr-defined]
