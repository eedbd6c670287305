"""How the worker rides out a broker or search node that is down, slow or refusing:
the policy, as pure functions (tests/unit/test_resilience.py).

- `transient(exc)`: worth retrying (the server is away, slow or shedding load: connection
  refused or reset, a timeout, HTTP 408/429/502/503/504) or not (the request itself is
  wrong: a poison record, a bug). A transient failure is retried with `backoff`, never
  dead-lettered and never acknowledged; a permanent one is the record's own fault.
- `item_transient(status, error_type)`: the same question for one item of a bulk answer
  (a search node under pressure refuses items with 429 / es_rejected_execution_exception).
- `backoff(attempt)`: how long to wait before the next try (exponential, capped, jittered).
- `Readiness`: whether the worker can make progress now, and if not why; it is what
  `wire_worker_ready` and `wire_dependency_up` show on /metrics.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

# HTTP answers that say "not now" rather than "never": retried with backoff.
TRANSIENT_STATUSES = frozenset({408, 429, 502, 503, 504})
# Error types a search node gives bulk items it sheds under load.
TRANSIENT_ITEM_ERRORS = frozenset(
    {
        "es_rejected_execution_exception",
        "circuit_breaking_exception",
        "unavailable_shards_exception",
        "cluster_block_exception",
        "no_shard_available_action_exception",
        "process_cluster_event_timeout_exception",
    }
)


def transient(exc: BaseException) -> bool:
    """True when `exc` says the server is away, slow or busy, not that the request is bad."""
    if isinstance(exc, asyncio.CancelledError):
        return False
    if isinstance(exc, (TimeoutError, ConnectionError, OSError)):
        return True
    status = _status(exc)
    if status is not None:
        return status in TRANSIENT_STATUSES
    # elastic_transport's connection failures and timeouts (no HTTP status: never answered)
    names = {c.__name__ for c in type(exc).__mro__}
    if names & {"ConnectionError", "ConnectionTimeout", "TransportError"} and not (
        names & {"SerializationError"}
    ):
        return True
    # Kafka client errors that say so themselves (aiokafka and kafka-python both mark them)
    if getattr(exc, "retriable", False):
        return True
    return bool(names & {"KafkaConnectionError", "NodeNotReadyError", "KafkaTimeoutError"})


def _status(exc: BaseException) -> int | None:
    """The HTTP status of an Elasticsearch ApiError (None for anything else)."""
    meta = getattr(exc, "meta", None)
    status = getattr(meta, "status", None)
    if isinstance(status, int):
        return status
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def item_transient(status: int, error_type: str | None = None) -> bool:
    """One bulk item: refused for now (retry the batch) rather than for good (dead letter)."""
    return status in TRANSIENT_STATUSES or (error_type or "") in TRANSIENT_ITEM_ERRORS


def backoff(
    attempt: int,
    *,
    first: float = 0.5,
    cap: float = 15.0,
    jitter: float = 0.2,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before try `attempt + 1` (attempt counts from 1): first, 2x, 4x, …
    up to `cap`, each spread by ±`jitter` so that workers do not retry in step."""
    base = min(cap, first * float(2 ** max(0, attempt - 1)))
    if jitter <= 0:
        return base
    spread = float((rng or random).uniform(-jitter, jitter))
    return max(0.0, min(cap, base * (1 + spread)))


def restart_delay(restarts: int, cap: float = 30.0) -> float:
    """Seconds before restart number `restarts + 1` of a process that died: 1, 2, 4, …
    up to `cap` (a process that keeps dying is not restarted in a tight loop)."""
    return float(min(cap, 2 ** max(0, restarts)))


@dataclass
class Readiness:
    """What the worker needs to make progress, as last observed."""

    kafka: bool = False
    search: bool = False
    assigned: bool = False  # the group gave this worker at least one partition
    stopping: bool = False

    @property
    def ready(self) -> bool:
        return self.kafka and self.search and self.assigned and not self.stopping

    def reasons(self) -> list[str]:
        """Why the worker is not ready, one short phrase each (empty when it is)."""
        out = []
        if self.stopping:
            out.append("stopping")
        if not self.kafka:
            out.append("kafka unreachable")
        if not self.search:
            out.append("search node unreachable or refusing")
        if not self.assigned:
            out.append("no partition assigned")
        return out


