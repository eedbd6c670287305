"""What becomes of a batch once it is written: the worker's policy, as pure functions.

The Faust agent (pipeline.worker.app) gates a batch (pipeline.dedup.versioning.gate),
extracts it, writes it, and then asks `settle` what each dispatch's write means:
which dead letters, retractions, events and live-feed entries to send, which counter to
bump, what to teach the entity memory and which dispatches saved searches see. Nothing
here talks to Kafka or Elasticsearch, so every outcome is unit-tested without a server
(tests/unit/worker/test_batch.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.dedup.retractions import retractions
from pipeline.dedup.versioning import Gated
from pipeline.store.documents import Delivery
from schemas import Dispatch, Event, EventRetraction, EventStatus, PubStatus


def deliveries(
    ready: Sequence[Dispatch], gated: Gated, positions: dict[str, str], at: datetime
) -> dict[str, Delivery]:
    """Each dispatch's raw record and the retractions its write decides.

    Retractions are decided before the write and stored with it, so that a replay of the
    same raw record (its worker died before publishing) sends them again."""
    return {
        d.guid: Delivery(
            positions.get(d.guid),
            retractions(
                d,
                gated.obsolete_events.get(d.guid, []),
                reextracted=d.guid in gated.reextracted,
                at=at,
                resend=gated.replayed.get(d.guid, []),
            ),
        )
        for d in ready
    }


@dataclass
class Settled:
    """Everything a written batch sends, in the order it must go out."""

    # (dispatch, the index error): each becomes a dead letter at stage "index"
    failed: list[tuple[Dispatch, str]] = field(default_factory=list)
    retractions: list[EventRetraction] = field(default_factory=list)
    # (guid, events): published on wire.events.<type>, keyed by the dispatch's guid
    events: list[tuple[str, list[Event]]] = field(default_factory=list)
    # dispatches for the live feed (wire.dispatches), killed ones included
    live_feed: list[Dispatch] = field(default_factory=list)
    # outcome label -> count, for wire_dispatches_total
    outcomes: dict[str, int] = field(default_factory=dict)
    # usable dispatches published now: the entity memory learns from them, alerts match them
    fresh: list[Dispatch] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def publishable(events: Sequence[Event]) -> list[Event]:
    """Only asserted events go out as facts on wire.events.<type>. Extraction already keeps
    denied, rumoured, planned and background events apart (`Dispatch.non_facts`); this
    holds whatever a producer put in `events`."""
    return [e for e in events if e.status is EventStatus.asserted]


def settle(
    ready: Sequence[Dispatch],
    gated: Gated,
    deliveries: dict[str, Delivery],
    failed: dict[str, str],
    stale: set[str],
) -> Settled:
    """Decide what each written dispatch sends.

    - an index failure: a dead letter, nothing published;
    - stale (a newer version was written meanwhile): counted, nothing published;
    - re-extracted by newer rules: its retractions, and only the events the older
      extraction did not have; no live-feed entry, no alert (it is old news);
    - otherwise: its retractions, its asserted events and a live-feed entry; counted as indexed or
      killed; a usable one feeds the entity memory and the saved searches.
    """
    out = Settled()
    for d in ready:
        if d.guid in failed:
            out.failed.append((d, failed[d.guid]))
            continue
        if d.guid in stale:  # lost a race with a newer version written meanwhile
            out.count("stale_version")
            continue
        out.retractions.extend(deliveries[d.guid].retractions)
        if d.guid in gated.reextracted:
            out.count("reextracted")
            known_ids = {e.id for e in gated.obsolete_events.get(d.guid, [])}
            out.events.append((d.guid, [e for e in publishable(d.events) if e.id not in known_ids]))
            continue
        usable = d.pubstatus is PubStatus.usable
        out.count("indexed" if usable else "killed")
        out.events.append((d.guid, publishable(d.events)))
        out.live_feed.append(d)
        if usable:
            out.fresh.append(d)
    return out
