"""The dead-letter topic, read back: every record that could not be processed, with why."""

from __future__ import annotations

from kafka import KafkaConsumer

from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings
from schemas import DeadLetter


def read_dead_letters(settings: Settings, timeout_ms: int = 1500) -> list[DeadLetter]:
    """Every dead letter in the topic, oldest first (a group-less reader: commits nothing)."""
    consumer = KafkaConsumer(
        settings.dlq_topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=timeout_ms,
        **client_kwargs(settings, timeout=settings.kafka_request_timeout_s),
    )
    letters = []
    try:
        for record in consumer:
            try:
                letters.append(DeadLetter.model_validate_json(record.value))
            except ValueError:
                continue
    finally:
        consumer.close()
    return letters
