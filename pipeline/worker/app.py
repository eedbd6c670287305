"""The Faust worker: a thin shell that moves batches between pure stages.

    wire.raw --(validate, normalise, gate, extract, enrich)--> Elasticsearch (dispatches, events)
                                                           --> wire.events.<type>
                                                           --> wire.dispatches (live feed)
                                                           --> wire.dlq (anything that failed)

`create_worker(settings)` builds the Faust app, its topics, its tables (the entity memory,
and the gate's state: pipeline.worker.state) and the agent; importing this module builds
nothing. The gate decides from the worker's own tables; on the hot path Elasticsearch is
only written. What a written batch sends is decided by pipeline.worker.batch (pure,
unit-tested); pipeline.worker.sinks sends it.
Processing guarantee is at-least-once; every sink is idempotent (ids = guid / event id,
external versioning in Elasticsearch), so a replay after a crash changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import faust
from faust.streams import Stream
from faust.types import EventT, StreamT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline import metrics
from pipeline.dedup.similarity import Candidate, signature
from pipeline.dedup.state import Looked
from pipeline.dedup.stories import assign_stories
from pipeline.dedup.versioning import Gated, Known, StoredIn, gate
from pipeline.extract.batch import EXTRACTOR_VERSION
from pipeline.extract.events.types import EVENT_TYPES
from pipeline.extract.memory import KnownEntity, snapshot, teach
from pipeline.extract.runner import NlpRunner
from pipeline.extract.stages import Stage, mark_killed, validate_and_normalise
from pipeline.kafka import fetch_pacing, membership
from pipeline.kafka.bootstrap import prepare_infrastructure
from pipeline.kafka.client import client_kwargs, encode
from pipeline.kafka.security import faust_broker_kwargs
from pipeline.limits import COMPRESSION, EXTRACT_MAX_CHARS, Limits, nlp_body
from pipeline.resilience import Stall
from pipeline.settings import Settings, get_settings
from pipeline.store.client import make_async_es
from pipeline.store.documents import BulkOutcome, events_index
from pipeline.store.writes import write_batch
from pipeline.worker import lifecycle
from pipeline.worker.alerts import AlertMatcher
from pipeline.worker.batch import deliveries, settle
from pipeline.worker.health import KAFKA, SEARCH, Health, describe, probe
from pipeline.worker.inflight import InFlight, Turns
from pipeline.worker.sinks import Outgoing, Sinks
from pipeline.worker.state import StateTables
from schemas import DeadLetter, Dispatch, PubStatus

log = logging.getLogger("wirestream.worker")
T = TypeVar("T")


@dataclass
class _Admitted:
    """A batch past the gate, waiting for extraction and its turn to be written."""

    ticket: int
    since: int  # the first batch not yet written when this one's lookup began
    records: dict[str, EventT[bytes]]  # guid -> the raw record it came in (its partition)
    prepared: Stage
    gated: Gated
    signatures: dict[str, list[int]]
    candidates: list[Candidate]
    started: float
    # guid -> the generations holding what the index has of it (written there again)
    stored_in: dict[str, StoredIn] = field(default_factory=dict)
    released: bool = False  # its extraction slot given back (Worker.process)


class _TableStore:
    """A GlobalTable (bytes in, bytes out) as a pipeline.extract.memory Store."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, key: str) -> KnownEntity | None:
        raw = self.table.get(key.encode())
        return KnownEntity.loads(raw) if raw else None

    def __setitem__(self, key: str, value: KnownEntity) -> None:
        self.table[key.encode()] = value.dumps()


Redo = Callable[[], Awaitable[None]]


class TransientBulk(Exception):
    """Items of a bulk write the search node refused for now (429, 503, rejected
    execution): the whole bulk is sent again (idempotent), later."""

    retriable = True

    def __init__(self, outcome: BulkOutcome) -> None:
        first = next(iter(outcome.retry.values()), "")
        super().__init__(f"{len(outcome.retry)} item(s) refused for now, e.g. {first}")
        self.outcome = outcome


