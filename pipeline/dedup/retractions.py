"""Withdrawing events: what subscribers must un-learn when a dispatch changes.

An event published on `wire.events.<type>` stays in every subscriber's hands. When a
later version of its dispatch is killed, or corrected so that it no longer states the
event, or re-extracted by rules that no longer find it, the index simply replaces the
dispatch's events; the topic gets an `EventRetraction` for each event that went away,
on the same topic and under the same key (the dispatch guid), so it arrives after the
event it withdraws. Events kept by the new version keep their ids (pipeline.extract.events.rules
derives them from guid, type and roles) and are re-sent as updates, not retracted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from schemas import Dispatch, Event, EventRetraction, PubStatus, RetractionReason


def retractions(
    d: Dispatch,
    previous: Sequence[Event],
    *,
    reextracted: bool,
    at: datetime,
    resend: Sequence[EventRetraction] = (),
) -> list[EventRetraction]:
    """The events published for earlier versions of `d` (`previous`) that `d` no longer
    has, each withdrawn once, in the order they were published. `resend`: retractions an
    earlier write of this very record already decided (a replay), sent again first."""
    if d.pubstatus is not PubStatus.usable:
        reason = RetractionReason.killed
    elif reextracted:
        reason = RetractionReason.reextracted
    else:
        reason = RetractionReason.superseded
    gone: dict[str, Event] = {}
    settled = {e.id for e in d.events} | {r.retracts for r in resend}
    for e in previous:
        if e.id not in settled:
            gone.setdefault(e.id, e)
    return [*resend] + [
        EventRetraction(
            retracts=e.id,
            type=e.type,
            dispatch_guid=d.guid,
            dispatch_version=d.version,
            reason=reason,
            roles=e.roles,
            evidence=e.evidence,
            retracted_at=at,
        )
        for e in gone.values()
    ]
