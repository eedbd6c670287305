"""The worker's batch policy (pipeline.worker.batch): what a written batch sends, decided
without a broker or a search node."""

from __future__ import annotations

import importlib
import sys
import types
from datetime import UTC, datetime

from pipeline.dedup.versioning import Gated, Known, gate
from pipeline.extract.events.rules import RULES
from pipeline.extract.events.types import EVENT_TYPES, KILLED, TYPES
from pipeline.extract.normalise import normalise
from pipeline.extract.stages import mark_killed
from pipeline.worker.batch import deliveries, settle
from schemas import Dispatch, Event, PubStatus, RetractionReason
from tests.helpers import FIXTURES, parse_file

RECEIVED = datetime(2025, 3, 27, 15, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 27, 16, 0, tzinfo=UTC)
VERSIONS = FIXTURES / "versions"


def story(path: str) -> Dispatch:
    [d] = parse_file(FIXTURES / path, RECEIVED)
    return normalise(d)


def event(d: Dispatch, eid: str, type_: str = "investment") -> Event:
    return Event(
        id=eid,
        type=type_,
        dispatch_guid=d.guid,
        dispatch_version=d.version,
        evidence="Tencent prend 25 % de la filiale d'Ubisoft.",
        confidence=0.9,
    )


def known(d: Dispatch, *events: Event, extracted_by: str | None = "2") -> Known:
    return Known(
        version=d.version,
        content_hash=d.content_hash,
        pubstatus=d.pubstatus,
        history=tuple(d.history),
        events=events,
        extracted_by=extracted_by,
    )


def test_a_new_dispatch_is_published_counted_remembered_and_matched() -> None:
    d = story("formats/ubisoft.newsmlg2.xml")
    d = d.model_copy(update={"events": [event(d, "e1")]})
    g = gate([d], {}, {}, "2", {d.guid: "wire.raw:0:7"})
    plan = deliveries(g.accepted, g, {d.guid: "wire.raw:0:7"}, NOW)
    assert plan[d.guid].raw_position == "wire.raw:0:7"
    out = settle([d], g, plan, failed={}, stale=set())
    assert out.outcomes == {"indexed": 1}
    assert out.events == [(d.guid, [d.events[0]])]
    assert out.live_feed == [d] and out.fresh == [d]
    assert out.retractions == [] and out.failed == []


def test_an_index_failure_is_a_dead_letter_and_nothing_is_published() -> None:
    d = story("formats/ubisoft.newsmlg2.xml")
    g = gate([d], {}, {}, "2")
    out = settle(
        [d],
        g,
        deliveries([d], g, {}, NOW),
        failed={d.guid: "mapper_parsing_exception"},
        stale=set(),
    )
    assert out.failed == [(d, "mapper_parsing_exception")]
    assert not (out.events or out.live_feed or out.fresh or out.outcomes)


def test_a_stale_write_is_counted_and_not_published() -> None:
    d = story("formats/ubisoft.newsmlg2.xml")
    g = gate([d], {}, {}, "2")
    out = settle([d], g, deliveries([d], g, {}, NOW), failed={}, stale={d.guid})
    assert out.outcomes == {"stale_version": 1}
    assert not (out.events or out.live_feed or out.fresh or out.failed)


def test_a_kill_retracts_the_earlier_events_goes_to_the_feed_but_not_to_alerts() -> None:
    v1 = story("formats/ubisoft.newsmlg2.xml")
    kill = story("versions/ubisoft-v4-kill.newsmlg2.xml")
    old = event(v1, "e-old")
    g = gate([kill], {v1.guid: known(v1, old)}, {}, "2")
    [accepted] = mark_killed(g.accepted)
    assert accepted.pubstatus is not PubStatus.usable
    plan = deliveries([accepted], g, {}, NOW)
    out = settle([accepted], g, plan, failed={}, stale=set())
    assert [(r.retracts, r.reason) for r in out.retractions] == [("e-old", RetractionReason.killed)]
    assert out.outcomes == {"killed": 1}
    assert [e.type for _, evs in out.events for e in evs] == [KILLED]
    assert out.live_feed == [accepted] and out.fresh == []


def test_a_reextraction_sends_only_new_events_no_feed_no_alert() -> None:
    d = story("formats/ubisoft.newsmlg2.xml")
    kept, dropped = event(d, "e-kept"), event(d, "e-dropped", "acquisition")
    g = gate([d], {d.guid: known(d, kept, dropped, extracted_by="1")}, {}, "2")
    assert g.reextracted == {d.guid}
    new = event(d, "e-new", "partnership")
    redone = g.accepted[0].model_copy(update={"events": [kept, new]})
    out = settle([redone], g, deliveries([redone], g, {}, NOW), failed={}, stale=set())
    assert out.outcomes == {"reextracted": 1}
    assert out.events == [(d.guid, [new])]
    assert [r.retracts for r in out.retractions] == ["e-dropped"]
    assert out.live_feed == [] and out.fresh == []


def test_outcomes_are_counted_per_label_over_a_mixed_batch() -> None:
    a = story("formats/ubisoft.newsmlg2.xml")
    b = story("formats/boeing-en.newsmlg2.xml")
    g = Gated(accepted=[a, b])
    out = settle([a, b], g, deliveries([a, b], g, {}, NOW), failed={}, stale={b.guid})
    assert out.outcomes == {"indexed": 1, "stale_version": 1}


def test_every_event_type_has_a_rule_and_every_rule_a_type() -> None:
    ruled = {r.type for r in RULES}
    assert ruled | {KILLED} == set(EVENT_TYPES)
    assert all(TYPES[t].label_en and TYPES[t].label_fr for t in EVENT_TYPES)


def test_importing_the_worker_builds_nothing() -> None:
    sys.modules.pop("pipeline.worker.app", None)
    module = importlib.import_module("pipeline.worker.app")
    built = [
        name
        for name, v in vars(module).items()
        if not isinstance(v, types.ModuleType) and type(v).__module__.startswith("faust")
    ]
    assert not built
