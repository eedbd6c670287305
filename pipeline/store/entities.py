"""Everything known about one entity (a company, a person, a place): its events in time
order with their sources, the dispatches that name it, and the entities named with it.

`build_*` make the Elasticsearch bodies and `assemble` reads the responses (pure, tested
as data); `entity_timeline` runs them. The API (GET /v1/entities/{id}), the page
(/entities/{id}) and `wire entity NAME` all read this one shape.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from elasticsearch import Elasticsearch
from pydantic import BaseModel, Field

from pipeline.extract.geo import fold
from pipeline.render.labels import with_display
from pipeline.settings import Settings
from pipeline.store.documents import display_case
from pipeline.store.search import time_kind

KILLED = {"terms": {"pubstatus": ["canceled", "withheld"]}}
TYPE_OF_PREFIX = {"org": "ORG", "per": "PER", "loc": "LOC", "misc": "MISC"}
DISPATCH_FIELDS = [
    "guid",
    "version",
    "headline",
    "published",
    "versioncreated",
    "received_at",
    "provider",
    "language",
    "urgency",
    "dateline_place",
    "event_types",
    "story_id",
    "dispatch.entities",
]


def slug(name: str) -> str:
    """As pipeline.extract.entities.slug (without loading spaCy): 'Général Motors' ->
    'general-motors'."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")


def candidate_ids(ident: str) -> list[str]:
    """An id as given ('org:amazon'), or the ids a name would have under each type."""
    prefix = ident.split(":", 1)[0]
    if ":" in ident and prefix in TYPE_OF_PREFIX:
        return [ident]
    s = slug(ident)
    return [f"{p}:{s}" for p in TYPE_OF_PREFIX] if s else []


class Entity(BaseModel):
    id: str
    name: str
    type: str = Field(description="ORG, PER, LOC or MISC")
    aliases: list[str] = Field(default_factory=list)


class Related(Entity):
    count: int = Field(description="Dispatches naming both")


class Source(BaseModel):
    guid: str
    headline: str | None = None
    provider: str | None = None
    language: str | None = None
    published: str | None = None
    time_kind: str = "published"


class Appearance(Source):
    """A dispatch that names the entity."""

    urgency: int | None = None
    dateline_place: str | None = None
    event_types: list[str] = Field(default_factory=list)


class EntityTimeline(BaseModel):
    entity: Entity
    dispatch_count: int
    event_count: int
    first_seen: str | None = None
    last_seen: str | None = None
    events: list[dict[str, Any]] = Field(
        description="Oldest first: each event (codes and numbers, plus type_label and "
        "amount.display), `roles_of_entity` and its `source` dispatch"
    )
    dispatches: list[Appearance] = Field(description="Newest first")
    related: list[Related] = Field(description="Entities named in the same dispatches")


def build_resolve(ident: str) -> dict[str, Any]:
    """Which of a name's candidate ids the index holds, by how many dispatches."""
    ids = candidate_ids(ident)
    names = sorted({ident, display_case(ident)})
    return {
        "size": 1,
        "query": {
            "bool": {
                "should": [
                    {"terms": {"entity_ids": ids}},
                    {"terms": {"orgs": names}},
                    {"terms": {"people": names}},
                    {"terms": {"places": names}},
                ],
                "minimum_should_match": 1,
                "must_not": [KILLED],
            }
        },
        "_source": ["dispatch.entities"],
        # which candidates the matching dispatches hold (resolve() keeps only those: not
        # every server honours a terms aggregation's `include`)
        "aggs": {"ids": {"terms": {"field": "entity_ids", "include": ids or ["-"], "size": 100}}},
    }


def resolve(ident: str, resp: dict[str, Any]) -> str | None:
    """The entity id a name or id stands for, from build_resolve's response."""
    ids = set(candidate_ids(ident))
    buckets = [
        b for b in resp.get("aggregations", {}).get("ids", {}).get("buckets", []) if b["key"] in ids
    ]
    if buckets:
        return str(max(buckets, key=lambda b: b["doc_count"])["key"])
    want = fold(ident)
    for h in resp.get("hits", {}).get("hits", []):
        for e in (h.get("_source", {}).get("dispatch") or {}).get("entities", []):
            if fold(e.get("name", "")) == want or want in {fold(a) for a in e.get("aliases", [])}:
                return str(e["id"])
    return None


def build_dispatches(entity_id: str, size: int) -> dict[str, Any]:
    return {
        "size": size,
        "track_total_hits": True,
        "query": {"bool": {"filter": [{"term": {"entity_ids": entity_id}}], "must_not": [KILLED]}},
        "sort": [{"published": "desc"}, {"guid": "asc"}],
        "_source": DISPATCH_FIELDS,
        "aggs": {
            "related": {"terms": {"field": "entity_ids", "size": 31}},
            "first": {"min": {"field": "published"}},
            "last": {"max": {"field": "published"}},
        },
    }


