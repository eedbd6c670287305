"""GET /v1/search, /v1/dispatches/{guid}, /v1/events: full-text and faceted search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import ValidationError

from pipeline.http.deps import Many, Reader, Svc, bad_request, known_event_types
from pipeline.render.labels import with_display
from pipeline.store import saved_searches as saved_searches
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

router = APIRouter()


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
        raise bad_request(exc) from None
    if since and until and since > until:
        raise HTTPException(422, {"error": "since is after until"})
    result = search(svc.es(), svc.settings, query)
    page = result.model_dump(mode="json")
    page["next"] = encode_cursor(result.next)
    return page


@router.get("/v1/dispatches/{guid:path}", summary="One dispatch: versions, events, story")
def dispatch_detail(svc: Svc, guid: str, _: Reader) -> dict[str, Any]:
    client = svc.es()
    got = client.options(ignore_status=404).get(index=svc.settings.dispatch_alias, id=guid)
    if not got.get("found"):
        raise HTTPException(404, f"no dispatch {guid}")
    src = got["_source"]
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
    type: Annotated[list[str], Query(description="Event type, e.g. funding_round")] = [],  # noqa: B006
    entity: Annotated[list[str], Query(description="Entity id or name")] = [],  # noqa: B006
    q: str = "",
    since: datetime | None = None,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
    size: Annotated[int, Query(ge=0, le=200)] = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    known_event_types(type)
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
        raise bad_request(exc) from None
    resp = svc.es().search(index=svc.settings.event_alias, body=build_event_search(query))
    result = parse_event_search(dict(resp), size)
    page = result.model_dump(mode="json")
    page["events"] = [with_display(e) for e in page["events"]]
    page["next"] = encode_cursor(result.next)
    return page
