"""GET /v1/entities/{id}: everything known about a company, a person or a place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from pipeline.http.deps import READ_RESPONSES, ErrorBody, Reader, Svc
from pipeline.store.entities import EntityTimeline, entity_timeline

router = APIRouter(responses=READ_RESPONSES)


@router.get(
    "/v1/entities/{ident:path}",
    summary="An entity's timeline: its events in time order with sources, the dispatches "
    "naming it, related entities",
    responses={404: {"model": ErrorBody, "description": "No entity with this id or name"}},
)
def entity(
    svc: Svc,
    ident: str,
    _: Reader,
    dispatches: Annotated[int, Query(ge=0, le=200, description="Newest dispatches")] = 50,
    events: Annotated[int, Query(ge=0, le=1000, description="Events, oldest first")] = 200,
) -> EntityTimeline:
    """`ident` is an entity id (`org:amazon`, `per:elon-musk`) or a name (`Amazon`)."""
    found = entity_timeline(svc.es(), svc.settings, ident, dispatches=dispatches, events=events)
    if found is None:
        raise HTTPException(404, f"no entity {ident!r} in the index")
    return found
