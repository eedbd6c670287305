"""Live streams for subscribers: Kafka topics read from a position a client can resume.

Each subscriber gets its own consumer with no group: it reads at its own pace and
commits nothing, so a slow subscriber costs the pipeline nothing. The position (next
offset per topic-partition) is the SSE event id; a client that reconnects with
Last-Event-ID continues exactly where it stopped (as long as Kafka retains it).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaTimeoutError

from pipeline.kafka import fetch_pacing
from pipeline.kafka.security import aiokafka_kwargs
from pipeline.settings import Settings

Position = dict[tuple[str, int], int]
HEARTBEAT_SECONDS = 15.0


def encode_position(pos: Position) -> str:
    raw = json.dumps(sorted([t, p, o] for (t, p), o in pos.items()), separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(token: str | None) -> Position:
    """Parse a Last-Event-ID; raises ValueError with a reason for a malformed one."""
    if not token:
        return {}
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        items = json.loads(raw)
        return {(str(t), int(p)): int(o) for t, p, o in items}
    except (ValueError, TypeError) as exc:
        raise ValueError(f"malformed Last-Event-ID {token[:40]!r}") from exc


def event_matches(event: dict[str, Any], entities: Sequence[str], query: str) -> bool:
    """Entity filter: any of the ids or names in a role. Query: every word in the evidence."""
    if entities:
        names = {
            v.casefold()
            for rs in (event.get("roles") or {}).values()
            for r in rs
            for v in (r.get("entity_id", ""), r.get("name", ""))
        }
        if not any(e.casefold() in names for e in entities):
            return False
    if query.strip():
        text = str(event.get("evidence", "")).casefold()
        return all(w in text for w in query.casefold().split())
    return True


def _consumer_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        **aiokafka_kwargs(settings),  # addresses, TLS and SASL, as every other client
        "enable_auto_commit": False,
        "group_id": None,
        # Bounded memory per subscriber, however many topics it follows.
        "fetch_max_bytes": 1024 * 1024,
        "max_partition_fetch_bytes": 256 * 1024,
    }


class Subscription:
    """One subscriber's own Kafka reader, opened before the HTTP response starts, so a
    broker that is down is a 503 rather than a stream that dies after its headers."""

    def __init__(self, consumer: AIOKafkaConsumer, position: Position) -> None:
        self._consumer = consumer
        self.position = position

    async def records(self) -> AsyncIterator[tuple[Position, bytes | None]]:
        """Yield (position after the record, value); (position, None) as a heartbeat."""
        pos = dict(self.position)
        while True:
            try:
                msg = await asyncio.wait_for(self._consumer.getone(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                yield dict(pos), None
                continue
            pos[(msg.topic, msg.partition)] = msg.offset + 1
            yield dict(pos), msg.value

    async def close(self) -> None:
        await self._consumer.stop()


async def subscribe(
    settings: Settings, topics: Sequence[str], position: Position, *, from_start: bool = False
) -> Subscription:
    """Assign every partition of `topics`; resume at `position`, else start or end.
    Raises KafkaTimeoutError when the brokers do not answer within
    WIRE_KAFKA_REQUEST_TIMEOUT_S (the consumer is closed again)."""
    fetch_pacing.install(settings.kafka_empty_fetch_pause_ms / 1000)
    consumer = AIOKafkaConsumer(**_consumer_kwargs(settings))
    try:
        return await asyncio.wait_for(
            _open(consumer, topics, position, from_start), settings.kafka_request_timeout_s
        )
    except TimeoutError:
        await consumer.stop()
        raise KafkaTimeoutError(
            f"no answer within {settings.kafka_request_timeout_s:g} s"
        ) from None
    except BaseException:
        await consumer.stop()
        raise


async def _open(
    consumer: AIOKafkaConsumer, topics: Sequence[str], position: Position, from_start: bool
) -> Subscription:
    await consumer.start()
    existing = await consumer.topics()
    parts = [
        TopicPartition(t, p)
        for t in topics
        if t in existing
        for p in sorted(consumer.partitions_for_topic(t) or [])
    ]
    consumer.assign(parts)
    for tp in parts:
        if (tp.topic, tp.partition) in position:
            consumer.seek(tp, position[(tp.topic, tp.partition)])
        elif from_start:
            await consumer.seek_to_beginning(tp)
        else:
            await consumer.seek_to_end(tp)
    start: Position = {}
    for tp in parts:
        start[(tp.topic, tp.partition)] = await consumer.position(tp)
    return Subscription(consumer, start)


def sse(data: str, *, event: str | None = None, event_id: str | None = None) -> bytes:
    lines = []
    if event_id:
        lines.append(f"id: {event_id}")
    if event:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return ("\n".join(lines) + "\n\n").encode()
