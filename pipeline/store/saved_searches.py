"""Saved searches that alert.

A user saves a SearchQuery. After every indexed batch the worker asks Elasticsearch,
in one _msearch, which saved queries each new dispatch matches: every saved query is
run restricted to the batch's ids, so a saved search means exactly what the same
query means on the search page (same analysers, same filters). Each match becomes an
Alert on the alerts topic, keyed by saved-search id; the API streams it to the user.

Elasticsearch's percolator inverts this (one percolate query per batch whatever the
number of saved searches) and is the path for many thousands of saved searches; the
local emulator has no percolate query, so this version runs the saved queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.settings import Settings
from pipeline.store.search import SearchQuery, build_search
from schemas import Dispatch

# The JSON Schema of "a query that narrows something down" (SearchQuery.restricts):
# words with something other than wildcards, or at least one filter.
RESTRICTING_QUERY: list[dict[str, Any]] = [
    {"required": ["text"], "properties": {"text": {"pattern": r"[^\s*?+|\-~\"()]"}}},
    *(
        {"required": [f], "properties": {f: {"type": "array", "minItems": 1}}}
        for f in ("orgs", "people", "places", "countries", "event_types", "subjects")
    ),
    *(
        {"required": [f], "properties": {f: {"not": {"type": "null"}}}}
        for f in ("language", "provider", "urgency_max", "near", "since", "until")
    ),
]


def _saved_search_schema(schema: dict[str, Any]) -> None:
    schema["properties"]["query"]["anyOf"] = RESTRICTING_QUERY
    schema["properties"]["query"]["description"] = (
        "Words or at least one filter: a query that restricts nothing would alert on "
        "every dispatch and is refused (422)"
    )


class _Named(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    query: SearchQuery


class SavedSearchIn(_Named):
    """What a client saves: refused (422) when its query restricts nothing."""

    model_config = ConfigDict(json_schema_extra=_saved_search_schema)

    @model_validator(mode="after")
    def _restricts(self) -> SavedSearchIn:
        if not self.query.restricts():
            raise ValueError(
                "a saved search needs words or at least one filter: "
                "an empty one would alert on every dispatch"
            )
        return self


class SavedSearch(_Named):
    """A stored saved search (one saved before empty queries were refused still loads;
    the worker skips it)."""

    id: str
    owner: str = "anonymous"
    created: datetime


class Alert(BaseModel):
    id: str = Field(description="saved search id : dispatch guid : version")
    saved_search_id: str
    saved_search_name: str
    owner: str
    guid: str
    version: int
    headline: str | None
    published: datetime | None
    provider: str | None
    language: str | None
    matched_at: datetime


def saved_search_id(owner: str, name: str) -> str:
    """Saving the same name twice for one owner replaces it (idempotent PUT semantics)."""
    return hashlib.sha256(f"{owner}\x00{name}".encode()).hexdigest()[:20]


def saved_search_mappings() -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "name": {"type": "keyword"},
            "owner": {"type": "keyword"},
            "created": {"type": "date"},
            "query": {"type": "object", "enabled": False},
        },
    }


def build_alert_msearch(
    saved: Sequence[SavedSearch], guids: Sequence[str], index: str
) -> list[dict[str, Any]]:
    """_msearch lines: each saved query, restricted to these ids, no aggregations."""
    lines: list[dict[str, Any]] = []
    for s in saved:
        body = build_search(s.query.model_copy(update={"search_after": None}))
        query = body["query"]
        query["bool"]["filter"] = [*query["bool"]["filter"], {"ids": {"values": list(guids)}}]
        lines.append({"index": index})
        lines.append({"query": query, "size": len(guids), "_source": ["guid"]})
    return lines


def alerts_from(
    saved: Sequence[SavedSearch],
    responses: Sequence[dict[str, Any]],
    dispatches: Sequence[Dispatch],
    now: datetime | None = None,
) -> list[Alert]:
    by_guid = {d.guid: d for d in dispatches}
    at = now or datetime.now(UTC)
    alerts = []
    for s, resp in zip(saved, responses, strict=True):
        for h in resp.get("hits", {}).get("hits", []):
            d = by_guid.get(h["_id"])
            if d is None:
                continue
            alerts.append(
                Alert(
                    id=f"{s.id}:{d.guid}:{d.version}",
                    saved_search_id=s.id,
                    saved_search_name=s.name,
                    owner=s.owner,
                    guid=d.guid,
                    version=d.version,
                    headline=d.headline,
                    published=d.versioncreated or d.dateline.date,
                    provider=d.provider,
                    language=d.language,
                    matched_at=at,
                )
            )
    return alerts


# ------------------------------------------------------------------ storage (API side)


def ensure_saved_search_index(es: Elasticsearch, settings: Settings) -> None:
    try:
        es.indices.create(index=settings.saved_search_index, mappings=saved_search_mappings())
    except BadRequestError as exc:  # it exists (created earlier or by a concurrent worker)
        if exc.error != "resource_already_exists_exception":
            raise


def save(es: Elasticsearch, settings: Settings, owner: str, item: SavedSearchIn) -> SavedSearch:
    saved = SavedSearch(
        id=saved_search_id(owner, item.name),
        owner=owner,
        name=item.name,
        query=item.query,
        created=datetime.now(UTC),
    )
    es.index(
        index=settings.saved_search_index,
        id=saved.id,
        document=saved.model_dump(mode="json"),
        refresh="wait_for",
    )
    return saved


def list_saved(
    es: Elasticsearch, settings: Settings, owner: str | None = None
) -> list[SavedSearch]:
    query: dict[str, Any] = {"term": {"owner": owner}} if owner else {"match_all": {}}
    try:
        resp = es.search(
            index=settings.saved_search_index, query=query, size=1000, sort=[{"created": "asc"}]
        )
    except NotFoundError:  # no worker has created the index yet: nothing saved
        return []
    return [SavedSearch.model_validate(h["_source"]) for h in resp["hits"]["hits"]]


def delete(es: Elasticsearch, settings: Settings, ident: str) -> bool:
    try:
        es.delete(index=settings.saved_search_index, id=ident, refresh="wait_for")
    except NotFoundError:
        return False
    return True
