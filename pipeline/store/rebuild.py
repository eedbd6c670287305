"""`wire state rebuild`: the workers' gate state, read back from the index.

A deployment that ran before the gate kept its own state (pipeline.dedup.state) has
everything in Elasticsearch already: each dispatch document holds the STATE_FIELDS the
gate needs, its MinHash and when it was indexed. `plan` turns those documents into the
records the tables' changelogs would hold had the workers written them; the workers
recover from the changelogs when they start (run it with the workers stopped).

- each guid goes to the changelog partition of the raw record it was written from
  (`delivery.raw`), else where the raw topic's default partitioner puts its key (the
  murmur2 hash every Kafka client uses), so it lands with the worker that owns it;
- content owners and story sketches only within their windows (the newest
  `stories_max` sketches), as the workers keep them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from kafka.partitioner.default import murmur2

from pipeline.dedup.state import (
    GUIDS,
    OWNERS,
    SKETCHES,
    Owner,
    Sketch,
    Windows,
    encode_guid,
    encode_owner,
    encode_sketch,
)
from pipeline.settings import Settings
from pipeline.store.documents import STATE_FIELDS

FIELDS = [*STATE_FIELDS, "guid", "minhash", "indexed_at"]


@dataclass(frozen=True)
class Record:
    table: str  # GUIDS, OWNERS or SKETCHES (pipeline.dedup.state)
    partition: int
    key: bytes
    value: bytes


@dataclass
class Plan:
    guids: list[Record] = field(default_factory=list)
    owners: list[Record] = field(default_factory=list)
    sketches: list[Record] = field(default_factory=list)

    @property
    def records(self) -> list[Record]:
        return [*self.guids, *self.owners, *self.sketches]


def _scan(
    es: Elasticsearch, index: str, key: str, fields: list[str], page: int
) -> Iterator[dict[str, Any]]:
    """Every hit of an alias, in `key` order, one page at a time."""
    after: list[Any] | None = None
    while True:
        resp = es.search(
            index=index,
            query={"match_all": {}},
            sort=[{key: "asc"}],
            size=page,
            source_includes=fields,
            search_after=after,
        )
        hits = resp["hits"]["hits"]
        yield from hits
        if len(hits) < page:
            return
        after = hits[-1]["sort"]


def event_generations(es: Elasticsearch, settings: Settings, page: int = 1000) -> dict[str, str]:
    """guid -> the events index (generation) holding its events."""
    return {
        str(h["_source"]["dispatch_guid"]): str(h["_index"])
        for h in _scan(es, settings.event_alias, "id", ["dispatch_guid"], page)
        if h.get("_source", {}).get("dispatch_guid")
    }


def iter_state_sources(
    es: Elasticsearch, settings: Settings, page: int = 500
) -> Iterator[dict[str, Any]]:
    """Every dispatch document's state fields, in guid order, one page at a time, with the
    generations that hold it and its events (`stored_in`, as the worker records it)."""
    events = event_generations(es, settings)
    for h in _scan(es, settings.dispatch_alias, "guid", FIELDS, page):
        src = dict(h["_source"])
        src["stored_in"] = {"dispatch": h["_index"], "events": events.get(str(src.get("guid")))}
        yield src


def raw_partition(guid: str, delivery: object, settings: Settings) -> int:
    """The raw partition a guid's records come in: where its copy was written from, else
    where a keyed producer sends it (Kafka's default partitioner)."""
    if isinstance(delivery, dict) and delivery.get("raw"):
        parts = str(delivery["raw"]).rsplit(":", 2)  # topic:partition:offset
        if len(parts) == 3 and parts[0] == settings.raw_topic and parts[1].isdigit():
            p = int(parts[1])
            if p < settings.raw_partitions:
                return p
    return int(murmur2(guid.encode()) & 0x7FFFFFFF) % settings.raw_partitions


def _epoch(value: object) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def plan(
    sources: Iterable[dict[str, Any]], settings: Settings, windows: Windows, now: float
) -> Plan:
    out = Plan()
    owners: dict[str, Owner] = {}
    sketches: list[tuple[float, str, Sketch]] = []
    for src in sources:
        guid = str(src.get("guid") or "")
        if not guid:
            continue
        state: dict[str, Any] = {
            k: src[k] for k in ("version", "content_hash", "pubstatus", "story_id") if k in src
        }
        disp = src.get("dispatch") or {}
        state["dispatch"] = {k: disp[k] for k in ("history", "events", "extracted_by") if k in disp}
        if src.get("delivery"):
            state["delivery"] = src["delivery"]
        if src.get("stored_in"):
            state["stored_in"] = src["stored_in"]
        partition = raw_partition(guid, src.get("delivery"), settings)
        out.guids.append(Record(GUIDS, partition, guid.encode(), encode_guid(state)))
        at = _epoch(src.get("indexed_at")) or now
        h = src.get("content_hash")
        if h and src.get("pubstatus", "usable") == "usable" and at >= now - windows.owners_s:
            held = owners.get(str(h))
            if held is None or at < held.at:  # the first to hold the text keeps it
                owners[str(h)] = Owner(guid, at)
        sig = src.get("minhash")
        if sig and at >= now - windows.stories_s:
            story = Sketch(str(src.get("story_id") or guid), at, tuple(int(v) for v in sig))
            sketches.append((at, guid, story))
    out.owners = [Record(OWNERS, 0, h.encode(), encode_owner(o)) for h, o in owners.items()]
    sketches.sort(key=lambda x: x[0])
    out.sketches = [
        Record(SKETCHES, 0, g.encode(), encode_sketch(s))
        for _, g, s in sketches[-windows.stories_max :]
    ]
    return out