@dataclass
class Verdict:
    restart: str | None = None  # why the worker should start afresh, if it should
    reap: bool = False  # look for dead members holding up the group (once per stuck join)
    healthy_since_restart: bool = False  # consuming steadily: restarts count from 0 again


class Stall:
    """Spots a worker that cannot get going by itself.

    - A group join that does not complete while Kafka answers (`rebalancing`): after
      `reap_after_s`, look for members of the group that are dead workers and remove
      them (pipeline.kafka.membership); after `join_timeout_s`, start afresh (same static
      member id: the fresh process replaces this one in the group). A rebalance that is
      recovering tables is not stuck while the records left to read (`recovering`) fall:
      a large state on a slow machine takes its time, and a restart would only read it
      again from the start; a recovery that stops falling counts as stuck.
    - Records waiting (`lag` > 0) on partitions it holds, both servers answering, no
      rebalance, and neither a record acknowledged nor a batch worked on for
      `progress_timeout_s`: a consumer or agent stuck where it will not leave by itself;
      start afresh.

    A worker that simply has no partitions (more workers than partitions) is not stuck:
    its join completed. Nothing is decided while a server does not answer: that is an
    outage, waited out."""

    def __init__(
        self,
        join_timeout_s: float = 60.0,
        reap_after_s: float = 20.0,
        progress_timeout_s: float = 180.0,
        healthy_after_s: float = 120.0,
    ) -> None:
        self.join_timeout_s = join_timeout_s
        self.reap_after_s = reap_after_s
        self.progress_timeout_s = progress_timeout_s
        self.healthy_after_s = healthy_after_s
        self._stuck_since: float | None = None
        self._reaped = False
        self._healthy_since: float | None = None
        self._reported_healthy = False
        self.processed = 0
        self._idle_since: float | None = None  # waiting records, nothing acknowledged
        self._activity = 0
        self._seen: tuple[int, int] = (0, 0)
        self._recovery_left: int | None = None  # changelog records left at the last fall

    def progressed(self, records: int) -> None:
        self.processed += records

    def busy(self) -> None:
        """The agent is at work on a batch (a long extraction is not a stall)."""
        self._activity += 1

    def observe(
        self,
        now: float,
        *,
        kafka: bool,
        rebalancing: bool,
        assigned: int,
        search: bool = True,
        lag: int | None = None,
        recovering: int | None = None,
    ) -> Verdict:
        """`recovering`: changelog records the table recovery has left to read, None when
        no recovery runs."""
        out = Verdict()
        # a join that does not complete
        if kafka and rebalancing:
            if recovering is not None and (
                self._recovery_left is None or recovering < self._recovery_left
            ):
                self._recovery_left = recovering  # reading its state: going somewhere
                self._stuck_since = now
            if self._stuck_since is None:
                self._stuck_since = now
            stuck = now - self._stuck_since
            if stuck >= self.reap_after_s and not self._reaped:
                self._reaped = True
                out.reap = True
            if stuck >= self.join_timeout_s:
                out.restart = (
                    f"the group join has not completed in {stuck:.0f} s while Kafka answers"
                )
        else:
            self._stuck_since = None
            self._reaped = False
            self._recovery_left = None
        # records waiting, nothing done
        if (self.processed, self._activity) != self._seen:
            self._seen = (self.processed, self._activity)
            self._idle_since = None
        waiting = bool(lag) and kafka and search and not rebalancing and assigned > 0
        if not waiting:
            self._idle_since = None
        elif self._idle_since is None:
            self._idle_since = now
        elif now - self._idle_since >= self.progress_timeout_s and out.restart is None:
            out.restart = (
                f"{lag} record(s) waiting and none processed in {now - self._idle_since:.0f} s"
            )
        # steady: the restart backoff starts from 1 s again
        if kafka and not rebalancing and assigned > 0:
            if self._healthy_since is None:
                self._healthy_since = now
            elif not self._reported_healthy and now - self._healthy_since >= self.healthy_after_s:
                self._reported_healthy = True
                out.healthy_since_restart = True
        else:
            self._healthy_since = None
        return out
