"""GET /v1/alerts: the alert history (newest first) with what was delivered where."""

from __future__ import annotations

from typing import Annotated, Any

from elasticsearch import NotFoundError
from fastapi import APIRouter, Query
from pydantic import ValidationError

from pipeline.alerts.log import log_for
from pipeline.http.deps import (
    INVALID,
    UNAUTHORIZED,
    UNAVAILABLE,
    IsoTime,
    Subscriber,
    Svc,
    bad_request,
)
from pipeline.store.alerts import build_history
from pipeline.store.search import CURSOR_PATTERN, decode_cursor, encode_cursor

router = APIRouter(responses={**UNAUTHORIZED, **INVALID, **UNAVAILABLE})


@router.get("/v1/alerts", summary="Alert history, newest first, with delivery status")
def alert_history(
    svc: Svc,
    owner: Subscriber,
    saved_search: Annotated[list[str], Query(description="Saved search ids")] = [],  # noqa: B006
    since: Annotated[IsoTime | None, Query(description="Matched at or after")] = None,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            description="The `next` of the previous page",
            pattern=CURSOR_PATTERN,
            max_length=2048,
        ),
    ] = None,
) -> dict[str, Any]:
    try:
        after = decode_cursor(cursor)
    except (ValidationError, ValueError) as exc:
        raise bad_request(exc) from None
    es = svc.es()
    mine = owner if svc.keys else None
    try:
        resp = es.search(
            index=svc.settings.alerts_index,
            body=build_history(mine, saved_search, since, size, after),
        )
    except NotFoundError:  # no worker has prepared the indices yet
        return {"total": 0, "alerts": [], "next": None}
    hits = resp["hits"]["hits"]
    alerts = [h["_source"]["alert"] for h in hits]
    deliveries: dict[str, list[dict[str, Any]]] = {}
    if alerts:
        try:
            entries = log_for(es, svc.settings, alert_ids=[a["id"] for a in alerts], size=1000)
        except NotFoundError:
            entries = []
        for e in entries:
            deliveries.setdefault(e.alert_id, []).append(
                e.model_dump(mode="json", exclude={"alert", "owner"})
            )
    for a in alerts:
        a["deliveries"] = deliveries.get(a["id"], [])
    nxt = list(hits[-1]["sort"]) if len(hits) == size and hits[-1].get("sort") else None
    total = resp["hits"]["total"]
    return {
        "total": int(total["value"] if isinstance(total, dict) else total),
        "alerts": alerts,
        "next": encode_cursor(nxt),
    }
