"""Every client kind gets the same security settings: the Faust worker, kafka-python
(producer, admin, DLQ reader, health), aiokafka (stream subscribers) and Elasticsearch.
No server: the kwargs, the Faust app's config and a TLS handshake in memory."""

from __future__ import annotations

import asyncio
import ssl

import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import ValidationError

from pipeline.kafka.client import client_kwargs
from pipeline.kafka.security import (
    aiokafka_kwargs,
    faust_broker_kwargs,
    kafka_python_kwargs,
    ssl_context,
)
from pipeline.settings import Settings
from pipeline.store.client import es_kwargs, make_es
from tests.tls import Certs, make_certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def secured(certs: Certs, **extra: object) -> Settings:
    return Settings(
        kafka_bootstrap="broker-1:9093,broker-2:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="wirestream",
        kafka_sasl_password="s3cret",  # type: ignore[arg-type]
        kafka_ssl_cafile=certs.ca,
        kafka_ssl_certfile=certs.client_cert,
        kafka_ssl_keyfile=certs.client_key,
        **extra,  # type: ignore[arg-type]
    )


def handshake(client: ssl.SSLContext, certs: Certs, *, require_client_cert: bool) -> str:
    """A TLS handshake between `client` and a server holding certs.server_cert, in memory.
    Returns the subject CN of the client certificate the server saw ('' for none)."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certs.server_cert, certs.server_key)
    if require_client_cert:
        server.load_verify_locations(certs.ca)
        server.verify_mode = ssl.CERT_REQUIRED
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = client.wrap_bio(c_in, c_out, server_hostname="localhost")
    s = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"c": False, "s": False}
    for _ in range(20):
        for name, side in (("c", c), ("s", s)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            break
    assert all(done.values()), "handshake did not complete"
    peer = s.getpeercert()
    if not peer:
        return ""
    return dict(x[0] for x in peer["subject"])["commonName"]


def test_one_tls_context_trusts_the_ca_and_presents_the_client_certificate(certs: Certs) -> None:
    ctx = ssl_context(secured(certs))
    assert ctx is not None
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert handshake(ctx, certs, require_client_cert=True) == "wirestream"
    # Without the CA bundle the same server is refused: the CA file is what trusts it.
    system_only = ssl_context(
        Settings(
            kafka_security_protocol="SSL",
            kafka_ssl_certfile=certs.client_cert,
            kafka_ssl_keyfile=certs.client_key,
        )
    )
    assert system_only is not None
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(system_only, certs, require_client_cert=False)
    # verify=false (never in production) accepts it, without host name checks.
    lax = ssl_context(Settings(kafka_security_protocol="SSL", kafka_ssl_verify=False))
    assert lax is not None and lax.verify_mode == ssl.CERT_NONE and not lax.check_hostname
    assert handshake(lax, certs, require_client_cert=False) == ""


def test_plaintext_has_no_tls_and_no_sasl() -> None:
    s = Settings()
    assert ssl_context(s) is None
    assert kafka_python_kwargs(s) == {
        "bootstrap_servers": ["localhost:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert aiokafka_kwargs(s) == kafka_python_kwargs(s)
    assert faust_broker_kwargs(s) == {
        "broker": ["kafka://localhost:9092"],
        "broker_credentials": None,
    }


def test_kafka_python_clients_get_sasl_and_the_tls_context(certs: Certs) -> None:
    kw = kafka_python_kwargs(secured(certs))
    assert kw["bootstrap_servers"] == ["broker-1:9093", "broker-2:9093"]
    assert kw["security_protocol"] == "SASL_SSL"
    assert (kw["sasl_mechanism"], kw["sasl_plain_username"], kw["sasl_plain_password"]) == (
        "SCRAM-SHA-512",
        "wirestream",
        "s3cret",
    )
    assert isinstance(kw["ssl_context"], ssl.SSLContext)
    assert handshake(kw["ssl_context"], certs, require_client_cert=True) == "wirestream"
    # The name every kafka-python caller uses (producer, admin, DLQ reader, health) is the same.
    assert client_kwargs(secured(certs)).keys() == kw.keys()
    # Interactive callers bound the first connection and each request.
    timed = kafka_python_kwargs(secured(certs), timeout=2.5)
    assert timed["bootstrap_timeout_ms"] == timed["request_timeout_ms"] == 2500


def test_kafka_python_accepts_the_kwargs_without_a_broker(certs: Certs) -> None:
    """The kwargs are valid for kafka-python's constructors (nothing connects yet)."""
    from kafka.producer.kafka import KafkaProducer

    unknown = set(kafka_python_kwargs(secured(certs), timeout=1)) - set(
        KafkaProducer.DEFAULT_CONFIG
    )
    assert not unknown


