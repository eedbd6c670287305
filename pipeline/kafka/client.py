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

from pipeline.limits import COMPRESSION, Limits
from pipeline.settings import Settings
from schemas import DeadLetter, Dispatch

log = logging.getLogger(__name__)


def client_kwargs(settings: Settings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_hosts,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism:
        kwargs["sasl_mechanism"] = settings.kafka_sasl_mechanism
        kwargs["sasl_plain_username"] = settings.kafka_sasl_username
        if settings.kafka_sasl_password:
            kwargs["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return kwargs


def make_producer(settings: Settings) -> KafkaProducer:
    limits = Limits(settings.max_document_bytes)  # one story: pipeline.limits
    return KafkaProducer(
        acks="all",
        linger_ms=5,
        retries=5,
        max_request_size=limits.request_bytes,
        compression_type=COMPRESSION,
        **client_kwargs(settings),
    )


def ensure_topics(settings: Settings, extra: Iterable[str] = ()) -> None:
    """Create the pipeline's topics if missing. Partition counts come from settings."""
    wanted = {
        settings.raw_topic: settings.raw_partitions,
        settings.dispatches_topic: settings.raw_partitions,
        settings.dlq_topic: 1,
        **dict.fromkeys(extra, 1),
    }
    admin = KafkaAdminClient(**client_kwargs(settings))
    try:
        existing = set(admin.list_topics())
        limits = Limits(settings.max_document_bytes)
        new = [
            NewTopic(
                name,
                num_partitions=n,
                replication_factor=settings.replication_factor,
                topic_configs=limits.topic_configs(),  # pipeline.limits
            )
            for name, n in wanted.items()
            if name not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):  # a concurrent creator won
                admin.create_topics(new)
        raise_message_limits(admin, [t for t in wanted if t in existing], limits)
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
