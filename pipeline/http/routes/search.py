"""GET /v1/search, /v1/dispatches/{guid}, /v1/events: full-text and faceted search."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import ValidationError

from pipeline.http.deps import (
    READ_RESPONSES,
    ErrorBody,
    EventTypeName,
    IsoTime,
    Many,
    Reader,
    Svc,
    bad_request,
)
from pipeline.render.labels import with_display
from pipeline.store.search import (
    CURSOR_PATTERN,
    NEAR_PATTERN,
    EventQuery,
    Near,
    SearchQuery,
    build_event_search,
    decode_cursor,
    encode_cursor,
    parse_event_search,
    search,
)

router = APIRouter(responses=READ_RESPONSES)
Cursor = Annotated[
    str | None,
    Query(
        description="The `next` of the previous page, as it was handed out; any other "
        "value is refused (422)",
        pattern=CURSOR_PATTERN,
        max_length=2048,
    ),
]


@router.get("/v1/search", summary="Search dispatches: facets, highlights, histogram, cursor")
def search_dispatches(
    svc: Svc,
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
        str | None,
        Query(
            description="lat,lon,km: a place named within the radius, e.g. 48.85,2.35,50 "
            "(latitude -90..90, longitude -180..180, 0 < km <= 20000)",
            pattern=NEAR_PATTERN,
        ),
    ] = None,
    since: Annotated[IsoTime | None, Query(description="Published at or after")] = None,
    until: Annotated[
        IsoTime | None, Query(description="Published at or before (not before `since`)")
    ] = None,
    include_killed: bool = False,
    sort: Literal["relevance", "time"] = "relevance",
    size: Annotated[int, Query(ge=0, le=200)] = 10,
    histogram: Literal["hour", "day", "week", "month"] | None = None,
    cursor: Cursor = None,
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
        raise bad_request(exc) from None
    if since and until and since > until:
        raise HTTPException(422, {"error": "since is after until"})
    result = search(svc.es(), svc.settings, query)
    page = result.model_dump(mode="json")
    page["next"] = encode_cursor(result.next)
    return page


@router.get(
    "/v1/dispatches/{guid:path}",
    summary="One dispatch: versions, events, story",
    responses={404: {"model": ErrorBody, "description": "No dispatch with this guid"}},
)
def dispatch_detail(svc: Svc, guid: str, _: Reader) -> dict[str, Any]:
    client = svc.es()
    # A search by id, not a GET: once the alias spans generations (rollover), Elasticsearch
    # refuses a GET by id through it.
    got = client.search(
        index=svc.settings.dispatch_alias, query={"ids": {"values": [guid]}}, size=1
    )
    hits = got["hits"]["hits"]
    if not hits:
        raise HTTPException(404, f"no dispatch {guid}")
    src = hits[0]["_source"]
    events = client.search(
        index=svc.settings.event_alias,
        query={"term": {"dispatch_guid": guid}},
        size=100,
        source_includes=["event"],
    )
    story = client.search(
        index=svc.settings.dispatch_alias,
        query={"term": {"story_id": src.get("story_id") or guid}},
        size=50,
        source_includes=["guid", "headline", "provider", "language", "published", "pubstatus"],
    )
    return {
        "dispatch": src["dispatch"],
        "pubstatus": src["pubstatus"],
        "indexed_at": src.get("indexed_at"),
        "events": [with_display(h["_source"]["event"]) for h in events["hits"]["hits"]],
        "story": [h["_source"] for h in story["hits"]["hits"] if h["_source"]["guid"] != guid],
    }


@router.get("/v1/events", summary="Search extracted events")
def search_events(
    svc: Svc,
    _: Reader,
    type: Annotated[list[EventTypeName], Query(description="Event type, e.g. funding_round")] = [],  # noqa: B006
    entity: Annotated[list[str], Query(description="Entity id or name")] = [],  # noqa: B006
    q: Annotated[str, Query(description="Words the evidence holds")] = "",
    since: Annotated[IsoTime | None, Query(description="Dispatch time at or after")] = None,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
    size: Annotated[int, Query(ge=0, le=200)] = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    try:
        query = EventQuery(
            types=[t.value for t in type],
            entities=entity,
            text=q,
            since=since,
            min_confidence=min_confidence,
            size=size,
            search_after=decode_cursor(cursor),
        )
    except (ValidationError, ValueError) as exc:
        raise bad_request(exc) from None
    resp = svc.es().search(index=svc.settings.event_alias, body=build_event_search(query))
    result = parse_event_search(dict(resp), size)
    page = result.model_dump(mode="json")
    page["events"] = [with_display(e) for e in page["events"]]
    page["next"] = encode_cursor(result.next)
    return page
