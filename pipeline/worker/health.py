"""What the worker shows of its own health on /metrics, and how it retries.

- `wire_worker_ready` 1 when it can make progress: Kafka and the search node answer and
  the group gave it partitions (pipeline.resilience.Readiness); 0 otherwise.
- `wire_dependency_up{dependency="kafka"|"elasticsearch"}`: the last probe or call.
- `wire_worker_partitions`: partitions of the raw topic assigned to this worker.
- `wire_retries_total{stage}`: tries that failed for a transient reason and were retried
  (lookup, index, publish, …); `wire_backoff_seconds_total{stage}`: time spent waiting.

`Health.call(stage, dependency, fn)` is the one retry loop: each try is bounded by a
timeout, a transient failure (pipeline.resilience.transient) marks the dependency
down and waits with backoff, success marks it up; a permanent failure is raised to the
caller (the record's own fault). It never gives up on a transient failure: a batch is
retried until the server is back or the worker is stopped, never acknowledged before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge

from pipeline.resilience import Readiness, backoff, transient

log = logging.getLogger("wirestream.worker")

READY = Gauge("wire_worker_ready", "1 when the worker can make progress (deps up, partitions)")
DEPENDENCY_UP = Gauge(
    "wire_dependency_up", "1 when the dependency answered the last probe or call", ["dependency"]
)
PARTITIONS = Gauge("wire_worker_partitions", "Raw-topic partitions assigned to this worker")
RETRIES = Counter(
    "wire_retries_total", "Tries that failed for a transient reason and were retried", ["stage"]
)
BACKOFF_SECONDS = Counter(
    "wire_backoff_seconds_total", "Seconds spent waiting before a retry", ["stage"]
)

KAFKA = "kafka"
SEARCH = "elasticsearch"

T = TypeVar("T")


class Health:
    def __init__(self, *, timeout_s: float, max_backoff_s: float) -> None:
        self.state = Readiness()
        self.timeout_s = timeout_s
        self.max_backoff_s = max_backoff_s
        self._down_since: dict[str, float] = {}
        # Bumped each time a dependency is seen going away: a write acknowledged before
        # that may not have survived it (pipeline.worker.app.Worker.ack_later).
        self.epoch = 0
        self._last_ok: dict[str, float] = {KAFKA: float("-inf"), SEARCH: float("-inf")}
        for dep in (KAFKA, SEARCH):
            DEPENDENCY_UP.labels(dep).set(0)
        READY.set(0)

    # ---- state ----
    def mark(self, dependency: str, up: bool, why: str = "") -> None:
        was = getattr(self.state, "kafka" if dependency == KAFKA else "search")
        if dependency == KAFKA:
            self.state.kafka = up
        else:
            self.state.search = up
        DEPENDENCY_UP.labels(dependency).set(1 if up else 0)
        if up:
            self._last_ok[dependency] = time.monotonic()
        elif was:
            self.epoch += 1
        if up and not was and dependency in self._down_since:
            down = time.monotonic() - self._down_since.pop(dependency)
            log.warning("%s is back after %.0f s", dependency, down)
        elif not up and was:
            self._down_since[dependency] = time.monotonic()
            log.warning("%s unavailable: %s; pausing and retrying", dependency, why)
        self._publish()

    async def seen_alive_after(self, moment: float, poll_s: float = 0.5) -> None:
        """Until Kafka and the search node have both answered since `moment` (monotonic)."""
        while min(self._last_ok.values()) <= moment:
            await asyncio.sleep(poll_s)

    def assigned(self, partitions: int) -> None:
        self.state.assigned = partitions > 0
        PARTITIONS.set(partitions)
        self._publish()

    def stopping(self) -> None:
        self.state.stopping = True
        self._publish()

    def _publish(self) -> None:
        READY.set(1 if self.state.ready else 0)

    # ---- the retry loop ----
    async def call(
        self,
        stage: str,
        dependency: str,
        fn: Callable[[], Awaitable[T]],
        *,
        timeout_s: float | None = None,
    ) -> T:
        """`await fn()` until it succeeds; transient failures are retried with backoff."""
        attempt = 0
        limit = timeout_s or self.timeout_s
        while True:
            attempt += 1
            try:
                result = await asyncio.wait_for(fn(), limit)
            except Exception as exc:
                if not transient(exc):
                    raise
                self.mark(dependency, False, f"{stage}: {describe(exc)}")
                wait = backoff(attempt, cap=self.max_backoff_s)
                RETRIES.labels(stage).inc()
                BACKOFF_SECONDS.labels(stage).inc(wait)
                log.info(
                    "%s failed (%s), try %d; again in %.1f s", stage, describe(exc), attempt, wait
                )
                await asyncio.sleep(wait)
                continue
            self.mark(dependency, True)
            return result


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def probe(fn: Callable[[], Awaitable[Any]], timeout_s: float) -> bool:
    """True when `fn` answers within `timeout_s`."""
    try:
        await asyncio.wait_for(fn(), timeout_s)
    except Exception:
        return False
    return True
