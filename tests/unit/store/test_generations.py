"""Where a guid is written once its alias spans generations (rollover): the generation
that holds it, named in the gate's state from each bulk answer (pure, no server)."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.dedup.state import DictStore, GateState, StoryIndex, Windows, decode_guid
from pipeline.dedup.versioning import StoredIn
from pipeline.extract.normalise import normalise
from pipeline.settings import Settings
from pipeline.store.documents import Delivery, bulk_operations, bulk_outcome
from pipeline.store.rebuild import plan
from pipeline.worker.app import _valid
from schemas import Dispatch, Event
from tests.helpers import FIXTURES, parse_file

S = Settings(index_prefix="wire")
OLD = StoredIn("wire-dispatches-000001", "wire-events-000001")
RECEIVED = datetime(2025, 3, 27, 15, 0, tzinfo=UTC)


def ubisoft(name: str, *event_ids: str) -> Dispatch:
    [d] = parse_file(FIXTURES / "versions" / name, RECEIVED)
    d = normalise(d)
    events = [
        Event(
            id=i,
            type="investment",
            dispatch_guid=d.guid,
            dispatch_version=d.version,
            evidence="Tencent prend 25 % de la filiale d'Ubisoft.",
            confidence=0.9,
        )
        for i in event_ids
    ]
    return d.model_copy(update={"events": events})


def targets(ops: list[dict[str, object]]) -> list[tuple[str, str, object]]:
    out = []
    for op in ops:
        for action in ("index", "delete"):
            meta = op.get(action)
            if isinstance(meta, dict):
                out.append((action, str(meta["_index"]), meta["_id"]))
    return out


def test_a_stored_guid_is_written_where_it_is_a_new_one_through_the_aliases() -> None:
    v2 = ubisoft("ubisoft-v2-update.newsmlg2.xml", "e2")
    [new] = parse_file(FIXTURES / "formats" / "ubisoft.txt")
    new = normalise(new).model_copy(update={"guid": "urn:new", "events": []})
    old_event = ubisoft("ubisoft-v2-update.newsmlg2.xml", "e1").events
    ops = bulk_operations(
        S,
        [v2, new],
        obsolete_events={v2.guid: old_event},
        stored_in={v2.guid: OLD},
    )
    assert targets(ops) == [
        ("delete", "wire-events-000001", "e1"),  # the replaced event, where it is
        ("index", "wire-dispatches-000001", v2.guid),
        ("index", "wire-events-000001", "e2"),
        ("index", "wire-dispatches", "urn:new"),  # the alias: its write index
    ]


def test_the_bulk_answer_says_where_each_was_written() -> None:
    v2 = ubisoft("ubisoft-v2-update.newsmlg2.xml", "e2")
    bare = ubisoft("ubisoft-v3-correction.newsmlg2.xml")
    answer = {
        "items": [
            {"index": {"_id": v2.guid, "_index": "wire-dispatches-000002", "status": 201}},
            {"index": {"_id": "e2", "_index": "wire-events-000002", "status": 201}},
            {"index": {"_id": "stale", "_index": "wire-dispatches-000002", "status": 409}},
        ]
    }
    out = bulk_outcome(answer)
    assert out.placed == {v2.guid: "wire-dispatches-000002", "e2": "wire-events-000002"}
    assert out.stored_in(v2, None) == StoredIn("wire-dispatches-000002", "wire-events-000002")
    # a version without events keeps where the earlier events are
    no_events = bare.model_copy(update={"guid": v2.guid})
    assert out.stored_in(no_events, OLD) == StoredIn("wire-dispatches-000002", OLD.events)
    other = bare.model_copy(update={"guid": "urn:not-written"})
    assert out.stored_in(other, OLD) == OLD


def test_the_gate_state_keeps_where_and_rebuild_reads_it_from_the_hits() -> None:
    d = ubisoft("ubisoft-v2-update.newsmlg2.xml", "e2")
    state = GateState(DictStore(), DictStore(), DictStore(), StoryIndex())
    state.record([d], {}, {d.guid: Delivery("wire.raw:0:1")}, 0.0, {d.guid: OLD})
    raw = state.guids.get(d.guid)
    assert raw is not None and decode_guid(raw).stored_in == OLD
    source = {
        "guid": d.guid,
        "version": d.version,
        "content_hash": d.content_hash,
        "pubstatus": "usable",
        "dispatch": {"history": [], "events": [], "extracted_by": None},
        "stored_in": {"dispatch": OLD.dispatch, "events": OLD.events},
    }
    [record] = plan([source], S, Windows(), 0.0).guids
    assert decode_guid(record.value).stored_in == OLD


def test_a_generation_no_longer_behind_its_alias_is_not_written_to() -> None:
    behind = {"wire-dispatches-000001", "wire-events-000002"}
    assert _valid(OLD, behind) == StoredIn(OLD.dispatch, None)  # events: through the alias
    assert _valid(OLD, None) == OLD  # not read yet: as recorded
    assert _valid(OLD, behind | {"wire-events-000001"}) == OLD
