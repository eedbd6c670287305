"""The HTTP service against the real stack: push, search, detail, events, streams, alerts."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from bench.corpus import generate
from connectors.registry import parse_document
from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings
from tests.helpers import FIXTURES, parse_file
from tests.integration.conftest import wait_for
from tests.integration.sse import SSEReader

pytestmark = pytest.mark.integration
Wire = Callable[..., subprocess.CompletedProcess[str]]
LIVE = FIXTURES / "live"
ADMIN = {"X-API-Key": "test-admin"}
READER = {"X-API-Key": "test-reader"}
SUBSCRIBER = {"X-API-Key": "test-subscriber"}


def _push(api: str, path: Path) -> list[str]:
    r = httpx.post(f"{api}/v1/dispatches", content=path.read_bytes(), headers=ADMIN, timeout=30)
    assert r.status_code == 202, r.text
    guids: list[str] = r.json()["queued"]
    return guids


def _search(api: str, **params: Any) -> dict[str, Any]:
    r = httpx.get(f"{api}/v1/search", params=params, headers=READER, timeout=30)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


def test_keys_are_enforced_by_the_running_service(api: str) -> None:
    assert httpx.get(f"{api}/v1/search", timeout=10).status_code == 401
    assert (
        httpx.get(f"{api}/v1/search", headers={"X-API-Key": "wrong"}, timeout=10).status_code == 401
    )
    r = httpx.post(f"{api}/v1/dispatches", content=b"<nitf/>", headers=READER, timeout=10)
    assert r.status_code == 403


def test_pushed_dispatch_is_searchable_with_facets_highlights_and_detail(
    api: str, worker: Path
) -> None:
    [guid] = _push(api, LIVE / "afp-fr-doctolib-levee.txt")
    wait_for(lambda: _search(api, q="Doctolib")["total"] >= 1, what="Doctolib searchable")

    # French analysis: the plural finds the singular.
    page = _search(api, q="plateformes Doctolib", histogram="day")
    hit = next(h for h in page["hits"] if h["guid"] == guid)
    assert "funding_round" in hit["event_types"]
    assert any("<em>Doctolib</em>" in s for s in hit["snippets"])
    assert "Doctolib" in {b["value"] for b in page["facets"]["orgs"]}
    assert sum(b["count"] for b in page["histogram"]) == page["total"]
    assert any(b["value"].startswith("2026-11-18") for b in page["histogram"])

    filtered = {"q": "Doctolib", "event_type": "funding_round", "lang": "fr", "source": "AFP"}
    assert guid in [h["guid"] for h in _search(api, **filtered)["hits"]]
    assert _search(api, **(filtered | {"lang": "en"}))["total"] == 0
    assert _search(api, q="Doctolib", since="2026-11-19T00:00:00Z")["total"] == 0

    detail = httpx.get(f"{api}/v1/dispatches/{guid}", headers=READER, timeout=10).json()
    assert detail["dispatch"]["headline"].startswith("Doctolib lève 500 millions")
    assert [(h["version"], h["kind"]) for h in detail["dispatch"]["history"]] == [(1, "original")]
    [funding] = [e for e in detail["events"] if e["type"] == "funding_round"]
    assert funding["amount"]["value"] == 500_000_000 and funding["amount"]["currency"] == "EUR"
    assert httpx.get(f"{api}/v1/dispatches/urn:nope", headers=READER, timeout=10).status_code == 404

    events = httpx.get(
        f"{api}/v1/events",
        params={"type": "funding_round", "entity": "org:doctolib"},
        headers=READER,
        timeout=10,
    ).json()
    assert [e["dispatch_guid"] for e in events["events"]] == [guid]


def test_cursor_pages_through_everything_once(
    api: str, run_wire: Wire, worker: Path, es: Elasticsearch, settings: Settings
) -> None:
    plain = sorted((FIXTURES / "plaintext").glob("*.txt"))
    assert run_wire("ingest", *map(str, plain)).returncode == 0
    guids = {d.guid for p in plain for d in parse_file(p)}
    wait_for(
        lambda: all(es.exists(index=settings.dispatch_alias, id=g) for g in guids),
        what="the plain-text fixtures indexed",
    )
    es.indices.refresh(index=settings.dispatch_alias)
    total = _search(api, size=0)["total"]
    assert total >= 3
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": "time", "size": 2}
        if cursor:
            params["cursor"] = cursor
        page = _search(api, **params)
        seen.extend(h["guid"] for h in page["hits"])
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == total


def test_event_stream_filters_and_resumes_from_last_event_id(
    api: str, run_wire: Wire, worker: Path
) -> None:
    url = f"{api}/v1/stream/events"
    params = {"type": "acquisition"}

    def names(frame: dict[str, str]) -> set[str]:
        roles = json.loads(frame["data"])["roles"]
        return {r["name"] for rs in roles.values() for r in rs}

    first = SSEReader(url, headers=SUBSCRIBER, params=params)
    assert first.status == 200
    assert run_wire("ingest", str(LIVE / "afp-fr-ovhcloud-rachat.txt")).returncode == 0
    ovh = first.next(lambda f: "OVHcloud" in names(f))
    assert ovh["event"] == "acquisition"
    first.close()

    # While nobody listens, another acquisition is published.
    [capgemini] = parse_file(LIVE / "afp-en-capgemini-acquisition.txt")
    assert run_wire("ingest", str(LIVE / "afp-en-capgemini-acquisition.txt")).returncode == 0
    wait_for(
        lambda: capgemini.guid in [h["guid"] for h in _search(api, q="Capgemini WNS")["hits"]],
        what="the Capgemini story indexed (its events are published right after)",
    )

    resumed = SSEReader(url, headers=SUBSCRIBER | {"Last-Event-ID": ovh["id"]}, params=params)
    got = resumed.next(lambda f: "Capgemini" in names(f), timeout=30)
    resumed.close()
    assert json.loads(got["data"])["dispatch_guid"] == capgemini.guid
    assert not any("OVHcloud" in names(f) for f in resumed.skipped)  # nothing twice

    # A fresh subscriber with an entity filter sees only that entity, from the start.
    only = SSEReader(
        url,
        headers=SUBSCRIBER,
        params={"type": "acquisition", "entity": "org:ovhcloud", "start": "earliest"},
    )
    frame = only.next(lambda f: True, timeout=30)
    only.close()
    assert names(frame) >= {"OVHcloud", "Gridscale"}


def test_a_killed_story_retracts_its_events_on_the_stream(
    api: str, run_wire: Wire, worker: Path, tmp_path: Path
) -> None:
    """Subscribers told of an event are told again when the desk kills its dispatch."""

    def own_copy(path: Path) -> Path:  # under its own guid and words: no other test's copy
        out = tmp_path / path.name
        data = path.read_bytes().replace(b"TX-PAR-KJP41", b"TX-PAR-RETRACT1")
        out.write_bytes(data.replace(b"Ubisoft", b"Ubisoft Retract"))
        return out

    guid = "urn:newsml:afp.com:20250327:TX-PAR-RETRACT1"

    def indexed_events() -> list[str]:
        r = httpx.get(f"{api}/v1/events", params=params | {"size": "200"}, headers=READER)
        assert r.status_code == 200, r.text
        return [e["dispatch_guid"] for e in r.json()["events"]]

    params = {"type": "investment", "entity": "Tencent"}
    stream = SSEReader(f"{api}/v1/stream/events", headers=SUBSCRIBER, params=params)
    assert stream.status == 200
    story = own_copy(FIXTURES / "formats" / "ubisoft.newsmlg2.xml")
    assert run_wire("ingest", str(story)).returncode == 0
    told = stream.next(lambda f: json.loads(f["data"])["dispatch_guid"] == guid)
    assert told["event"] == "investment"
    assert guid in indexed_events()  # published once written
    kill = own_copy(FIXTURES / "versions" / "ubisoft-v4-kill.newsmlg2.xml")
    assert run_wire("ingest", str(kill)).returncode == 0
    withdrawn = stream.next(lambda f: f["event"] == "retraction", timeout=60)
    stream.close()
    retraction = json.loads(withdrawn["data"])
    assert retraction["retracts"] == json.loads(told["data"])["id"]
    assert (retraction["reason"], retraction["dispatch_version"]) == ("killed", 4)
    assert guid not in indexed_events()  # and gone from the index with its dispatch


def test_saved_search_alerts_the_subscriber_live(api: str, worker: Path) -> None:
    body = {
        "name": "Airbus appointments",
        "query": {"text": "Airbus", "event_types": ["personnel.hire"]},
    }
    r = httpx.post(f"{api}/v1/saved-searches", json=body, headers=READER, timeout=10)
    assert r.status_code == 403
    hit = httpx.post(f"{api}/v1/saved-searches", json=body, headers=SUBSCRIBER, timeout=10)
    assert hit.status_code == 201, hit.text
    miss = httpx.post(
        f"{api}/v1/saved-searches",
        json={"name": "Airbus deals", "query": {"text": "Airbus", "event_types": ["acquisition"]}},
        headers=SUBSCRIBER,
        timeout=10,
    ).json()
    mine = httpx.get(f"{api}/v1/saved-searches", headers=SUBSCRIBER, timeout=10).json()
    assert {s["name"] for s in mine} >= {"Airbus appointments", "Airbus deals"}

    alerts = SSEReader(f"{api}/v1/stream/alerts", headers=SUBSCRIBER)
    time.sleep(1.0)  # the worker reloads saved searches every 0.5 s in tests
    [guid] = _push(api, LIVE / "afp-en-airbus-hire.nitf.xml")
    alert = alerts.next(lambda f: json.loads(f["data"])["saved_search_id"] == hit.json()["id"])
    time.sleep(1.0)
    alerts.close()
    data = json.loads(alert["data"])
    assert data["guid"] == guid and data["headline"].startswith("Airbus names Lars Wagner")
    others = [json.loads(f["data"]) for f in alerts.skipped] + [
        json.loads(alerts.events.get_nowait()["data"]) for _ in range(alerts.events.qsize())
    ]
    assert miss["id"] not in {a["saved_search_id"] for a in others}

    gone = httpx.delete(f"{api}/v1/saved-searches/{miss['id']}", headers=SUBSCRIBER, timeout=10)
    assert gone.status_code == 204
    names = {
        s["name"]
        for s in httpx.get(f"{api}/v1/saved-searches", headers=SUBSCRIBER, timeout=10).json()
    }
    assert "Airbus deals" not in names


def test_pipeline_health_reports_lag_per_partition(
    api: str, worker: Path, settings: Settings
) -> None:
    r = httpx.get(f"{api}/v1/pipeline/health", headers=READER, timeout=30)
    h = r.json()
    assert r.status_code == 200 and h["status"] == "ok" and h["error"] is None
    assert {name: d["status"] for name, d in h["dependencies"].items()} == {
        "kafka": "up",
        "elasticsearch": "up",
    }
    assert all(d["latency_ms"] >= 0 for d in h["dependencies"].values())
    assert [p["partition"] for p in h["lag"]] == list(range(settings.raw_partitions))
    assert all(p["lag"] == p["end"] - p["committed"] for p in h["lag"])
    assert h["indexed_total"] >= 1 and h["events_total"] >= 1
    assert h["raw_topic"] == settings.raw_topic
    metrics = httpx.get(f"{api}/metrics", timeout=30).text
    assert "wire_kafka_up 1.0" in metrics
    assert 'wire_consumer_lag{partition="0"}' in metrics
    assert "wire_dead_letter_records" in metrics


def test_terminal_subscribe_and_monitor(api: str, run_wire: Wire, worker: Path) -> None:
    # The Doctolib funding round was published by an earlier test, or is now.
    _push(api, LIVE / "afp-fr-doctolib-levee.txt")
    out = run_wire(
        "subscribe",
        "funding_round",
        "--entity",
        "org:doctolib",
        "--from-start",
        "--no-alerts",
        "--limit",
        "1",
        "--json",
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    event = json.loads(out.stdout.splitlines()[0])
    assert event["type"] == "funding_round"
    assert [r["name"] for r in event["roles"]["target"]] == ["Doctolib"]
    bad = run_wire("subscribe", "wedding")
    assert bad.returncode == 2 and "unknown event type 'wedding'" in bad.stderr

    frame = run_wire("monitor", "--once")
    assert frame.returncode == 0, frame.stderr
    assert "consumer lag" in frame.stdout and "latest dispatches" in frame.stdout
    newest = _search(api, sort="time", size=1)["hits"][0]["headline"]
    assert newest.split()[0] in frame.stdout  # narrow non-tty console: the first word


def test_a_stalled_subscriber_holds_nothing_up(
    api: str, run_wire: Wire, worker: Path, es: Elasticsearch, settings: Settings
) -> None:
    """A client that opens the live feed and never reads: the pipeline and the other
    subscribers go on, and the consumer group's lag returns to zero."""
    with (
        httpx.Client(timeout=httpx.Timeout(10, read=60)) as stalled_client,
        stalled_client.stream("GET", f"{api}/v1/stream/dispatches", headers=SUBSCRIBER) as stalled,
    ):
        assert stalled.status_code == 200  # opened, then never read
        reader = SSEReader(f"{api}/v1/stream/dispatches", headers=SUBSCRIBER)
        # A dispatch nobody else sends: one from the benchmark corpus generator.
        [story] = generate(1, seed=4242)
        [other] = parse_document(
            story.text.encode(), source="stall-test", received_at=datetime.now(UTC), max_bytes=10**6
        ).dispatches
        producer = KafkaProducer(acks="all", **client_kwargs(settings))
        producer.send(
            settings.raw_topic, key=other.guid.encode(), value=other.model_dump_json().encode()
        )
        producer.flush()
        producer.close()
        got = reader.next(lambda f: json.loads(f["data"])["guid"] == other.guid)
        reader.close()
        assert got["event"] == "dispatch"
        assert es.exists(index=settings.dispatch_alias, id=other.guid)

        def lag() -> int:
            r = httpx.get(f"{api}/v1/pipeline/health", headers=READER, timeout=30)
            return int(r.json()["total_lag"])

        wait_for(lambda: lag() == 0, what="the consumer group caught up")


