"""The gate's own state (pipeline.dedup.state) over dict stores: what a written batch
leaves behind is exactly what the gate and the story finder need for the next one."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from pipeline.dedup.similarity import signature
from pipeline.dedup.state import (
    DictStore,
    GateState,
    Sketch,
    StoryIndex,
    Windows,
    decode_guid,
    decode_sketch,
    encode_guid,
    encode_sketch,
    expired_owners,
    expired_sketches,
)
from pipeline.dedup.stories import assign_stories
from pipeline.dedup.versioning import Verdict, gate
from pipeline.extract.normalise import normalise
from pipeline.extract.stages import mark_killed
from pipeline.store.documents import (
    STATE_FIELDS,
    Delivery,
    dispatch_document,
    known_from_source,
    state_source,
)
from schemas import Dispatch, EditKind, Event, EventRetraction, PubStatus, RetractionReason
from tests.helpers import FIXTURES, SAMPLES, parse_file

RECEIVED = datetime(2025, 3, 27, 15, 0, tzinfo=UTC)
VERSIONS = FIXTURES / "versions"
T0 = 1_800_000_000.0
RULES = "2026.11.24"


def story(name: str) -> Dispatch:
    path = VERSIONS / name if (VERSIONS / name).exists() else FIXTURES / "formats" / name
    [d] = parse_file(path, RECEIVED)
    return normalise(d)


def with_event(d: Dispatch, eid: str) -> Dispatch:
    e = Event(
        id=eid,
        type="investment",
        dispatch_guid=d.guid,
        dispatch_version=d.version,
        evidence="Tencent prend 25 % de la filiale d'Ubisoft pour 1,16 milliard d'euros.",
        confidence=0.9,
    )
    return d.model_copy(update={"events": [e], "extracted_by": RULES})


def fresh(windows: Windows | None = None) -> GateState:
    return GateState(DictStore(), DictStore(), DictStore(), StoryIndex(), windows or Windows())


def through(
    state: GateState,
    batch: list[Dispatch],
    now: float = T0,
    positions: dict[str, str] | None = None,
) -> tuple[list[tuple[str, Verdict]], list[Dispatch]]:
    """Gate a batch against the state, 'extract' it (events kept as given), give it its
    story, write it (record), as the worker does; returns (dropped, written)."""
    sigs = {d.guid: signature(d.text) for d in batch if d.body}
    looked = state.look_up(batch, sigs, now)
    g = gate(batch, looked.known, looked.owners, RULES, positions)
    extracted = [
        d.model_copy(update={"extracted_by": RULES})
        for d in g.accepted
        if d.pubstatus is PubStatus.usable
    ]
    killed = mark_killed([d for d in g.accepted if d.pubstatus is not PubStatus.usable])
    ready = assign_stories([*extracted, *killed], sigs, looked.candidates)
    planned = {d.guid: Delivery((positions or {}).get(d.guid)) for d in ready}
    state.record(ready, sigs, planned, now)
    return [(d.guid, v) for d, v in g.dropped], ready


def test_the_stored_state_is_the_documents_state_fields() -> None:
    """One shape: what the worker keeps is what `wire state rebuild` reads from the index."""
    d = with_event(story("ubisoft-v3-correction.newsmlg2.xml"), "e1")
    withdrawn = EventRetraction(
        retracts="e0",
        type="investment",
        dispatch_guid=d.guid,
        dispatch_version=3,
        reason=RetractionReason.superseded,
        evidence="x",
        retracted_at=RECEIVED,
    )
    delivery = Delivery("wire.raw:1:7", [withdrawn])
    doc = orjson.loads(orjson.dumps(dispatch_document(d, delivery=delivery)))
    projected = {k: doc[k] for k in ("version", "content_hash", "pubstatus", "story_id")}
    projected["dispatch"] = {k: doc["dispatch"][k] for k in ("history", "events", "extracted_by")}
    projected["delivery"] = doc["delivery"]
    assert {f.split(".")[0] for f in STATE_FIELDS} == set(projected)
    assert orjson.loads(orjson.dumps(state_source(d, delivery))) == projected
    assert decode_guid(encode_guid(state_source(d, delivery))) == known_from_source(doc)


def test_versions_in_order_then_stale_and_duplicate_refused() -> None:
    state = fresh()
    v1, v2, v3 = (
        with_event(story("ubisoft.newsmlg2.xml"), "e1"),
        story("ubisoft-v2-update.newsmlg2.xml"),
        story("ubisoft-v3-correction.newsmlg2.xml"),
    )
    assert through(state, [v1])[0] == []
    dropped, [w2] = through(state, [v2])
    assert dropped == []
    assert [(r.version, r.kind) for r in w2.history] == [
        (1, EditKind.original),
        (2, EditKind.update),
    ]
    assert through(state, [v3])[0] == []
    assert through(state, [v1, v2, v3])[0] == [
        (v1.guid, Verdict.stale),
        (v2.guid, Verdict.stale),
        (v3.guid, Verdict.duplicate),
    ]
    known = state.look_up([v3], {}, T0).known[v3.guid]
    assert known.version == 3 and [r.version for r in known.history] == [1, 2, 3]


def test_a_kill_reads_back_the_events_to_retract() -> None:
    state = fresh()
    v1, v4 = with_event(story("ubisoft.newsmlg2.xml"), "e1"), story("ubisoft-v4-kill.newsmlg2.xml")
    through(state, [v1])
    looked = state.look_up([v4], {}, T0)
    g = gate([v4], looked.known, looked.owners, RULES)
    assert [e.id for e in g.obsolete_events[v4.guid]] == ["e1"]  # what the kill retracts
    through(state, [v4])
    assert state.look_up([v4], {}, T0).known[v4.guid].pubstatus is PubStatus.canceled


def test_a_resend_extracted_by_older_rules_is_extracted_again() -> None:
    state = fresh()
    v1 = with_event(story("ubisoft.newsmlg2.xml"), "e1").model_copy(
        update={"extracted_by": "2026.01.01"}
    )
    sigs = {v1.guid: signature(v1.text)}
    state.record([v1], sigs, {}, T0)
    looked = state.look_up([v1], sigs, T0)
    g = gate([v1], looked.known, looked.owners, RULES)
    assert g.reextracted == {v1.guid} and [e.id for e in g.obsolete_events[v1.guid]] == ["e1"]


def test_the_raw_record_a_write_came_from_is_a_replay_any_other_a_duplicate() -> None:
    state = fresh()
    v1 = with_event(story("ubisoft.newsmlg2.xml"), "e1")
    through(state, [v1], positions={v1.guid: "wire.raw:0:12"})
    again, _ = through(state, [v1], positions={v1.guid: "wire.raw:0:40"})
    assert again == [(v1.guid, Verdict.duplicate)]
    looked = state.look_up([v1], {}, T0)
    g = gate([v1], looked.known, looked.owners, RULES, {v1.guid: "wire.raw:0:12"})
    assert g.replayed == {v1.guid: []} and [d.guid for d in g.accepted] == [v1.guid]


def test_same_text_under_another_guid_is_a_copy_until_its_owner_moves_on() -> None:
    state = fresh(Windows(owners_s=3600))
    plain = story("ubisoft.txt")
    through(state, [plain])
    resent = plain.model_copy(update={"guid": "urn:other:resend"})
    assert through(state, [resent], now=T0 + 60)[0] == [(resent.guid, Verdict.copy)]
    # Past the window the owner is forgotten: the copy is new again.
    assert expired_owners(state.owners.items(), T0 + 7200, state.windows) == [  # type: ignore[attr-defined]
        plain.content_hash
    ]
    assert state.look_up([resent], {}, T0 + 7200).owners == {}
    # A new version of the owner with other text releases the old text.
    v2 = normalise(
        plain.model_copy(update={"version": 2, "body": ["Autre texte."], "content_hash": None})
    )
    through(state, [v2], now=T0 + 120)
    assert state.look_up([resent], {}, T0 + 130).owners == {}
    assert through(state, [resent], now=T0 + 140)[0] == []


def test_a_killed_guid_owns_no_text() -> None:
    state = fresh()
    v1, v4 = story("ubisoft.newsmlg2.xml"), story("ubisoft-v4-kill.newsmlg2.xml")
    through(state, [v1])
    assert state.look_up([v1], {}, T0).owners == {v1.content_hash: v1.guid}
    through(state, [v4])
    assert state.look_up([v1], {}, T0).owners == {}


def test_look_alikes_join_the_story_across_batches_within_the_window() -> None:
    state = fresh(Windows(stories_s=3600, stories_max=10))
    afp = story("ubisoft.txt")
    rewrite = afp.model_copy(
        update={
            "guid": "urn:reuters:ubisoft",
            "body": [
                p.replace("va investir", "investira").replace("a annoncé jeudi", "a indiqué jeudi")
                for p in afp.body
            ],
        }
    )
    rewrite = normalise(rewrite.model_copy(update={"content_hash": None}))
    [other] = [normalise(d) for d in parse_file(SAMPLES / "afp-fr-mistral-levee.txt")]
    _, [first] = through(state, [afp])
    _, written = through(state, [rewrite, other], now=T0 + 60)
    assert [d.story_id for d in written] == [first.story_id, other.guid]
    # Too late: past the window a look-alike starts its own story.
    late = normalise(
        rewrite.model_copy(
            update={
                "guid": "urn:late:ubisoft",
                "body": [*rewrite.body, "Fin."],
                "content_hash": None,
            }
        )
    )
    _, [alone] = through(state, [late], now=T0 + 7200)
    assert alone.story_id == late.guid


def test_sketches_are_bounded_by_window_and_count() -> None:
    index = StoryIndex()
    for i in range(5):
        index.put(f"g{i}", Sketch(f"s{i}", T0 + i, tuple(range(i, i + 64))))
    w = Windows(stories_s=10, stories_max=3)
    assert expired_sketches(index, T0 + 5, w) == ["g0", "g1"]  # the newest 3 stay
    assert expired_sketches(index, T0 + 13.5, w) == ["g0", "g1", "g2", "g3"]  # window
    index.drop("g0")
    assert len(index) == 4
    assert [c.guid for c in index.candidates({"x": tuple(range(1, 65))})] == ["g1"]


def test_a_sketch_round_trips() -> None:
    sig = tuple(signature("La filiale d'Ubisoft lève 1,16 milliard d'euros auprès de Tencent."))
    s = Sketch("urn:story:é", T0, sig)
    assert decode_sketch(encode_sketch(s)) == s