def build_events(entity_id: str, size: int) -> dict[str, Any]:
    return {
        "size": size,
        "track_total_hits": True,
        "query": {"bool": {"filter": [{"term": {"entity_ids": entity_id}}]}},
        "sort": [{"versioncreated": "asc"}, {"id": "asc"}],
        "_source": ["event"],
    }


def _source_of(src: dict[str, Any]) -> dict[str, Any]:
    return {
        "guid": src.get("guid"),
        "headline": src.get("headline"),
        "provider": src.get("provider"),
        "language": src.get("language"),
        "published": src.get("published"),
        "time_kind": time_kind(src),
    }


def assemble(
    entity_id: str,
    dispatches: dict[str, Any],
    events: dict[str, Any],
    sources: dict[str, Any] | None = None,
) -> EntityTimeline:
    """The timeline from the dispatch and event searches (and a search by ids of the
    dispatches of events that the first page of dispatches did not hold)."""
    hits = [h["_source"] for h in dispatches.get("hits", {}).get("hits", [])]
    names: dict[str, Counter[str]] = {}
    aliases: dict[str, set[str]] = {}
    types: dict[str, str] = {}
    for src in hits:
        for e in (src.get("dispatch") or {}).get("entities", []):
            names.setdefault(e["id"], Counter())[display_case(e["name"])] += 1
            aliases.setdefault(e["id"], set()).update(e.get("aliases", []))
            types[e["id"]] = e.get("type", "MISC")

    def entity(eid: str) -> Entity:
        seen = names.get(eid)
        prefix = eid.split(":", 1)[0]
        name = (
            seen.most_common(1)[0][0]
            if seen
            else display_case(eid.split(":", 1)[-1].replace("-", " ").title())
        )
        return Entity(
            id=eid,
            name=name,
            type=types.get(eid, TYPE_OF_PREFIX.get(prefix, "MISC")),
            aliases=sorted(aliases.get(eid, set()) - {name}),
        )

    by_guid = {src["guid"]: _source_of(src) for src in hits}
    for doc in (sources or {}).get("hits", {}).get("hits", []):
        by_guid.setdefault(doc["_id"], _source_of(doc["_source"]))
    timeline = []
    for h in events.get("hits", {}).get("hits", []):
        ev = with_display(h["_source"]["event"])
        ev["roles_of_entity"] = sorted(
            role
            for role, people in (ev.get("roles") or {}).items()
            if any(r.get("entity_id") == entity_id for r in people)
        )
        ev["source"] = by_guid.get(ev["dispatch_guid"], {"guid": ev["dispatch_guid"]})
        timeline.append(ev)
    aggs = dispatches.get("aggregations", {})
    related = [
        Related(**entity(str(b["key"])).model_dump(), count=int(b["doc_count"]))
        for b in aggs.get("related", {}).get("buckets", [])
        if b["key"] != entity_id
    ][:30]
    total = dispatches.get("hits", {}).get("total", 0)
    ev_total = events.get("hits", {}).get("total", 0)
    return EntityTimeline(
        entity=entity(entity_id),
        dispatch_count=int(total["value"] if isinstance(total, dict) else total),
        event_count=int(ev_total["value"] if isinstance(ev_total, dict) else ev_total),
        first_seen=aggs.get("first", {}).get("value_as_string"),
        last_seen=aggs.get("last", {}).get("value_as_string"),
        events=timeline,
        dispatches=[
            Appearance(
                **_source_of(src),
                urgency=src.get("urgency"),
                dateline_place=src.get("dateline_place"),
                event_types=src.get("event_types") or [],
            )
            for src in hits
        ],
        related=related,
    )


def entity_timeline(
    es: Elasticsearch,
    settings: Settings,
    ident: str,
    *,
    dispatches: int = 50,
    events: int = 200,
) -> EntityTimeline | None:
    """Everything known about the entity `ident` (an id such as 'org:amazon', or a name);
    None when the index names no such entity."""
    found = es.search(index=settings.dispatch_alias, body=build_resolve(ident))
    entity_id = resolve(ident, dict(found))
    if entity_id is None:
        return None
    disp = dict(
        es.search(index=settings.dispatch_alias, body=build_dispatches(entity_id, dispatches))
    )
    evs = dict(es.search(index=settings.event_alias, body=build_events(entity_id, events)))
    held = {h["_id"] for h in disp.get("hits", {}).get("hits", [])}
    missing = sorted({h["_source"]["event"]["dispatch_guid"] for h in evs["hits"]["hits"]} - held)
    # A search by ids, not an mget: once the alias spans generations (rollover),
    # Elasticsearch refuses an mget through it.
    sources = (
        dict(
            es.search(
                index=settings.dispatch_alias,
                query={"ids": {"values": missing}},
                size=len(missing),
                source_includes=[f for f in DISPATCH_FIELDS if f != "dispatch.entities"],
            )
        )
        if missing
        else None
    )
    return assemble(entity_id, disp, evs, sources)
