"""Batches in flight inside one worker: gate in order, extract side by side, write in order.

A batch is gated (versions, duplicates), extracted (spaCy, the long part), then written
and published. Letting the next batch's extraction run while this one is written keeps
the NLP processes busy (`WIRE_BATCHES_IN_FLIGHT`, pipeline.worker.app), but the next batch's
gate asks the index before this one is in it. So that a worker decides exactly as if
its batches ran one after the other:

- gates run one at a time, in ticket order, and treat what earlier batches accepted
  and have not finished writing as already known (`InFlight.gate_view`);
- writes run in ticket order (`Turns`), and a batch about to be written picks up what
  the batches it could not see have written since: their story look-alikes and the
  events of a guid it replaces (`InFlight.commit_view`).

What a gate learns this way is what an earlier batch accepted; if that batch then
fails to index, its dispatches are in the dead-letter topic and a copy that the gate
dropped as their duplicate is counted as such.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.dedup.similarity import Candidate
from pipeline.dedup.versioning import Known
from schemas import Dispatch, Event, PubStatus


class Turns:
    """Tickets handed out in gate order; a batch waits for its turn to write until every
    earlier ticket has finished (written, or given up: `finish` is called either way)."""

    def __init__(self) -> None:
        self._issued = 0
        self.next = 0  # the first ticket not finished
        self._finished: set[int] = set()
        self._waiters: dict[int, asyncio.Future[None]] = {}

    def issue(self) -> int:
        ticket = self._issued
        self._issued += 1
        return ticket

    async def wait(self, ticket: int) -> None:
        if ticket <= self.next:
            return
        waiter = self._waiters.get(ticket)
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters[ticket] = waiter
        await waiter

    def finish(self, ticket: int) -> None:
        self._finished.add(ticket)
        while self.next in self._finished:
            self._finished.discard(self.next)
            self.next += 1
        waiter = self._waiters.pop(self.next, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


@dataclass
class _Batch:
    accepted: list[Dispatch]
    stories: list[Candidate] = field(default_factory=list)  # once written
    events: dict[str, list[Event]] = field(default_factory=dict)  # guid -> events written


class InFlight:
    """What the index may not show yet: the last `keep` batches' accepted dispatches and,
    once written, their story ids and events. `keep` must cover the batches that can be
    in flight together (pipeline.worker.app keeps twice as many, plus two)."""

    def __init__(self, keep: int) -> None:
        self._keep = max(1, keep)
        self._batches: dict[int, _Batch] = {}

    def opened(self, ticket: int, accepted: Sequence[Dispatch]) -> None:
        self._batches[ticket] = _Batch(list(accepted))
        for old in [t for t in self._batches if t <= ticket - self._keep]:
            del self._batches[old]

    def written(
        self, ticket: int, written: Sequence[Dispatch], signatures: dict[str, list[int]]
    ) -> None:
        batch = self._batches.get(ticket)
        if batch is None:
            return
        # Extends: a batch whose records are written one at a time (a poison record
        # isolated, pipeline.worker.app) reports each of them here.
        batch.stories.extend(
            Candidate(d.guid, d.story_id or d.guid, tuple(signatures[d.guid]))
            for d in written
            if d.guid in signatures
        )
        batch.events.update({d.guid: list(d.events) for d in written})

    def gate_view(self, since: int, extractor: str) -> tuple[dict[str, Known], dict[str, str]]:
        """Known state and content owners from batches with ticket >= `since` (those not
        written when this gate's lookup began), later batches winning."""
        known: dict[str, Known] = {}
        owners: dict[str, str] = {}
        for ticket in sorted(t for t in self._batches if t >= since):
            for d in self._batches[ticket].accepted:
                known[d.guid] = Known(
                    d.version,
                    d.content_hash,
                    d.pubstatus,
                    tuple(d.history),
                    (),
                    d.story_id,
                    extractor,
                )
                if d.content_hash and d.pubstatus is PubStatus.usable:
                    owners.setdefault(d.content_hash, d.guid)
        return known, owners

    def commit_view(
        self, since: int, ticket: int
    ) -> tuple[list[Candidate], dict[str, list[Event]]]:
        """Story look-alikes and events per guid written by batches in [since, ticket)."""
        stories: list[Candidate] = []
        events: dict[str, list[Event]] = {}
        for t in sorted(t for t in self._batches if since <= t < ticket):
            stories.extend(self._batches[t].stories)
            for guid, written in self._batches[t].events.items():
                events.setdefault(guid, []).extend(written)
        return stories, events
