"""Withdrawn events: a kill or a correction retracts what subscribers were told."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from pipeline.dedup.retractions import retractions
from pipeline.extract.batch import extract_batch
from pipeline.extract.normalise import normalise
from pipeline.extract.stages import mark_killed
from pipeline.store.documents import Delivery, dispatch_document, known_from_source
from schemas import Dispatch, EditKind, Event, PubStatus, RetractionReason
from tests.helpers import FIXTURES, parse_file

AT = datetime(2025, 3, 28, 9, 30, tzinfo=UTC)
ORIGINAL = FIXTURES / "formats" / "ubisoft.newsmlg2.xml"
UPDATE = FIXTURES / "versions" / "ubisoft-v2-update.newsmlg2.xml"
KILL = FIXTURES / "versions" / "ubisoft-v4-kill.newsmlg2.xml"


def enriched(*dispatches: Dispatch) -> list[Dispatch]:
    return extract_batch([normalise(d) for d in dispatches])


def read(path: Path) -> Dispatch:
    [d] = parse_file(path)
    return d


def investments(d: Dispatch) -> list[Event]:
    return [e for e in d.events if e.type == "investment"]


def test_a_kill_retracts_every_event_the_story_had() -> None:
    [v1] = enriched(read(ORIGINAL))
    [told] = investments(v1)
    [kill] = mark_killed([normalise(read(KILL))])
    [r] = retractions(kill, v1.events, reextracted=False, at=AT)
    assert (r.retracts, r.type, r.reason) == (told.id, "investment", RetractionReason.killed)
    assert (r.dispatch_guid, r.dispatch_version) == (v1.guid, 4)
    assert {k: [x.name for x in v] for k, v in r.roles.items()} == {
        "investor": ["Tencent"],
        "target": ["Ubisoft"],
    }
    assert r.evidence == told.evidence
    # The kill notice itself is new, not withdrawn.
    assert [e.type for e in kill.events] == ["dispatch.killed"]


def test_an_update_that_still_states_the_event_retracts_nothing() -> None:
    v1, v2 = enriched(read(ORIGINAL), read(UPDATE))
    assert [e.id for e in investments(v1)] == [e.id for e in investments(v2)]
    assert retractions(v2, v1.events, reextracted=False, at=AT) == []


def test_a_correction_of_the_investor_retracts_the_old_event() -> None:
    original = read(ORIGINAL)
    # The desk corrects the investor's name: the event now has other roles, another id.
    corrected = original.model_copy(
        update={
            "version": 2,
            "edit_kind": EditKind.correction,
            "body": [p.replace("Tencent", "NetEase") for p in original.body],
            "headline": (original.headline or "").replace("Tencent", "NetEase"),
            "content_hash": None,
        }
    )
    v1, v2 = enriched(original, corrected)
    [old], [new] = investments(v1), investments(v2)
    assert [x.name for x in new.roles["investor"]] == ["NetEase"]
    [r] = retractions(v2, v1.events, reextracted=False, at=AT)
    assert (r.retracts, r.reason, r.dispatch_version) == (old.id, RetractionReason.superseded, 2)
    assert [x.name for x in r.roles["investor"]] == ["Tencent"]


def test_each_event_is_withdrawn_once_and_the_reason_follows_the_cause() -> None:
    [v1] = enriched(read(ORIGINAL))
    # The same events seen twice (the index and an earlier in-flight batch).
    previous = [*v1.events, *v1.events]
    rerun = v1.model_copy(update={"events": []})  # newer rules find nothing here
    withdrawn = retractions(rerun, previous, reextracted=True, at=AT)
    assert [r.retracts for r in withdrawn] == [e.id for e in v1.events]
    assert {r.reason for r in withdrawn} == {RetractionReason.reextracted}
    held = v1.model_copy(update={"pubstatus": PubStatus.withheld, "events": []})
    assert {r.reason for r in retractions(held, previous, reextracted=False, at=AT)} == {
        RetractionReason.killed
    }


def test_indexed_events_are_read_back_whole_even_from_an_older_schema() -> None:
    [v1] = enriched(read(ORIGINAL))
    [told] = investments(v1)
    current = told.model_dump(mode="json")
    older = {  # written before `confidence` existed, with a field since dropped
        "id": "0f3a9c11d2e4b5a6c7d8",
        "type": "acquisition",
        "dispatch_guid": v1.guid,
        "dispatch_version": 1,
        "evidence": "Tencent rachète 10 % du studio.",
        "sentence_start": 112,
    }
    known = known_from_source(
        {"version": 1, "pubstatus": "usable", "dispatch": {"events": [current, older]}}
    )
    assert known.events[0] == told
    assert (known.events[1].id, known.events[1].type) == ("0f3a9c11d2e4b5a6c7d8", "acquisition")
    [kill] = mark_killed([normalise(read(KILL))])
    assert [r.retracts for r in retractions(kill, known.events, reextracted=False, at=AT)] == [
        told.id,
        "0f3a9c11d2e4b5a6c7d8",
    ]


def test_a_write_keeps_its_raw_record_and_retractions_for_a_replay() -> None:
    [v1] = enriched(read(ORIGINAL))
    [kill] = mark_killed([normalise(read(KILL))])
    withdrawn = retractions(kill, v1.events, reextracted=False, at=AT)
    doc = dispatch_document(kill, delivery=Delivery("wire.raw:0:12", withdrawn))
    known = known_from_source(orjson.loads(orjson.dumps(doc)))
    assert known.raw_position == "wire.raw:0:12"
    assert list(known.retractions) == withdrawn
    assert [e.type for e in known.events] == ["dispatch.killed"]


def test_a_replay_sends_the_stored_retractions_again_and_no_twin() -> None:
    """The replayed write had withdrawn Tencent's stake; its index copy (what the gate
    reads as `previous`) may still list it if the in-flight view adds it back."""
    [v1] = enriched(read(ORIGINAL))
    [kill] = mark_killed([normalise(read(KILL))])
    stored = retractions(kill, v1.events, reextracted=False, at=AT)
    again = retractions(kill, [*kill.events, *v1.events], reextracted=False, at=AT, resend=stored)
    assert again == stored
