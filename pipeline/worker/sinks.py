"""Where a settled batch goes: event topics, the live feed, alerts and dead letters.

What to send is decided by pipeline.worker.batch.settle; here each part becomes
`Outgoing` messages (counted once, when built), and `send` hands them all to the
producer and waits until Kafka acknowledged every one of them. The caller bounds that
wait and retries the whole lot when it times out (pipeline.worker.health): a batch is
acknowledged only once what it sends is delivered, so events are published at least
once. Events and retractions are keyed by the dispatch's guid, so a retraction follows
the event it withdraws on the same partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from pipeline import metrics
from pipeline.kafka.client import encode
from schemas import DeadLetter, Dispatch, Event, EventRetraction

log = logging.getLogger("wirestream.worker")


@dataclass(frozen=True)
class Outgoing:
    topic: Any  # a Faust topic
    key: bytes
    value: bytes


class Sinks:
    def __init__(self, events: Mapping[str, Any], dispatches: Any, alerts: Any, dlq: Any) -> None:
        self.event_topics = events  # event type -> Faust topic
        self.dispatches = dispatches
        self.alerts = alerts
        self.dlq = dlq

    def dead_letters(self, letters: Iterable[DeadLetter]) -> list[Outgoing]:
        out = []
        for dl in letters:
            metrics.DEAD_LETTERS.labels(dl.stage).inc()
            log.warning("dead letter stage=%s source=%s: %s", dl.stage, dl.source, dl.error)
            out.append(Outgoing(self.dlq, dl.id.encode(), encode(dl)))
        return out

    def events(self, guid: str, events: Iterable[Event]) -> list[Outgoing]:
        out = []
        for e in events:
            metrics.EVENTS.labels(e.type).inc()
            value = orjson.dumps(e.model_dump(mode="json"))
            out.append(Outgoing(self.event_topics[e.type], guid.encode(), value))
        return out

    def retractions(self, withdrawn: Iterable[EventRetraction]) -> list[Outgoing]:
        out = []
        for r in withdrawn:
            topic = self.event_topics.get(r.type)
            if topic is None:  # a type the running rules no longer have: no topic to tell
                log.warning("cannot retract %s event %s: no such topic", r.type, r.retracts)
                continue
            metrics.RETRACTIONS.labels(r.type, r.reason).inc()
            value = orjson.dumps(r.model_dump(mode="json"))
            out.append(Outgoing(topic, r.dispatch_guid.encode(), value))
        return out

    def live_feed(self, d: Dispatch) -> Outgoing:
        summary = d.model_dump(mode="json", exclude={"body", "history"})
        return Outgoing(self.dispatches, d.guid.encode(), orjson.dumps(summary))

    def alert(self, key: str, value: bytes) -> Outgoing:
        return Outgoing(self.alerts, key.encode(), value)

    async def send(self, messages: list[Outgoing]) -> None:
        """Hand every message to the producer (in order), then wait for every
        acknowledgement. Raises if one is refused; the caller bounds the wait."""
        pending = [await m.topic.send(key=m.key, value=m.value) for m in messages]
        if pending:
            await asyncio.gather(*pending)
