"""Saved searches that alert.

A user saves a SearchQuery. After every indexed batch the worker asks Elasticsearch,
in one _msearch, which saved queries each new dispatch matches: every saved query is
run restricted to the batch's ids, so a saved search means exactly what the same
query means on the search page (same analysers, same filters). Each match becomes an
Alert on the alerts topic, keyed by saved-search id; the API streams it to the user.

Elasticsearch's percolator inverts this: the saved queries are stored in an index of
their own (`<prefix>-saved-searches-percolator`, the dispatch mappings plus a
`percolator` field) and one `percolate` query per batch, carrying the batch's documents,
returns the saved searches each document matches, whatever their number. The worker
uses it where the node has it (detected at start, pipeline.worker.alerts) and keeps
`_msearch` where it has not (the local emulator has no percolate query).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from pipeline.settings import Settings
from pipeline.store.search import SearchQuery, build_search
from schemas import Dispatch

# No control characters or spaces (an explicit class, not \s: the OpenAPI document's
# regex dialect and Python's disagree on which characters \s covers)
EMAIL = re.compile(r"^[^@<>\x00-\x20\x7f]+@[^@<>\x00-\x20\x7f]+$")
# What the OpenAPI document says of an address (the validator below says it in words)
EmailAddress = Annotated[str, WithJsonSchema({"type": "string", "pattern": EMAIL.pattern})]


class Webhook(BaseModel):
    """An HTTP endpoint told of each alert: a JSON POST signed with HMAC-SHA256 over
    't.body' (header `X-Wire-Signature: t=UNIX,v1=HEX`), Slack- or Teams-shaped."""

    url: str = Field(pattern=r"^https?://[^\x00-\x20\x7f]+$", max_length=2000)
    format: Literal["slack", "teams", "json"] = Field(
        default="json",
        description="slack: an incoming-webhook message; teams: a message with an adaptive "
        "card; json: the alert itself (with a `text` line)",
    )
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="Signing key; one is made when none is given. Shown when the search is "
        "saved, masked after",
    )


class EmailDigest(BaseModel):
    """One e-mail per saved search and period with every alert of the period."""

    to: list[EmailAddress] = Field(min_length=1, max_length=50)
    every_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not EMAIL.match(a)]
        if bad:
            raise ValueError(f"not an e-mail address: {bad[0]!r}")
        return value


class AlertDelivery(BaseModel):
    webhooks: list[Webhook] = Field(default_factory=list, max_length=10)
    email: EmailDigest | None = None

    def masked(self) -> AlertDelivery:
        return self.model_copy(
            update={
                "webhooks": [w.model_copy(update={"secret": "********"}) for w in self.webhooks]
            }
        )


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
    delivery: AlertDelivery = Field(
        default_factory=AlertDelivery,
        description="Beyond the page: signed webhooks and e-mail digests (`wire alerts deliver`)",
    )


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
    urgency: int | None = None
    dateline_place: str | None = None
    event_types: list[str] = Field(default_factory=list)


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
            "delivery": {"type": "object", "enabled": False},
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


def alert(s: SavedSearch, d: Dispatch, at: datetime) -> Alert:
    return Alert(
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
        urgency=d.urgency,
        dateline_place=d.dateline.place,
        event_types=sorted({e.type for e in d.events}),
    )


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
            alerts.append(alert(s, d, at))
    return alerts


# ------------------------------------------------------------------ the percolator path


def percolator_index(settings: Settings) -> str:
    return f"{settings.saved_search_index}-percolator"


def percolator_mappings() -> dict[str, Any]:
    """The dispatch fields the saved queries name, and the stored queries themselves."""
    from pipeline.store.documents import dispatch_mappings

    mappings = dispatch_mappings()
    mappings["properties"] = {
        **mappings["properties"],
        "query": {"type": "percolator"},
        "saved_search_id": {"type": "keyword"},
    }
    return mappings


def percolator_entry(s: SavedSearch) -> dict[str, Any]:
    """A saved search as the percolator stores it: the query the search page would run."""
    body = build_search(s.query.model_copy(update={"search_after": None}))
    return {"query": body["query"], "saved_search_id": s.id}


def build_percolate(documents: Sequence[dict[str, Any]], size: int) -> dict[str, Any]:
    """One request for a whole batch: which stored queries match which document."""
    return {
        "query": {"percolate": {"field": "query", "documents": list(documents)}},
        "size": size,
        "_source": ["saved_search_id"],
    }


def alerts_from_percolate(
    saved: Sequence[SavedSearch],
    response: dict[str, Any],
    dispatches: Sequence[Dispatch],
    now: datetime | None = None,
) -> list[Alert]:
    """Each hit is a saved search; `_percolator_document_slot` lists the documents (by
    their place in the request) it matched."""
    by_id = {s.id: s for s in saved}
    at = now or datetime.now(UTC)
    alerts = []
    for h in response.get("hits", {}).get("hits", []):
        s = by_id.get(h.get("_source", {}).get("saved_search_id") or h.get("_id"))
        if s is None:
            continue
        for slot in h.get("fields", {}).get("_percolator_document_slot", []):
            if 0 <= int(slot) < len(dispatches):
                alerts.append(alert(s, dispatches[int(slot)], at))
    return alerts


# ------------------------------------------------------------------ storage (API side)


def ensure_saved_search_index(es: Elasticsearch, settings: Settings) -> None:
    try:
        es.indices.create(index=settings.saved_search_index, mappings=saved_search_mappings())
    except BadRequestError as exc:  # it exists (created earlier or by a concurrent worker)
        if exc.error != "resource_already_exists_exception":
            raise
        # fields added since it was created (delivery) apply in place
        es.indices.put_mapping(
            index=settings.saved_search_index, properties=saved_search_mappings()["properties"]
        )


def save(es: Elasticsearch, settings: Settings, owner: str, item: SavedSearchIn) -> SavedSearch:
    """Store it; a webhook without a signing key gets one (returned here, masked later)."""
    delivery = item.delivery.model_copy(
        update={
            "webhooks": [
                w if w.secret else w.model_copy(update={"secret": secrets.token_urlsafe(24)})
                for w in item.delivery.webhooks
            ]
        }
    )
    saved = SavedSearch(
        id=saved_search_id(owner, item.name),
        owner=owner,
        name=item.name,
        query=item.query,
        delivery=delivery,
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


def get_saved(es: Elasticsearch, settings: Settings, ident: str) -> SavedSearch | None:
    try:
        got = es.get(index=settings.saved_search_index, id=ident)
    except NotFoundError:
        return None
    return SavedSearch.model_validate(got["_source"])
