"""`wire index migrate` and `wire index rollover` on a real (or the local) Elasticsearch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from pipeline.settings import Settings
from pipeline.store.client import make_es
from pipeline.store.lifecycle import alias_state, migrate, rollover, rollover_conditions
from pipeline.store.writes import ensure_indices

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh(settings: Settings) -> Iterator[tuple[Settings, Elasticsearch]]:
    s = settings.model_copy(update={"index_prefix": settings.index_prefix + "life"})
    es = make_es(s)
    ensure_indices(es, s)
    for i in range(3):
        es.index(
            index=s.dispatch_alias,
            id=f"g{i}",
            document={"guid": f"g{i}", "version": i + 2, "headline": f"h{i}"},
            version=i + 2,
            version_type="external_gte",
        )
    es.indices.refresh(index=s.dispatch_alias)
    yield s, es
    made = dict(es.indices.get(index=f"{s.index_prefix}-*", allow_no_indices=True))
    if made:
        es.indices.delete(index=",".join(made))  # by name: wildcards may be refused
    es.close()


def test_migrate_copies_with_versions_and_moves_the_alias(
    fresh: tuple[Settings, Elasticsearch],
) -> None:
    s, es = fresh
    done = migrate(es, s, s.dispatch_alias, replicas=0)
    assert (done.source, done.target, done.copied) == (
        [f"{s.dispatch_alias}-000001"],
        f"{s.dispatch_alias}-000002",
        3,
    )
    state = alias_state(es, s.dispatch_alias)
    assert state.indices == {f"{s.dispatch_alias}-000002": True}
    assert es.get(index=f"{s.dispatch_alias}-000002", id="g2")["_version"] == 4
    assert es.indices.exists(index=f"{s.dispatch_alias}-000001")  # kept unless --delete-old
    # writes through the alias land in the new index, still guarded by version
    es.index(
        index=s.dispatch_alias,
        id="g3",
        document={"guid": "g3"},
        version=1,
        version_type="external_gte",
    )
    assert es.get(index=f"{s.dispatch_alias}-000002", id="g3")["found"]
    again = migrate(es, s, s.dispatch_alias, delete_old=True)
    assert again.target == f"{s.dispatch_alias}-000003" and again.copied == 4
    assert not es.indices.exists(index=f"{s.dispatch_alias}-000002")


def test_rollover_moves_both_aliases_when_due(fresh: tuple[Settings, Elasticsearch]) -> None:
    s, es = fresh
    due = rollover_conditions(None, 1, None)
    report = rollover(es, s, due, dry_run=True)
    assert [(r.alias, r.new_index, r.rolled_over) for r in report] == [
        (s.dispatch_alias, f"{s.dispatch_alias}-000002", False),
        (s.event_alias, f"{s.event_alias}-000002", False),
    ]
    assert all(r.conditions == {"[max_docs: 1]": True} for r in report)
    not_due = rollover(es, s, rollover_conditions(None, 1000, None), dry_run=False)
    assert not any(r.rolled_over or any(r.conditions.values()) for r in not_due)
    done = rollover(es, s, due, dry_run=False)
    assert all(r.rolled_over for r in done)
    for alias in (s.dispatch_alias, s.event_alias):
        assert alias_state(es, alias).indices == {f"{alias}-000001": False, f"{alias}-000002": True}


def test_after_a_rollover_a_dispatch_is_updated_in_its_generation(
    wire_env: dict[str, str], tmp_path: Path
) -> None:
    """A worker running across a rollover: a later version of a dispatch indexed before it
    replaces the copy in the old generation (one copy, its events beside it), and a new
    dispatch goes to the new write index."""
    from kafka import KafkaProducer

    from pipeline.extract.normalise import normalise
    from pipeline.kafka.client import client_kwargs, encode
    from tests.helpers import FIXTURES, SAMPLES, parse_file
    from tests.integration.conftest import own_pipeline, run_worker, wait_for, wire_cli

    env, own = own_pipeline(wire_env, tmp_path, "roll")
    es = make_es(own)
    guid = f"urn:test:rollover:{own.topic_prefix}"
    [v2] = parse_file(FIXTURES / "versions" / "ubisoft-v2-update.newsmlg2.xml")
    [v3] = parse_file(FIXTURES / "versions" / "ubisoft-v3-correction.newsmlg2.xml")
    [other] = parse_file(SAMPLES / "afp-en-stellantis-battery-acquisition.txt")
    v2, v3 = (d.model_copy(update={"guid": guid}) for d in (v2, v3))
    other = other.model_copy(update={"guid": guid + ":other"})
    producer = KafkaProducer(acks="all", **client_kwargs(own))

    def send(d: object) -> None:
        producer.send(own.raw_topic, key=guid.encode(), value=encode(d)).get(30)  # type: ignore[arg-type]

    def copies(g: str) -> list[dict[str, object]]:
        es.indices.refresh(index=own.dispatch_alias)
        return list(
            es.search(index=own.dispatch_alias, query={"ids": {"values": [g]}})["hits"]["hits"]
        )

    first_d, first_e = f"{own.dispatch_alias}-000001", f"{own.event_alias}-000001"
    try:
        with run_worker(env, tmp_path / "worker.log", own):
            send(v2)
            wait_for(lambda: copies(guid), what="version 2 indexed")
            rolled = wire_cli(env, "index", "rollover", "--max-docs", "1")
            assert rolled.returncode == 0, rolled.stderr
            assert "rolled over to" in rolled.stdout
            send(v3)
            wait_for(
                lambda: [
                    h for h in copies(guid) if h["_source"]["version"] == normalise(v3).version
                ],
                what="the correction indexed",
            )
            [hit] = copies(guid)  # one copy, where version 2 was
            assert hit["_index"] == first_d
            events = es.search(
                index=own.event_alias, query={"term": {"dispatch_guid": guid}}, size=50
            )["hits"]["hits"]
            assert events and {h["_index"] for h in events} == {first_e}
            send(other)
            wait_for(lambda: copies(other.guid), what="a new dispatch indexed")
            assert [h["_index"] for h in copies(other.guid)] == [f"{own.dispatch_alias}-000002"]
    finally:
        producer.close()
        es.close()
