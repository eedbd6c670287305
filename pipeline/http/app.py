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
"""

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from elastic_transport import ConnectionError as ESConnectionError
from elasticsearch import ApiError, Elasticsearch
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from kafka.errors import KafkaError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import ValidationError

from pipeline.extract.events.types import EVENT_TYPES
from pipeline.http.auth import Scope, allowed, key_from, parse_api_keys
from pipeline.http.health import PipelineCollector, pipeline_health
from pipeline.kafka.publisher import Publisher
from pipeline.kafka.subscriptions import (
    Subscription,
    decode_position,
    encode_position,
    event_matches,
    sse,
    subscribe,
)
from pipeline.settings import Settings, get_settings
from pipeline.store import saved_searches as saved_searches
from pipeline.store.client import make_es
from pipeline.store.search import (
    EventQuery,
    Near,
    SearchQuery,
    build_event_search,
    decode_cursor,
    encode_cursor,
    parse_event_search,
    search,
)

STATIC = Path(__file__).parent / "static"
Many = Annotated[list[str], Query()]


def _reasons(errors: Any) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'query'}: {e['msg']}" for e in errors]


def _bad_request(exc: ValidationError | ValueError) -> HTTPException:
    if isinstance(exc, ValidationError):
        reasons = _reasons(exc.errors())
        return HTTPException(422, {"error": "invalid query", "reasons": reasons})
    return HTTPException(422, {"error": str(exc)})


def _known_event_types(types: list[str]) -> None:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise HTTPException(
            422, {"error": f"unknown event type {unknown[0]!r}", "known": list(EVENT_TYPES)}
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    s = settings or get_settings()
    keys = parse_api_keys(s.api_keys.get_secret_value() if s.api_keys else None)
    pipeline_metrics = CollectorRegistry()
    pipeline_metrics.register(PipelineCollector(s))
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if "pub" in state:
            state.pop("pub").close()
        if "es" in state:
            state.pop("es").close()

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

    def es() -> Elasticsearch:
        if "es" not in state:
            state["es"] = make_es(s)
        client: Elasticsearch = state["es"]
        return client

    def publisher() -> Publisher:
        if "pub" not in state:
            state["pub"] = Publisher(s, "http-push")
        pub: Publisher = state["pub"]
        return pub

    def need(scope: Scope) -> Callable[[Request], str]:
        def check(request: Request) -> str:
            key = key_from(dict(request.headers), dict(request.query_params))
            verdict = allowed(keys, key, scope)
            if verdict is None:
                raise HTTPException(401, "missing or unknown API key (X-API-Key header)")
            if not verdict:
                raise HTTPException(403, f"this API key lacks the '{scope}' scope")
            # Saved searches belong to a key; the key itself is never stored.
            return hashlib.sha256(key.encode()).hexdigest()[:12] if key else "anonymous"

        return check

    Reader = Annotated[str, Depends(need(Scope.read))]
    Subscriber = Annotated[str, Depends(need(Scope.subscribe))]
    Admin = Annotated[str, Depends(need(Scope.admin))]

    # ------------------------------------------------------------------ push

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
        _: Admin,
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

    # ------------------------------------------------------------------ search

    @app.get("/v1/search", summary="Search dispatches: facets, highlights, histogram, cursor")
    def search_dispatches(
        _: Reader,
        q: Annotated[str, Query(description='Words; "phrase", -not, a|b')] = "",
        org: Many = [],  # noqa: B006 - FastAPI copies query defaults
        person: Many = [],  # noqa: B006
        place: Many = [],  # noqa: B006
        country: Annotated[list[str], Query(description="ISO code of a place, e.g. FR")] = [],  # noqa: B006
        event_type: Many = [],  # noqa: B006
        topic: Annotated[list[str], Query(description="Subject code, e.g. medtop:04000000")] = [],  # noqa: B006
        lang: str | None = None,
        source: Annotated[str | None, Query(description="Provider, e.g. AFP")] = None,
        urgency_max: Annotated[int | None, Query(ge=1, le=9)] = None,
        near: Annotated[
            str | None, Query(description="lat,lon,km: a place named within the radius")
        ] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        include_killed: bool = False,
        sort: Literal["relevance", "time"] = "relevance",
        size: Annotated[int, Query(ge=0, le=200)] = 10,
        histogram: Literal["hour", "day", "week", "month"] | None = None,
        cursor: Annotated[str | None, Query(description="The `next` of the previous page")] = None,
    ) -> dict[str, Any]:
        try:
            query = SearchQuery(
                text=q,
                orgs=org,
                people=person,
                places=place,
                countries=[c.upper() for c in country],
                event_types=event_type,
                subjects=topic,
                language=lang,
                provider=source,
                urgency_max=urgency_max,
                near=Near.parse(near) if near else None,
                since=since,
                until=until,
                include_killed=include_killed,
                sort=sort,
                size=size,
                histogram=histogram,
                search_after=decode_cursor(cursor),
            )
        except (ValidationError, ValueError) as exc:
            raise _bad_request(exc) from None
        if since and until and since > until:
            raise HTTPException(422, {"error": "since is after until"})
        result = search(es(), s, query)
        page = result.model_dump(mode="json")
        page["next"] = encode_cursor(result.next)
        return page

    @app.get("/v1/dispatches/{guid:path}", summary="One dispatch: versions, events, story")
    def dispatch_detail(guid: str, _: Reader) -> dict[str, Any]:
        client = es()
        got = client.options(ignore_status=404).get(index=s.dispatch_alias, id=guid)
        if not got.get("found"):
            raise HTTPException(404, f"no dispatch {guid}")
        src = got["_source"]
        events = client.search(
            index=s.event_alias,
            query={"term": {"dispatch_guid": guid}},
            size=100,
            source_includes=["event"],
        )
        story = client.search(
            index=s.dispatch_alias,
            query={"term": {"story_id": src.get("story_id") or guid}},
            size=50,
            source_includes=["guid", "headline", "provider", "language", "published", "pubstatus"],
        )
        return {
            "dispatch": src["dispatch"],
            "pubstatus": src["pubstatus"],
            "indexed_at": src.get("indexed_at"),
            "events": [h["_source"]["event"] for h in events["hits"]["hits"]],
            "story": [h["_source"] for h in story["hits"]["hits"] if h["_source"]["guid"] != guid],
        }

    @app.get("/v1/events", summary="Search extracted events")
    def search_events(
        _: Reader,
        type: Annotated[list[str], Query(description="Event type, e.g. funding_round")] = [],  # noqa: B006
        entity: Annotated[list[str], Query(description="Entity id or name")] = [],  # noqa: B006
        q: str = "",
        since: datetime | None = None,
        min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
        size: Annotated[int, Query(ge=0, le=200)] = 20,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        _known_event_types(type)
        try:
            query = EventQuery(
                types=type,
                entities=entity,
                text=q,
                since=since,
                min_confidence=min_confidence,
                size=size,
                search_after=decode_cursor(cursor),
            )
        except (ValidationError, ValueError) as exc:
            raise _bad_request(exc) from None
        resp = es().search(index=s.event_alias, body=build_event_search(query))
        result = parse_event_search(dict(resp), size)
        page = result.model_dump(mode="json")
        page["next"] = encode_cursor(result.next)
        return page

    # ------------------------------------------------------------------ saved searches

    @app.post("/v1/saved-searches", status_code=201, summary="Save a search that alerts")
    def create_saved_search(
        item: saved_searches.SavedSearchIn, owner: Subscriber
    ) -> saved_searches.SavedSearch:
        return saved_searches.save(es(), s, owner, item)

    @app.get("/v1/saved-searches", summary="Your saved searches")
    def list_saved_searches(owner: Subscriber) -> list[saved_searches.SavedSearch]:
        return saved_searches.list_saved(es(), s, None if not keys else owner)

    @app.delete("/v1/saved-searches/{ident}", status_code=204)
    def delete_saved_search(ident: str, owner: Subscriber) -> Response:
        mine = {x.id for x in saved_searches.list_saved(es(), s, None if not keys else owner)}
        if ident not in mine or not saved_searches.delete(es(), s, ident):
            raise HTTPException(404, f"no saved search {ident}")
        return Response(status_code=204)

    # ------------------------------------------------------------------ streams

    async def open_stream(
        topics: list[str], request: Request, last_event_id: str | None, start: str
    ) -> Subscription:
        try:
            position = decode_position(last_event_id or request.query_params.get("last_event_id"))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        try:
            return await subscribe(s, topics, position, from_start=start == "earliest")
        except (KafkaError, OSError) as exc:
            raise HTTPException(503, f"Kafka unavailable: {exc}") from None

    def stream(
        sub: Subscription, pick: Callable[[bytes], tuple[str, str] | None]
    ) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            try:
                yield b"retry: 3000\n\n"
                async for pos, value in sub.records():
                    token = encode_position(pos)
                    if value is None:  # heartbeat; the id lets a client skip what it filtered
                        yield f"id: {token}\n: keepalive\n\n".encode()
                        continue
                    picked = pick(value)
                    if picked is not None:
                        yield sse(picked[1], event=picked[0], event_id=token)
            finally:
                await sub.close()

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    LastEventId = Annotated[str | None, Header(alias="Last-Event-ID")]
    Start = Annotated[
        Literal["latest", "earliest"],
        Query(description="Where a new subscriber (no Last-Event-ID) starts"),
    ]

    @app.get("/v1/stream/dispatches", summary="SSE: dispatches as they are indexed")
    async def stream_dispatches(
        request: Request,
        _: Subscriber,
        last_event_id: LastEventId = None,
        start: Start = "latest",
    ) -> StreamingResponse:
        sub = await open_stream([s.dispatches_topic], request, last_event_id, start)
        return stream(sub, lambda v: ("dispatch", v.decode()))

    @app.get("/v1/stream/events", summary="SSE: extracted events, filtered")
    async def stream_events(
        request: Request,
        _: Subscriber,
        type: Annotated[list[str], Query()] = [],  # noqa: B006
        entity: Annotated[list[str], Query()] = [],  # noqa: B006
        q: str = "",
        last_event_id: LastEventId = None,
        start: Start = "latest",
    ) -> StreamingResponse:
        _known_event_types(type)
        topics = [s.event_topic(t) for t in (type or EVENT_TYPES)]
        sub = await open_stream(topics, request, last_event_id, start)

        def pick(value: bytes) -> tuple[str, str] | None:
            event = orjson.loads(value)
            if not event_matches(event, entity, q):
                return None
            if event.get("kind") == "retraction":  # withdraws the event `retracts`
                return "retraction", value.decode()
            return str(event.get("type", "event")), value.decode()

        return stream(sub, pick)

    @app.get("/v1/stream/alerts", summary="SSE: saved-search alerts")
    async def stream_alerts(
        request: Request,
        owner: Subscriber,
        saved_search: Annotated[list[str], Query(description="Saved search ids")] = [],  # noqa: B006
        last_event_id: LastEventId = None,
        start: Start = "latest",
    ) -> StreamingResponse:
        sub = await open_stream([s.alerts_topic], request, last_event_id, start)
        wanted = set(saved_search)

        def pick(value: bytes) -> tuple[str, str] | None:
            alert = orjson.loads(value)
            if wanted and alert.get("saved_search_id") not in wanted:
                return None
            if keys and alert.get("owner") != owner:
                return None
            return "alert", value.decode()

        return stream(sub, pick)

    # ------------------------------------------------------------------ health

    @app.get("/v1/pipeline/health", summary="Throughput, consumer lag, dead letters")
    def health_detail(_: Reader) -> dict[str, Any]:
        try:
            return pipeline_health(es(), s)
        except (KafkaError, OSError) as exc:
            raise HTTPException(503, f"Kafka unavailable: {exc}") from None

    @app.get("/v1/meta", summary="Event types and facets the page offers")
    def meta() -> dict[str, Any]:
        return {"event_types": list(EVENT_TYPES), "auth": bool(keys)}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body = generate_latest() + generate_latest(pipeline_metrics)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    # ------------------------------------------------------------------ the page

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # ------------------------------------------------------------------ errors

    @app.exception_handler(HTTPException)
    async def _errors(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, dict) else {"error": exc.detail}
        return JSONResponse(detail, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error": "invalid request", "reasons": _reasons(exc.errors())}, status_code=422
        )

    @app.exception_handler(ESConnectionError)
    async def _es_down(request: Request, exc: ESConnectionError) -> JSONResponse:
        return JSONResponse({"error": f"Elasticsearch unavailable at {s.es_url}"}, 503)

    @app.exception_handler(ApiError)
    async def _es_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.meta.status == 404:
            return JSONResponse({"error": "nothing indexed yet: is a worker running?"}, 404)
        return JSONResponse({"error": f"search refused: {exc.message}"}, 400)

    return app
