"""The HTTP contract that holds before any server is asked: keys, scopes, bad queries.
Plus the pure parts of streams and saved-search alerts. No Kafka, no Elasticsearch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from pipeline.http.app import create_app
from pipeline.http.auth import KeyConfigError, Scope, allowed, key_from, parse_api_keys, redact
from pipeline.kafka.subscriptions import decode_position, encode_position, event_matches, sse
from pipeline.settings import Settings
from pipeline.store.saved_searches import (
    SavedSearch,
    alerts_from,
    build_alert_msearch,
    saved_search_id,
)
from pipeline.store.search import SearchQuery, decode_cursor, encode_cursor, parse_search
from tests.helpers import SEED, parse_file

# Nothing listens here: every request below must be answered before a server is needed.
UNREACHABLE = {"kafka_bootstrap": "127.0.0.1:9", "es_url": "http://127.0.0.1:9"}


def test_api_keys_parse_and_scopes() -> None:
    keys = parse_api_keys("r1:read, s1:read+subscribe ,a1:admin")
    assert keys["s1"] == {Scope.read, Scope.subscribe}
    assert allowed(keys, "r1", Scope.read) is True
    assert allowed(keys, "r1", Scope.subscribe) is False
    assert allowed(keys, "a1", Scope.subscribe) is True  # admin holds every scope
    assert allowed(keys, "nope", Scope.read) is None
    assert allowed({}, None, Scope.admin) is True  # no keys configured: open
    with pytest.raises(KeyConfigError, match="unknown scope"):
        parse_api_keys("k:write")
    with pytest.raises(KeyConfigError, match="KEY:scope"):
        parse_api_keys("justakey")
    assert key_from({"authorization": "Bearer abc"}, {}) == "abc"
    assert key_from({}, {"api_key": "q"}) == "q"
    # EventSource puts the key in the URL: access logs must not keep it.
    assert redact("GET /v1/stream/events?api_key=s3cret&type=acquisition") == (
        "GET /v1/stream/events?api_key=***&type=acquisition"
    )


@pytest.fixture
def secured() -> TestClient:
    s = Settings(**UNREACHABLE, api_keys="reader:read,sub:subscribe,boss:admin")  # type: ignore[arg-type]
    return TestClient(create_app(s))


def test_routes_refuse_missing_or_weak_keys(secured: TestClient) -> None:
    r = secured.get("/v1/search", params={"q": "Amazon"})
    assert r.status_code == 401 and "API key" in r.json()["error"]
    r = secured.get("/v1/stream/events", headers={"X-API-Key": "reader"})
    assert r.status_code == 403 and "'subscribe'" in r.json()["error"]
    r = secured.post("/v1/dispatches", content=b"x", headers={"X-API-Key": "sub"})
    assert r.status_code == 403 and "'admin'" in r.json()["error"]
    assert secured.get("/v1/meta").json()["auth"] is True
    assert secured.get("/health").status_code == 200


def test_bad_queries_are_4xx_with_reasons_and_never_reach_elasticsearch() -> None:
    client = TestClient(create_app(Settings(**UNREACHABLE)))  # type: ignore[arg-type]
    r = client.get("/v1/search", params={"size": "lots", "since": "yesterday"})
    assert r.status_code == 422
    reasons = " ".join(r.json()["reasons"])
    assert "size" in reasons and "since" in reasons
    r = client.get("/v1/search", params={"cursor": "not-a-cursor!"})  # not base64url
    assert r.status_code == 422 and "cursor" in " ".join(r.json()["reasons"])
    r = client.get("/v1/search", params={"cursor": "bm90LWpzb24"})  # base64url, not a cursor
    assert r.status_code == 422 and "cursor" in r.json()["error"]
    r = client.get("/v1/search", params={"sort": "random"})
    assert r.status_code == 422
    r = client.get("/v1/search", params={"urgency_max": 12})
    assert r.status_code == 422
    r = client.get(
        "/v1/search", params={"since": "2026-11-20T00:00:00Z", "until": "2026-11-01T00:00:00Z"}
    )
    assert r.status_code == 422 and "since is after until" in r.json()["error"]
    r = client.get("/v1/events", params={"type": "wedding"})
    assert r.status_code == 422 and "funding_round" in " ".join(r.json()["reasons"])
    # A bare number is not a date-time (it was read as Unix seconds).
    for params in ({"until": "0.5"}, {"since": "1732400000"}):
        r = client.get("/v1/search", params=params)
        assert r.status_code == 422 and "ISO 8601" in " ".join(r.json()["reasons"])
    assert client.get("/v1/events", params={"since": "12"}).status_code == 422
    r = client.get("/v1/search", params={"near": "95,2.35,50"})  # latitude out of range
    assert r.status_code == 422
    r = client.get("/v1/stream/events", headers={"Last-Event-ID": "%%%"})
    assert r.status_code == 422 and "Last-Event-ID" in r.json()["error"]


def test_openapi_lists_every_route() -> None:
    spec = TestClient(create_app(Settings(**UNREACHABLE))).get("/openapi.json").json()  # type: ignore[arg-type]
    assert {
        "/v1/dispatches",
        "/v1/search",
        "/v1/dispatches/{guid}",
        "/v1/events",
        "/v1/stream/dispatches",
        "/v1/stream/events",
        "/v1/stream/alerts",
        "/v1/saved-searches",
        "/v1/pipeline/health",
        "/v1/entities/{ident}",
        "/v1/alerts",
    } <= set(spec["paths"])


def test_page_addresses_serve_the_page_and_meta_gives_labels() -> None:
    client = TestClient(create_app(Settings(**UNREACHABLE)))  # type: ignore[arg-type]
    for path in ("/", "/entities/org:amazon", "/dispatches/urn:newsml:afp.com:1"):
        r = client.get(path)
        assert r.status_code == 200 and "<title>wirestream</title>" in r.text, path
    meta = client.get("/v1/meta").json()
    assert meta["event_type_labels"]["funding_round"] == {
        "en": "Funding round",
        "fr": "Levée de fonds",
    }
    assert set(meta["event_type_labels"]) == set(meta["event_types"])
    r = client.post(
        "/v1/saved-searches",
        json={"name": "x", "query": {"text": "Airbus"}, "delivery": {"email": {"to": ["nope"]}}},
    )
    assert r.status_code == 422 and "e-mail" in str(r.json())


def test_sse_events_carry_labels_and_amounts_as_written() -> None:
    import orjson

    from pipeline.http.routes.streams import display

    event = {"type": "investment", "language": "fr", "amount": {"value": 7e8, "currency": "USD"}}
    shown = orjson.loads(display(orjson.dumps(event).decode()))
    assert shown["amount"] == {
        "value": 7e8,
        "currency": "USD",
        "display": "700 millions de dollars",
    }
    assert shown["type_label"] == {"en": "Investment", "fr": "Investissement"}


@given(st.lists(st.one_of(st.integers(), st.text(max_size=40)), min_size=1, max_size=4))
def test_cursor_round_trips(values: list[object]) -> None:
    token = encode_cursor(values)
    assert token is not None and decode_cursor(token) == values


@given(
    st.dictionaries(
        st.tuples(st.text(min_size=1, max_size=30), st.integers(0, 64)),
        st.integers(0, 2**40),
        max_size=8,
    )
)
def test_stream_position_round_trips(pos: dict[tuple[str, int], int]) -> None:
    assert decode_position(encode_position(pos)) == pos


def test_sse_frames_multiline_data() -> None:
    frame = sse('{"a":\n1}', event="acquisition", event_id="abc").decode()
    assert frame == 'id: abc\nevent: acquisition\ndata: {"a":\ndata: 1}\n\n'


def test_event_filters_by_entity_and_words() -> None:
    event = {
        "type": "acquisition",
        "roles": {"acquirer": [{"entity_id": "org:ovhcloud", "name": "OVHcloud"}]},
        "evidence": "OVHcloud a annoncé jeudi le rachat de la start-up allemande Gridscale",
    }
    assert event_matches(event, ["org:ovhcloud"], "")
    assert event_matches(event, ["ovhcloud"], "rachat Gridscale")
    assert not event_matches(event, ["org:ubisoft"], "")
    assert not event_matches(event, [], "rachat Tencent")


def test_search_response_gives_histogram_and_next_cursor() -> None:
    resp = {
        "hits": {
            "total": {"value": 3},
            "hits": [
                {"_id": "a", "_score": 2.0, "_source": {"guid": "a"}, "sort": [2.0, "a"]},
                {"_id": "b", "_score": 1.0, "_source": {"guid": "b"}, "sort": [1.0, "b"]},
            ],
        },
        "aggregations": {
            "orgs": {"buckets": [{"key": "Ubisoft", "doc_count": 2}]},
            "histogram": {
                "buckets": [{"key": 1, "key_as_string": "2026-11-19T00:00:00Z", "doc_count": 2}]
            },
        },
    }
    page = parse_search(resp, size=2)
    assert page.next == [1.0, "b"]
    assert [b.value for b in page.histogram] == ["2026-11-19T00:00:00Z"]
    assert "histogram" not in page.facets
    assert parse_search(resp, size=10).next is None  # a short page is the last


def test_saved_search_is_the_same_query_restricted_to_the_batch() -> None:
    [d] = parse_file(SEED)
    saved = SavedSearch(
        id=saved_search_id("anonymous", "Amazon recrute"),
        name="Amazon recrute",
        query=SearchQuery(text="Amazon", event_types=["personnel.hire"], size=3),
        created=datetime(2026, 11, 24, tzinfo=UTC),
    )
    lines = build_alert_msearch([saved], [d.guid, "other"], "wire-dispatches")
    assert lines[0] == {"index": "wire-dispatches"}
    bool_query = lines[1]["query"]["bool"]
    assert {"ids": {"values": [d.guid, "other"]}} in bool_query["filter"]
    assert {"term": {"event_types": "personnel.hire"}} in bool_query["filter"]
    assert bool_query["must"][0]["simple_query_string"]["query"] == "Amazon"
    assert lines[1]["size"] == 2  # every dispatch of the batch, whatever the saved size
    alerts = alerts_from([saved], [{"hits": {"hits": [{"_id": d.guid}]}}], [d])
    assert [(a.saved_search_name, a.guid, a.version) for a in alerts] == [
        ("Amazon recrute", d.guid, 1)
    ]
    assert alerts[0].id == f"{saved.id}:{d.guid}:1"  # one alert per version, idempotent key
    assert saved_search_id("anonymous", "x") != saved_search_id("other", "x")
