"""Server-Sent Events: /v1/stream/dispatches, /events, /alerts; Last-Event-ID resumes exactly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

import orjson
from aiokafka.errors import KafkaError as AIOKafkaError
from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import StreamingResponse
from kafka.errors import KafkaError

from pipeline.extract.events.types import EVENT_TYPES
from pipeline.http.deps import (
    INVALID,
    UNAUTHORIZED,
    UNAVAILABLE,
    EventTypeName,
    Services,
    Subscriber,
    Svc,
)
from pipeline.http.health import one_line
from pipeline.kafka.fanout import Overflow, Subscription
from pipeline.kafka.subscriptions import (
    decode_position,
    encode_position,
    event_matches,
    sse,
)
from pipeline.render.labels import with_display

SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events, until the client disconnects; each `id` is the "
        "position to resume from (Last-Event-ID)",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    **UNAUTHORIZED,
    **INVALID,
    **UNAVAILABLE,
}
router = APIRouter(responses=SSE_RESPONSES)


async def open_stream(
    svc: Services, topics: list[str], last_event_id: str | None, start: str
) -> Subscription:
    try:
        position = decode_position(last_event_id)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    s = svc.settings
    try:
        return await asyncio.wait_for(
            svc.hub.subscribe(topics, position, from_start=start == "earliest"),
            timeout=s.kafka_request_timeout_s,
        )
    except TimeoutError:
        error = f"no answer within {s.kafka_request_timeout_s:g} s"
    except (KafkaError, AIOKafkaError, OSError) as exc:
        error = one_line(exc)
    raise HTTPException(
        503,
        {"error": f"Kafka unavailable at {s.kafka_bootstrap}: {error}", "dependency": "kafka"},
    )


def stream(
    sub: Subscription,
    pick: Callable[[bytes], tuple[str, str] | None],
    render: Callable[[str], str] | None = None,
) -> StreamingResponse:
    """`render`, when given, rewrites a picked record's data once per record (the payload
    is cached on the record for every subscriber); the frame is encoded once per record
    and position (cached for every other subscriber at that position)."""

    async def body() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 3000\n\n"
            async for pos, rec in sub.records():
                token = encode_position(pos)
                if rec is None:  # keep-alive; the id lets a client skip what it filtered
                    yield f"id: {token}\n: keepalive\n\n".encode()
                    continue
                picked = pick(rec.value)
                if picked is None:
                    continue
                frame = rec.frames.get((picked[0], token))
                if frame is None:  # the first subscriber at this position encodes it
                    data = picked[1]
                    if render is not None:
                        key = (picked[0], render.__qualname__)
                        rendered = rec.payloads.get(key)
                        if rendered is None:  # the first subscriber of this record formats it
                            rendered = rec.payloads[key] = render(data)
                        data = rendered
                    frame = sse(data, event=picked[0], event_id=token)
                    rec.frames[(picked[0], token)] = frame
                yield frame
        except Overflow:
            # This client fell a whole queue behind: it reconnects with its Last-Event-ID
            # (the id of the last frame it got) and resumes exactly, nobody else waited.
            yield b"retry: 1000\n\n"
        finally:
            await sub.close()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def resume_from(
    header: Annotated[
        str | None,
        Header(alias="Last-Event-ID", description="The `id` of the last event received"),
    ] = None,
    query: Annotated[
        str | None,
        Query(alias="last_event_id", description="The same, for a client that sets no headers"),
    ] = None,
) -> str | None:
    return header or query


LastEventId = Annotated[str | None, Depends(resume_from)]
Start = Annotated[
    Literal["latest", "earliest"],
    Query(description="Where a new subscriber (no Last-Event-ID) starts"),
]


@router.get("/v1/stream/dispatches", summary="SSE: dispatches as they are indexed")
async def stream_dispatches(
    svc: Svc,
    _: Subscriber,
    last_event_id: LastEventId,
    start: Start = "latest",
) -> StreamingResponse:
    sub = await open_stream(svc, [svc.settings.dispatches_topic], last_event_id, start)
    return stream(sub, lambda v: ("dispatch", v.decode()))


@router.get("/v1/stream/events", summary="SSE: extracted events, filtered")
async def stream_events(
    svc: Svc,
    _: Subscriber,
    last_event_id: LastEventId,
    type: Annotated[list[EventTypeName], Query(description="Event types (none = all)")] = [],  # noqa: B006
    entity: Annotated[list[str], Query(description="Entity id or name")] = [],  # noqa: B006
    q: Annotated[str, Query(description="Words the evidence holds")] = "",
    start: Start = "latest",
) -> StreamingResponse:
    topics = [svc.settings.event_topic(t) for t in ([t.value for t in type] or EVENT_TYPES)]
    sub = await open_stream(svc, topics, last_event_id, start)

    def pick(value: bytes) -> tuple[str, str] | None:
        event = orjson.loads(value)
        if not event_matches(event, entity, q):
            return None
        if event.get("kind") == "retraction":  # withdraws the event `retracts`
            return "retraction", value.decode()
        return str(event.get("type", "event")), value.decode()

    return stream(sub, pick, display)


def display(data: str) -> str:
    """An event as people read it too: type_label and amount.display beside the codes."""
    return orjson.dumps(with_display(orjson.loads(data))).decode()


@router.get("/v1/stream/alerts", summary="SSE: saved-search alerts")
async def stream_alerts(
    svc: Svc,
    owner: Subscriber,
    last_event_id: LastEventId,
    saved_search: Annotated[list[str], Query(description="Saved search ids")] = [],  # noqa: B006
    start: Start = "latest",
) -> StreamingResponse:
    sub = await open_stream(svc, [svc.settings.alerts_topic], last_event_id, start)
    wanted = set(saved_search)

    def pick(value: bytes) -> tuple[str, str] | None:
        alert = orjson.loads(value)
        if wanted and alert.get("saved_search_id") not in wanted:
            return None
        if svc.keys and alert.get("owner") != owner:
            return None
        return "alert", value.decode()

    return stream(sub, pick)