class Worker:
    """One Faust app: wire.raw in, the index and the topics out."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        membership.install()
        self.instance_id = membership.instance_id(
            settings.worker_instance_id, settings.worker_web_port
        )
        limits = Limits(settings.max_document_bytes)
        datadir = settings.worker_datadir / _folder(self.instance_id, settings)
        datadir.mkdir(parents=True, exist_ok=True)  # Faust makes only the last level
        session = settings.kafka_session_timeout_s
        self.app = faust.App(
            settings.consumer_group,
            **faust_broker_kwargs(settings),  # brokers, TLS and SASL (pipeline.kafka.security)
            store="memory://",
            # One folder per worker (its RocksDB partitions of the gate's state are locked
            # by the process that opened them), kept across its restarts: named by the
            # static member id, or the web port under dynamic membership.
            datadir=str(datadir),
            processing_guarantee="at_least_once",
            topic_partitions=settings.raw_partitions,
            topic_replication_factor=settings.replication_factor,
            web_port=settings.worker_web_port,
            web_bind=settings.worker_web_host,
            key_serializer="raw",
            value_serializer="raw",
            consumer_auto_offset_reset="earliest",
            # Self-healing (pipeline.kafka.membership, pipeline.worker.lifecycle): a static
            # member id, a session short enough that a dead worker's partitions move on
            # within a minute on Kafka, requests that outlast a rebalance, sends bounded.
            consumer_group_instance_id=self.instance_id,
            broker_session_timeout=session,
            broker_heartbeat_interval=min(3.0, session / 5),
            broker_rebalance_timeout=settings.kafka_rebalance_timeout_s,
            broker_request_timeout=max(session, settings.kafka_rebalance_timeout_s) + 10,
            producer_request_timeout=settings.kafka_send_timeout_s,
            # A stop or a rebalance does not wait for batches in flight (they are written
            # and acknowledged later, or not at all and then come back): waiting held a
            # stopping worker past any deadline and a rebalance through a whole outage.
            stream_wait_empty=False,
            # Limits (pipeline.limits): what the sources may send, the worker may send too.
            producer_max_request_size=limits.request_bytes,
            producer_compression_type=COMPRESSION,
            Worker=lifecycle.Worker,
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
        # The gate's state (pipeline.worker.state): per guid, content owners, story sketches.
        self.state = StateTables(app, settings)
        app.timer(settings.state_sweep_s, name="pipeline.worker.state.sweep")(self.state.sweep)
        self.matcher = AlertMatcher(settings)
        self.nlp = NlpRunner(settings.nlp_in_process, settings.nlp_processes)
        self.es: Any = None
        # Batches in flight (pipeline.worker.inflight): gated one at a time, extracted
        # side by side, written in the order they were gated.
        self.turns = Turns()
        self.inflight = InFlight(keep=2 * settings.batches_in_flight + 2)
        # Health (pipeline.worker.health): every call to Kafka or the search node is
        # bounded and retried; /metrics shows readiness and each dependency.
        self.health = Health(
            timeout_s=settings.worker_es_timeout_s, max_backoff_s=settings.retry_max_backoff_s
        )
        self.stall = Stall()
        self._kafka_client: Any = None
        self._kafka_job: asyncio.Future[Any] | None = None
        self._ticks = 0
        self._extracting = 0
        self._lag: int | None = None
        # The concrete indices behind the dispatch and event aliases (None: not read yet).
        # A guid is written into the generation its state names only while that
        # generation is still behind its alias (`wire index migrate` replaces them all).
        self.generations: set[str] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._acking: set[asyncio.Task[None]] = set()
        lifecycle.on_stop(self.on_stop)
        app.agent(self.raw_topic, name="pipeline.worker.app.process")(self.process)
        app.page("/metrics")(metrics_page)
        lifecycle.on_start(self.watching)

    def search(self) -> Any:
        """The worker's Elasticsearch client: each request bounded, no retries of its own
        (Health.call retries, with backoff, and says so on /metrics)."""
        if self.es is None:
            self.es = make_async_es(self.settings).options(
                request_timeout=self.settings.worker_es_timeout_s, max_retries=0
            )
        return self.es

    def on_stop(self) -> None:
        """A stop signal: show not-ready at once and drop in-flight batches (they are not
        acknowledged; their records come back to whoever holds the partitions next)."""
        self.health.stopping()
        for task in [*self._running, *self._acking]:
            task.cancel()

    async def admit(self, records: Sequence[EventT[bytes]]) -> _Admitted:
        """Validate, look up and gate one batch. Called in offset order, one batch at a
        time, so that versions of one guid are decided in the order they were published.
        The look-up reads the worker's own tables (no I/O); what earlier batches accepted
        and have not written yet comes from `self.inflight`."""
        self.stall.busy()
        t0 = time.perf_counter()
        since = self.turns.next
        prepared, by_guid, signatures, looked, gated = self._gate(records, since)
        ticket = self.turns.issue()
        self.inflight.opened(ticket, gated.accepted)
        metrics.STAGE_SECONDS.labels("lookup").observe(time.perf_counter() - t0)
        for d, verdict in gated.dropped:
            metrics.DISPATCHES.labels(verdict.value).inc()
            log.info("dropped %s v%s: %s", d.guid, d.version, verdict.value)
        for guid in gated.replayed:
            metrics.DISPATCHES.labels("replayed").inc()
            log.info("%s: its raw record is seen again after its write; sending it again", guid)
        return _Admitted(
            ticket,
            since,
            by_guid,
            prepared,
            gated,
            signatures,
            looked.candidates,
            t0,
            self.placed(looked.known),
        )

    async def finish(
        self,
        batch: _Admitted,
        events: Sequence[EventT[bytes]],
        stream: Stream[bytes],
        extracting: asyncio.Semaphore | None = None,
    ) -> None:
        """Extract and write an admitted batch, then acknowledge its records (only then:
        at-least-once; a batch that fails is not acknowledged and comes back on restart).
        A batch that fails for a reason of its own (not a server away) is written again
        one record at a time, in its turn, so that only the poison record is dead-lettered.
        `extracting`: the batch's NLP slot (taken by `process`), given back as soon as its
        extraction is over, so the next batch is extracted while this one is written.
        Saved searches are matched after the batch's turn: a slow match never holds up
        the next write."""
        epoch = self.health.epoch
        fresh: list[Dispatch] = []
        try:
            try:
                redo = [await self.extract_and_write(batch, len(events), fresh, extracting)]
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _release(extracting, batch)
                await self.turns.wait(batch.ticket)
                redo = await self.isolate(batch, events, exc, fresh)
        finally:
            _release(extracting, batch)
            self.turns.finish(batch.ticket)  # later batches may write now, even if this failed
        await self.send_alerts(fresh)
        task = asyncio.create_task(self.ack_later(events, stream, redo, epoch, time.monotonic()))
        self._acking.add(task)
        task.add_done_callback(self._acking.discard)

    async def ack_later(
        self,
        events: Sequence[EventT[bytes]],
        stream: Stream[bytes],
        redo: list[Redo],
        epoch: int,
        written: float,
    ) -> None:
        """Acknowledge a written batch's records once its writes and sends are sure to
        last: `WIRE_ACK_DELAY_S` after them, Kafka and the search node seen alive since,
        and neither seen going away meanwhile. A node that went away may have lost what it
        had just acknowledged (the local emulator keeps the last second in memory): the
        batch is then written and sent again (idempotent) before its records are
        acknowledged. A task of its own: the next batches go on meanwhile. Cancelled by a
        stop: the records are not acknowledged and come back, which the gate makes harmless."""
        while True:
            settled = written + self.settings.ack_delay_s
            await asyncio.sleep(max(0.0, settled - time.monotonic()))
            await self.health.seen_alive_after(settled)
            if self.health.epoch == epoch:
                break
            log.warning("a dependency went away after a batch was written: writing it again")
            epoch, written = self.health.epoch, time.monotonic()
            for again in redo:
                await again()
        for event in events:
            await stream.ack(event)
        self.stall.progressed(len(events))

    async def isolate(
        self,
        batch: _Admitted,
        events: Sequence[EventT[bytes]],
        exc: Exception,
        fresh: list[Dispatch],
    ) -> list[Redo]:
        """Write a failed batch's records one by one (holding its turn); a record that fails
        alone goes to the dead-letter topic with the reason."""
        log.error(
            "a batch of %d failed (%s): writing its records one at a time",
            len(events),
            describe(exc),
        )
        redo = []
        for event in events:
            try:
                single = await self.admit_one(batch, event)
                redo.append(await self.extract_and_write(single, 1, fresh, in_turn=True))
            except asyncio.CancelledError:
                raise
            except Exception as alone:
                await self.poison(event.value, _position(event), alone)
        return redo

    def _gate(
        self, records: Sequence[EventT[bytes]], since: int, in_flight_itself: bool = False
    ) -> tuple[Stage, dict[str, EventT[bytes]], dict[str, list[int]], Looked, Gated]:
        """Validate and normalise records, read their state from the tables, and gate them
        against it and against what batches admitted since `since` have not written yet.
        `in_flight_itself`: a record of a batch already admitted (written again alone)
        must not be gated against its own pending copy."""
        prepared, by_guid = _prepare(records, self.settings.dlq_payload_bytes)
        signatures = {d.guid: signature(d.text) for d in prepared.ok if d.body}
        looked = self.state.gate_state(by_guid).look_up(prepared.ok, signatures, time.time())
        pending_known, pending_owners = self.inflight.gate_view(since, EXTRACTOR_VERSION)
        if in_flight_itself:
            for d in prepared.ok:
                pending_known.pop(d.guid, None)
        gated = gate(
            prepared.ok,
            {**looked.known, **pending_known},
            {**pending_owners, **looked.owners},
            EXTRACTOR_VERSION,
            prepared.positions,
        )
        return prepared, by_guid, signatures, looked, gated

    async def admit_one(self, parent: _Admitted, record: EventT[bytes]) -> _Admitted:
        """One record gated on its own, inside its batch's ticket and turn."""
        prepared, by_guid, signatures, looked, gated = self._gate(
            [record], parent.since, in_flight_itself=True
        )
        return _Admitted(
            parent.ticket,
            parent.since,
            by_guid,
            prepared,
            gated,
            signatures,
            looked.candidates,
            time.perf_counter(),
            self.placed(looked.known),
        )

    async def poison(self, value: bytes, position: str, exc: Exception) -> None:
        """A record that fails on its own: to the dead-letter topic with the reason."""
        s = self.settings
        source = position
        with contextlib.suppress(ValueError):
            source = Dispatch.model_validate_json(value).source or position
        letter = DeadLetter.of(
            value,
            source=source,
            stage="index",
            error=f"failed on its own ({position}): {describe(exc)}",
            keep_bytes=s.dlq_payload_bytes,
        )
        log.error("poison record %s: %s", position, describe(exc))
        await self.publish(self.sinks.dead_letters([letter]))

    async def publish(self, messages: list[Outgoing]) -> None:
        """Send and wait for Kafka's acknowledgement of all; retried until delivered."""
        if messages:
            await self.health.call(
                "publish",
                KAFKA,
                lambda: self.sinks.send(messages),
                timeout_s=self.settings.kafka_send_timeout_s,
            )

    async def write(
        self, batch: _Admitted, ready: list[Dispatch], planned: dict[str, Any]
    ) -> BulkOutcome:
        """The bulk write, retried (whole, idempotent) while the node refuses items for now."""
        es = self.search()

        async def once() -> BulkOutcome:
            outcome = await write_batch(
                es,
                self.settings,
                ready,
                signatures=batch.signatures,
                obsolete_events=batch.gated.obsolete_events,
                deliveries=planned,
                stored_in=batch.stored_in,
            )
            if outcome.retry:
                raise TransientBulk(outcome)
            return outcome

        return await self.health.call("index", SEARCH, once)

    async def drop_orphan_events(
        self,
        ready: Sequence[Dispatch],
        failed: dict[str, str],
        gated: Gated,
        stored_in: dict[str, StoredIn],
    ) -> None:
        """The bulk wrote the events of a dispatch whose own document was refused (a poison
        record, dead-lettered): remove them, so that no event is searchable without its
        dispatch nor indexed without being published. Events its previous version stated
        stay."""
        keep = {e.id for guid in failed for e in gated.obsolete_events.get(guid, [])}
        alias = self.settings.event_alias
        ops = [
            {"delete": {"_index": events_index(stored_in.get(d.guid), alias), "_id": e.id}}
            for d in ready
            if d.guid in failed
            for e in d.events
            if e.id not in keep
        ]
        if not ops:
            return
        es = self.search()
        await self.health.call("index", SEARCH, lambda: es.bulk(operations=ops, refresh="wait_for"))

    async def extract_and_write(
        self,
        batch: _Admitted,
        size: int,
        fresh: list[Dispatch],
        extracting: asyncio.Semaphore | None = None,
        in_turn: bool = False,
    ) -> Redo:
        """Extract, write, send; returns how to write and send the same again, and adds
        the dispatches published now to `fresh` (saved searches match them)."""
        s = self.settings
        gated, signatures = batch.gated, batch.signatures
        live = [d for d in gated.accepted if d.pubstatus is PubStatus.usable]
        killed = mark_killed([d for d in gated.accepted if d.pubstatus is not PubStatus.usable])
        t_nlp = time.perf_counter()
        memory = snapshot((d.text for d in live), self.memory.get)
        # A very long text is extracted from its beginning only (pipeline.limits); the
        # dispatch keeps, and the index gets, the whole of it.
        long = {d.guid: d.body for d in live if len(d.text) > EXTRACT_MAX_CHARS}
        view = [
            d.model_copy(update={"body": nlp_body(d.body)}) if d.guid in long else d for d in live
        ]
        self._extracting += 1
        try:
            enriched = await self.nlp.run(view, s.nlp_batch_size, s.dlq_payload_bytes, memory)
        finally:
            self._extracting -= 1
            _release(extracting, batch)  # the NLP processes may take the next batch
        self.stall.busy()
        if long:
            enriched.ok = [
                e.model_copy(update={"body": long[e.guid]}) if e.guid in long else e
                for e in enriched.ok
            ]
        metrics.STAGE_SECONDS.labels("extract").observe(time.perf_counter() - t_nlp)
        if not in_turn:
            await self.turns.wait(batch.ticket)
        # What the batches written since this one's lookup add: look-alikes, replaced events.
        recent, written_events = self.inflight.commit_view(batch.since, batch.ticket)
        for d in gated.accepted:
            if d.guid in written_events:
                gated.obsolete_events.setdefault(d.guid, []).extend(written_events[d.guid])
        ready = assign_stories([*enriched.ok, *killed], signatures, [*batch.candidates, *recent])
        planned = deliveries(ready, gated, batch.prepared.positions, datetime.now(UTC))
        t1 = time.perf_counter()
        outcome = await self.write(batch, ready, planned)
        if outcome.failed:
            await self.drop_orphan_events(ready, outcome.failed, gated, batch.stored_in)
        metrics.STAGE_SECONDS.labels("index").observe(time.perf_counter() - t1)
        indexed_at = datetime.now(UTC)
        written = [d for d in ready if d.guid not in outcome.failed]
        self.inflight.written(batch.ticket, written, signatures)
        # The gate's state follows the index: only what it accepted (not failed, not
        # refused as older than what it holds).
        stale = set(outcome.stale)
        recorded = [d for d in written if d.guid not in stale]
        self.state.gate_state(batch.records).record(
            recorded,
            signatures,
            planned,
            time.time(),
            {
                d.guid: where
                for d in recorded
                if (where := outcome.stored_in(d, batch.stored_in.get(d.guid))) is not None
            },
        )
        done = settle(ready, gated, planned, outcome.failed, set(outcome.stale))
        outgoing = self.sinks.retractions(done.retractions)
        for guid, events in done.events:
            outgoing += self.sinks.events(guid, events)
        for d in done.live_feed:
            metrics.PUBLISH_TO_INDEXED.observe((indexed_at - d.received_at).total_seconds())
            outgoing.append(self.sinks.live_feed(d))
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
        outgoing += self.sinks.dead_letters(dead)
        await self.publish(outgoing)
        self.remember(done.fresh)
        fresh += done.fresh
        metrics.STAGE_SECONDS.labels("batch").observe(time.perf_counter() - batch.started)
        metrics.BATCH_SIZE.observe(size)

        async def redo() -> None:
            await self.write(batch, ready, planned)
            await self.publish(outgoing)

        return redo

    def remember(self, dispatches: Iterable[Dispatch]) -> None:
        """Teach the memory what these dispatches typed confidently."""
        metrics.MEMORY_WRITES.inc(teach(self.memory, dispatches))

    async def send_alerts(self, dispatches: list[Dispatch]) -> None:
        """Saved searches: a failure here is logged and counted; the dispatches are safe."""
        if not dispatches:
            return
        try:
            alerts = await asyncio.wait_for(
                self.matcher.match(self.search(), dispatches), self.settings.worker_es_timeout_s
            )
        except Exception as exc:  # alerting must never stop indexing
            metrics.ALERT_FAILURES.inc()
            log.warning(
                "saved-search matching failed for %d dispatch(es): %s", len(dispatches), exc
            )
            return
        metrics.ALERTS.inc(len(alerts))
        await self.publish(
            [self.sinks.alert(a.saved_search_id, a.model_dump_json().encode()) for a in alerts]
        )

    async def process(self, records: StreamT[bytes]) -> None:
        """Batches are admitted in offset order; up to `batches_in_flight` of them are
        extracted side by side, and a batch whose extraction is over makes room for the
        next one while it waits for its turn to be written (in the order admitted), so
        the NLP processes never wait on a write."""
        s = self.settings
        stream = cast(Stream[bytes], records)
        running = self._running
        extracting = asyncio.Semaphore(s.batches_in_flight)
        most = s.batches_in_flight + 2  # extracting, plus written or waiting to be
        try:
            async for taken in stream.noack_take(s.nlp_batch_size, within=s.batch_window_s):
                events = cast(list[EventT[bytes]], taken)  # noack_take yields events
                await extracting.acquire()
                try:
                    batch = await self.admit(events)
                except asyncio.CancelledError:
                    extracting.release()
                    raise
                except Exception as exc:  # the batch's own fault: gate its records one by one
                    extracting.release()
                    log.error("admitting a batch failed (%s): one record at a time", describe(exc))
                    for event in events:
                        try:
                            batch = await self.admit([event])
                        except asyncio.CancelledError:
                            raise
                        except Exception as alone:
                            await self.poison(event.value, _position(event), alone)
                            await stream.ack(event)
                            continue
                        await self.finish(batch, [event], stream)
                    continue
                running.add(asyncio.create_task(self.finish(batch, events, stream, extracting)))
                for task in [t for t in running if t.done()]:
                    running.discard(task)
                    self._check(task)
                while len(running) >= most:
                    done, _pending = await asyncio.wait(
                        running, return_when=asyncio.FIRST_COMPLETED
                    )
                    running.difference_update(done)
                    for task in done:
                        self._check(task)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Nothing above should raise (transient failures are retried, a record's own
            # are dead-lettered): this is a bug. A fresh process beats an agent that
            # stopped consuming while holding its partitions.
            log.exception("the agent failed")
            lifecycle.request_restart(self.app, f"the agent failed: {describe(exc)}")
            raise
        finally:
            for task in running:
                task.cancel()
            running.clear()

    def _check(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            raise exc

    async def watching(self, interval_s: float = 2.0) -> None:
        """`watch` every 2 s, from the worker's start (a failed round is logged, not fatal)."""
        while True:
            try:
                await self.watch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("health watch failed")
            await asyncio.sleep(interval_s)

    async def watch(self) -> None:
        """Every 2 s: probe Kafka and the search node, count partitions, and restart the
        worker if it is stuck where it will not leave by itself (pipeline.resilience.Stall):
        a group join that does not complete (after removing dead members holding it up),
        or records waiting that nothing processes."""
        s = self.settings
        es_ok = await probe(lambda: self.search().info(), 5.0)
        self.health.mark(SEARCH, es_ok, "no answer to a probe")
        kafka_ok = await self.probe_kafka()
        self.health.mark(KAFKA, kafka_ok, "no answer to a probe")
        try:
            assignment = self.app.consumer.assignment()
        except Exception:  # the consumer is not started yet
            assignment = set()
        partitions = sorted(tp.partition for tp in assignment if tp.topic == s.raw_topic)
        self.health.assigned(len(partitions))
        self._ticks += 1
        if es_ok and (self.generations is None or self._ticks % 15 == 0):
            await self.read_generations()
        if self._extracting:  # a long extraction is work, not a stall
            self.stall.busy()
        if kafka_ok and partitions and self._ticks % 5 == 0:
            self._lag = await self.measure_lag(partitions)
        verdict = self.stall.observe(
            time.monotonic(),
            kafka=kafka_ok,
            search=es_ok,
            rebalancing=bool(self.app.rebalancing),
            assigned=len(partitions),
            lag=self._lag if partitions else None,
            recovering=self.recovery_left(),
        )
        if verdict.healthy_since_restart:
            lifecycle.healthy_for_a_while()
        if verdict.reap:
            await self.reap()
        if verdict.restart:
            lifecycle.request_restart(self.app, verdict.restart)

    async def read_generations(self) -> None:
        """Which indices the aliases span now (every 30 s: a rollover or a migration)."""
        s = self.settings
        try:
            found = await self.search().indices.get_alias(
                name=f"{s.dispatch_alias},{s.event_alias}"
            )
        except Exception as exc:
            log.warning("could not read the indices behind the aliases: %s", describe(exc))
            return
        self.generations = set(dict(found))

    def placed(self, known: dict[str, Known]) -> dict[str, StoredIn]:
        """Where the index holds these guids, for generations still behind their alias."""
        return {
            g: _valid(k.stored_in, self.generations)
            for g, k in known.items()
            if k.stored_in is not None
            and (self.generations is None or k.stored_in.dispatch in self.generations)
        }

    async def reap(self) -> None:
        """The join is stuck: remove members that are dead workers of this host."""
        try:
            dead = await self.kafka_call(
                lambda: membership.reap_dead_local_members(
                    client_kwargs(self.settings), self.settings.consumer_group, self.instance_id
                ),
                15.0,
            )
        except Exception as exc:
            log.warning("could not look for dead group members: %s", describe(exc))
            return
        if dead:
            log.warning("removed dead worker(s) %s from the group: the join can complete", dead)

    def recovery_left(self) -> int | None:
        """Changelog records Faust's table recovery has still to read; None when none runs
        (or when Faust's recovery cannot be read)."""
        try:
            recovery = getattr(self.app.tables, "recovery")  # noqa: B009 (not in TableManagerT)
            if not recovery.in_recovery:
                return None
            return int(recovery.active_remaining_total())
        except Exception:  # Faust internals: a reading that fails decides nothing
            return None

    async def measure_lag(self, partitions: list[int]) -> int | None:
        """Records on this worker's raw partitions past the group's committed offsets
        (None when Kafka does not say within 10 s)."""
        try:
            return await self.kafka_call(lambda: self._lag_now(partitions), 10.0)
        except Exception:
            return None

    def _lag_now(self, partitions: list[int]) -> int:
        from kafka import TopicPartition

        consumer = self._kafka()
        tps = [TopicPartition(self.settings.raw_topic, p) for p in partitions]
        end = consumer.end_offsets(tps)
        return sum(max(0, end[tp] - (consumer.committed(tp) or 0)) for tp in tps)

    async def probe_kafka(self) -> bool:
        """Does the broker answer (the end offset of a raw partition) within 5 s?"""
        from kafka import TopicPartition

        tp = TopicPartition(self.settings.raw_topic, 0)
        try:
            await self.kafka_call(lambda: self._kafka().end_offsets([tp]), 5.0)
        except Exception:
            return False
        return True

    def _kafka(self) -> Any:
        """The worker's own kafka-python client for probes and lag (same addresses, TLS
        and SASL as every client: pipeline.kafka.client.client_kwargs); it reads the
        group's offsets and never joins the group. Used from one thread at a time."""
        from kafka import KafkaConsumer

        if self._kafka_client is None:
            s = self.settings
            self._kafka_client = KafkaConsumer(
                **{
                    **client_kwargs(s),
                    "group_id": s.consumer_group,
                    "enable_auto_commit": False,
                    "request_timeout_ms": 8000,
                    "session_timeout_ms": 6000,
                    "heartbeat_interval_ms": 2000,
                }
            )
        return self._kafka_client

    async def kafka_call(self, fn: Callable[[], T], timeout_s: float) -> T:
        """`fn()` (blocking kafka-python) in a daemon thread, one at a time: while an
        earlier call still waits on a broker that does not answer, this one fails at once."""
        if self._kafka_job is not None and not self._kafka_job.done():
            raise TimeoutError("an earlier call to Kafka is still waiting")
        loop = asyncio.get_running_loop()
        job: asyncio.Future[Any] = loop.create_future()

        def run() -> None:
            result, error = None, None
            try:
                result = fn()
            except BaseException as exc:  # handed to the event loop
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (exit)
                loop.call_soon_threadsafe(_settle, job, result, error)

        self._kafka_job = job
        threading.Thread(target=run, name="wire-kafka-probe", daemon=True).start()
        return cast(T, await asyncio.wait_for(asyncio.shield(job), timeout_s))


def _valid(where: StoredIn, generations: set[str] | None) -> StoredIn:
    """`where`, without an events index that is no longer behind the alias."""
    if generations is None or where.events is None or where.events in generations:
        return where
    return StoredIn(where.dispatch, None)


def _folder(instance_id: str | None, settings: Settings) -> str:
    """The worker's own folder under WIRE_WORKER_DATADIR."""
    name = instance_id or f"port-{settings.worker_web_port}"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _position(event: EventT[bytes]) -> str:
    """Where a raw record was read: topic:partition:offset."""
    return f"{event.message.topic}:{event.message.partition}:{event.message.offset}"


def _prepare(
    records: Sequence[EventT[bytes]], keep_bytes: int
) -> tuple[Stage, dict[str, EventT[bytes]]]:
    """Validate and normalise raw records; also which record each valid dispatch came in
    (its partition is where the gate's per-guid state lives)."""
    positions = [_position(e) for e in records]
    by_position = dict(zip(positions, records, strict=True))
    prepared = validate_and_normalise([e.value for e in records], keep_bytes, positions)
    return prepared, {guid: by_position[pos] for guid, pos in prepared.positions.items()}


def _release(extracting: asyncio.Semaphore | None, batch: _Admitted) -> None:
    """Give a batch's extraction slot back, once (after extraction, or on failure)."""
    if extracting is not None and not batch.released:
        batch.released = True
        extracting.release()


def _settle(job: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if job.done():
        return
    if exc is not None:
        job.set_exception(exc)
    else:
        job.set_result(result)


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


def generations(settings: Settings) -> set[str] | None:
    """The indices behind the dispatch and event aliases now (None if not answered)."""
    from pipeline.store.client import make_es

    es = make_es(settings)
    try:
        return set(
            dict(es.indices.get_alias(name=f"{settings.dispatch_alias},{settings.event_alias}"))
        )
    except Exception as exc:
        log.warning("could not read the indices behind the aliases: %s", describe(exc))
        return None
    finally:
        es.close()


def prepare(settings: Settings) -> None:
    """Topics and index templates, before consuming; waits (with backoff) for Kafka and
    the search node to answer, so a worker started during an outage starts after it."""
    from pipeline.resilience import backoff, transient

    attempt = 0
    while True:
        attempt += 1
        try:
            prepare_infrastructure(settings)
            return
        except Exception as exc:
            if not transient(exc) and attempt > 3:
                raise
            wait = backoff(attempt, cap=settings.retry_max_backoff_s)
            log.warning(
                "cannot prepare topics and indices yet (%s); again in %.0f s", describe(exc), wait
            )
            time.sleep(wait)


def run_worker(web_port: int | None = None, loglevel: str = "info") -> None:
    import sys

    if web_port is not None:  # the static member id is made of it (pipeline.kafka.membership)
        import os

        os.environ["WIRE_WORKER_WEB_PORT"] = str(web_port)
        get_settings.cache_clear()
    # One line per request to the search node (probes every 2 s included) is noise.
    logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.WARNING)  # the lag reader (kafka-python)
    worker = create_worker()
    prepare(worker.settings)  # topics and index templates exist before we consume
    worker.generations = generations(worker.settings)  # then read again every 30 s
    worker.nlp.start()  # the NLP process loads its models before the first batch arrives
    again = ["-m", "pipeline.cli", "worker", "--loglevel", loglevel]
    loglevel = {"warning": "warn", "critical": "crit"}.get(loglevel.lower(), loglevel.lower())
    argv = ["wire", "worker", "-l", loglevel]
    if web_port is not None:
        argv += ["--web-port", str(web_port)]
    sys.argv = argv
    if web_port is not None:
        again += ["--web-port", str(web_port)]
    lifecycle.run(worker.app.main, again, worker.settings.worker_stop_timeout_s)
