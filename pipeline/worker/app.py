"""The Faust worker: a thin shell that moves batches through pipeline.extract.stages.

    wire.raw --(validate, normalise, extract, enrich)--> Elasticsearch (dispatches, events)
                                                     --> wire.events.<type>
                                                     --> wire.dispatches (live feed)
                                                     --> wire.dlq (anything that failed)
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
import orjson
from faust.streams import Stream
from faust.types import EventT, StreamT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline import metrics
from pipeline.dedup.retractions import retractions
from pipeline.dedup.similarity import Candidate, signature
from pipeline.dedup.versioning import Gated, gate
from pipeline.extract.batch import EXTRACTOR_VERSION
from pipeline.extract.memory import KnownEntity, snapshot, teach
from pipeline.extract.runner import NlpRunner
from pipeline.extract.stages import Stage, assign_stories, mark_killed, validate_and_normalise
from pipeline.kafka import fetch_pacing
from pipeline.kafka.bootstrap import EVENT_TYPES, prepare_infrastructure
from pipeline.kafka.client import dead_letter, encode
from pipeline.settings import get_settings
from pipeline.store.documents import Delivery, lookup_state, make_async_es, write_batch
from pipeline.store.saved_searches import AlertMatcher
from pipeline.worker.inflight import InFlight, Turns
from schemas import DeadLetter, Dispatch, Event, EventRetraction, PubStatus

log = logging.getLogger("wirestream.worker")
settings = get_settings()
fetch_pacing.install(settings.kafka_empty_fetch_pause_ms / 1000)

app = faust.App(
    settings.consumer_group,
    broker=[f"kafka://{h}" for h in settings.kafka_hosts],
    broker_credentials=None,
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

raw_topic = app.topic(
    settings.raw_topic, key_type=bytes, value_type=bytes, partitions=settings.raw_partitions
)
dispatches_topic = app.topic(settings.dispatches_topic, key_type=bytes, value_type=bytes)
dlq_topic = app.topic(settings.dlq_topic, key_type=bytes, value_type=bytes)
event_topics = {
    t: app.topic(settings.event_topic(t), key_type=bytes, value_type=bytes) for t in EVENT_TYPES
}

alerts_topic = app.topic(settings.alerts_topic, key_type=bytes, value_type=bytes)
# Entity memory (pipeline.extract.memory): global, so every worker recalls every name; one
# partition and recovery_buffer_size=1 as Faust advises for a GlobalTable shared by
# several workers; writes go through the partitioner (they happen in batch context).
entity_memory = app.GlobalTable(
    "entity-memory",
    key_type=bytes,
    value_type=bytes,
    partitions=1,
    recovery_buffer_size=1,
    use_partitioner=True,
    help="What earlier dispatches taught about names",
)
_matcher = AlertMatcher(settings)
_nlp = NlpRunner(settings.nlp_in_process, settings.nlp_processes)
_es: Any = None
# Batches in flight (pipeline.worker.inflight): gated one at a time, extracted side by side,
# written in the order they were gated.
_turns = Turns()
_inflight = InFlight(keep=2 * settings.batches_in_flight + 2)


async def _send_dead(letters: list[DeadLetter]) -> None:
    for dl in letters:
        metrics.DEAD_LETTERS.labels(dl.stage).inc()
        log.warning("dead letter stage=%s source=%s: %s", dl.stage, dl.source, dl.error)
        await dlq_topic.send(key=dl.id.encode(), value=encode(dl))


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


async def _admit(values: list[bytes], positions: list[str]) -> _Admitted:
    """Validate, look up and gate one batch. Called in offset order, one batch at a time,
    so that versions of one guid are decided in the order they were published.
    `positions`: each value's raw record, topic:partition:offset."""
    global _es
    if _es is None:
        _es = make_async_es(settings)
    t0 = time.perf_counter()
    since = _turns.next
    prepared = validate_and_normalise(values, settings.dlq_payload_bytes, positions)
    signatures = {d.guid: signature(d.text) for d in prepared.ok if d.body}
    known, owners, candidates = await lookup_state(_es, settings, prepared.ok, signatures)
    pending_known, pending_owners = _inflight.gate_view(since, EXTRACTOR_VERSION)
    gated = gate(
        prepared.ok,
        {**known, **pending_known},
        {**pending_owners, **owners},
        EXTRACTOR_VERSION,
        prepared.positions,
    )
    ticket = _turns.issue()
    _inflight.opened(ticket, gated.accepted)
    metrics.STAGE_SECONDS.labels("lookup").observe(time.perf_counter() - t0)
    for d, verdict in gated.dropped:
        metrics.DISPATCHES.labels(verdict.value).inc()
        log.info("dropped %s v%s: %s", d.guid, d.version, verdict.value)
    for guid in gated.replayed:
        metrics.DISPATCHES.labels("replayed").inc()
        log.info("%s: its raw record is seen again after its write; sending it again", guid)
    return _Admitted(ticket, since, prepared, gated, signatures, candidates, t0)


