"""The gate's state in changelog-backed Faust tables (pipeline.dedup.state says what is kept).

- `gate-guids`: a Table keyed by guid with as many partitions as the raw topic. The raw
  topic is keyed by guid, so the worker that owns a raw partition owns the same
  partition of this table (Faust assigns them together) and reads and writes its guids
  locally; every write goes to the changelog partition of the raw record it came from,
  and a worker taking the partition over (rebalance, restart) recovers it from there.
  Its store is `WIRE_STATE_STORE`: `rocksdb://` (default: RocksDB through rocksdict, on
  disk under WIRE_WORKER_DATADIR; memory stays flat as the table grows and a restart
  reads only the changelog written since) or `memory://` (everything in RAM, the whole
  changelog read again at every start).
- `gate-owners` (content hash -> guid) and `gate-sketches` (guid -> story, signature):
  GlobalTables. Their key is not the raw topic's, and a copy or a look-alike arrives on
  any partition, so every worker holds all of them; they are small, bounded by their
  time windows, and swept every WIRE_STATE_SWEEP_S. One partition and
  recovery_buffer_size=1, as Faust advises for a GlobalTable several workers share
  (and as the entity memory does).

Nothing here decides anything: the adapters make the tables look like the
pipeline.dedup.state `Bytes` stores.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import faust
from faust.streams import _current_event  # the event a table read/write belongs to
from faust.types import EventT

from pipeline import metrics
from pipeline.dedup.state import (
    GUIDS,
    OWNERS,
    SKETCHES,
    GateState,
    StoryIndex,
    Windows,
    decode_sketch,
    expired_owners,
    expired_sketches,
)
from pipeline.settings import Settings

log = logging.getLogger("wirestream.worker.state")


@contextmanager
def _in(event: EventT[Any]) -> Iterator[None]:
    """Table reads and writes as if processing `event`: Faust takes the partition of a
    Table's key (its changelog partition, and its RocksDB) from the current event."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class _GuidTable:
    """The guid Table as a `Bytes` store for one batch: each guid is read and written
    in the partition of the raw record it came in (`events`: guid -> that record)."""

    def __init__(self, table: Any, events: Mapping[str, EventT[Any]]) -> None:
        self.table = table
        self.events = events

    def get(self, key: str) -> bytes | None:
        with _in(self.events[key]):
            raw = self.table.get(key.encode())
        return bytes(raw) if raw is not None else None

    def set(self, key: str, value: bytes) -> None:
        with _in(self.events[key]):
            self.table[key.encode()] = value

    def delete(self, key: str) -> None:
        with _in(self.events[key]):
            self.table.pop(key.encode(), None)


class _Global:
    """A GlobalTable (bytes in, bytes out; writes through the partitioner) as a store."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, key: str) -> bytes | None:
        raw = self.table.get(key.encode())
        return bytes(raw) if raw is not None else None

    def set(self, key: str, value: bytes) -> None:
        self.table[key.encode()] = value

    def delete(self, key: str) -> None:
        if key.encode() in self.table:
            del self.table[key.encode()]

    def items(self) -> Iterable[tuple[str, bytes]]:
        return [(k.decode(), bytes(v)) for k, v in list(self.table.items()) if v is not None]


class StateTables:
    """The three tables of one worker, and its in-memory story index."""

    def __init__(self, app: faust.App, settings: Settings) -> None:
        self.settings = settings
        self.windows = Windows.of(settings)
        self.index = StoryIndex()
        rocks = settings.state_store.startswith("rocksdb")
        self.guids = app.Table(
            GUIDS,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.raw_partitions,
            store=settings.state_store,
            # Small buffers: a worker holds one RocksDB per partition it owns (24 on an
            # aggregator's worker that took over its peers' partitions); the defaults (64 MiB
            # write buffers, a 2 GiB block cache) are sized for a server of its own. Reads are
            # point look-ups of recent guids: 4 MiB of cache and 2 x 2 MiB of write buffer
            # per partition (<= 8 MiB each).
            options=(
                {
                    "driver": "rocksdict",
                    "write_buffer_size": 2 * 1024 * 1024,
                    "max_write_buffer_number": 2,
                    "block_cache_size": 4 * 1024 * 1024,
                    "block_cache_compressed_size": 0,
                    "target_file_size_base": 16 * 1024 * 1024,
                }
                if rocks
                else None
            ),
            help="The gate's state per guid (pipeline.dedup.state)",
        )
        self.owners = app.GlobalTable(
            OWNERS,
            key_type=bytes,
            value_type=bytes,
            partitions=1,
            recovery_buffer_size=1,
            use_partitioner=True,
            help="Content hash -> the live guid holding that text",
        )
        self.sketches = app.GlobalTable(
            SKETCHES,
            key_type=bytes,
            value_type=bytes,
            partitions=1,
            recovery_buffer_size=1,
            use_partitioner=True,
            on_changelog_event=self._sketch_changed,
            help="Recent story signatures (look-alikes)",
        )
        self.sketches.on_recover(self._sketches_recovered)

    def gate_state(self, events: Mapping[str, EventT[Any]]) -> GateState:
        """The state for one batch (`events`: guid -> its raw record)."""
        return GateState(
            _GuidTable(self.guids, events),
            _Global(self.owners),
            _Global(self.sketches),
            self.index,
            self.windows,
        )

    async def _sketch_changed(self, event: EventT[Any]) -> None:
        """Another worker's write (or this one's, coming back), or a sweep's deletion."""
        key = event.message.key
        if key is None:
            return
        guid = bytes(key).decode()
        value = event.message.value
        if value is None:
            self.index.drop(guid)
            return
        try:
            self.index.put(guid, decode_sketch(bytes(value)))
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("unreadable story sketch for %s: %s", guid, exc)

    async def _sketches_recovered(self) -> None:
        """After recovery: the index holds exactly what the table holds."""
        self.index.clear()
        for k, v in list(self.sketches.items()):
            if v is not None:
                with _suppress_bad(k):
                    self.index.put(bytes(k).decode(), decode_sketch(bytes(v)))
        metrics.STATE_ENTRIES.labels("sketches").set(len(self.index))

    async def sweep(self, app: Any = None) -> None:
        """Forget owners and sketches past their windows (a tombstone each, so every
        worker's copy forgets them too). `app`: what a Faust timer passes."""
        now = time.time()
        gone_owners = expired_owners(_Global(self.owners).items(), now, self.windows)
        for i, h in enumerate(gone_owners):
            _Global(self.owners).delete(h)
            if i % 500 == 499:
                await asyncio.sleep(0)
        gone_sketches = expired_sketches(self.index, now, self.windows)
        for i, g in enumerate(gone_sketches):
            _Global(self.sketches).delete(g)
            self.index.drop(g)
            if i % 500 == 499:
                await asyncio.sleep(0)
        metrics.STATE_ENTRIES.labels("owners").set(len(self.owners))
        metrics.STATE_ENTRIES.labels("sketches").set(len(self.index))
        if gone_owners or gone_sketches:
            log.info(
                "state sweep: %d owner(s), %d sketch(es) past their window",
                len(gone_owners),
                len(gone_sketches),
            )


@contextmanager
def _suppress_bad(key: Any) -> Iterator[None]:
    try:
        yield
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("unreadable story sketch %r: %s", key, exc)
