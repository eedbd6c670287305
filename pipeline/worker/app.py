"""The Faust worker: a thin shell that moves batches between pure stages.

    wire.raw --(validate, normalise, gate, extract, enrich)--> Elasticsearch (dispatches, events)
                                                           --> wire.events.<type>
                                                           --> wire.dispatches (live feed)
                                                           --> wire.dlq (anything that failed)

`create_worker(settings)` builds the Faust app, its topics, the entity-memory table and
the agent; importing this module builds nothing. What a written batch sends is decided by
pipeline.worker.batch (pure, unit-tested); pipeline.worker.sinks sends it.
Processing guarantee is at-least-once; every sink is idempotent (ids = guid / event id,
external versioning in Elasticsearch), so a replay after a crash changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import faust
from faust.streams import Stream
from faust.types import EventT, StreamT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline import metrics
from pipeline.dedup.similarity import Candidate, signature
from pipeline.dedup.stories import assign_stories
from pipeline.dedup.versioning import Gated, gate
from pipeline.extract.batch import EXTRACTOR_VERSION
from pipeline.extract.events.types import EVENT_TYPES
from pipeline.extract.memory import KnownEntity, snapshot, teach
from pipeline.extract.runner import NlpRunner
from pipeline.extract.stages import Stage, mark_killed, validate_and_normalise
from pipeline.kafka import fetch_pacing
from pipeline.kafka.bootstrap import prepare_infrastructure
from pipeline.kafka.client import encode
from pipeline.kafka.security import faust_broker_kwargs
from pipeline.settings import Settings, get_settings
from pipeline.store.client import make_async_es
from pipeline.store.lookup import lookup_state
from pipeline.store.writes import write_batch
from pipeline.worker.alerts import AlertMatcher
from pipeline.worker.batch import deliveries, settle
from pipeline.worker.inflight import InFlight, Turns
from pipeline.worker.sinks import Sinks
from schemas import DeadLetter, Dispatch, PubStatus

log = logging.getLogger("wirestream.worker")


@dataclass
class _Admitted:
    """A batch past the gate, waiting for extraction and its turn to be written."""

    ticket: int
    since: int  # the first batch not yet written when this one's lookup began
    prepared: Stage
    gated: Gated
    signatures: dict[str, list[int]]
    candidates: list[Candidate]
    started: float


class _TableStore:
    """A GlobalTable (bytes in, bytes out) as a pipeline.extract.memory Store."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, key: str) -> KnownEntity | None:
        raw = self.table.get(key.encode())
        return KnownEntity.loads(raw) if raw else None

    def __setitem__(self, key: str, value: KnownEntity) -> None:
        self.table[key.encode()] = value.dumps()


