"""A dispatch dropped in at one end is searchable at the other, through real Kafka and ES."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from connectors.formats.plaintext import stable_guid
from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings
from pipeline.store.search import SearchQuery, search
from schemas import DeadLetter, Dispatch, Event
from tests.helpers import FIXTURES, SAMPLES, SEED, parse_file
from tests.integration.conftest import metric, read_topic, wait_for

pytestmark = pytest.mark.integration
Wire = Callable[..., subprocess.CompletedProcess[str]]
ENGLISH = SAMPLES / "afp-en-stellantis-battery-acquisition.txt"


@pytest.fixture(scope="module")
def ingested(run_wire: Wire, worker: Path) -> subprocess.CompletedProcess[str]:
    result = run_wire("ingest", str(SEED), str(ENGLISH))
    assert result.returncode == 0, result.stderr
    return result


def test_seed_is_searchable_with_facets_and_amount(
    ingested: object, settings: Settings, es: Elasticsearch
) -> None:
    assert "2 dispatch(es) published" in ingested.stdout  # type: ignore[attr-defined]
    seed_guid = stable_guid("plaintext", SEED.read_text(encoding="utf-8"))
    result = wait_for(
        lambda: (
            search(es, settings, SearchQuery(text="Rivian")).total
            and search(es, settings, SearchQuery(text="Rivian"))
        ),
        what="'Rivian' to be searchable",
    )
    assert [h.guid for h in result.hits] == [seed_guid]  # type: ignore[attr-defined]
    assert "Amazon" in [b.value for b in result.facets["orgs"]]  # type: ignore[attr-defined]
    assert any("<em>Rivian</em>" in s for s in result.hits[0].snippets)  # type: ignore[attr-defined]
    stored = es.get(index=settings.dispatch_alias, id=seed_guid)["_source"]
    assert {"value": 700e6, "currency": "USD"}.items() <= stored["dispatch"]["amounts"][0].items()
    assert "investment" in stored["event_types"]


def test_language_analysis_and_filters(
    ingested: object, settings: Settings, es: Elasticsearch
) -> None:
    [stellantis] = parse_file(ENGLISH)
    # Other tests' English copy may mention Verkor too: wait for this very dispatch.
    wait_for(
        lambda: (
            stellantis.guid
            in [h.guid for h in search(es, settings, SearchQuery(text="Verkor", size=50)).hits]
        ),
        what="English dispatch",
    )
    # French stemming: plural query matches 'la voiture autonome'; English: 'acquiring' ~ 'acquire'
    assert search(es, settings, SearchQuery(text="voitures autonomes")).total == 1
    en = search(es, settings, SearchQuery(text="acquiring", language="en", size=50))
    assert stellantis.guid in [h.guid for h in en.hits]
    assert {h.language for h in en.hits} == {"en"}
    assert search(es, settings, SearchQuery(text="acquiring", language="fr")).total == 0
    # Other tests index re-keyed copies of this sample: look at this dispatch's hit.
    by_org = search(es, settings, SearchQuery(orgs=["Stellantis"], size=50))
    [hit] = [h for h in by_org.hits if h.guid == stellantis.guid]
    assert "acquisition" in hit.event_types
    assert stellantis.guid not in [
        h.guid for h in search(es, settings, SearchQuery(orgs=["Tencent"], size=50)).hits
    ]


def test_cli_search_json(
    ingested: object, run_wire: Wire, settings: Settings, es: Elasticsearch
) -> None:
    wait_for(lambda: search(es, settings, SearchQuery(text="Rivian")).total, what="seed")
    out = run_wire("search", "Rivian", "--org", "Amazon", "--json")
    assert out.returncode == 0, out.stderr
    payload = orjson.loads(out.stdout)
    assert payload["total"] == 1 and payload["hits"][0]["dateline_place"] == "New York"
    human = run_wire("search", "Rivian")
    assert "New York" in human.stdout and "facets" in human.stdout


def test_events_go_to_per_type_topics_and_index(
    ingested: object, settings: Settings, es: Elasticsearch
) -> None:
    def rivian(records: list[bytes]) -> bool:
        return any("Rivian" in r.decode() for r in records)

    records = read_topic(settings, settings.event_topic("investment"), rivian)
    event = next(Event.model_validate_json(r) for r in records if b"Rivian" in r)
    assert event.amount is not None and (event.amount.value, event.amount.currency) == (
        700e6,
        "USD",
    )
    assert [r.name for r in event.roles["target"]] == ["Rivian"]
    # The sample's own event (generated corpus stories of other tests may name Verkor too).
    [sample] = parse_file(ENGLISH)
    mine = sample.guid.encode()
    acq = read_topic(
        settings, settings.event_topic("acquisition"), lambda rs: any(mine in r for r in rs)
    )
    verkor = next(Event.model_validate_json(r) for r in acq if mine in r)
    assert [r.name for r in verkor.roles["acquirer"]] == ["Stellantis"]
    es.indices.refresh(index=settings.event_alias)
    hits = es.search(index=settings.event_alias, query={"term": {"type": "investment"}})["hits"][
        "hits"
    ]
    assert any("org:rivian" in h["_source"]["entity_ids"] for h in hits)


def test_reprocessing_is_idempotent(
    ingested: object, settings: Settings, es: Elasticsearch
) -> None:
    guid = stable_guid("plaintext", SEED.read_text(encoding="utf-8"))
    wait_for(lambda: es.exists(index=settings.dispatch_alias, id=guid), what="seed indexed")
    before = es.get(index=settings.dispatch_alias, id=guid)["_source"]
    events_before = es.count(index=settings.event_alias, query={"term": {"dispatch_guid": guid}})[
        "count"
    ]
    # Replay: the very record the connector published goes through the worker again.
    dup_before = metric(settings, 'wire_dispatches_total{outcome="duplicate"}')
    raw = read_topic(settings, settings.raw_topic, lambda rs: any(guid.encode() in r for r in rs))
    producer = KafkaProducer(acks="all", **client_kwargs(settings))
    producer.send(
        settings.raw_topic, key=guid.encode(), value=next(r for r in raw if guid.encode() in r)
    )
    producer.flush()
    producer.close()
    wait_for(
        lambda: metric(settings, 'wire_dispatches_total{outcome="duplicate"}') > dup_before,
        what="the replayed record to be recognised as already indexed",
    )
    after = es.get(index=settings.dispatch_alias, id=guid)["_source"]
    assert after == before  # not even re-written
    es.indices.refresh(index=settings.event_alias)
    assert (
        es.count(index=settings.event_alias, query={"term": {"dispatch_guid": guid}})["count"]
        == events_before
    )
    assert es.count(index=settings.dispatch_alias, query={"term": {"guid": guid}})["count"] == 1


def test_bad_files_are_refused_dead_lettered_and_nothing_else_is_lost(
    run_wire: Wire, worker: Path, settings: Settings, es: Elasticsearch, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.jpg.txt"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 8)
    latin1 = FIXTURES / "bad" / "afp-fr-latin1.txt"
    good = SAMPLES / "afp-fr-mistral-levee.txt"
    result = run_wire("ingest", str(empty), str(binary), str(latin1), str(good))
    assert result.returncode == 2
    assert f"{empty}: empty document" in result.stderr.replace("\n", "")
    assert "binary content" in result.stderr
    assert "not valid UTF-8" in result.stderr and "--encoding cp1252" in result.stderr
    assert "1 dispatch(es) published" in result.stdout and "3 refused" in result.stdout

    def three_letters(records: list[bytes]) -> bool:
        sources = {DeadLetter.model_validate_json(r).source for r in records}
        return {str(empty), str(binary), str(latin1)} <= sources

    letters = {
        (dl := DeadLetter.model_validate_json(r)).source: dl
        for r in read_topic(settings, settings.dlq_topic, three_letters)
    }
    assert letters[str(latin1)].payload_size == latin1.stat().st_size
    assert letters[str(latin1)].stage == "decode"
    [mistral] = parse_file(good)
    wait_for(
        lambda: es.exists(index=settings.dispatch_alias, id=mistral.guid), what="the good file"
    )


def test_worker_dead_letters_invalid_records_and_keeps_newer_versions(
    worker: Path, settings: Settings, es: Elasticsearch
) -> None:
    [base] = parse_file(SAMPLES / "afp-fr-mistral-levee.txt")
    guid = "urn:test:versioned:" + settings.topic_prefix
    v3 = base.model_copy(
        update={"guid": guid, "version": 3, "headline": "Mistral AI lève 600 millions (v3)"}
    )
    v2 = base.model_copy(
        update={"guid": guid, "version": 2, "headline": "Mistral AI lève des fonds (v2)"}
    )

    def stale_count() -> float:
        text = httpx.get(f"http://127.0.0.1:{settings.worker_web_port}/metrics", timeout=5).text
        line = next(
            (
                x
                for x in text.splitlines()
                if x.startswith('wire_dispatches_total{outcome="stale_version"}')
            ),
            "",
        )
        return float(line.split()[-1]) if line else 0.0

    stale_before = stale_count()  # other tests may have counted some already
    producer = KafkaProducer(acks="all", **client_kwargs(settings))
    for d in (v3, v2):
        producer.send(
            settings.raw_topic, key=guid.encode(), value=orjson.dumps(d.model_dump(mode="json"))
        )
    producer.send(settings.raw_topic, key=b"junk", value=b'{"guid": "x", "not": "a dispatch"}')
    producer.flush()
    producer.close()

    wait_for(lambda: stale_count() > stale_before, what="the late v2 to be refused as stale")
    wait_for(lambda: es.exists(index=settings.dispatch_alias, id=guid), what="v3 indexed")
    doc = es.get(index=settings.dispatch_alias, id=guid)
    assert doc["_version"] == 3 and doc["_source"]["headline"].endswith("(v3)")
    letters = read_topic(
        settings, settings.dlq_topic, lambda rs: any(b'"validate"' in r for r in rs)
    )
    dl = next(DeadLetter.model_validate_json(r) for r in letters if b'"validate"' in r)
    assert "received_at" in dl.error and "format" in dl.error


def test_entity_memory_carries_a_type_to_later_dispatches(
    worker: Path, settings: Settings, es: Elasticsearch
) -> None:
    """Two dispatches type 'Leapmotor' by context; a third, with no cue, recalls it."""
    tag = settings.topic_prefix

    def dispatch(n: int, text: str) -> Dispatch:
        return Dispatch(
            guid=f"urn:test:memory:{tag}:{n}",
            received_at=datetime.now(UTC),
            language="fr",
            format="plaintext",
            source="test",
            headline=f"Leapmotor {n}",
            body=[text],
        )

    teaching = [
        dispatch(1, "Le constructeur chinois Leapmotor a signé jeudi un accord avec Stellantis."),
        dispatch(2, "Le constructeur chinois Leapmotor ouvrira une usine en Espagne en 2027."),
    ]
    later = dispatch(3, "Leapmotor vendra ses voitures en Europe dès 2027.")
    producer = KafkaProducer(acks="all", **client_kwargs(settings))

    def send(d: Dispatch) -> None:
        producer.send(
            settings.raw_topic, key=d.guid.encode(), value=orjson.dumps(d.model_dump(mode="json"))
        )
        producer.flush()

    for d in teaching:
        send(d)
    for d in teaching:
        wait_for(lambda d=d: es.exists(index=settings.dispatch_alias, id=d.guid), what=d.guid)
    send(later)
    producer.close()
    wait_for(lambda: es.exists(index=settings.dispatch_alias, id=later.guid), what="the third")
    stored = Dispatch.model_validate(
        es.get(index=settings.dispatch_alias, id=later.guid)["_source"]["dispatch"]
    )
    leap = next(e for e in stored.entities if e.name == "Leapmotor")
    assert (leap.id, leap.type.value, leap.typed_by) == ("org:leapmotor", "ORG", "memory")


def test_reextract_resends_what_older_rules_extracted(
    settings: Settings, wire_env: dict[str, str], tmp_path: Path
) -> None:
    """A deployment whose index holds a dispatch extracted by older rules (its stored
    extraction says version 2000.01.01 and found no event), indexed before the workers
    kept their own state: `wire state rebuild` gives the workers that state, `wire
    reextract` finds the dispatch and resends it, and the worker extracts it again
    (`reextracted`: its event published and indexed); a second run finds nothing left.
    A pipeline of its own: the session's worker has its own state of what it wrote."""
    from pipeline.extract.batch import EXTRACTOR_VERSION
    from pipeline.extract.normalise import normalise
    from pipeline.store.client import make_es
    from pipeline.store.documents import bulk_operations
    from tests.integration.conftest import own_pipeline, run_worker, wire_cli

    env, own = own_pipeline(wire_env, tmp_path, "x")
    es = make_es(own)
    [base] = parse_file(FIXTURES / "live" / "afp-fr-ovhcloud-rachat.txt")
    old = normalise(base).model_copy(update={"extracted_by": "2000.01.01"})
    assert not es.bulk(operations=bulk_operations(own, [old]), refresh="wait_for")["errors"]
    assert wire_cli(env, "state", "rebuild").returncode == 0

    dry = wire_cli(env, "reextract", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "1 dispatch(es) extracted by rules older than" in dry.stdout
    with run_worker(env, tmp_path / "worker.log", own):
        done = wire_cli(env, "reextract")
        assert done.returncode == 0, done.stderr
        assert "resent 1" in done.stdout

        def extracted_again() -> bool:
            now = es.get(index=own.dispatch_alias, id=old.guid)["_source"]
            return now["extracted_by"] == EXTRACTOR_VERSION and now["event_types"] == [
                "acquisition"
            ]

        wait_for(extracted_again, what="the dispatch extracted again")
        assert metric(own, 'wire_dispatches_total{outcome="reextracted"}') == 1
        assert metric(own, 'wire_dispatches_total{outcome="indexed"}') == 0
    es.indices.refresh(index=own.event_alias)
    events = es.search(index=own.event_alias, query={"term": {"dispatch_guid": old.guid}})["hits"][
        "hits"
    ]
    assert [e["_source"]["type"] for e in events] == ["acquisition"]
    assert "0 dispatch(es)" in wire_cli(env, "reextract", "--dry-run").stdout
    es.close()
