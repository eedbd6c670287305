"""The delivery log, in Elasticsearch: one entry per alert and channel (each webhook, the
e-mail digest) with its status, attempts, last error and next try.

It is also the deliverer's memory: entries are created (never overwritten) when an alert
is first read, so reading the alerts topic again after a crash plans nothing twice; what
is due is read from it, so retries and digests survive restarts; and the position reached
in the alerts topic is kept in it too (one `cursor` document).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from elasticsearch import Elasticsearch
from pydantic import BaseModel, Field

from pipeline.alerts.messages import backoff
from pipeline.settings import Settings
from pipeline.store.saved_searches import Alert, SavedSearch

Channel = Literal["webhook", "email"]
Status = Literal["pending", "retrying", "delivered", "failed"]
OPEN: tuple[Status, ...] = ("pending", "retrying")
_KW = {"type": "keyword"}
_DATE = {"type": "date"}


class DeliveryEntry(BaseModel):
    id: str = Field(description="alert id | channel (webhook:N or email)")
    alert_id: str
    saved_search_id: str
    saved_search_name: str
    owner: str
    channel: Channel
    target: str = Field(description="The webhook URL, or the digest's addresses")
    status: Status = "pending"
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    alert: Alert


def delivery_mappings() -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "properties": {
            "id": _KW,
            "alert_id": _KW,
            "saved_search_id": _KW,
            "saved_search_name": _KW,
            "owner": _KW,
            "channel": _KW,
            "target": _KW,
            "status": _KW,
            "attempts": {"type": "integer"},
            "last_error": {"type": "text"},
            "created_at": _DATE,
            "next_attempt_at": _DATE,
            "delivered_at": _DATE,
            "alert": {"type": "object", "enabled": False},
            "offsets": {"type": "object", "enabled": False},
        },
    }


def plan(alert: Alert, saved: SavedSearch, now: datetime) -> list[DeliveryEntry]:
    """The deliveries one alert calls for: each webhook now; the e-mail digest at the end of
    the digest period that this alert opens (later alerts of the period join it)."""
    common = {
        "alert_id": alert.id,
        "saved_search_id": saved.id,
        "saved_search_name": saved.name,
        "owner": saved.owner,
        "created_at": now,
        "alert": alert,
    }
    entries = [
        DeliveryEntry(
            id=f"{alert.id}|webhook:{i}",
            channel="webhook",
            target=hook.url,
            next_attempt_at=now,
            **common,
        )
        for i, hook in enumerate(saved.delivery.webhooks)
    ]
    if saved.delivery.email:
        entries.append(
            DeliveryEntry(
                id=f"{alert.id}|email",
                channel="email",
                target=", ".join(saved.delivery.email.to),
                next_attempt_at=now + timedelta(minutes=saved.delivery.email.every_minutes),
                **common,
            )
        )
    return entries


def after_attempt(
    entry: DeliveryEntry,
    error: str | None,
    now: datetime,
    *,
    max_attempts: int,
    retry_base_s: float,
) -> DeliveryEntry:
    """The entry after one try: delivered, or retried later (doubling waits), or failed
    once `max_attempts` tries failed."""
    attempts = entry.attempts + 1
    if error is None:
        return entry.model_copy(
            update={
                "status": "delivered",
                "attempts": attempts,
                "delivered_at": now,
                "last_error": None,
            }
        )
    failed = attempts >= max_attempts
    return entry.model_copy(
        update={
            "status": "failed" if failed else "retrying",
            "attempts": attempts,
            "last_error": error[:500],
            "next_attempt_at": now
            if failed
            else now + timedelta(seconds=backoff(attempts, retry_base_s)),
        }
    )


def digest_groups(
    due: Iterable[DeliveryEntry], open_emails: Iterable[DeliveryEntry]
) -> dict[str, list[DeliveryEntry]]:
    """Saved search id -> every open e-mail entry of it, for the saved searches whose digest
    is due (one of its entries reached its time)."""
    wanted = {e.saved_search_id for e in due if e.channel == "email"}
    groups: dict[str, list[DeliveryEntry]] = {}
    for e in open_emails:
        if e.saved_search_id in wanted:
            groups.setdefault(e.saved_search_id, []).append(e)
    return groups


# ------------------------------------------------------------------ storage


def _doc(e: DeliveryEntry) -> dict[str, Any]:
    return e.model_dump(mode="json")


def create_entries(es: Elasticsearch, settings: Settings, entries: Sequence[DeliveryEntry]) -> int:
    """Create the entries that do not exist yet (an alert read again plans nothing twice).
    Returns how many were new."""
    if not entries:
        return 0
    ops: list[dict[str, Any]] = []
    for e in entries:
        ops += [{"create": {"_index": settings.alert_deliveries_index, "_id": e.id}}, _doc(e)]
    resp = es.bulk(operations=ops, refresh="wait_for")
    new = 0
    for item in resp["items"]:
        status = int(item["create"].get("status", 500))
        if status < 300:
            new += 1
        elif status != 409:
            raise RuntimeError(f"delivery log write failed: {item['create'].get('error')}")
    return new


def save_entries(es: Elasticsearch, settings: Settings, entries: Sequence[DeliveryEntry]) -> None:
    if not entries:
        return
    ops: list[dict[str, Any]] = []
    for e in entries:
        ops += [{"index": {"_index": settings.alert_deliveries_index, "_id": e.id}}, _doc(e)]
    resp = es.bulk(operations=ops, refresh="wait_for")
    if resp.get("errors"):
        raise RuntimeError("delivery log write failed")


def _entries(resp: Any) -> list[DeliveryEntry]:
    return [DeliveryEntry.model_validate(h["_source"]) for h in resp["hits"]["hits"]]


def due_entries(
    es: Elasticsearch, settings: Settings, now: datetime, size: int = 200
) -> list[DeliveryEntry]:
    """Open entries whose time has come, the oldest first."""
    resp = es.search(
        index=settings.alert_deliveries_index,
        query={
            "bool": {
                "filter": [
                    {"terms": {"status": list(OPEN)}},
                    {"terms": {"channel": ["webhook", "email"]}},
                    {"range": {"next_attempt_at": {"lte": now.isoformat()}}},
                ]
            }
        },
        sort=[{"next_attempt_at": "asc"}, {"id": "asc"}],
        size=size,
    )
    return _entries(resp)


def open_emails(
    es: Elasticsearch, settings: Settings, saved_search_ids: Sequence[str], size: int = 1000
) -> list[DeliveryEntry]:
    if not saved_search_ids:
        return []
    resp = es.search(
        index=settings.alert_deliveries_index,
        query={
            "bool": {
                "filter": [
                    {"terms": {"status": list(OPEN)}},
                    {"term": {"channel": "email"}},
                    {"terms": {"saved_search_id": list(saved_search_ids)}},
                ]
            }
        },
        sort=[{"created_at": "asc"}, {"id": "asc"}],
        size=size,
    )
    return _entries(resp)


def log_for(
    es: Elasticsearch,
    settings: Settings,
    *,
    alert_ids: Sequence[str] = (),
    saved_search_id: str | None = None,
    owner: str | None = None,
    size: int = 200,
) -> list[DeliveryEntry]:
    """The delivery log: of some alerts, of a saved search, or the newest entries."""
    filters: list[dict[str, Any]] = [{"terms": {"channel": ["webhook", "email"]}}]
    if alert_ids:
        filters.append({"terms": {"alert_id": list(alert_ids)}})
    if saved_search_id:
        filters.append({"term": {"saved_search_id": saved_search_id}})
    if owner is not None:
        filters.append({"term": {"owner": owner}})
    resp = es.search(
        index=settings.alert_deliveries_index,
        query={"bool": {"filter": filters}},
        sort=[{"created_at": "desc"}, {"id": "asc"}],
        size=size,
    )
    return _entries(resp)


def read_cursor(es: Elasticsearch, settings: Settings) -> dict[int, int]:
    """partition -> next offset to read in the alerts topic (empty: never read)."""
    got = es.options(ignore_status=404).get(
        index=settings.alert_deliveries_index, id=f"cursor:{settings.alerts_topic}"
    )
    if not got.get("found"):
        return {}
    return {int(p): int(o) for p, o in (got["_source"].get("offsets") or {}).items()}


def write_cursor(es: Elasticsearch, settings: Settings, offsets: dict[int, int]) -> None:
    es.index(
        index=settings.alert_deliveries_index,
        id=f"cursor:{settings.alerts_topic}",
        document={
            "id": f"cursor:{settings.alerts_topic}",
            "channel": "cursor",
            "offsets": {str(p): o for p, o in offsets.items()},
        },
        refresh="wait_for",
    )
