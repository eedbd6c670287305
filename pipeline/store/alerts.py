"""Alert history: every alert the worker raised, in Elasticsearch beside the topic.

The worker writes each alert here (id = saved search : guid : version, so a replayed
batch rewrites the same document) as it sends it to the alerts topic; the page's Alerts
view and GET /v1/alerts read it back, newest first, with what the delivery log says of
each (pipeline.alerts.log).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch

from pipeline.settings import Settings
from pipeline.store.saved_searches import Alert

_KW = {"type": "keyword"}
_DATE = {"type": "date"}


def alert_mappings() -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "properties": {
            "id": _KW,
            "saved_search_id": _KW,
            "saved_search_name": _KW,
            "owner": _KW,
            "guid": _KW,
            "version": {"type": "integer"},
            "headline": {"type": "text"},
            "published": _DATE,
            "matched_at": _DATE,
            "provider": _KW,
            "language": _KW,
            "urgency": {"type": "integer"},
            "event_types": _KW,
            "alert": {"type": "object", "enabled": False},
        },
    }


def ensure_index(es: Elasticsearch, name: str, mappings: dict[str, Any]) -> None:
    """Create `name` with `mappings`, or add new fields to it. Idempotent."""
    try:
        es.indices.create(index=name, mappings=mappings)
    except BadRequestError as exc:
        if exc.error != "resource_already_exists_exception":
            raise
        es.indices.put_mapping(index=name, properties=mappings["properties"])


def ensure_alert_indices(es: Elasticsearch, settings: Settings) -> None:
    from pipeline.alerts.log import delivery_mappings

    ensure_index(es, settings.alerts_index, alert_mappings())
    ensure_index(es, settings.alert_deliveries_index, delivery_mappings())


def alert_document(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "saved_search_id": a.saved_search_id,
        "saved_search_name": a.saved_search_name,
        "owner": a.owner,
        "guid": a.guid,
        "version": a.version,
        "headline": a.headline,
        "published": a.published.isoformat() if a.published else None,
        "matched_at": a.matched_at.isoformat(),
        "provider": a.provider,
        "language": a.language,
        "urgency": a.urgency,
        "event_types": a.event_types,
        "alert": a.model_dump(mode="json"),
    }


def alert_operations(settings: Settings, alerts: Sequence[Alert]) -> list[dict[str, Any]]:
    """Bulk body: each alert indexed under its own id (a replay rewrites it)."""
    ops: list[dict[str, Any]] = []
    for a in alerts:
        ops.append({"index": {"_index": settings.alerts_index, "_id": a.id}})
        ops.append(alert_document(a))
    return ops


def build_history(
    owner: str | None,
    saved_search: Sequence[str] = (),
    since: datetime | None = None,
    size: int = 50,
    search_after: list[Any] | None = None,
) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if owner is not None:
        filters.append({"term": {"owner": owner}})
    if saved_search:
        filters.append({"terms": {"saved_search_id": list(saved_search)}})
    if since:
        filters.append({"range": {"matched_at": {"gte": since.isoformat()}}})
    body: dict[str, Any] = {
        "size": size,
        "track_total_hits": True,
        "query": {"bool": {"filter": filters}} if filters else {"match_all": {}},
        "sort": [{"matched_at": "desc"}, {"id": "asc"}],
        "_source": ["alert"],
    }
    if search_after:
        body["search_after"] = search_after
    return body