async def _finish(batch: _Admitted, events: Sequence[EventT[bytes]], stream: Stream[bytes]) -> None:
    """Extract and write an admitted batch, then acknowledge its records (only then:
    at-least-once; a batch that fails is not acknowledged and comes back on restart)."""
    try:
        await _extract_and_write(batch, len(events))
    finally:
        _turns.finish(batch.ticket)  # later batches may write now, even if this one failed
    for event in events:
        await stream.ack(event)


async def _extract_and_write(batch: _Admitted, size: int) -> None:
    gated, signatures = batch.gated, batch.signatures
    live = [d for d in gated.accepted if d.pubstatus is PubStatus.usable]
    killed = mark_killed([d for d in gated.accepted if d.pubstatus is not PubStatus.usable])
    t_nlp = time.perf_counter()
    memory = snapshot((d.text for d in live), _memory.get)
    enriched = await _nlp.run(live, settings.nlp_batch_size, settings.dlq_payload_bytes, memory)
    metrics.STAGE_SECONDS.labels("extract").observe(time.perf_counter() - t_nlp)
    await _turns.wait(batch.ticket)
    # What the batches written since this one's lookup add: look-alikes and replaced events.
    recent, written_events = _inflight.commit_view(batch.since, batch.ticket)
    for d in gated.accepted:
        if d.guid in written_events:
            gated.obsolete_events.setdefault(d.guid, []).extend(written_events[d.guid])
    ready = assign_stories([*enriched.ok, *killed], signatures, [*batch.candidates, *recent])
    dead = batch.prepared.dead + enriched.dead
    # Retractions are decided before the write and stored with it, so that a replay of
    # the same raw record (its worker died before publishing) sends them again.
    now = datetime.now(UTC)
    deliveries = {
        d.guid: Delivery(
            batch.prepared.positions.get(d.guid),
            retractions(
                d,
                gated.obsolete_events.get(d.guid, []),
                reextracted=d.guid in gated.reextracted,
                at=now,
                resend=gated.replayed.get(d.guid, []),
            ),
        )
        for d in ready
    }
    t1 = time.perf_counter()
    outcome = await write_batch(
        _es,
        settings,
        ready,
        signatures=signatures,
        obsolete_events=gated.obsolete_events,
        deliveries=deliveries,
    )
    metrics.STAGE_SECONDS.labels("index").observe(time.perf_counter() - t1)
    indexed_at = datetime.now(UTC)
    stale = set(outcome.stale)
    _inflight.written(batch.ticket, [d for d in ready if d.guid not in outcome.failed], signatures)
    published: list[Dispatch] = []
    for d in ready:
        if d.guid in outcome.failed:
            dead.append(
                dead_letter(
                    encode(d),
                    source=d.source,
                    stage="index",
                    error=outcome.failed[d.guid],
                    keep_bytes=settings.dlq_payload_bytes,
                    fmt=d.format,
                )
            )
            continue
        if d.guid in stale:  # lost a race with a newer version written meanwhile
            metrics.DISPATCHES.labels("stale_version").inc()
            continue
        previous = gated.obsolete_events.get(d.guid, [])
        await _publish_retractions(list(deliveries[d.guid].retractions))
        if d.guid in gated.reextracted:
            # A backfill: only the events the new rules found go out; no live-feed entry,
            # no alert (the dispatch itself is old news).
            metrics.DISPATCHES.labels("reextracted").inc()
            known_ids = {e.id for e in previous}
            await _publish_events([e for e in d.events if e.id not in known_ids], d.guid)
            continue
        metrics.DISPATCHES.labels(
            "killed" if d.pubstatus is not PubStatus.usable else "indexed"
        ).inc()
        metrics.PUBLISH_TO_INDEXED.observe((indexed_at - d.received_at).total_seconds())
        await _publish(d)
        published.append(d)
    await _send_dead(dead)
    _remember(d for d in published if d.pubstatus is PubStatus.usable)
    await _send_alerts([d for d in published if d.pubstatus is PubStatus.usable])
    metrics.STAGE_SECONDS.labels("batch").observe(time.perf_counter() - batch.started)
    metrics.BATCH_SIZE.observe(size)


