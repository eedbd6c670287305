"""Versioning scenarios through the real stack, observed through the search API."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from elasticsearch import Elasticsearch

from pipeline.settings import Settings
from pipeline.store.search import SearchQuery, search
from schemas import EventRetraction, RetractionReason
from tests.helpers import FIXTURES, parse_file
from tests.integration.conftest import metric, read_topic, wait_for

pytestmark = pytest.mark.integration
Wire = Callable[..., subprocess.CompletedProcess[str]]
GUID = "urn:newsml:afp.com:20250327:TX-PAR-KJP41"
V1 = FIXTURES / "formats" / "ubisoft.newsmlg2.xml"
V2 = FIXTURES / "versions" / "ubisoft-v2-update.newsmlg2.xml"
V3 = FIXTURES / "versions" / "ubisoft-v3-correction.newsmlg2.xml"
V4 = FIXTURES / "versions" / "ubisoft-v4-kill.newsmlg2.xml"


def version_of(es: Elasticsearch, settings: Settings) -> int:
    if not es.exists(index=settings.dispatch_alias, id=GUID):
        return 0
    return int(es.get(index=settings.dispatch_alias, id=GUID)["_source"]["version"])


def test_out_of_order_update_correction_then_kill(
    run_wire: Wire, worker: Path, settings: Settings, es: Elasticsearch
) -> None:
    # The correction (v3) arrives first, then the original and the update late.
    assert run_wire("ingest", str(V3)).returncode == 0
    wait_for(lambda: version_of(es, settings) == 3, what="v3 indexed")
    stale_before = metric(settings, 'wire_dispatches_total{outcome="stale_version"}')
    assert run_wire("ingest", str(V1), str(V2)).returncode == 0
    wait_for(
        lambda: (
            metric(settings, 'wire_dispatches_total{outcome="stale_version"}') >= stale_before + 2
        ),
        what="v1 and v2 refused as stale",
    )
    doc = es.get(index=settings.dispatch_alias, id=GUID)["_source"]
    assert doc["version"] == 3 and doc["headline"].endswith("(corrigé)")
    assert "1,25 milliard" in doc["body"]
    hits = search(es, settings, SearchQuery(text="Ubisoft Tencent", size=50))
    assert [h.version for h in hits.hits if h.guid == GUID] == [3]

    # Exact re-send of v3: dropped and counted, nothing changes.
    dup_before = metric(settings, 'wire_dispatches_total{outcome="duplicate"}')
    assert run_wire("ingest", str(V3)).returncode == 0
    wait_for(
        lambda: metric(settings, 'wire_dispatches_total{outcome="duplicate"}') >= dup_before + 1,
        what="the re-send counted as duplicate",
    )

    # The kill removes it from default search and publishes dispatch.killed.
    assert run_wire("ingest", str(V4)).returncode == 0
    wait_for(lambda: version_of(es, settings) == 4, what="kill indexed")
    assert GUID not in [
        h.guid for h in search(es, settings, SearchQuery(text="Ubisoft Tencent", size=50)).hits
    ]
    killed = search(es, settings, SearchQuery(text="Ubisoft Tencent", include_killed=True, size=50))
    assert [h.version for h in killed.hits if h.guid == GUID] == [4]
    stored = es.get(index=settings.dispatch_alias, id=GUID)["_source"]["dispatch"]
    assert [(h["version"], h["kind"]) for h in stored["history"]] == [
        (3, "correction"),
        (4, "kill"),
    ]
    es.indices.refresh(index=settings.event_alias)
    types = {
        h["_source"]["type"]
        for h in es.search(index=settings.event_alias, query={"term": {"dispatch_guid": GUID}})[
            "hits"
        ]["hits"]
    }
    assert types == {"dispatch.killed"}  # the story's own events went with it

    # Subscribers of the investment topic were told of Tencent's stake: now it is withdrawn,
    # after the event, under the same key.
    def withdrawn(records: list[bytes]) -> bool:
        return any(b'"retraction"' in r and GUID.encode() in r for r in records)

    records = [
        orjson.loads(r)
        for r in read_topic(settings, settings.event_topic("investment"), withdrawn)
        if GUID.encode() in r
    ]
    told = [r for r in records if "retracts" not in r]
    [retraction] = [EventRetraction.model_validate(r) for r in records if "retracts" in r]
    assert retraction.reason is RetractionReason.killed and retraction.dispatch_version == 4
    assert retraction.retracts in {e["id"] for e in told}
    said_at = next(i for i, r in enumerate(records) if r.get("id") == retraction.retracts)
    assert next(i for i, r in enumerate(records) if "retracts" in r) > said_at


def test_the_same_story_from_another_agency_joins_its_story(
    run_wire: Wire, worker: Path, settings: Settings, es: Elasticsearch, tmp_path: Path
) -> None:
    mistral = (FIXTURES.parent.parent / "samples" / "afp-fr-mistral-levee.txt").read_text(
        encoding="utf-8"
    )
    assert run_wire(
        "ingest", str(FIXTURES.parent.parent / "samples" / "afp-fr-mistral-levee.txt")
    ).returncode in (0,)
    other = tmp_path / "reuters-mistral.txt"
    other.write_text(
        mistral.replace("(AFP)", "(Reuters)")
        .replace("a levé 600 millions", "a levé 600 millions")
        .replace("a annoncé mardi l'entreprise", "a indiqué mardi la société")
        .replace("afp/ls/jh", "rtr/mb"),
        encoding="utf-8",
    )
    assert run_wire("ingest", str(other)).returncode == 0

    [sample] = parse_file(FIXTURES.parent.parent / "samples" / "afp-fr-mistral-levee.txt")

    def reuters_named_on_the_afp_copy() -> bool:
        hits = search(es, settings, SearchQuery(text="Mistral levée", size=50)).hits
        afp = [h for h in hits if h.guid == sample.guid]
        return bool(afp) and "REUTERS" in afp[0].also_from

    # Other tests share this index (and another AFP copy of this story), so
    # wait for the one thing this test is about: the AFP sample names Reuters.
    wait_for(reuters_named_on_the_afp_copy, what="the AFP copy to list Reuters in also_from")
    res = search(es, settings, SearchQuery(text="Mistral", provider=None, size=50))
    stories = {h.story_id for h in res.hits if h.guid == sample.guid or h.provider == "REUTERS"}
    assert len(stories) == 1


def test_a_resend_under_a_new_guid_is_a_content_duplicate(
    worker: Path, settings: Settings, es: Elasticsearch
) -> None:
    """Same text, new id (a feed that re-keys its copy): dropped as content_duplicate,
    found by the index's content-hash owner, not by the guid."""
    import orjson
    from kafka import KafkaProducer

    from pipeline.kafka.client import client_kwargs
    from tests.helpers import SAMPLES

    [original] = parse_file(SAMPLES / "afp-en-stellantis-battery-acquisition.txt")
    tag = settings.topic_prefix
    # A paragraph of its own, so that no other test's copy of the sample owns this text.
    body = [*original.body, f"Dépêche d'essai {tag}."]
    first = original.model_copy(update={"guid": f"urn:test:rekeyed:{tag}:1", "body": body})
    again = first.model_copy(update={"guid": f"urn:test:rekeyed:{tag}:2", "source": "mirror"})
    producer = KafkaProducer(acks="all", **client_kwargs(settings))

    def send(d: object) -> None:
        payload = orjson.dumps(d.model_dump(mode="json"))  # type: ignore[attr-defined]
        producer.send(settings.raw_topic, key=d.guid.encode(), value=payload)  # type: ignore[attr-defined]
        producer.flush()

    try:
        send(first)
        wait_for(lambda: es.exists(index=settings.dispatch_alias, id=first.guid), what="original")
        copies_before = metric(settings, 'wire_dispatches_total{outcome="content_duplicate"}')
        send(again)
        wait_for(
            lambda: (
                metric(settings, 'wire_dispatches_total{outcome="content_duplicate"}')
                >= copies_before + 1
            ),
            what="the re-keyed copy counted as content_duplicate",
        )
    finally:
        producer.close()
    assert not es.exists(index=settings.dispatch_alias, id=again.guid)


