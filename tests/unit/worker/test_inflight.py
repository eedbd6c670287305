"""Batches in flight decide as if they ran one after the other (pipeline.worker.inflight)."""

from __future__ import annotations

import asyncio

from pipeline.dedup.similarity import signature
from pipeline.dedup.stories import assign_stories
from pipeline.dedup.versioning import Verdict, gate
from pipeline.extract.stages import mark_killed
from pipeline.worker.inflight import InFlight, Turns
from schemas import Dispatch
from tests.unit.dedup.test_versioning import story

RULES = "2026.11.24"


def _stage(ds: list[Dispatch]) -> dict[str, list[int]]:
    return {d.guid: signature(d.text) for d in ds}


def test_a_gate_sees_what_an_earlier_batch_accepted_but_has_not_written() -> None:
    v1, v2 = story("ubisoft.newsmlg2.xml"), story("ubisoft-v2-update.newsmlg2.xml")
    copy = v1.model_copy(update={"guid": "urn:other-feed:ubisoft", "source": "other-feed"})
    inflight = InFlight(keep=6)
    first = gate([v1], {}, {}, RULES)
    inflight.opened(0, first.accepted)

    known, owners = inflight.gate_view(since=0, extractor=RULES)
    second = gate([v1, copy, v2], known, owners, RULES)
    assert [(d.guid, v) for d, v in second.dropped] == [
        (v1.guid, Verdict.duplicate),
        (copy.guid, Verdict.copy),
    ]
    [newer] = second.accepted
    assert [r.version for r in newer.history] == [1, 2]
    # A gate whose lookup began after batch 0 was written asks the index, not this view.
    assert inflight.gate_view(since=1, extractor=RULES) == ({}, {})


def test_a_write_picks_up_stories_and_events_written_since_its_lookup() -> None:
    v1, v2 = story("ubisoft.newsmlg2.xml"), story("ubisoft-v2-update.newsmlg2.xml")
    inflight = InFlight(keep=6)
    inflight.opened(0, [v1])
    inflight.opened(1, [v2])
    [written] = assign_stories(mark_killed([v1]), _stage([v1]), [])
    inflight.written(0, [written], _stage([v1]))

    stories, events = inflight.commit_view(since=0, ticket=1)
    assert [(c.guid, c.story_id) for c in stories] == [(v1.guid, v1.guid)]
    assert events == {
        v1.guid: [written.events[0]]
    }  # to delete (and retract) if the update drops it
    # Another agency's take on the same story joins the story written just before it.
    other = v2.model_copy(update={"guid": "urn:other-feed:ubisoft", "story_id": None})
    [ready] = assign_stories([other], _stage([other]), stories)
    assert ready.story_id == v1.guid
    assert inflight.commit_view(since=1, ticket=1) == ([], {})


def test_old_batches_are_forgotten() -> None:
    v1 = story("ubisoft.newsmlg2.xml")
    inflight = InFlight(keep=2)
    for ticket in range(4):
        inflight.opened(ticket, [v1] if ticket == 0 else [])
    assert inflight.gate_view(since=0, extractor=RULES) == ({}, {})


def test_turns_let_batches_write_only_in_ticket_order() -> None:
    async def scenario() -> list[int]:
        turns = Turns()
        tickets = [turns.issue() for _ in range(3)]
        order: list[int] = []

        async def write(ticket: int, extract_s: float, fail: bool = False) -> None:
            try:
                await asyncio.sleep(extract_s)  # extraction: any order
                if fail:
                    raise RuntimeError("extraction failed")
                await turns.wait(ticket)
                order.append(ticket)
            finally:
                turns.finish(ticket)

        results = await asyncio.gather(
            write(tickets[0], 0.03),
            write(tickets[1], 0.0, fail=True),
            write(tickets[2], 0.0),
            return_exceptions=True,
        )
        assert isinstance(results[1], RuntimeError)
        assert turns.next == 3
        return order

    # Ticket 2 finished extracting first but waits for 0; ticket 1 failed and does not block.
    assert asyncio.run(scenario()) == [0, 2]
