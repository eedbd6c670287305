"""The Faust worker: a thin shell that moves batches through pipeline.process.

    wire.raw --(validate, normalise, extract, enrich)--> Elasticsearch (dispatches, events)
                                                     --> wire.events.<type>
                                                     --> wire.dispatches (live feed)
                                                     --> wire.dlq (anything that failed)
Processing guarantee is at-least-once; every sink is idempotent (ids = guid / event id,
external versioning in Elasticsearch), so a replay after a crash changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, Iterable
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline import metrics
from pipeline.alerts import AlertMatcher
from pipeline.extract import EXTRACTOR_VERSION
from pipeline.index import lookup_state, make_async_es, write_batch
from pipeline.kafka_io import dead_letter, encode
from pipeline.memory import KnownEntity, snapshot, teach
from pipeline.nlp_runner import NlpRunner
from pipeline.process import assign_stories, mark_killed, validate_and_normalise
from pipeline.settings import get_settings
from pipeline.setup import EVENT_TYPES, prepare_infrastructure
from pipeline.similarity import signature
from pipeline.versioning import gate
from schemas import DeadLetter, Dispatch, Event, PubStatus

log = logging.getLogger("wirestream.worker")
settings = get_settings()

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
# Entity memory (pipeline.memory): global, so every worker recalls every name; one
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


async def _send_dead(letters: list[DeadLetter]) -> None:
    for dl in letters:
        metrics.DEAD_LETTERS.labels(dl.stage).inc()
        log.warning("dead letter stage=%s source=%s: %s", dl.stage, dl.source, dl.error)
        await dlq_topic.send(key=dl.id.encode(), value=encode(dl))


async def handle_batch(values: list[bytes]) -> None:
    global _es
    if _es is None:
        _es = make_async_es(settings)
    t0 = time.perf_counter()
    prepared = validate_and_normalise(values, settings.dlq_payload_bytes)
    signatures = {d.guid: signature(d.text) for d in prepared.ok if d.body}
    known, owners, candidates = await lookup_state(_es, settings, prepared.ok, signatures)
    metrics.STAGE_SECONDS.labels("lookup").observe(time.perf_counter() - t0)
    gated = gate(prepared.ok, known, owners, EXTRACTOR_VERSION)
    for d, verdict in gated.dropped:
        metrics.DISPATCHES.labels(verdict.value).inc()
        log.info("dropped %s v%s: %s", d.guid, d.version, verdict.value)
    live = [d for d in gated.accepted if d.pubstatus is PubStatus.usable]
    killed = mark_killed([d for d in gated.accepted if d.pubstatus is not PubStatus.usable])
    t_nlp = time.perf_counter()
    memory = snapshot((d.text for d in live), _memory.get)
    enriched = await _nlp.run(live, settings.nlp_batch_size, settings.dlq_payload_bytes, memory)
    metrics.STAGE_SECONDS.labels("extract").observe(time.perf_counter() - t_nlp)
    ready = assign_stories([*enriched.ok, *killed], signatures, candidates)
    dead = prepared.dead + enriched.dead
    t1 = time.perf_counter()
    outcome = await write_batch(
        _es, settings, ready, signatures=signatures, obsolete_events=gated.obsolete_events
    )
    metrics.STAGE_SECONDS.labels("index").observe(time.perf_counter() - t1)
    stale = set(outcome.stale)
    now = datetime.now(UTC)
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
        if d.guid in gated.reextracted:
            # A backfill: only the events the new rules found go out; no live-feed entry,
            # no alert (the dispatch itself is old news).
            metrics.DISPATCHES.labels("reextracted").inc()
            known_ids = set(gated.obsolete_events.get(d.guid, []))
            await _publish_events([e for e in d.events if e.id not in known_ids], d.guid)
            continue
        metrics.DISPATCHES.labels(
            "killed" if d.pubstatus is not PubStatus.usable else "indexed"
        ).inc()
        metrics.PUBLISH_TO_INDEXED.observe((now - d.received_at).total_seconds())
        await _publish(d)
        published.append(d)
    await _send_dead(dead)
    _remember(d for d in published if d.pubstatus is PubStatus.usable)
    await _send_alerts([d for d in published if d.pubstatus is PubStatus.usable])
    metrics.STAGE_SECONDS.labels("batch").observe(time.perf_counter() - t0)
    metrics.BATCH_SIZE.observe(len(values))


class _TableStore:
    """The GlobalTable (bytes in, bytes out) as a pipeline.memory Store."""

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


async def _publish(d: Dispatch) -> None:
    key = d.guid.encode()
    await _publish_events(d.events, d.guid)
    summary = d.model_dump(mode="json", exclude={"body", "history"})
    await dispatches_topic.send(key=key, value=orjson.dumps(summary))


@app.agent(raw_topic)
async def process(stream: AsyncIterable[bytes]) -> None:
    async for values in stream.take(settings.nlp_batch_size, within=0.2):  # type: ignore[attr-defined]
        await handle_batch(list(values))


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
