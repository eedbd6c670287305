"""One Kafka reader per API process, fanned out in memory to every subscriber.

A newsroom keeps hundreds of pages and dashboards open; each used to get its own Kafka
consumer (a broker connection and a fetch loop each). Here one group-less reader (no
consumer group, nothing committed, so API processes scale out behind a load balancer,
each with its own) follows every stream topic from its end and keeps a recent window of
records per partition in memory. Each subscriber is a bounded queue:

- a new subscriber starts at the reader's head (or, with `start=earliest` or a
  Last-Event-ID inside the window, replays the window from its position first);
- a Last-Event-ID older than the window is served by a short-lived catch-up reader of
  its own, which reads Kafka from that position until it reaches the window and then
  hands the client over to the shared reader: no record twice, none missed;
- a subscriber whose queue fills (a client that stopped reading) is dropped: its stream
  ends after a `retry:` hint, and the client reconnects with its Last-Event-ID, which
  resumes exactly. Nobody else waits for it.

The bookkeeping (window, positions, hand-over) is in `Window`, a plain class tested
without a broker (tests/unit/kafka/test_fanout.py); `Hub` adds the Kafka reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from pipeline.kafka import fetch_pacing
from pipeline.kafka.security import aiokafka_kwargs
from pipeline.settings import Settings

log = logging.getLogger("wirestream.fanout")

TP = tuple[str, int]
Position = dict[TP, int]  # next offset to read, per topic-partition
HEARTBEAT_SECONDS = 15.0
WINDOW_PER_PARTITION = 2000  # records held per partition, at most
WINDOW_BYTES_PER_PARTITION = 4 * 1024 * 1024  # and bytes
QUEUE_SIZE = 1000
TOPIC_REFRESH_SECONDS = 5.0


@dataclass(eq=False, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes
    # Frames already encoded for this record (event name, SSE id) -> bytes: thousands of
    # subscribers at the same position share one encoding.
    frames: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)
    # Payloads already rewritten for people (event name, renderer) -> data, e.g. an event
    # with its labels and formatted amount: made once per record, whatever the positions
    # of its subscribers.
    payloads: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and (
            self.topic,
            self.partition,
            self.offset,
            self.value,
        ) == (other.topic, other.partition, other.offset, other.value)

    __hash__ = None  # type: ignore[assignment]


# Put in every idle queue every HEARTBEAT_SECONDS by the hub: one timer for everybody
# instead of one per subscriber.
HEARTBEAT = Record("", -1, -1, b"")


class Overflow(Exception):
    """The subscriber fell a whole queue behind and was dropped; it resumes by reconnecting."""


@dataclass(eq=False)
class Member:
    """One subscriber: the topics it follows and its bounded queue."""

    topics: frozenset[str]
    queue: asyncio.Queue[Record | None]
    dropped: bool = False


@dataclass
class Window:
    """The recent records of every partition the reader follows, and its subscribers.

    Not thread-safe and never awaits: every method runs to completion on the event
    loop, which is what makes attach-with-backlog exact (no record can arrive between
    copying the backlog and registering the member)."""

    per_partition: int = WINDOW_PER_PARTITION
    bytes_per_partition: int = WINDOW_BYTES_PER_PARTITION
    queue_size: int = QUEUE_SIZE
    head: Position = field(default_factory=dict)  # next offset the reader will see
    first: Position = field(default_factory=dict)  # oldest offset still held
    records: dict[TP, deque[Record]] = field(default_factory=dict)
    held_bytes: dict[TP, int] = field(default_factory=dict)
    members: dict[str, set[Member]] = field(default_factory=dict)

    def track(self, tp: TP, head: int) -> None:
        """Follow a partition from `head` (the reader's position there)."""
        if tp not in self.head:
            self.head[tp] = head
            self.first[tp] = head
            self.records[tp] = deque()
            self.held_bytes[tp] = 0

    def partitions(self, topics: Iterable[str]) -> list[TP]:
        wanted = set(topics)
        return sorted(tp for tp in self.head if tp[0] in wanted)

    def covers(self, position: Position, topics: Iterable[str]) -> bool:
        """Whether everything from `position` on is still in memory (or yet to come)."""
        return all(
            position.get(tp, self.head[tp]) >= self.first[tp] for tp in self.partitions(topics)
        )

    def add(self, rec: Record) -> None:
        """A record the reader fetched: keep it, hand it to every member of its topic."""
        tp = (rec.topic, rec.partition)
        if tp not in self.head:
            self.track(tp, rec.offset)
        if rec.offset < self.head[tp]:
            return  # already seen (the reader re-fetched after a reconnect)
        held = self.records[tp]
        held.append(rec)
        self.held_bytes[tp] += len(rec.value)
        while len(held) > self.per_partition or (
            self.held_bytes[tp] > self.bytes_per_partition and len(held) > 1
        ):
            self.held_bytes[tp] -= len(held.popleft().value)
        self.first[tp] = held[0].offset if held else rec.offset + 1
        self.head[tp] = rec.offset + 1
        for m in list(self.members.get(rec.topic, ())):
            self._offer(m, rec)

    def _offer(self, m: Member, rec: Record | None) -> None:
        if m.dropped:
            return
        try:
            m.queue.put_nowait(rec)
        except asyncio.QueueFull:
            self.detach(m)
            m.dropped = True
            with contextlib.suppress(asyncio.QueueEmpty):
                m.queue.get_nowait()  # room for the wake-up below
            m.queue.put_nowait(None)

    def attach(self, topics: Sequence[str], position: Position) -> tuple[Member, Position]:
        """Register a subscriber at `position` (missing partitions: the head); returns the
        member, its queue already holding the backlog from `position`, and the position
        it starts from. The caller checked `covers` first."""
        start = {tp: position.get(tp, self.head[tp]) for tp in self.partitions(topics)}
        backlog = [
            rec for tp, offset in start.items() for rec in self.records[tp] if rec.offset >= offset
        ]
        m = Member(frozenset(topics), asyncio.Queue(maxsize=self.queue_size + len(backlog)))
        for rec in backlog:
            m.queue.put_nowait(rec)
        for t in m.topics:
            self.members.setdefault(t, set()).add(m)
        return m, start

    def heartbeat(self) -> int:
        """Wake every subscriber with nothing to read, so its stream sends a keep-alive."""
        woken = 0
        for m in {m for ms in self.members.values() for m in ms}:
            if m.queue.empty():
                m.queue.put_nowait(HEARTBEAT)
                woken += 1
        return woken

    def detach(self, m: Member) -> None:
        for t in m.topics:
            self.members.get(t, set()).discard(m)

    @property
    def subscribers(self) -> int:
        return len({m for ms in self.members.values() for m in ms})


class Subscription:
    """What a stream reads: (position after the record, the record), or (position, None) as
    a keep-alive about every HEARTBEAT_SECONDS. Raises Overflow if dropped. The position
    yielded is the subscription's own, updated in place: read it, don't keep it."""

    def __init__(self, hub: Hub, topics: Sequence[str], position: Position) -> None:
        self.hub = hub
        self.topics = list(topics)
        self.position = dict(position)
        self._member: Member | None = None
        self._catchup: AIOKafkaConsumer | None = None

    async def records(self) -> AsyncIterator[tuple[Position, Record | None]]:
        pos = dict(self.position)
        if self._catchup is not None:
            async for reached, value in self._catch_up(pos):  # advances `pos` in place
                yield reached, value
        if self._member is None:
            self._member, start = self.hub.window.attach(self.topics, pos)
            pos.update(start)
        queue = self._member.queue
        while True:
            rec = await queue.get()
            if rec is None:
                raise Overflow("subscriber dropped: its queue was full")
            if rec is HEARTBEAT:
                yield pos, None
                continue
            pos[(rec.topic, rec.partition)] = rec.offset + 1
            yield pos, rec

    async def _catch_up(self, pos: Position) -> AsyncIterator[tuple[Position, Record | None]]:
        """Read Kafka from `pos` until the shared window covers it, then hand over."""
        consumer = self._catchup
        assert consumer is not None
        window = self.hub.window
        try:
            while not window.covers(pos, self.topics):
                batch = await consumer.getmany(timeout_ms=1000, max_records=500)
                if not batch:
                    yield pos, None
                    continue
                for tp, msgs in batch.items():
                    for msg in msgs:
                        key = (tp.topic, tp.partition)
                        if msg.offset < pos.get(key, 0):
                            continue
                        pos[key] = msg.offset + 1
                        yield pos, Record(tp.topic, tp.partition, msg.offset, msg.value or b"")
        finally:
            self._catchup = None
            await consumer.stop()

    async def close(self) -> None:
        if self._member is not None:
            self.hub.window.detach(self._member)
        if self._catchup is not None:
            await self._catchup.stop()


def _consumer_kwargs(settings: Settings) -> dict[str, object]:
    return {
        **aiokafka_kwargs(settings),  # addresses, TLS and SASL, as every other client
        "enable_auto_commit": False,
        "group_id": None,
        "fetch_max_bytes": 4 * 1024 * 1024,
        "max_partition_fetch_bytes": 1024 * 1024,
    }


class Hub:
    """The process's one reader of the stream topics."""

    def __init__(self, settings: Settings, topics: Sequence[str], window: Window | None = None):
        self.settings = settings
        self.topics = list(topics)
        self.window = window or Window()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Open the reader (once); raises KafkaError/OSError when Kafka is unreachable."""
        async with self._starting:
            if self._task is not None:
                return
            fetch_pacing.install(self.settings.kafka_empty_fetch_pause_ms / 1000)
            consumer = AIOKafkaConsumer(**_consumer_kwargs(self.settings))
            await consumer.start()
            try:
                await self._assign(consumer)
            except BaseException:
                await consumer.stop()
                raise
            self._consumer = consumer
            self._task = asyncio.create_task(self._run(), name="fanout-reader")
            self._ticker = asyncio.create_task(self._heartbeats(), name="fanout-heartbeats")

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            self.window.heartbeat()

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        """Follow every partition of the stream topics that exist: those already followed
        where the reader is, those seen for the first time from their end at start and
        from their beginning later (a topic created after the start: nothing missed)."""
        existing = await consumer.topics()
        parts = [
            TopicPartition(t, p)
            for t in self.topics
            if t in existing
            for p in sorted(consumer.partitions_for_topic(t) or [])
        ]
        new = [tp for tp in parts if (tp.topic, tp.partition) not in self.window.head]
        if not new:
            return
        first_time = not self.window.head
        consumer.assign(parts)
        for tp in parts:
            known = self.window.head.get((tp.topic, tp.partition))
            if known is not None:
                consumer.seek(tp, known)
        if first_time:
            await consumer.seek_to_end(*new)
        else:
            await consumer.seek_to_beginning(*new)
        for tp in new:
            self.window.track((tp.topic, tp.partition), await consumer.position(tp))

    def _missing(self) -> bool:
        return any(not self.window.partitions([t]) for t in self.topics)

    async def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        checked = time.monotonic()
        while True:
            try:
                if self._missing() and time.monotonic() - checked > TOPIC_REFRESH_SECONDS:
                    checked = time.monotonic()
                    await self._assign(consumer)  # a stream topic created since the start
                batch = await consumer.getmany(timeout_ms=1000, max_records=1000)
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:  # aiokafka reconnects by itself
                log.warning("stream reader: %s; retrying", exc)
                await asyncio.sleep(1.0)
                continue
            for tp, msgs in batch.items():
                for msg in msgs:
                    self.window.add(Record(tp.topic, tp.partition, msg.offset, msg.value or b""))

    async def subscribe(
        self, topics: Sequence[str], position: Position, *, from_start: bool = False
    ) -> Subscription:
        """A subscriber of `topics` from `position` (a Last-Event-ID), else from the head
        or, with from_start, from the beginning of what Kafka holds."""
        await self.start()
        assert self._consumer is not None
        topics = [t for t in topics if t in self.topics]
        wanted = dict(position)
        parts = self.window.partitions(topics)
        if from_start:
            missing = [TopicPartition(*tp) for tp in parts if tp not in wanted]
            if missing:
                begin = await self._consumer.beginning_offsets(missing)
                wanted |= {(tp.topic, tp.partition): off for tp, off in begin.items()}
        start = {tp: wanted.get(tp, self.window.head[tp]) for tp in parts}
        sub = Subscription(self, topics, start)
        if not self.window.covers(start, topics):
            sub._catchup = await self._catch_up_reader(start)
        return sub

    async def _catch_up_reader(self, start: Position) -> AIOKafkaConsumer:
        # A position Kafka no longer holds (retention) resumes at the oldest it does.
        consumer = AIOKafkaConsumer(**_consumer_kwargs(self.settings), auto_offset_reset="earliest")
        await consumer.start()
        try:
            parts = [TopicPartition(*tp) for tp in start]
            consumer.assign(parts)
            for tp in parts:
                consumer.seek(tp, start[(tp.topic, tp.partition)])
        except BaseException:
            await consumer.stop()
            raise
        return consumer

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
