"""Where a settled batch goes: event topics, the live feed, alerts and dead letters.

Thin senders over Faust topics; what to send is decided by pipeline.worker.batch.settle.
Events and retractions are keyed by the dispatch's guid, so a retraction follows the
event it withdraws on the same partition.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson

from pipeline import metrics
from pipeline.kafka.client import encode
from schemas import DeadLetter, Dispatch, Event, EventRetraction

log = logging.getLogger("wirestream.worker")


class Sinks:
    def __init__(self, events: Mapping[str, Any], dispatches: Any, alerts: Any, dlq: Any) -> None:
        self.event_topics = events  # event type -> Faust topic
        self.dispatches = dispatches
        self.alerts = alerts
        self.dlq = dlq

    async def dead_letters(self, letters: list[DeadLetter]) -> None:
        for dl in letters:
            metrics.DEAD_LETTERS.labels(dl.stage).inc()
            log.warning("dead letter stage=%s source=%s: %s", dl.stage, dl.source, dl.error)
            await self.dlq.send(key=dl.id.encode(), value=encode(dl))

    async def events(self, guid: str, events: list[Event]) -> None:
        for e in events:
            metrics.EVENTS.labels(e.type).inc()
            await self.event_topics[e.type].send(
                key=guid.encode(), value=orjson.dumps(e.model_dump(mode="json"))
            )

    async def retractions(self, withdrawn: list[EventRetraction]) -> None:
        for r in withdrawn:
            topic = self.event_topics.get(r.type)
            if topic is None:  # a type the running rules no longer have: no topic to tell
                log.warning("cannot retract %s event %s: no such topic", r.type, r.retracts)
                continue
            metrics.RETRACTIONS.labels(r.type, r.reason).inc()
            await topic.send(
                key=r.dispatch_guid.encode(), value=orjson.dumps(r.model_dump(mode="json"))
            )

    async def live_feed(self, d: Dispatch) -> None:
        summary = d.model_dump(mode="json", exclude={"body", "history"})
        await self.dispatches.send(key=d.guid.encode(), value=orjson.dumps(summary))