def test_a_record_written_but_never_published_is_sent_again_when_replayed(
    settings: Settings, wire_env: dict[str, str], tmp_path: Path
) -> None:
    """The crash window: a worker wrote a batch to the index and died before its events
    reached Kafka. Its state (what the gate reads) records the raw record the copy was
    written from; when that very record comes back (same partition and offset), the
    worker sends everything again. Any other record with the same content stays a plain
    duplicate.

    Here the dead worker's state comes from `wire state rebuild` over the index copy,
    as for a deployment indexed before the workers kept state; then the state survives
    a restart (RocksDB under the worker's datadir) and a restart with an empty datadir
    (everything read back from the changelogs). A pipeline of its own (topics, index,
    group), so that its restarts leave the session's worker alone."""
    from kafka import KafkaProducer

    from pipeline.extract.batch import extract_batch
    from pipeline.extract.normalise import normalise
    from pipeline.kafka.client import client_kwargs, encode
    from pipeline.store.client import make_es
    from pipeline.store.documents import Delivery, bulk_operations
    from tests.helpers import SAMPLES
    from tests.integration.conftest import own_pipeline, run_worker, wire_cli

    # The session's stack (`settings` started it), a pipeline of its own on it.
    env, own = own_pipeline(wire_env, tmp_path, "r")
    es = make_es(own)
    [sample] = parse_file(SAMPLES / "afp-en-stellantis-battery-acquisition.txt")
    guid = f"urn:test:replayed:{own.topic_prefix}"
    raw = sample.model_copy(
        update={"guid": guid, "body": [*sample.body, f"Replay check {own.topic_prefix}."]}
    )
    [enriched] = extract_batch([normalise(raw)])
    assert [e.type for e in enriched.events if e.type == "acquisition"] == ["acquisition"]

    # What the dead worker left: the index copy, written from the first record of
    # partition 0 (the topic is new); nothing sent.
    ops = bulk_operations(own, [enriched], deliveries={guid: Delivery(f"{own.raw_topic}:0:0")})
    assert not es.bulk(operations=ops, refresh="wait_for")["errors"]
    rebuilt = wire_cli(env, "state", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 guid(s) (per raw partition 0: 1)" in rebuilt.stdout

    producer = KafkaProducer(acks="all", **client_kwargs(own))

    def send() -> None:
        producer.send(own.raw_topic, key=guid.encode(), value=encode(raw), partition=0).get(30)

    def outcome(label: str) -> float:
        return metric(own, f'wire_dispatches_total{{outcome="{label}"}}')

    try:
        with run_worker(env, tmp_path / "worker1.log", own):
            send()  # offset 0: the very record the copy was written from
            wait_for(lambda: outcome("replayed") >= 1, what="the record recognised as a replay")
            events = read_topic(
                own,
                own.event_topic("acquisition"),
                lambda rs: any(guid.encode() in r for r in rs),
            )
            [told] = [orjson.loads(r) for r in events if guid.encode() in r]
            assert told["id"] == next(e.id for e in enriched.events if e.type == "acquisition")
            send()  # the same content in another record: a duplicate, nothing sent again
            wait_for(lambda: outcome("duplicate") >= 1, what="the second record a duplicate")
            assert outcome("replayed") == 1 and outcome("indexed") == 1  # the replay itself
        with run_worker(env, tmp_path / "worker2.log", own):  # restarted: RocksDB kept
            send()
            wait_for(lambda: outcome("duplicate") >= 1, what="a duplicate after a restart")
            time.sleep(2)  # a batch counted at its gate is counted again once written
            # Nothing seen as new: only a record read again before its commit is replayed.
            assert outcome("indexed") == outcome("replayed")
        shutil.rmtree(tmp_path / "faust")
        with run_worker(env, tmp_path / "worker3.log", own):  # nothing kept but the changelog
            send()
            wait_for(lambda: outcome("duplicate") >= 1, what="a duplicate after a fresh start")
            time.sleep(2)
            assert outcome("indexed") == outcome("replayed")
    finally:
        producer.close()
        es.close()
