"""Kafka plumbing shared by connectors' publishers and the CLI (kafka-python)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import orjson
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from pipeline.kafka.security import kafka_python_kwargs
from pipeline.kafka.topics import reconcile, topic_configs
from pipeline.settings import Settings
from schemas import DeadLetter, Dispatch

log = logging.getLogger(__name__)


def client_kwargs(settings: Settings, *, timeout: float | None = None) -> dict[str, Any]:
    """Addresses, TLS and SASL for any kafka-python client (pipeline.kafka.security)."""
    return kafka_python_kwargs(settings, timeout=timeout)


def make_producer(settings: Settings, *, timeout: float | None = None) -> KafkaProducer:
    """`timeout` (seconds): how long the first connection, and a send waiting for metadata,
    may wait for a broker before failing (acknowledgements keep the default 30 s)."""
    kwargs = client_kwargs(settings, timeout=timeout)
    if timeout is not None:
        kwargs.pop("request_timeout_ms")
        kwargs["max_block_ms"] = int(timeout * 1000)
    return KafkaProducer(
        acks="all",
        linger_ms=5,
        retries=5,
        max_request_size=8 * 1024 * 1024,
        **kwargs,
    )


def ensure_topics(
    settings: Settings, extra: Iterable[str] = (), *, timeout: float | None = None
) -> None:
    """Create the pipeline's topics if missing. Partition counts come from settings;
    retention, compaction and size limits from pipeline.kafka.topics, which also brings
    them onto topics that already exist."""
    wanted = {
        settings.raw_topic: settings.raw_partitions,
        settings.dispatches_topic: settings.raw_partitions,
        settings.dlq_topic: 1,
        **dict.fromkeys(extra, 1),
    }
    admin = KafkaAdminClient(**client_kwargs(settings, timeout=timeout))
    try:
        existing = set(admin.list_topics())
        configs = topic_configs(settings)
        new = [
            NewTopic(
                name,
                num_partitions=n,
                replication_factor=settings.replication_factor,
                topic_configs=configs.get(name, {}),
            )
            for name, n in wanted.items()
            if name not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):  # a concurrent creator won
                admin.create_topics(new)
        reconcile(admin, settings, [name for name in wanted if name in existing])
    finally:
        admin.close()


def encode(model: Dispatch | DeadLetter) -> bytes:
    return orjson.dumps(model.model_dump(mode="json"))


def dispatch_headers(d: Dispatch) -> list[tuple[str, bytes]]:
    return [
        ("format", d.format.encode()),
        ("version", str(d.version).encode()),
        ("received_at", d.received_at.isoformat().encode()),
    ]
