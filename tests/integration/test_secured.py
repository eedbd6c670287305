"""A secured cluster on this machine: Kafka over TLS with SASL and client certificates,
Elasticsearch over TLS with a client certificate and an API key (tests/integration/
tls_proxy.py fronts the local stack). Every client kind connects with the same WIRE_*
settings: kafka-python (admin, producer, DLQ reader, health), aiokafka (the API's stream
subscribers), the Faust worker, and Elasticsearch; wrong credentials are refused.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elastic_transport import ConnectionError as ESConnectionError
from elasticsearch import AuthenticationException
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from pipeline.http.health import kafka_health
from pipeline.kafka.bootstrap import prepare_infrastructure
from pipeline.kafka.client import client_kwargs
from pipeline.kafka.dlq import read_dead_letters
from pipeline.kafka.fanout import Hub
from pipeline.kafka.publisher import Publisher
from pipeline.settings import Settings
from pipeline.store.client import make_es
from tests.helpers import ROOT, SEED
from tests.integration.conftest import EXTERNAL, free_port, wait_for, wire_process
from tests.integration.tls_proxy import HttpsProxy, KafkaTlsProxy
from tests.tls import Certs, make_certs

pytestmark = pytest.mark.integration
USER, PASSWORD, ES_KEY = "wirestream", "s3cret-Pa55", "dGVzdDprZXk="


class Secured:
    def __init__(self, env: dict[str, str], kafka: KafkaTlsProxy, es: HttpsProxy, certs: Certs):
        self.env, self.kafka, self.es, self.certs = env, kafka, es, certs

    def settings(self, drop: tuple[str, ...] = (), **override: str) -> Settings:
        env = {k: v for k, v in (self.env | override).items() if k not in drop}
        return Settings(**{k.removeprefix("WIRE_").lower(): v for k, v in env.items()})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def secured(
    settings: Settings, wire_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Secured]:
    if EXTERNAL:
        pytest.skip("the TLS proxies front the local stack")
    certs = make_certs(tmp_path_factory.mktemp("certs"))
    kafka = KafkaTlsProxy(int(settings.kafka_hosts[0].rsplit(":", 1)[1]), certs, {USER: PASSWORD})
    es = HttpsProxy(settings.es_host_port[1], certs, f"ApiKey {ES_KEY}")
    kafka_port, es_port = kafka.start(), es.start()
    run = uuid.uuid4().hex[:8]
    env = wire_env | {
        "WIRE_TOPIC_PREFIX": f"tls{run}",
        "WIRE_INDEX_PREFIX": f"tls{run}",
        "WIRE_CONSUMER_GROUP": f"wirestream-tls-{run}",
        "WIRE_WORKER_WEB_PORT": str(free_port()),
        "WIRE_WORKER_DATADIR": str(tmp_path_factory.mktemp("faust-tls")),
        "WIRE_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}",
        "WIRE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "WIRE_KAFKA_SASL_MECHANISM": "PLAIN",
        "WIRE_KAFKA_SASL_USERNAME": USER,
        "WIRE_KAFKA_SASL_PASSWORD": PASSWORD,
        "WIRE_KAFKA_SSL_CAFILE": str(certs.ca),
        "WIRE_KAFKA_SSL_CERTFILE": str(certs.client_cert),
        "WIRE_KAFKA_SSL_KEYFILE": str(certs.client_key),
        "WIRE_ES_URL": f"https://127.0.0.1:{es_port}",
        "WIRE_ES_API_KEY": ES_KEY,
        "WIRE_ES_CA_FILE": str(certs.ca),
        "WIRE_ES_CLIENT_CERT": str(certs.client_cert),
        "WIRE_ES_CLIENT_KEY": str(certs.client_key),
    }
    try:
        yield Secured(env, kafka, es, certs)
    finally:
        kafka.close()
        es.close()


def test_wrong_or_missing_credentials_are_refused(secured: Secured) -> None:
    good = secured.settings()
    admin = KafkaAdminClient(**client_kwargs(good, timeout=5))
    admin.list_topics()
    admin.close()
    for bad in (
        secured.settings(WIRE_KAFKA_SASL_PASSWORD="wrong"),
        secured.settings(drop=("WIRE_KAFKA_SSL_CAFILE",)),  # the system CAs do not know ours
        secured.settings(drop=("WIRE_KAFKA_SSL_CERTFILE", "WIRE_KAFKA_SSL_KEYFILE")),
        secured.settings(WIRE_KAFKA_SECURITY_PROTOCOL="PLAINTEXT"),
    ):
        with pytest.raises(KafkaError):
            KafkaAdminClient(**client_kwargs(bad, timeout=3)).list_topics()
    assert "bad password" in secured.kafka.seen.refused

    assert make_es(good).info()["version"]["number"]
    with pytest.raises(AuthenticationException):
        make_es(secured.settings(WIRE_ES_API_KEY="wrong")).info()
    with pytest.raises(ESConnectionError):  # no client certificate: the TLS handshake fails
        make_es(secured.settings(drop=("WIRE_ES_CLIENT_CERT", "WIRE_ES_CLIENT_KEY"))).info()
    with pytest.raises(ESConnectionError):  # the system CAs do not know the test CA
        make_es(secured.settings(drop=("WIRE_ES_CA_FILE",))).info()


def test_every_client_kind_works_over_tls_and_sasl(
    secured: Secured, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The worker (Faust) consumes, extracts and indexes; `wire ingest` publishes; the
    health check reads lag; the API's aiokafka subscriber reads the live feed; `wire
    search` and the DLQ reader answer: all through TLS, SASL and the API key."""
    s = secured.settings()
    env = os.environ | secured.env
    prepare_infrastructure(s)
    es = make_es(s)

    def serving() -> bool:
        try:
            url = f"http://127.0.0.1:{s.worker_web_port}/metrics"
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    log = tmp_path_factory.mktemp("worker-tls") / "worker.log"
    with wire_process(["worker", "--loglevel", "warning"], secured.env, log, serving, "TLS worker"):
        ingest = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "ingest", str(SEED)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ingest.returncode == 0, ingest.stderr
        with Publisher(s, "tls-test", timeout=5) as pub:  # a refusal goes to the DLQ over TLS
            assert pub.publish(b"", "empty.txt").refused

        def searchable() -> dict[str, object] | None:
            found = subprocess.run(
                [sys.executable, "-m", "pipeline.cli", "search", "Rivian", "--json"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            page = json.loads(found.stdout) if found.returncode == 0 else None
            return page if page and page["total"] else None

        page = wait_for(searchable, 120, "the dispatch indexed by the TLS worker")
        assert "Amazon" in [b["value"] for b in page["facets"]["orgs"]]  # type: ignore[index]
        health = wait_for(
            lambda: (h := kafka_health(s)) and h["total_lag"] == 0 and h,
            60,
            "the TLS worker's offsets committed",
        )
        assert sum(p["end"] for p in health["lag"]) >= 1  # type: ignore[index]

    async def first_live_record() -> bytes:
        hub = Hub(s, [s.dispatches_topic])  # the API's shared reader (and its catch-up)
        sub = await hub.subscribe([s.dispatches_topic], {}, from_start=True)
        try:
            async for _, record in sub.records():
                if record is not None:
                    return record.value
        finally:
            await sub.close()
            await hub.stop()
        raise AssertionError("no record")

    live = json.loads(asyncio.run(asyncio.wait_for(first_live_record(), 30)))
    assert "Rivian" in json.dumps(live)  # the live feed record of the dispatch
    assert any(d.source == "empty.txt" for d in read_dead_letters(s))
    assert es.count(index=s.dispatch_alias)["count"] >= 1
    es.close()

    clients = set(secured.kafka.seen.clients)
    assert any(c.startswith("faust") for c in clients), clients  # the worker
    assert any(c.startswith("aiokafka") for c in clients), clients  # the API's subscribers
    assert any(c.startswith("kafka-python") for c in clients), clients  # admin, producer
    assert "elasticsearch-py" in secured.es.seen.clients
    assert Path(log).exists()
