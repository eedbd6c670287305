"""`wire state rebuild` (pipeline.store.rebuild): index documents -> changelog records
that decode to exactly what the gate would have read from the index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from kafka.partitioner.default import murmur2

from pipeline.dedup.similarity import signature
from pipeline.dedup.state import (
    GUIDS,
    OWNERS,
    SKETCHES,
    Windows,
    decode_guid,
    decode_owner,
    decode_sketch,
)
from pipeline.extract.normalise import normalise
from pipeline.settings import Settings
from pipeline.store.documents import Delivery, dispatch_document, known_from_source
from pipeline.store.rebuild import plan, raw_partition
from schemas import Dispatch, PubStatus
from tests.helpers import FIXTURES, parse_file

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SETTINGS = Settings(topic_prefix="wire", raw_partitions=4)


def doc(d: Dispatch, at: datetime, raw: str | None = None) -> dict[str, object]:
    full = dispatch_document(d, indexed_at=at, sig=signature(d.text), delivery=Delivery(raw))
    return dict(orjson.loads(orjson.dumps(full)))


def test_every_guid_goes_back_to_its_partition_and_reads_as_the_index_says() -> None:
    [v3] = parse_file(FIXTURES / "versions" / "ubisoft-v3-correction.newsmlg2.xml")
    [plain] = parse_file(FIXTURES / "formats" / "ubisoft.txt")
    docs = [doc(normalise(v3), NOW, "wire.raw:3:17"), doc(normalise(plain), NOW)]
    p = plan(docs, SETTINGS, Windows(), NOW.timestamp())
    assert [(r.table, r.partition) for r in p.guids] == [
        (GUIDS, 3),  # where its copy was written from
        (GUIDS, (murmur2(plain.guid.encode()) & 0x7FFFFFFF) % 4),  # where a producer sends it
    ]
    for r, source in zip(p.guids, docs, strict=True):
        assert decode_guid(r.value) == known_from_source(source)
    assert raw_partition("g", {"raw": "other.topic:3:1"}, SETTINGS) == raw_partition(
        "g", None, SETTINGS
    )


def test_owners_and_sketches_only_within_their_windows() -> None:
    [plain] = parse_file(FIXTURES / "formats" / "ubisoft.txt")
    old = normalise(plain)
    new = normalise(plain.model_copy(update={"guid": "urn:b", "body": ["Autre chose, vraiment."]}))
    killed = new.model_copy(update={"guid": "urn:c", "pubstatus": PubStatus.canceled})
    twin = old.model_copy(update={"guid": "urn:a-later"})
    docs = [
        doc(old, NOW - timedelta(days=2)),
        doc(twin, NOW - timedelta(days=1)),
        doc(new, NOW - timedelta(hours=1)),
        doc(killed, NOW),
    ]
    p = plan(docs, SETTINGS, Windows(owners_s=3 * 86400, stories_s=86400 + 60), NOW.timestamp())
    owners = {r.key.decode(): decode_owner(r.value).guid for r in p.owners}
    assert owners == {old.content_hash: old.guid, new.content_hash: new.guid}  # first holder
    assert all(r.table == OWNERS and r.partition == 0 for r in p.owners)
    assert [r.key.decode() for r in p.sketches] == [twin.guid, new.guid, killed.guid]
    assert decode_sketch(p.sketches[0].value).story_id == twin.guid
    assert all(r.table == SKETCHES for r in p.sketches)
    capped = plan(docs, SETTINGS, Windows(stories_max=2), NOW.timestamp())
    assert [r.key.decode() for r in capped.sketches] == [new.guid, killed.guid]
