"""What an operator watches: each dependency up or down (with its latency or error),
consumer lag, dead letters, indexing rate. From Kafka and Elasticsearch, each asked with a
timeout, so a dependency that is down is reported within seconds, never waited on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from elasticsearch import Elasticsearch, NotFoundError
from kafka import KafkaAdminClient, KafkaConsumer
from kafka import TopicPartition as KTP
from prometheus_client.core import GaugeMetricFamily, Metric
from pydantic import BaseModel, Field

from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings

T = TypeVar("T")


class Dependency(BaseModel):
    status: Literal["up", "down"]
    address: str
    latency_ms: float | None = Field(default=None, description="How long the check took")
    error: str | None = Field(default=None, description="Why it is down, in one line")


class PartitionLag(BaseModel):
    partition: int
    end: int
    committed: int
    lag: int


class PipelineHealth(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="degraded: a dependency is down")
    error: str | None = Field(default=None, description="What is down and why, one line")
    dependencies: dict[str, Dependency] = Field(description="kafka, elasticsearch")
    raw_topic: str
    consumer_group: str
    lag: list[PartitionLag] = Field(default_factory=list, description="Empty when Kafka is down")
    total_lag: int | None = None
    dead_letters: int | None = None
    indexed_total: int | None = None
    events_total: int | None = None
    indexed_last_minute: int | None = None
    indexed_last_hour: int | None = None


def one_line(exc: BaseException, limit: int = 300) -> str:
    """'ExceptionType: message' on one line, at most `limit` characters."""
    name, message = type(exc).__name__, " ".join(str(exc).split())
    text = message if message.startswith(name) else f"{name}: {message}" if message else name
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kafka_health(settings: Settings) -> dict[str, Any]:
    """Consumer lag per raw partition and dead-letter count, straight from Kafka."""
    kw = client_kwargs(settings, timeout=settings.kafka_request_timeout_s)
    admin = KafkaAdminClient(**kw)
    try:
        consumer = KafkaConsumer(**kw)
    except BaseException:
        admin.close()
        raise
    try:
        group = settings.consumer_group
        committed = admin.list_group_offsets({group: None}).get(group, {})
        raw_parts = [
            KTP(settings.raw_topic, p)
            for p in sorted(consumer.partitions_for_topic(settings.raw_topic) or [])
        ]
        dlq_parts = [
            KTP(settings.dlq_topic, p)
            for p in sorted(consumer.partitions_for_topic(settings.dlq_topic) or [])
        ]
        ends = consumer.end_offsets(raw_parts + dlq_parts) if raw_parts + dlq_parts else {}
        lag = []
        for tp in raw_parts:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag.append(
                {
                    "partition": tp.partition,
                    "end": ends.get(tp, 0),
                    "committed": done,
                    "lag": max(0, ends.get(tp, 0) - done),
                }
            )
        return {
            "raw_topic": settings.raw_topic,
            "consumer_group": settings.consumer_group,
            "lag": lag,
            "total_lag": sum(p["lag"] for p in lag),
            "dead_letters": sum(ends.get(tp, 0) for tp in dlq_parts),
        }
    finally:
        consumer.close()
        admin.close()


def index_health(es: Elasticsearch, settings: Settings) -> dict[str, int]:
    """Counts from the index; zeros when nothing is indexed yet (the node answered)."""
    try:

        def indexed_since(window: str) -> int:
            resp = es.count(
                index=settings.dispatch_alias, query={"range": {"indexed_at": {"gte": window}}}
            )
            return int(resp["count"])

        return {
            "indexed_total": int(es.count(index=settings.dispatch_alias)["count"]),
            "events_total": int(es.count(index=settings.event_alias)["count"]),
            "indexed_last_minute": indexed_since("now-1m"),
            "indexed_last_hour": indexed_since("now-1h"),
        }
    except NotFoundError:
        return dict.fromkeys(
            ("indexed_total", "events_total", "indexed_last_minute", "indexed_last_hour"), 0
        )


def check(address: str, probe: Callable[[], T]) -> tuple[Dependency, T | None]:
    """Run one dependency's probe: up with its latency, or down with why."""
    t0 = time.perf_counter()
    try:
        result = probe()
    except Exception as exc:
        ms = round((time.perf_counter() - t0) * 1000, 1)
        return Dependency(status="down", address=address, latency_ms=ms, error=one_line(exc)), None
    ms = round((time.perf_counter() - t0) * 1000, 1)
    return Dependency(status="up", address=address, latency_ms=ms), result


def report(
    settings: Settings,
    kafka: tuple[Dependency, dict[str, Any] | None],
    search: tuple[Dependency, dict[str, int] | None],
) -> PipelineHealth:
    deps = {"kafka": kafka[0], "elasticsearch": search[0]}
    down = [f"{name} down: {d.error}" for name, d in deps.items() if d.status == "down"]
    figures = {
        k: v for k, v in (kafka[1] or {}).items() if k not in ("raw_topic", "consumer_group")
    }
    return PipelineHealth(
        status="degraded" if down else "ok",
        error="; ".join(down) or None,
        dependencies=deps,
        raw_topic=settings.raw_topic,
        consumer_group=settings.consumer_group,
        **figures,
        **(search[1] or {}),
    )


def pipeline_health(es: Elasticsearch, settings: Settings) -> PipelineHealth:
    """Both dependencies, asked at the same time (the CLI; the API does the same)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        kafka = pool.submit(check, settings.kafka_bootstrap, lambda: kafka_health(settings))
        search = pool.submit(check, settings.es_url, lambda: index_health(es, settings))
        return report(settings, kafka.result(), search.result())


def unanswered(address: str, seconds: float) -> tuple[Dependency, None]:
    """A probe that did not finish in time."""
    error = f"no answer within {seconds:g} s"
    return Dependency(status="down", address=address, latency_ms=seconds * 1000, error=error), None


class PipelineCollector:
    """Prometheus gauges for consumer lag per partition and dead-letter count, read from
    Kafka at scrape time (cached for `ttl` seconds so frequent scrapes stay cheap)."""

    def __init__(self, settings: Settings, ttl: float = 5.0) -> None:
        self.settings = settings
        self.ttl = ttl
        self._cached: tuple[float, dict[str, Any] | None] | None = None

    def _health(self) -> dict[str, Any] | None:
        """Kafka's figures, or None when it is down (also cached: while Kafka is down a
        scrape waits for its timeout once per `ttl`, not every time)."""
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > self.ttl:
            try:
                self._cached = (now, kafka_health(self.settings))
            except Exception:  # a scrape must never fail because Kafka is down
                self._cached = (now, None)
        return self._cached[1]

    def describe(self) -> Iterator[Metric]:
        """Names only, so registering never reaches Kafka."""
        yield GaugeMetricFamily("wire_kafka_up", "")
        yield GaugeMetricFamily("wire_consumer_lag", "", labels=["partition"])
        yield GaugeMetricFamily("wire_dead_letter_records", "")

    def collect(self) -> Iterator[Metric]:
        h = self._health()
        up = GaugeMetricFamily("wire_kafka_up", "Whether the API could read offsets from Kafka")
        up.add_metric([], 0.0 if h is None else 1.0)
        yield up
        if h is None:
            return
        lag = GaugeMetricFamily(
            "wire_consumer_lag",
            "Records not yet processed, per raw partition",
            labels=["partition"],
        )
        for p in h["lag"]:
            lag.add_metric([str(p["partition"])], float(p["lag"]))
        yield lag
        dead = GaugeMetricFamily("wire_dead_letter_records", "Records in the dead-letter topic")
        dead.add_metric([], float(h["dead_letters"]))
        yield dead