def test_aiokafka_subscribers_get_the_same(certs: Certs) -> None:
    from aiokafka import AIOKafkaConsumer

    from pipeline.kafka.fanout import _consumer_kwargs  # the shared reader and catch-ups

    kw = _consumer_kwargs(secured(certs))
    assert kw["security_protocol"] == "SASL_SSL"
    assert kw["sasl_mechanism"] == "SCRAM-SHA-512" and kw["sasl_plain_password"] == "s3cret"
    assert handshake(kw["ssl_context"], certs, require_client_cert=True) == "wirestream"

    async def build() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(**kw)  # aiokafka accepts every one of them (nothing connects)

    consumer = asyncio.run(build())
    assert consumer._client._security_protocol == "SASL_SSL"
    assert consumer._client._ssl_context is kw["ssl_context"]
    assert consumer._client._sasl_plain_username == "wirestream"


def test_the_faust_worker_gets_the_credentials(certs: Certs) -> None:
    from pipeline.worker.app import Worker

    worker = Worker(secured(certs))
    conf = worker.app.conf
    auth = credentials_to_aiokafka_auth(conf.broker_credentials, conf.ssl_context)
    assert auth["security_protocol"] == "SASL_SSL"
    assert auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (auth["sasl_plain_username"], auth["sasl_plain_password"]) == ("wirestream", "s3cret")
    assert handshake(auth["ssl_context"], certs, require_client_cert=True) == "wirestream"
    assert [str(u) for u in conf.broker] == ["kafka://broker-1:9093", "kafka://broker-2:9093"]
    # SSL without SASL, and SASL without TLS.
    ssl_only = Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=certs.ca)
    creds = faust_broker_kwargs(ssl_only)["broker_credentials"]
    assert credentials_to_aiokafka_auth(creds)["security_protocol"] == "SSL"
    plain = Settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="u",
        kafka_sasl_password="p",  # type: ignore[arg-type]
    )
    auth = credentials_to_aiokafka_auth(faust_broker_kwargs(plain)["broker_credentials"])
    assert auth["security_protocol"] == "SASL_PLAINTEXT" and auth["ssl_context"] is None
    assert auth["sasl_mechanism"] == "PLAIN"


def test_half_configured_security_fails_at_start(certs: Certs) -> None:
    with pytest.raises(ValidationError, match="WIRE_KAFKA_SASL_USERNAME"):
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="PLAIN")
    with pytest.raises(ValidationError, match="go together"):
        Settings(kafka_ssl_certfile=certs.client_cert)
    with pytest.raises(ValidationError, match="go together"):
        Settings(es_client_cert=certs.client_cert)
    with pytest.raises(ValidationError):
        Settings(kafka_security_protocol="TLS")  # type: ignore[arg-type]


def test_elasticsearch_gets_ca_verification_key_and_client_certificate(certs: Certs) -> None:
    s = Settings(
        es_url="https://search.internal:9200",
        es_api_key="k3y",  # type: ignore[arg-type]
        es_ca_file=certs.ca,
        es_client_cert=certs.client_cert,
        es_client_key=certs.client_key,
        es_request_timeout_s=4,
    )
    kw = es_kwargs(s)
    assert kw["api_key"] == "k3y" and kw["verify_certs"] is True
    assert (kw["ca_certs"], kw["client_cert"], kw["client_key"]) == (
        str(certs.ca),
        str(certs.client_cert),
        str(certs.client_key),
    )
    assert kw["request_timeout"] == 4 and kw["max_retries"] == 0
    es = make_es(s)  # the client takes them as they are
    node = es.transport.node_pool.all()[0].config
    assert (node.ca_certs, node.client_cert, node.client_key) == (
        kw["ca_certs"],
        kw["client_cert"],
        kw["client_key"],
    )
    assert node.verify_certs is True
    es.close()
    basic = es_kwargs(
        Settings(es_username="u", es_password="p", es_url="https://x:9200", es_verify_certs=False)  # type: ignore[arg-type]
    )
    assert basic["basic_auth"] == ("u", "p") and basic["verify_certs"] is False
    assert "ca_certs" not in basic
    assert es_kwargs(s, timeout=60, retries=3)["request_timeout"] == 60


def test_the_deployment_example_is_a_valid_secured_configuration() -> None:
    from tests.helpers import ROOT

    env = {}
    for line in (ROOT / "deploy" / "wirestream.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.removeprefix("WIRE_").lower()] = value
    s = Settings(**env)  # type: ignore[arg-type]
    assert s.kafka_security_protocol == "SASL_SSL" and s.kafka_sasl_mechanism == "SCRAM-SHA-512"
    kw = kafka_python_kwargs(s.model_copy(update={"kafka_ssl_cafile": None}))
    assert kw["sasl_plain_username"] == "wirestream" and kw["ssl_context"] is not None
    assert es_kwargs(s)["api_key"] == "change-me" and es_kwargs(s)["verify_certs"] is True
