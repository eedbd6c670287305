"""Topic sizing and settings (pipeline.kafka.topics): pure, no broker."""

from __future__ import annotations

from typing import Any

from pipeline.extract.events.types import EVENT_TYPES
from pipeline.kafka.topics import (
    DAY_MS,
    changelog_topic,
    config_changes,
    max_record_bytes,
    reconcile,
    topic_configs,
    topic_partitions,
)
from pipeline.settings import Settings


def cluster(**kw: Any) -> Settings:
    return Settings(replication_factor=3, raw_partitions=12, **kw)


def test_every_topic_has_partitions_and_configs() -> None:
    s = cluster()
    parts, configs = topic_partitions(s), topic_configs(s)
    assert parts.keys() == configs.keys()
    assert parts[s.raw_topic] == parts[s.dispatches_topic] == 12
    assert {s.event_topic(t) for t in EVENT_TYPES} <= parts.keys()
    assert parts[changelog_topic(s)] == 1
    assert changelog_topic(s) == "wirestream-pipeline-entity-memory-changelog"


def test_the_gates_changelogs_are_compacted_and_the_guid_table_follows_the_raw_topic() -> None:
    s = cluster()
    parts, configs = topic_partitions(s), topic_configs(s)
    guids = changelog_topic(s, "gate-guids")
    assert guids == "wirestream-pipeline-gate-guids-changelog"
    # Faust assigns a Table's partition with the raw partition of the same number only
    # when both have as many: each worker then owns the state of its own guids.
    assert parts[guids] == parts[s.raw_topic] == 12
    for table in ("gate-owners", "gate-sketches"):
        assert parts[changelog_topic(s, table)] == 1  # GlobalTables, read in full
    for table in ("entity-memory", "gate-guids", "gate-owners", "gate-sketches"):
        config = configs[changelog_topic(s, table)]
        assert config["cleanup.policy"] == "compact" and config["retention.ms"] == "-1"


def test_replicated_cluster_needs_two_in_sync_replicas_a_single_broker_one() -> None:
    assert {c["min.insync.replicas"] for c in topic_configs(cluster()).values()} == {"2"}
    assert {c["min.insync.replicas"] for c in topic_configs(Settings()).values()} == {"1"}


def test_retention_and_compaction() -> None:
    s = cluster()
    c = topic_configs(s)
    assert c[s.raw_topic]["retention.ms"] == str(7 * DAY_MS)
    assert c[s.dlq_topic]["retention.ms"] == str(90 * DAY_MS)
    assert c[s.event_topic("acquisition")]["cleanup.policy"] == "delete"
    memory = c[changelog_topic(s)]
    assert memory["cleanup.policy"] == "compact" and memory["retention.ms"] == "-1"


def test_raw_topic_takes_the_largest_document_accepted() -> None:
    s = cluster(max_document_bytes=5 * 1024 * 1024)
    limit = int(topic_configs(s)[s.raw_topic]["max.message.bytes"])
    assert limit == max_record_bytes(s) >= 2 * s.max_document_bytes
    small = cluster(max_document_bytes=64 * 1024)
    assert max_record_bytes(small) == 1_048_588  # never below Kafka's own default


def test_defaults_are_set_an_operators_explicit_value_is_kept() -> None:
    current = {
        "retention.ms": {"value": "604800000", "config_source": "DEFAULT_CONFIG"},
        "cleanup.policy": {"value": "delete", "config_source": "DYNAMIC_TOPIC_CONFIG"},
        "max.message.bytes": {"value": "2000000", "config_source": "DYNAMIC_TOPIC_CONFIG"},
    }
    wanted = {
        "retention.ms": "259200000",
        "cleanup.policy": "delete",
        "max.message.bytes": "10551296",
        "min.insync.replicas": "2",
    }
    to_set, kept = config_changes(wanted, current)
    assert to_set == {"retention.ms": "259200000", "min.insync.replicas": "2"}
    assert kept == {"max.message.bytes": ("2000000", "10551296")}


class FakeAdmin:
    def __init__(self, described: dict[str, Any]) -> None:
        self.described = described
        self.altered: list[Any] = []

    def describe_configs(self, resources: list[Any], config_filter: str) -> dict[str, Any]:
        return {"topic": {r.name: self.described.get(r.name, {}) for r in resources}}

    def alter_configs(self, resources: list[Any], raise_on_unknown: bool) -> None:
        self.altered.extend(resources)


def test_reconcile_alters_only_what_differs() -> None:
    s = cluster()
    ours = topic_configs(s)[s.raw_topic]
    described = {
        s.raw_topic: {
            k: {"value": v, "config_source": "DYNAMIC_TOPIC_CONFIG"} for k, v in ours.items()
        },
        s.dlq_topic: {},
    }
    admin = FakeAdmin(described)
    changed = reconcile(admin, s, [s.raw_topic, s.dlq_topic, "someone-elses-topic"])
    assert list(changed) == [s.dlq_topic]
    assert [r.name for r in admin.altered] == [s.dlq_topic]


def test_reconcile_survives_a_broker_without_config_apis() -> None:
    class Old(FakeAdmin):
        def describe_configs(self, resources: list[Any], config_filter: str) -> dict[str, Any]:
            raise RuntimeError("UnsupportedVersion")

    assert reconcile(Old({}), cluster(), [cluster().raw_topic]) == {}
