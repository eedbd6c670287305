"""The stored shape: index templates and mappings, dispatch and event documents, the bulk
operations that write them, and how the gate's state is read back from a stored dispatch.

Dispatch documents use id = guid and external versioning (`external_gte`): the same
version written twice is a no-op rewrite (safe reprocessing), and an older version
arriving late is rejected by Elasticsearch itself (409), never by a read-then-write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from pipeline.dedup.similarity import bands
from pipeline.dedup.versioning import Known, StoredIn
from pipeline.resilience import item_transient
from pipeline.settings import Settings
from schemas import Dispatch, EntityType, Event, EventRetraction, PubStatus, VersionRecord

# Each dispatch's headline and body are also indexed with its language's built-in
# Elasticsearch analyser (stemming, stop words), in headline_<lang> / body_<lang>; a
# language not listed here is searched through the standard-analysed fields only.
LANG_ANALYZERS = {
    "fr": "french", "en": "english", "de": "german", "it": "italian", "es": "spanish",
    "pt": "portuguese", "nl": "dutch", "da": "danish", "no": "norwegian", "sv": "swedish",
    "fi": "finnish", "el": "greek", "ru": "russian", "ar": "arabic", "tr": "turkish",
    "cs": "czech", "hu": "hungarian", "ro": "romanian", "bg": "bulgarian", "ca": "catalan",
    "id": "indonesian", "zh": "cjk", "ja": "cjk", "ko": "cjk",
}  # fmt: skip
# Bounds on what one dispatch puts in the index (WIRE_INDEX_MAX_TEXT_CHARS overrides the
# first): each analysed text field keeps at most this many characters, so no single
# document can make a search (or its highlighting) take minutes. The whole dispatch is
# still stored, unanalysed, under `dispatch`. A wire dispatch is rarely over 10,000.
MAX_INDEXED_CHARS = 32_000
MAX_HEADLINE_CHARS = 1_000


def bounded(text: str | None, limit: int) -> str | None:
    """`text` cut to `limit` characters, at a word boundary when one is near."""
    if text is None or len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", limit - 200)
    return cut[:space] if space > 0 else cut


FACETS = {
    "orgs": "orgs",
    "people": "people",
    "places": "places",
    "event_types": "event_types",
    "language": "language",
    "provider": "provider",
    "story_id": "story_id",
    "countries": "countries",
    "topics": "subjects",
}

_KW = {"type": "keyword"}
_DATE = {"type": "date"}
_OFF = {"type": "object", "enabled": False}


def _text(analyzer: str = "standard") -> dict[str, Any]:
    return {"type": "text", "analyzer": analyzer}


def dispatch_mappings() -> dict[str, Any]:
    props: dict[str, Any] = {
        "guid": _KW,
        "version": {"type": "integer"},
        "pubstatus": _KW,
        "edit_kind": _KW,
        "published": _DATE,
        "versioncreated": _DATE,
        "received_at": _DATE,
        "indexed_at": _DATE,
        "language": _KW,
        "item_type": _KW,  # text, or picture / video / audio / graphic (caption as body)
        "urgency": {"type": "integer"},
        "format": _KW,
        "source": _KW,
        "headline": {**_text(), "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
        "body": _text(),
        "slugline": _KW,
        "dateline_place": _KW,
        "provider": _KW,
        "sources": _KW,
        "signature": _KW,
        "byline": {**_text(), "fields": {"raw": {"type": "keyword", "ignore_above": 256}}},
        "subjects": _KW,
        "content_hash": _KW,
        "orgs": _KW,
        "people": _KW,
        "places": _KW,
        "countries": _KW,
        "geo": {"type": "geo_point"},
        "misc": _KW,
        "entity_ids": _KW,
        "event_types": _KW,
        "amount_values": {"type": "double"},
        "currencies": _KW,
        "story_id": _KW,
        "lsh_bands": _KW,
        "minhash": {"type": "long", "index": False},
        "edit_kinds": _KW,
        "extracted_by": _KW,
        "dispatch": _OFF,
        # Where this copy was written from (the raw record) and the retractions sent with
        # it: a replay of that very record sends everything again (pipeline.dedup.versioning).
        "delivery": _OFF,
    }
    for lang, analyzer in LANG_ANALYZERS.items():
        props[f"headline_{lang}"] = _text(analyzer)
        props[f"body_{lang}"] = _text(analyzer)
    return {"dynamic": "strict", "properties": props}


def event_mappings() -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": _KW,
        "type": _KW,
        "dispatch_guid": _KW,
        "dispatch_version": {"type": "integer"},
        "language": _KW,
        "status": _KW,
        "entity_ids": _KW,
        "entity_names": _KW,
        "roles": _KW,
        "amount_value": {"type": "double"},
        "currency": _KW,
        "head_count": {"type": "integer"},
        "percent": {"type": "float"},
        "dates": _DATE,
        "evidence": _text(),
        "confidence": {"type": "float"},
        "versioncreated": _DATE,
        "indexed_at": _DATE,
        "event": _OFF,
    }
    return {"dynamic": "strict", "properties": props}


def templates(settings: Settings, ilm_policy: str | None = None) -> dict[str, dict[str, Any]]:
    """Index templates by name, so every index behind the aliases gets the mappings (and,
    with `ilm_policy`, is rolled over by that lifecycle policy behind its alias)."""

    def idx_settings(alias: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "number_of_shards": 1,
            "number_of_replicas": 0 if settings.replication_factor == 1 else 1,
        }
        if ilm_policy:
            out["index.lifecycle.name"] = ilm_policy
            out["index.lifecycle.rollover_alias"] = alias
        return out

    return {
        f"{alias}-template": {
            "index_patterns": [f"{alias}-*"],
            "template": {"settings": idx_settings(alias), "mappings": mappings},
        }
        for alias, mappings in (
            (settings.dispatch_alias, dispatch_mappings()),
            (settings.event_alias, event_mappings()),
        )
    }


def display_case(name: str) -> str:
    """A name printed in capitals, as datelines and some headlines are, in the case people
    write it: 'BOULOGNE-BILLANCOURT' -> 'Boulogne-Billancourt', 'GENERAL MOTORS' -> 'General
    Motors'. Short all-capital words are acronyms and stay (LVMH, AFP, SNCF); a name with
    any lower-case letter is left as it is."""
    if not name or any(c.islower() for c in name):
        return name

    def word(w: str) -> str:
        letters = [c for c in w if c.isalpha()]
        if len(letters) < 5:
            return w
        return "-".join(part[:1] + part[1:].lower() for part in w.split("-"))

    return " ".join(word(w) for w in name.split(" "))


def _unique(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for n in names:
        key = n.casefold()
        if n and key not in seen:
            seen.add(key)
            out.append(n)
    return out


def facet_names(d: Dispatch) -> dict[EntityType, list[str]]:
    """Entity names as facets show them: one per canonical entity, in written case."""
    by_type: dict[EntityType, list[str]] = {t: [] for t in EntityType}
    for e in d.entities:
        by_type[e.type].append(display_case(e.name))
    return {t: _unique(names) for t, names in by_type.items()}


def facet_places(d: Dispatch) -> list[str]:
    """Places as facets show them: the gazetteer's canonical name of each geocoded place
    (the dateline's first), then place entities nothing resolved, in written case, so that
    'PARIS' in a dateline and 'Paris' in the text are one facet value."""
    geocoded = sorted(d.places, key=lambda p: p.source != "dateline")
    resolved = {p.entity_id for p in d.places if p.entity_id}
    names = [p.canonical for p in geocoded]
    if d.dateline.place and not any(p.source == "dateline" for p in d.places):
        names.insert(0, display_case(d.dateline.place))
    names += [
        display_case(e.name)
        for e in d.entities
        if e.type is EntityType.LOC and e.id not in resolved
    ]
    return _unique(names)


@dataclass(frozen=True)
class Delivery:
    """What one write of a dispatch came from and sent besides its events."""

    raw_position: str | None  # topic:partition:offset of the raw record
    retractions: Sequence[EventRetraction] = ()


def dispatch_document(
    d: Dispatch,
    *,
    indexed_at: datetime | None = None,
    sig: Sequence[int] | None = None,
    delivery: Delivery | None = None,
    max_chars: int = MAX_INDEXED_CHARS,
) -> dict[str, Any]:
    """The searchable document for a Dispatch: analysed text per language (each text
    field bounded to `max_chars`), facet keywords."""
    headline = bounded(d.headline, MAX_HEADLINE_CHARS)
    body = bounded(d.text, max_chars)
    by_type = facet_names(d)
    places = facet_places(d)
    doc: dict[str, Any] = {
        "guid": d.guid,
        "version": d.version,
        "pubstatus": d.pubstatus.value,
        "edit_kind": d.edit_kind.value,
        "published": (d.versioncreated or d.dateline.date or d.received_at).isoformat(),
        "versioncreated": d.versioncreated.isoformat() if d.versioncreated else None,
        "received_at": d.received_at.isoformat(),
        "indexed_at": (indexed_at or datetime.now(UTC)).isoformat(),
        "language": d.language,
        "item_type": d.type.value,
        "urgency": d.urgency,
        "format": d.format,
        "source": d.source,
        "headline": headline,
        "body": body,
        "slugline": d.slugline,
        "dateline_place": d.dateline.place,
        "provider": d.provider,
        "sources": d.sources,
        "signature": d.signature,
        "byline": d.byline,
        "subjects": [s.code for s in d.subjects],
        "content_hash": d.content_hash,
        "orgs": by_type[EntityType.ORG],
        "people": by_type[EntityType.PER],
        "places": places,
        "countries": sorted({p.country for p in d.places if p.country}),
        "geo": [
            {"lat": p.latitude, "lon": p.longitude}
            for p in d.places
            if p.latitude is not None and p.longitude is not None
        ],
        "misc": by_type[EntityType.MISC],
        "entity_ids": [e.id for e in d.entities],
        "event_types": sorted({e.type for e in d.events}),
        "amount_values": [a.value for a in d.amounts],
        "currencies": sorted({a.currency for a in d.amounts if a.currency}),
        "story_id": d.story_id or d.guid,
        "edit_kinds": sorted({r.kind.value for r in d.history}),
        "extracted_by": d.extracted_by,
        "dispatch": d.model_dump(mode="json"),
    }
    if delivery is not None:
        doc["delivery"] = {
            "raw": delivery.raw_position,
            "retractions": [r.model_dump(mode="json") for r in delivery.retractions],
        }
    if sig:
        doc["minhash"] = list(sig)
        doc["lsh_bands"] = bands(sig)
    if d.language in LANG_ANALYZERS:
        doc[f"headline_{d.language}"] = headline
        doc[f"body_{d.language}"] = body
    return doc


def event_document(e: Event, *, indexed_at: datetime | None = None) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "dispatch_guid": e.dispatch_guid,
        "dispatch_version": e.dispatch_version,
        "language": e.language,
        "status": e.status.value,
        "entity_ids": sorted({r.entity_id for rs in e.roles.values() for r in rs}),
        "entity_names": sorted({r.name for rs in e.roles.values() for r in rs}),
        "roles": sorted(f"{role}:{r.entity_id}" for role, rs in e.roles.items() for r in rs),
        "amount_value": e.amount.value if e.amount else None,
        "currency": e.amount.currency if e.amount else None,
        "head_count": e.head_count,
        "percent": e.percent,
        "dates": [d.value.isoformat() for d in e.dates if d.value],
        "evidence": e.evidence,
        "confidence": e.confidence,
        "versioncreated": e.versioncreated.isoformat() if e.versioncreated else None,
        "indexed_at": (indexed_at or datetime.now(UTC)).isoformat(),
        "event": e.model_dump(mode="json"),
    }


def events_index(where: StoredIn | None, alias: str) -> str:
    """Where a guid's events are written: the generation holding them, else the alias."""
    return where.events if where is not None and where.events else alias


def bulk_operations(
    settings: Settings,
    dispatches: Iterable[Dispatch],
    *,
    signatures: dict[str, list[int]] | None = None,
    obsolete_events: dict[str, list[Event]] | None = None,
    deliveries: dict[str, Delivery] | None = None,
    stored_in: Mapping[str, StoredIn] | None = None,
) -> list[dict[str, Any]]:
    """Bulk body: each dispatch (external_gte version), its events, and deletions of the
    events an earlier version had that this one no longer has. A guid already stored
    (`stored_in`) is written into the generations that hold it; a new one through the
    aliases (their write index)."""
    now = datetime.now(UTC)
    ops: list[dict[str, Any]] = []
    for d in dispatches:
        where = (stored_in or {}).get(d.guid)
        dispatch_index = where.dispatch if where else settings.dispatch_alias
        event_index = events_index(where, settings.event_alias)
        current = {e.id for e in d.events}
        for old_id in sorted({e.id for e in (obsolete_events or {}).get(d.guid, [])} - current):
            ops.append({"delete": {"_index": event_index, "_id": old_id}})
        ops.append(
            {
                "index": {
                    "_index": dispatch_index,
                    "_id": d.guid,
                    "version": d.version,
                    "version_type": "external_gte",
                }
            }
        )
        ops.append(
            dispatch_document(
                d,
                indexed_at=now,
                sig=(signatures or {}).get(d.guid),
                delivery=(deliveries or {}).get(d.guid),
                max_chars=settings.index_max_text_chars,
            )
        )
        for e in d.events:
            ops.append(
                {
                    "index": {
                        "_index": event_index,
                        "_id": e.id,
                        "version": e.dispatch_version,
                        "version_type": "external_gte",
                    }
                }
            )
            ops.append(event_document(e, indexed_at=now))
    return ops


@dataclass
class BulkOutcome:
    indexed: int = 0
    stale: list[str] = field(default_factory=list)  # older versions refused (409)
    failed: dict[str, str] = field(default_factory=dict)  # guid/id -> reason
    # guid/id -> reason, for items the node refused for now (429, 503, rejected execution):
    # the whole bulk is sent again later (pipeline.resilience.item_transient)
    retry: dict[str, str] = field(default_factory=dict)
    # guid/id -> the concrete index it was written in (the generation behind the alias)
    placed: dict[str, str] = field(default_factory=dict)

    def stored_in(self, d: Dispatch, before: StoredIn | None) -> StoredIn | None:
        """Where a written dispatch and its events now are (`before` if not written now)."""
        dispatch = self.placed.get(d.guid)
        if dispatch is None:
            return before
        events = next((self.placed[e.id] for e in d.events if e.id in self.placed), None)
        return StoredIn(dispatch, events or (before.events if before else None))


def bulk_outcome(response: dict[str, Any]) -> BulkOutcome:
    out = BulkOutcome()
    for item in response.get("items", []):
        op = next(iter(item.values()))
        status = int(op.get("status", 500))
        err = op.get("error") or {}
        kind = err.get("type") if isinstance(err, dict) else None
        if status >= 300 and status != 409 and item_transient(status, kind):
            out.retry[str(op.get("_id"))] = f"{kind or status}: {err.get('reason', '')}"
            continue
        if "delete" in item:
            continue  # removing an obsolete event that is already gone is fine
        if status < 300:
            out.indexed += 1
            if op.get("_index"):
                out.placed[str(op.get("_id"))] = str(op["_index"])
        elif status == 409:
            out.stale.append(str(op.get("_id")))
        else:
            out.failed[str(op.get("_id"))] = f"{err.get('type', status)}: {err.get('reason', '')}"
    return out


STATE_FIELDS = [
    "version",
    "content_hash",
    "pubstatus",
    "story_id",
    "dispatch.history",
    "dispatch.events",  # the whole events: replaced ones are retracted on their topics
    "dispatch.extracted_by",
    "delivery",
]


def state_source(
    d: Dispatch, delivery: Delivery | None = None, stored_in: StoredIn | None = None
) -> dict[str, Any]:
    """The gate's state of a written dispatch in the stored shape: exactly the STATE_FIELDS
    of its document (`dispatch_document`), so that `known_from_source` reads either, plus
    where it is stored (`stored_in`: the generations holding it, from the bulk answer;
    `wire state rebuild` takes them from the hits' `_index`). The worker keeps this in its
    guid table (pipeline.dedup.state); `wire state rebuild` reads the same fields back."""
    source: dict[str, Any] = {
        "version": d.version,
        "content_hash": d.content_hash,
        "pubstatus": d.pubstatus.value,
        "story_id": d.story_id or d.guid,
        "dispatch": {
            "history": [r.model_dump(mode="json") for r in d.history],
            "events": [e.model_dump(mode="json") for e in d.events],
            "extracted_by": d.extracted_by,
        },
    }
    if delivery is not None:
        source["delivery"] = {
            "raw": delivery.raw_position,
            "retractions": [r.model_dump(mode="json") for r in delivery.retractions],
        }
    if stored_in is not None:
        source["stored_in"] = {"dispatch": stored_in.dispatch, "events": stored_in.events}
    return source


def known_from_source(source: dict[str, object]) -> Known:
    """Read the gate's view of a guid from an indexed dispatch document."""
    disp = source.get("dispatch") or {}
    assert isinstance(disp, dict)
    history = tuple(VersionRecord.model_validate(r) for r in disp.get("history", []))
    version = int(str(source.get("version", 1)))
    events = tuple(
        _past_event(raw, version)
        for raw in disp.get("events", [])
        if isinstance(raw, dict) and "id" in raw
    )
    delivery = source.get("delivery") or {}
    assert isinstance(delivery, dict)
    sent: list[EventRetraction] = []
    for raw in delivery.get("retractions", []):
        try:
            sent.append(EventRetraction.model_validate(raw))
        except ValidationError:
            continue  # an older shape: not sent again on a replay
    return Known(
        version=version,
        content_hash=str(source["content_hash"]) if source.get("content_hash") else None,
        pubstatus=PubStatus(str(source.get("pubstatus", "usable"))),
        history=history,
        events=events,
        story_id=str(source["story_id"]) if source.get("story_id") else None,
        extracted_by=str(disp["extracted_by"]) if disp.get("extracted_by") else None,
        raw_position=str(delivery["raw"]) if delivery.get("raw") else None,
        retractions=tuple(sent),
        stored_in=_stored_in(source.get("stored_in")),
    )


def _stored_in(raw: object) -> StoredIn | None:
    if not isinstance(raw, dict) or not raw.get("dispatch"):
        return None
    events = raw.get("events")
    return StoredIn(str(raw["dispatch"]), str(events) if events else None)


def _past_event(raw: dict[str, object], version: int) -> Event:
    """An indexed event as an Event. One stored under an older schema that no longer
    validates keeps what deleting and retracting it need: id, type, evidence."""
    try:
        return Event.model_validate({k: v for k, v in raw.items() if k in Event.model_fields})
    except ValidationError:
        return Event(
            id=str(raw["id"]),
            type=str(raw.get("type") or "unknown"),
            dispatch_guid=str(raw.get("dispatch_guid") or ""),
            dispatch_version=version,
            evidence=str(raw.get("evidence") or ""),
            confidence=0.0,
        )