class _TableStore:
    """The GlobalTable (bytes in, bytes out) as a pipeline.extract.memory Store."""

    def get(self, key: str) -> KnownEntity | None:
        raw = entity_memory.get(key.encode())
        return KnownEntity.loads(raw) if raw else None

    def __setitem__(self, key: str, value: KnownEntity) -> None:
        entity_memory[key.encode()] = value.dumps()


_memory = _TableStore()


def _remember(dispatches: Iterable[Dispatch]) -> None:
    """Teach the memory what these dispatches typed confidently."""
    metrics.MEMORY_WRITES.inc(teach(_memory, dispatches))


async def _send_alerts(dispatches: list[Dispatch]) -> None:
    """Saved searches: a failure here is logged and counted; the dispatches are safe."""
    try:
        alerts = await _matcher.match(_es, dispatches)
    except Exception as exc:  # alerting must never stop indexing
        metrics.ALERT_FAILURES.inc()
        log.warning("saved-search matching failed for %d dispatch(es): %s", len(dispatches), exc)
        return
    for a in alerts:
        metrics.ALERTS.inc()
        await alerts_topic.send(key=a.saved_search_id.encode(), value=a.model_dump_json().encode())


async def _publish_events(events: list[Event], guid: str) -> None:
    for e in events:
        metrics.EVENTS.labels(e.type).inc()
        await event_topics[e.type].send(
            key=guid.encode(), value=orjson.dumps(e.model_dump(mode="json"))
        )


async def _publish_retractions(withdrawn: list[EventRetraction]) -> None:
    for r in withdrawn:
        topic = event_topics.get(r.type)
        if topic is None:  # a type the running rules no longer have: no topic to tell
            log.warning("cannot retract %s event %s: no such topic", r.type, r.retracts)
            continue
        metrics.RETRACTIONS.labels(r.type, r.reason).inc()
        await topic.send(
            key=r.dispatch_guid.encode(), value=orjson.dumps(r.model_dump(mode="json"))
        )


async def _publish(d: Dispatch) -> None:
    key = d.guid.encode()
    await _publish_events(d.events, d.guid)
    summary = d.model_dump(mode="json", exclude={"body", "history"})
    await dispatches_topic.send(key=key, value=orjson.dumps(summary))


@app.agent(raw_topic)
async def process(records: StreamT[bytes]) -> None:
    """Batches are admitted in offset order; up to `batches_in_flight` of them are then
    extracted side by side and written in the order they were admitted."""
    stream = cast(Stream[bytes], records)
    running: set[asyncio.Task[None]] = set()
    try:
        async for taken in stream.noack_take(settings.nlp_batch_size, within=0.2):
            events = cast(list[EventT[bytes]], taken)  # noack_take yields events, not values
            batch = await _admit(
                [e.value for e in events],
                [f"{e.message.topic}:{e.message.partition}:{e.message.offset}" for e in events],
            )
            running.add(asyncio.create_task(_finish(batch, events, stream)))
            while len(running) >= settings.batches_in_flight:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # a failed batch stops the agent, as it would unpipelined
    finally:
        for task in running:
            task.cancel()


@app.page("/metrics")
async def metrics_page(web: Any, request: Any) -> Any:
    # aiohttp refuses a charset inside content_type; Prometheus reads this as its text format.
    return web.bytes(
        generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0] + "; version=0.0.4"
    )


def run_worker(web_port: int | None = None, loglevel: str = "info") -> None:
    import sys

    prepare_infrastructure(settings)  # topics and index templates exist before we consume
    _nlp.start()  # the NLP process loads its models before the first batch arrives
    loglevel = {"warning": "warn", "critical": "crit"}.get(loglevel.lower(), loglevel.lower())
    argv = ["wire", "worker", "-l", loglevel]
    if web_port is not None:
        argv += ["--web-port", str(web_port)]
    sys.argv = argv
    app.main()
