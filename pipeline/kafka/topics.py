"""Every topic the pipeline uses, its partitions and its settings, from the one settings
object (pure), and how those settings are brought onto topics that already exist.

`ensure_topics` (pipeline.kafka.client) creates missing topics with these configs and
calls `reconcile` for the ones that exist: a key still at the broker's default is set to
ours; a key someone set on the topic is left alone and reported (an operator's explicit
choice wins over a default written in code). deploy/README.md explains every figure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.dedup.state import GUIDS, OWNERS, SKETCHES
from pipeline.extract.events.types import EVENT_TYPES
from pipeline.limits import Limits
from pipeline.settings import Settings

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000

# How long each topic keeps records (retention.ms), and why:
RAW_RETENTION_DAYS = 7  # replaying the raw topic re-extracts and re-sends (a week of slack);
# older dispatches are re-extracted from Elasticsearch (`wire reextract`)
FEED_RETENTION_DAYS = 3  # the live feed: SSE clients resume from an offset (Last-Event-ID)
EVENTS_RETENTION_DAYS = 30  # subscribers of events and alerts catch up after an outage
DLQ_RETENTION_DAYS = 90  # dead letters are read, fixed and replayed by people

KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # the broker's default max.message.bytes


MEMORY = "entity-memory"  # the entity memory's GlobalTable (pipeline.worker.app)


def changelog_topic(settings: Settings, table: str = MEMORY) -> str:
    """Faust's name for a table's changelog: `<app id>-<table>-changelog` (app id = group)."""
    return f"{settings.consumer_group}-{table}-changelog"


def changelog_topics(settings: Settings) -> dict[str, int]:
    """Every table's changelog and its partitions: the entity memory and the gate's
    GlobalTables have one (every worker reads them in full); the per-guid table is
    partitioned like the raw topic (each worker owns its guids: pipeline.worker.state)."""
    tables = {MEMORY: 1, GUIDS: settings.raw_partitions, OWNERS: 1, SKETCHES: 1}
    return {changelog_topic(settings, t): n for t, n in tables.items()}


def max_record_bytes(settings: Settings) -> int:
    """The largest record the raw and live-feed topics must accept.

    A raw record is a Dispatch as JSON: its text is at most the document's bytes, and JSON
    escaping at most doubles it (every character a quote or a backslash); 64 KiB cover the
    rest (headline, history, metadata). Producers must allow as much (`max_request_size`).
    """
    return max(KAFKA_DEFAULT_MAX_MESSAGE_BYTES, Limits(settings.max_document_bytes).request_bytes)


def dlq_record_bytes(settings: Settings) -> int:
    """A dead letter keeps at most `dlq_payload_bytes` of the input, base64 (4/3), plus
    the reason and metadata."""
    return max(KAFKA_DEFAULT_MAX_MESSAGE_BYTES, (settings.dlq_payload_bytes * 4) // 3 + 64 * 1024)


def min_insync_replicas(settings: Settings) -> int:
    """2 of 3 replicas must acknowledge (producers use acks=all); 1 on a single broker."""
    return max(1, min(2, settings.replication_factor - 1))


def topic_partitions(settings: Settings) -> dict[str, int]:
    """Partitions of every topic the pipeline creates. Keyed topics (raw, dispatches,
    events: by guid) keep a guid's records in order only while their partition count
    stays the same: grow them only with all workers stopped and the topic drained."""
    return {
        settings.raw_topic: settings.raw_partitions,
        settings.dispatches_topic: settings.raw_partitions,
        settings.dlq_topic: 1,
        settings.alerts_topic: 1,
        **{settings.event_topic(t): 1 for t in EVENT_TYPES},
        **changelog_topics(settings),
    }


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    """Topic-level settings of every topic in `topic_partitions`, as Kafka spells them."""
    common = {"min.insync.replicas": str(min_insync_replicas(settings))}

    def keep(days: int, **extra: str) -> dict[str, str]:
        return {
            **common,
            "cleanup.policy": "delete",
            "retention.ms": str(days * DAY_MS),
            **extra,
        }

    big = str(max_record_bytes(settings))
    return {
        settings.raw_topic: keep(RAW_RETENTION_DAYS, **{"max.message.bytes": big}),
        settings.dispatches_topic: keep(FEED_RETENTION_DAYS, **{"max.message.bytes": big}),
        settings.dlq_topic: keep(
            DLQ_RETENTION_DAYS, **{"max.message.bytes": str(dlq_record_bytes(settings))}
        ),
        settings.alerts_topic: keep(EVENTS_RETENTION_DAYS),
        **{settings.event_topic(t): keep(EVENTS_RETENTION_DAYS) for t in EVENT_TYPES},
        # Compacted, kept forever: the last value of every key is the table itself (the
        # gate's windowed tables delete their expired keys with tombstones).
        **{
            name: {**common, "cleanup.policy": "compact", "retention.ms": "-1"}
            for name in changelog_topics(settings)
        },
    }


def config_changes(
    wanted: Mapping[str, str], current: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """What to set on an existing topic, and what to leave alone.

    `current` is kafka-python's describe_configs answer for the topic (key -> {"value",
    "config_source", ...}). Returns (to set: key -> our value, kept: key -> (theirs, ours)):
    a key still at a default (the broker's or the cluster's) takes our value; a key set
    on the topic itself (DYNAMIC_TOPIC_CONFIG) keeps its value.
    """
    to_set: dict[str, str] = {}
    kept: dict[str, tuple[str, str]] = {}
    for key, ours in wanted.items():
        entry = current.get(key)
        value = None if entry is None else entry.get("value")
        if value is not None and str(value) == ours:
            continue
        if entry is not None and entry.get("config_source") == "DYNAMIC_TOPIC_CONFIG":
            kept[key] = (str(value), ours)
        else:
            to_set[key] = ours
    return to_set, kept


def reconcile(admin: Any, settings: Settings, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Bring our configs onto existing topics (see `config_changes`). Returns what was set.
    A broker that cannot describe or alter configs is logged, never fatal."""
    from kafka.admin import ConfigResource, ConfigResourceType

    wanted = topic_configs(settings)
    names = [n for n in names if n in wanted]
    if not names:
        return {}
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n) for n in names], config_filter="all"
        )
    except Exception as exc:  # an old or partial broker: topics work, configs stay as they are
        log.warning("cannot read topic configs (%s); left as they are", exc)
        return {}
    topics = described.get("topic", {}) if isinstance(described, dict) else {}
    changed: dict[str, dict[str, str]] = {}
    for name in names:
        to_set, kept = config_changes(wanted[name], topics.get(name, {}))
        for key, (theirs, ours) in kept.items():
            log.warning(
                "%s: %s=%s set on the topic, kept (wirestream would use %s)",
                name,
                key,
                theirs,
                ours,
            )
        if to_set:
            changed[name] = to_set
    if changed:
        try:
            admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, n, c) for n, c in changed.items()],
                raise_on_unknown=False,
            )
        except Exception as exc:
            log.warning("cannot set topic configs %s: %s", sorted(changed), exc)
            return {}
        for name, c in changed.items():
            log.info("%s: set %s", name, ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
    return changed
