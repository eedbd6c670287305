"""The web page's session, answers when a server is down or hung, and what the OpenAPI
document promises (Allow, bodies, saved searches). No Kafka, no Elasticsearch: the
servers below are a closed port and a socket that accepts and never answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient

from pipeline.http.app import create_app
from pipeline.http.auth import SESSION_COOKIE, SessionSigner
from pipeline.settings import Settings

KEYS = "reader-key:read,sub-key:read+subscribe,boss-key:admin"
CLOSED = {"kafka_bootstrap": "127.0.0.1:9", "es_url": "http://127.0.0.1:9"}
FAST = {"kafka_request_timeout_s": 1.0, "es_request_timeout_s": 1.0}


def app_client(**settings: object) -> TestClient:
    return TestClient(create_app(Settings(**{**CLOSED, **FAST, **settings})))  # type: ignore[arg-type]


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A listener that accepts connections and never says a word (a paused server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield int(server.getsockname()[1])
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    server.close()


def cookie_attributes(response: object) -> dict[str, str]:
    header = response.headers["set-cookie"]  # type: ignore[attr-defined]
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    morsel = jar[SESSION_COOKIE]
    attrs = {k: str(v) for k, v in morsel.items() if v}
    attrs["value"] = morsel.value
    attrs["raw"] = header
    return attrs


# ---------------------------------------------------------------- sessions


def test_login_sets_an_httponly_strict_cookie_that_carries_the_key_scopes() -> None:
    client = app_client(api_keys=KEYS)
    assert client.get("/v1/session").json() == {
        "authenticated": False,
        "auth_required": True,
        "scopes": [],
        "expires": None,
    }
    bad = client.post("/v1/session", json={"api_key": "guess"})
    assert bad.status_code == 401 and "set-cookie" not in bad.headers

    r = client.post("/v1/session", json={"api_key": "reader-key"})
    assert r.status_code == 200 and r.json()["scopes"] == ["read"]
    attrs = cookie_attributes(r)
    assert attrs["httponly"] and attrs["samesite"].lower() == "strict" and attrs["path"] == "/"
    assert int(attrs["max-age"]) == 12 * 3600
    assert "secure" not in attrs  # plain http here; see the https case below
    assert "reader-key" not in attrs["raw"]  # the cookie names the key by its hash only

    # The cookie alone authenticates, with the key's scopes: reads pass the key check (the
    # closed search node then answers 503), an admin route is forbidden.
    assert client.get("/v1/session").json()["authenticated"] is True
    assert client.get("/v1/search").status_code == 503
    assert client.post("/v1/dispatches", content=b"x").status_code == 403

    out = client.delete("/v1/session")
    assert out.status_code == 204 and cookie_attributes(out).get("max-age") == "0"
    client.cookies.clear()
    assert client.get("/v1/search").status_code == 401


def test_a_forged_tampered_or_expired_session_is_refused() -> None:
    client = app_client(api_keys=KEYS, session_secret="s3cret")
    token = cookie_attributes(client.post("/v1/session", json={"api_key": "boss-key"}))["value"]
    client.cookies.clear()

    def status(cookie: str) -> int:
        client.cookies.set(SESSION_COOKIE, cookie)
        return int(client.get("/v1/search").status_code)

    assert status(token) == 503  # accepted (then the closed node)
    payload, _, mac = token.partition(".")
    assert status(payload + "." + mac[::-1]) == 401
    assert status(payload[:-2] + "xx." + mac) == 401
    other = SessionSigner(b"another secret", ttl_s=60).issue(payload)[0]
    assert status(other) == 401
    signer = SessionSigner(b"s3cret", ttl_s=60)
    who = signer.verify(token)
    assert who is not None
    expired, _ = signer.issue(who, now=time.time() - 120)
    assert status(expired) == 401
    assert signer.verify(signer.issue(who)[0]) == who


def test_login_over_https_sets_a_secure_cookie_and_an_open_service_needs_none() -> None:
    client = app_client(api_keys=KEYS)
    r = client.post(
        "/v1/session", json={"api_key": "sub-key"}, headers={"X-Forwarded-Proto": "https"}
    )
    assert "secure" in cookie_attributes(r)
    open_service = app_client()
    state = open_service.get("/v1/session").json()
    assert state["authenticated"] and not state["auth_required"]
    assert open_service.post("/v1/session", json={"api_key": "x"}).status_code == 200


def test_a_key_in_the_url_still_works_for_scripts_and_is_redacted_from_logs() -> None:
    import logging

    from pipeline.http.auth import RedactKeys

    client = app_client(api_keys=KEYS)
    assert client.get("/v1/search", params={"api_key": "reader-key"}).status_code == 503
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1", "GET", "/v1/stream/events?api_key=reader-key&q=x", "1.1", 200), None,
    )  # fmt: skip
    RedactKeys().filter(record)
    assert "reader-key" not in record.getMessage()


# ---------------------------------------------------------------- outages


def test_a_closed_search_node_is_a_prompt_503_naming_it() -> None:
    client = app_client()
    t0 = time.monotonic()
    r = client.get("/v1/search", params={"q": "Rivian"})
    assert time.monotonic() - t0 < 3
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json()["dependency"] == "elasticsearch"
    assert r.json()["error"].startswith(
        "search unavailable: Elasticsearch at http://127.0.0.1:9 cannot be reached"
    )
    for path in ("/v1/events", "/v1/saved-searches", "/v1/dispatches/urn:x"):
        assert client.get(path).status_code == 503, path


def test_a_hung_search_node_is_a_503_after_the_client_timeout(hung_port: int) -> None:
    client = app_client(es_url=f"http://127.0.0.1:{hung_port}")
    t0 = time.monotonic()
    r = client.get("/v1/search", params={"q": "*"})
    took = time.monotonic() - t0
    assert r.status_code == 503 and 0.9 < took < 4, took
    assert r.json()["error"].endswith("did not answer within 1 s")


def test_kafka_down_is_a_503_for_push_and_streams() -> None:
    client = app_client()
    t0 = time.monotonic()
    r = client.post("/v1/dispatches", content=b"Paris (AFP) - Un texte.")
    assert r.status_code == 503 and r.json()["dependency"] == "kafka", r.text
    r = client.get("/v1/stream/dispatches")
    assert r.status_code == 503 and r.json()["dependency"] == "kafka"
    assert "Kafka unavailable at 127.0.0.1:9" in r.json()["error"]
    assert time.monotonic() - t0 < 8


def test_health_reports_each_dependency_within_seconds(hung_port: int) -> None:
    client = app_client(kafka_bootstrap=f"127.0.0.1:{hung_port}")
    t0 = time.monotonic()
    r = client.get("/v1/pipeline/health")
    assert time.monotonic() - t0 < 5
    assert r.status_code == 503
    h = r.json()
    assert h["status"] == "degraded"
    assert set(h["dependencies"]) == {"kafka", "elasticsearch"}
    for name, dep in h["dependencies"].items():
        assert dep["status"] == "down" and dep["error"] and dep["latency_ms"] is not None, name
    assert h["dependencies"]["elasticsearch"]["address"] == "http://127.0.0.1:9"
    assert "kafka down:" in h["error"] and "elasticsearch down:" in h["error"]
    assert h["lag"] == [] and h["indexed_total"] is None
    # Liveness of the service itself does not depend on them.
    assert client.get("/health").json() == {"status": "ok"}


# ---------------------------------------------------------------- the document is true


def test_allow_lists_every_method_of_a_path() -> None:
    client = app_client()
    r = client.options("/v1/saved-searches")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert client.put("/v1/session").headers["allow"] == "DELETE, GET, POST"
    assert client.delete("/v1/search").headers["allow"] == "GET"


def test_bodies_are_validated_as_documented() -> None:
    client = app_client(api_keys=KEYS)
    boss = {"X-API-Key": "boss-key"}
    r = client.post(
        "/v1/saved-searches",
        content=b"\xff{",
        headers={**boss, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "JSON" in " ".join(r.json()["reasons"])
    for query in (
        {"text": "Airbus", "size": False},
        {"text": "Airbus", "urgency_max": "3"},
        {"text": "Airbus", "include_killed": "yes"},
        {"text": "Airbus", "since": 1732400000},
    ):
        r = client.post("/v1/saved-searches", json={"name": "n", "query": query}, headers=boss)
        assert r.status_code == 422, query
    r = client.post("/v1/dispatches", content=b"x", headers={**boss, "X-Wire-Format": "docx"})
    assert r.status_code == 422 and "x-wire-format" in " ".join(r.json()["reasons"])


def test_a_saved_search_that_restricts_nothing_is_refused() -> None:
    client = app_client(api_keys=KEYS)
    boss = {"X-API-Key": "boss-key"}
    for query in (
        {},
        {"text": ""},
        {"text": "  "},
        {"text": "*"},
        {"text": "* | *"},
        {"sort": "time"},
    ):
        r = client.post("/v1/saved-searches", json={"name": "all", "query": query}, headers=boss)
        assert r.status_code == 422, query
        assert "words or at least one filter" in " ".join(r.json()["reasons"])
    # Words, or one filter, are enough (the closed node then answers 503).
    for query in ({"text": "Airbus"}, {"orgs": ["Airbus"]}, {"language": "fr"}):
        r = client.post("/v1/saved-searches", json={"name": "n", "query": query}, headers=boss)
        assert r.status_code == 503, query


def test_the_openapi_document_declares_what_is_answered() -> None:
    spec = app_client(api_keys=KEYS).get("/openapi.json").json()
    paths = spec["paths"]
    assert "404" in paths["/v1/dispatches/{guid}"]["get"]["responses"]
    assert "404" in paths["/v1/saved-searches/{ident}"]["delete"]["responses"]
    assert "503" in paths["/v1/search"]["get"]["responses"]
    assert "503" in paths["/v1/pipeline/health"]["get"]["responses"]
    push = paths["/v1/dispatches"]["post"]
    assert push["requestBody"]["required"] is True
    assert {"401", "403", "413", "422", "503"} <= set(push["responses"])
    events = {p["name"]: p for p in paths["/v1/events"]["get"]["parameters"]}
    assert "funding_round" in str(events["type"]["schema"])
    assert events["since"]["schema"]["anyOf"][0]["format"] == "date-time"
    schemes = spec["components"]["securitySchemes"]
    assert {s["in"] for s in schemes.values()} == {"header", "query", "cookie"}
    assert "anyOf" in spec["components"]["schemas"]["SavedSearchIn"]["properties"]["query"]
