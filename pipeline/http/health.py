"""What an operator watches: consumer lag, dead letters, indexing rate. From Kafka and ES."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaConsumer
from kafka import TopicPartition as KTP
from prometheus_client.core import GaugeMetricFamily, Metric

from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings


def kafka_health(settings: Settings) -> dict[str, Any]:
    """Consumer lag per raw partition and dead-letter count, straight from Kafka."""
    admin = KafkaAdminClient(**client_kwargs(settings))
    consumer = KafkaConsumer(**client_kwargs(settings))
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


def pipeline_health(es: Elasticsearch, settings: Settings) -> dict[str, Any]:
    return {**kafka_health(settings), **index_health(es, settings)}


class PipelineCollector:
    """Prometheus gauges for consumer lag per partition and dead-letter count, read from
    Kafka at scrape time (cached for `ttl` seconds so frequent scrapes stay cheap)."""

    def __init__(self, settings: Settings, ttl: float = 5.0) -> None:
        self.settings = settings
        self.ttl = ttl
        self._cached: tuple[float, dict[str, Any]] | None = None

    def _health(self) -> dict[str, Any] | None:
        import time

        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > self.ttl:
            try:
                self._cached = (now, kafka_health(self.settings))
            except Exception:  # a scrape must never fail because Kafka is down
                return None
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