def test_a_subscriber_from_before_the_window_catches_up_then_is_handed_over(
    api: str, settings: Settings, worker: Path
) -> None:
    """`start=earliest` reads what Kafka holds with a short-lived reader of its own, then
    joins the process's shared reader: it sees the old dispatches and a new one, each once."""

    def produce(seed: int) -> str:
        [story] = generate(1, seed=seed)
        [d] = parse_document(
            story.text.encode(), source="handover", received_at=datetime.now(UTC), max_bytes=10**6
        ).dispatches
        producer = KafkaProducer(acks="all", **client_kwargs(settings))
        producer.send(settings.raw_topic, key=d.guid.encode(), value=d.model_dump_json().encode())
        producer.flush()
        producer.close()
        return d.guid

    live = SSEReader(f"{api}/v1/stream/dispatches", headers=SUBSCRIBER)  # the shared reader runs
    old = produce(5151)
    live.next(lambda f: json.loads(f["data"])["guid"] == old)
    live.close()
    replay = SSEReader(
        f"{api}/v1/stream/dispatches", headers=SUBSCRIBER, params={"start": "earliest"}
    )
    first = replay.next(lambda f: True)
    before = [first]
    new = produce(5252)
    got = replay.next(lambda f: json.loads(f["data"])["guid"] == new)
    replay.close()
    frames = [json.loads(f["data"]) for f in [*before, *replay.skipped, got]]
    guids = [d["guid"] for d in frames]
    assert old in guids and new in guids
    # The hand-over sent nothing twice (a guid recurs only as another version of it).
    versions = [(d["guid"], d["version"], d["pubstatus"]) for d in frames]
    assert len(versions) == len(set(versions)), versions
