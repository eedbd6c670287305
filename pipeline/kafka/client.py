"""Kafka plumbing shared by connectors' publishers and the CLI (kafka-python)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import orjson
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import ConfigResource, NewTopic
from kafka.errors import TopicAlreadyExistsError

from pipeline.kafka.security import kafka_python_kwargs
from pipeline.kafka.topics import reconcile, topic_configs, topic_partitions
from pipeline.limits import COMPRESSION, Limits
from pipeline.settings import Settings
from schemas import DeadLetter, Dispatch

log = logging.getLogger(__name__)


def client_kwargs(settings: Settings, *, timeout: float | None = None) -> dict[str, Any]:
    """Addresses, TLS and SASL for any kafka-python client (pipeline.kafka.security)."""
    return kafka_python_kwargs(settings, timeout=timeout)


def make_producer(settings: Settings, *, timeout: float | None = None) -> KafkaProducer:
    """`timeout` (seconds): how long the first connection, and a send waiting for metadata,
    may wait for a broker before failing (acknowledgements keep the default 30 s)."""
    limits = Limits(settings.max_document_bytes)  # one story: pipeline.limits
    kwargs = client_kwargs(settings, timeout=timeout)
    if timeout is not None:
        kwargs.pop("request_timeout_ms")
        kwargs["max_block_ms"] = int(timeout * 1000)
    return KafkaProducer(
        acks="all",
        linger_ms=5,
        retries=5,
        max_request_size=limits.request_bytes,
        compression_type=COMPRESSION,
        **kwargs,
    )


def ensure_topics(
    settings: Settings, extra: Iterable[str] = (), *, timeout: float | None = None
) -> None:
    """Create the pipeline's topics if missing. Partition counts come from settings;
    retention, compaction and size limits from pipeline.kafka.topics, which also brings
    them onto topics that already exist."""
    partitions = topic_partitions(settings)
    names = [settings.raw_topic, settings.dispatches_topic, settings.dlq_topic, *extra]
    wanted = {name: partitions.get(name, 1) for name in names}
    admin = KafkaAdminClient(**client_kwargs(settings, timeout=timeout))
    try:
        existing = set(admin.list_topics())
        configs = topic_configs(settings)
        limits = Limits(settings.max_document_bytes)
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
        # Only the topics that carry whole documents (raw, live feed): the others have
        # limits of their own in pipeline.kafka.topics (a dead letter keeps a bounded part).
        whole = {settings.raw_topic, settings.dispatches_topic}
        raise_message_limits(admin, [t for t in wanted if t in existing and t in whole], limits)
    finally:
        admin.close()


def raise_message_limits(admin: KafkaAdminClient, topics: list[str], limits: Limits) -> None:
    """Raise `max.message.bytes` of existing topics that are below the limit wirestream's
    producers send up to (topics made before it was set, or by hand). Best effort: where
    the cluster does not allow it, a record over the topic's limit is refused by the
    broker and dead-lettered with that reason (pipeline.kafka.publisher)."""
    if not topics:
        return
    wanted = limits.request_bytes
    try:
        described = admin.describe_configs(
            [ConfigResource("TOPIC", t, ["max.message.bytes"]) for t in topics],
            config_filter="all",
        )
        low = []
        for topic, configs in (described.get("topic") or {}).items():
            entry = (configs or {}).get("max.message.bytes") or {}
            value = entry.get("value") if isinstance(entry, dict) else entry
            if value is None or int(value) < wanted:
                low.append(topic)
        if low:
            admin.alter_configs(
                [ConfigResource("TOPIC", t, {"max.message.bytes": str(wanted)}) for t in low],
                raise_on_unknown=False,
            )
            log.info("raised max.message.bytes to %d on %s", wanted, ", ".join(sorted(low)))
    except Exception as exc:  # a locked-down cluster: say so, refusals are dead-lettered
        log.warning("could not raise max.message.bytes on existing topics: %s", exc)


def encode(model: Dispatch | DeadLetter) -> bytes:
    return orjson.dumps(model.model_dump(mode="json"))


def dispatch_headers(d: Dispatch) -> list[tuple[str, bytes]]:
    return [
        ("format", d.format.encode()),
        ("version", str(d.version).encode()),
        ("received_at", d.received_at.isoformat().encode()),
    ]