class Worker:
    """One Faust app: wire.raw in, the index and the topics out."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = faust.App(
            settings.consumer_group,
            **faust_broker_kwargs(settings),  # brokers, TLS and SASL (pipeline.kafka.security)
            store="memory://",
            datadir=str(settings.worker_datadir),
            processing_guarantee="at_least_once",
            topic_partitions=settings.raw_partitions,
            topic_replication_factor=settings.replication_factor,
            web_port=settings.worker_web_port,
            key_serializer="raw",
            value_serializer="raw",
            consumer_auto_offset_reset="earliest",
        )
        app = self.app
        self.raw_topic = app.topic(
            settings.raw_topic, key_type=bytes, value_type=bytes, partitions=settings.raw_partitions
        )

        def topic(name: str) -> Any:
            return app.topic(name, key_type=bytes, value_type=bytes)

        self.sinks = Sinks(
            events={t: topic(settings.event_topic(t)) for t in EVENT_TYPES},
            dispatches=topic(settings.dispatches_topic),
            alerts=topic(settings.alerts_topic),
            dlq=topic(settings.dlq_topic),
        )
        # Entity memory (pipeline.extract.memory): global, so every worker recalls every
        # name; one partition and recovery_buffer_size=1 as Faust advises for a GlobalTable
        # shared by several workers; writes go through the partitioner (they happen in
        # batch context).
        self.entity_memory = app.GlobalTable(
            "entity-memory",
            key_type=bytes,
            value_type=bytes,
            partitions=1,
            recovery_buffer_size=1,
            use_partitioner=True,
            help="What earlier dispatches taught about names",
        )
        self.memory = _TableStore(self.entity_memory)
        self.matcher = AlertMatcher(settings)
        self.nlp = NlpRunner(settings.nlp_in_process, settings.nlp_processes)
        self.es: Any = None
        # Batches in flight (pipeline.worker.inflight): gated one at a time, extracted
        # side by side, written in the order they were gated.
        self.turns = Turns()
        self.inflight = InFlight(keep=2 * settings.batches_in_flight + 2)
        app.agent(self.raw_topic, name="pipeline.worker.app.process")(self.process)
        app.page("/metrics")(metrics_page)

    async def admit(self, values: list[bytes], positions: list[str]) -> _Admitted:
        """Validate, look up and gate one batch. Called in offset order, one batch at a
        time, so that versions of one guid are decided in the order they were published.
        `positions`: each value's raw record, topic:partition:offset."""
        s = self.settings
        if self.es is None:
            self.es = make_async_es(s, timeout=s.es_write_timeout_s, retries=3)
        t0 = time.perf_counter()
        since = self.turns.next
        prepared = validate_and_normalise(values, s.dlq_payload_bytes, positions)
        signatures = {d.guid: signature(d.text) for d in prepared.ok if d.body}
        known, owners, candidates = await lookup_state(self.es, s, prepared.ok, signatures)
        pending_known, pending_owners = self.inflight.gate_view(since, EXTRACTOR_VERSION)
        gated = gate(
            prepared.ok,
            {**known, **pending_known},
            {**pending_owners, **owners},
            EXTRACTOR_VERSION,
            prepared.positions,
        )
        ticket = self.turns.issue()
        self.inflight.opened(ticket, gated.accepted)
        metrics.STAGE_SECONDS.labels("lookup").observe(time.perf_counter() - t0)
        for d, verdict in gated.dropped:
            metrics.DISPATCHES.labels(verdict.value).inc()
            log.info("dropped %s v%s: %s", d.guid, d.version, verdict.value)
        for guid in gated.replayed:
            metrics.DISPATCHES.labels("replayed").inc()
            log.info("%s: its raw record is seen again after its write; sending it again", guid)
        return _Admitted(ticket, since, prepared, gated, signatures, candidates, t0)

    async def finish(
        self, batch: _Admitted, events: Sequence[EventT[bytes]], stream: Stream[bytes]
    ) -> None:
        """Extract and write an admitted batch, then acknowledge its records (only then:
        at-least-once; a batch that fails is not acknowledged and comes back on restart)."""
        try:
            await self.extract_and_write(batch, len(events))
        finally:
            self.turns.finish(batch.ticket)  # later batches may write now, even if this failed
        for event in events:
            await stream.ack(event)

    async def extract_and_write(self, batch: _Admitted, size: int) -> None:
        s = self.settings
        gated, signatures = batch.gated, batch.signatures
        live = [d for d in gated.accepted if d.pubstatus is PubStatus.usable]
        killed = mark_killed([d for d in gated.accepted if d.pubstatus is not PubStatus.usable])
        t_nlp = time.perf_counter()
        memory = snapshot((d.text for d in live), self.memory.get)
        enriched = await self.nlp.run(live, s.nlp_batch_size, s.dlq_payload_bytes, memory)
        metrics.STAGE_SECONDS.labels("extract").observe(time.perf_counter() - t_nlp)
        await self.turns.wait(batch.ticket)
        # What the batches written since this one's lookup add: look-alikes, replaced events.
        recent, written_events = self.inflight.commit_view(batch.since, batch.ticket)
        for d in gated.accepted:
            if d.guid in written_events:
                gated.obsolete_events.setdefault(d.guid, []).extend(written_events[d.guid])
        ready = assign_stories([*enriched.ok, *killed], signatures, [*batch.candidates, *recent])
        planned = deliveries(ready, gated, batch.prepared.positions, datetime.now(UTC))
        t1 = time.perf_counter()
        outcome = await write_batch(
            self.es,
            s,
            ready,
            signatures=signatures,
            obsolete_events=gated.obsolete_events,
            deliveries=planned,
        )
        metrics.STAGE_SECONDS.labels("index").observe(time.perf_counter() - t1)
        indexed_at = datetime.now(UTC)
        self.inflight.written(
            batch.ticket, [d for d in ready if d.guid not in outcome.failed], signatures
        )
        done = settle(ready, gated, planned, outcome.failed, set(outcome.stale))
        await self.sinks.retractions(done.retractions)
        for guid, events in done.events:
            await self.sinks.events(guid, events)
        for d in done.live_feed:
            metrics.PUBLISH_TO_INDEXED.observe((indexed_at - d.received_at).total_seconds())
            await self.sinks.live_feed(d)
        for label, n in done.outcomes.items():
            metrics.DISPATCHES.labels(label).inc(n)
        dead = batch.prepared.dead + enriched.dead
        dead += [
            DeadLetter.of(
                encode(d),
                source=d.source,
                stage="index",
                error=error,
                keep_bytes=s.dlq_payload_bytes,
                fmt=d.format,
            )
            for d, error in done.failed
        ]
        await self.sinks.dead_letters(dead)
        self.remember(done.fresh)
        await self.send_alerts(done.fresh)
        metrics.STAGE_SECONDS.labels("batch").observe(time.perf_counter() - batch.started)
        metrics.BATCH_SIZE.observe(size)

    def remember(self, dispatches: Iterable[Dispatch]) -> None:
        """Teach the memory what these dispatches typed confidently."""
        metrics.MEMORY_WRITES.inc(teach(self.memory, dispatches))

    async def send_alerts(self, dispatches: list[Dispatch]) -> None:
        """Saved searches: a failure here is logged and counted; the dispatches are safe."""
        try:
            alerts = await self.matcher.match(self.es, dispatches)
        except Exception as exc:  # alerting must never stop indexing
            metrics.ALERT_FAILURES.inc()
            log.warning(
                "saved-search matching failed for %d dispatch(es): %s", len(dispatches), exc
            )
            return
        for a in alerts:
            metrics.ALERTS.inc()
            await self.sinks.alerts.send(
                key=a.saved_search_id.encode(), value=a.model_dump_json().encode()
            )

    async def process(self, records: StreamT[bytes]) -> None:
        """Batches are admitted in offset order; up to `batches_in_flight` of them are then
        extracted side by side and written in the order they were admitted."""
        s = self.settings
        stream = cast(Stream[bytes], records)
        running: set[asyncio.Task[None]] = set()
        try:
            async for taken in stream.noack_take(s.nlp_batch_size, within=0.2):
                events = cast(list[EventT[bytes]], taken)  # noack_take yields events
                batch = await self.admit(
                    [e.value for e in events],
                    [f"{e.message.topic}:{e.message.partition}:{e.message.offset}" for e in events],
                )
                running.add(asyncio.create_task(self.finish(batch, events, stream)))
                while len(running) >= s.batches_in_flight:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()  # a failed batch stops the agent, as it would unpipelined
        finally:
            for task in running:
                task.cancel()


async def metrics_page(view: Any, request: Any) -> Any:
    """The worker's /metrics (Faust binds a page function to its View: `view.bytes`)."""
    # aiohttp refuses a charset inside content_type; Prometheus reads this as its text format.
    return view.bytes(
        generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0] + "; version=0.0.4"
    )


def create_worker(settings: Settings | None = None) -> Worker:
    settings = settings or get_settings()
    fetch_pacing.install(settings.kafka_empty_fetch_pause_ms / 1000)
    return Worker(settings)


def run_worker(web_port: int | None = None, loglevel: str = "info") -> None:
    import sys

    worker = create_worker()
    prepare_infrastructure(worker.settings)  # topics and index templates exist before we consume
    worker.nlp.start()  # the NLP process loads its models before the first batch arrives
    loglevel = {"warning": "warn", "critical": "crit"}.get(loglevel.lower(), loglevel.lower())
    argv = ["wire", "worker", "-l", loglevel]
    if web_port is not None:
        argv += ["--web-port", str(web_port)]
    sys.argv = argv
    worker.app.main()
