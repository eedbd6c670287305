"""Where the extract stage runs: a child process of its own (default) or a thread.

spaCy holds the GIL for much of its work. In a thread it competes with the worker's
event loop (Kafka fetches, heartbeats, the web page); in its own process it gets a
core to itself and the event loop stays responsive. Batches cross the process
boundary pickled (a few ms for 16 dispatches, against ~0.6 s of NLP).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipeline import metrics
from pipeline.extract.entities import given_names
from pipeline.extract.geo import gazetteer
from pipeline.extract.memory import Memory
from pipeline.extract.nlp import SUPPORTED, load_model
from pipeline.extract.stages import Stage, enrich
from schemas import Dispatch

log = logging.getLogger(__name__)


def _warm() -> None:
    """Load the models and gazetteers when the child starts, not on the first batch."""
    for lang in SUPPORTED:
        load_model(lang)
    gazetteer()
    given_names()


def exit_with_parent(poll_s: float = 1.0) -> threading.Thread:
    """In a child: leave as soon as the process that started it is gone. A worker killed
    outright (SIGKILL, out of memory) runs no clean-up, and a pool child blocked on its
    task queue would otherwise live on, orphaned, holding its models (~450 MB)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(0)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread


def _child_start() -> None:
    exit_with_parent()
    _warm()


class NlpRunner:
    """`processes` child processes share each batch (one chunk each, in order), so one
    worker can use several cores with a single Kafka consumer."""

    def __init__(self, in_process: bool, processes: int = 1) -> None:
        self._in_process = in_process
        self._processes = 1 if in_process else max(1, processes)
        self._pool: Executor | None = None
        # Idle accounting (wire_nlp_idle_seconds): chunks submitted and not done, when
        # that count last changed, idle process-seconds until then; from the first batch.
        self._chunks = 0
        self._since: float | None = None
        self._idle = 0.0
        metrics.NLP_IDLE_SECONDS.set_function(self.idle_seconds)

    def idle_seconds(self) -> float:
        """NLP process-seconds with no chunk to run, since the first batch, until now."""
        if self._since is None:
            return 0.0
        idle = max(0, self._processes - self._chunks)
        return self._idle + idle * (time.perf_counter() - self._since)

    def _account(self, delta: int) -> None:
        self._idle = self.idle_seconds()
        self._since = time.perf_counter()
        self._chunks += delta

    def _executor(self) -> Executor:
        if self._pool is None:
            if self._in_process:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlp")
            else:
                # spawn: never fork a process that already runs Kafka client threads.
                self._pool = ProcessPoolExecutor(
                    max_workers=self._processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_child_start,
                )
        return self._pool

    def start(self) -> None:
        """Start the child (and load its models) ahead of the first batch."""
        if not self._in_process:
            pool = self._executor()
            for f in [pool.submit(_warm) for _ in range(self._processes)]:
                f.result()

    async def run(
        self,
        dispatches: Sequence[Dispatch],
        batch_size: int,
        keep_bytes: int,
        memory: Memory | None = None,
    ) -> Stage:
        if not dispatches:
            return Stage()
        try:
            return await self._run(list(dispatches), batch_size, keep_bytes, memory)
        except BrokenProcessPool:
            # A child died (killed, out of memory): start new ones and try once more.
            log.error("an NLP process died; restarting the pool and retrying the batch")
            self.close()
            return await self._run(list(dispatches), batch_size, keep_bytes, memory)

    async def _run(
        self, batch: list[Dispatch], batch_size: int, keep_bytes: int, memory: Memory | None
    ) -> Stage:
        loop = asyncio.get_running_loop()
        pool = self._executor()
        size = -(-len(batch) // self._processes)  # ceil: one chunk per process
        chunks = [batch[i : i + size] for i in range(0, len(batch), size)]

        async def one(chunk: list[Dispatch]) -> Stage:
            self._account(+1)
            try:
                return await loop.run_in_executor(
                    pool, enrich, chunk, batch_size, keep_bytes, memory
                )
            finally:
                self._account(-1)

        parts = await asyncio.gather(*(one(c) for c in chunks))
        return Stage(ok=[d for p in parts for d in p.ok], dead=[x for p in parts for x in p.dead])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
