"""How every Kafka client connects: one function per client kind, all from the same Settings.

    kafka_python_kwargs(settings)  kafka-python: producers, admin, DLQ reader, health, CLI
    aiokafka_kwargs(settings)      aiokafka: the API's stream subscribers
    faust_broker_kwargs(settings)  the Faust worker (its consumer, producer and topic admin)
    ssl_context(settings)          the one TLS context all three carry

WIRE_KAFKA_SECURITY_PROTOCOL is PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; SASL takes
WIRE_KAFKA_SASL_MECHANISM (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), _USERNAME, _PASSWORD; TLS
takes WIRE_KAFKA_SSL_CAFILE (else the system's CAs), WIRE_KAFKA_SSL_CERTFILE and _KEYFILE
(mutual TLS), WIRE_KAFKA_SSL_VERIFY. Every client kind gets the same context, so a CA
bundle or a client certificate set once reaches the worker, the API and the CLI alike.
"""

from __future__ import annotations

import ssl
from typing import Any

from pipeline.settings import Settings


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for SSL and SASL_SSL; None for PLAINTEXT and SASL_PLAINTEXT."""
    if not settings.kafka_tls:
        return None
    ctx = ssl.create_default_context(
        ssl.Purpose.SERVER_AUTH,
        cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
    )
    if not settings.kafka_ssl_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if settings.kafka_ssl_certfile and settings.kafka_ssl_keyfile:
        ctx.load_cert_chain(
            certfile=str(settings.kafka_ssl_certfile),
            keyfile=str(settings.kafka_ssl_keyfile),
            password=settings.kafka_ssl_key_password.get_secret_value()
            if settings.kafka_ssl_key_password
            else None,
        )
    return ctx


def _sasl(settings: Settings) -> dict[str, Any]:
    if not settings.kafka_security_protocol.startswith("SASL_"):
        return {}
    return {
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password.get_secret_value()
        if settings.kafka_sasl_password
        else None,
    }


def kafka_python_kwargs(settings: Settings, *, timeout: float | None = None) -> dict[str, Any]:
    """Keyword arguments for kafka-python's KafkaProducer, KafkaConsumer, KafkaAdminClient.

    `timeout` (seconds) bounds the first connection and each request, for callers that
    must answer a person promptly (the API, the CLI, health checks): an unreachable or hung
    broker is then a KafkaTimeoutError after `timeout`, not after kafka-python's 30 s."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_hosts,
        "security_protocol": settings.kafka_security_protocol,
        **_sasl(settings),
    }
    if timeout is not None:
        kwargs["bootstrap_timeout_ms"] = int(timeout * 1000)
        kwargs["request_timeout_ms"] = int(timeout * 1000)
    ctx = ssl_context(settings)
    if ctx is not None:
        kwargs["ssl_context"] = ctx  # kafka-python then ignores its own ssl_* options
    return kwargs


def aiokafka_kwargs(settings: Settings, *, timeout: float | None = None) -> dict[str, Any]:
    """Keyword arguments for aiokafka's AIOKafkaConsumer / AIOKafkaProducer."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_hosts,
        "security_protocol": settings.kafka_security_protocol,
        **_sasl(settings),
    }
    if timeout is not None:
        kwargs["request_timeout_ms"] = int(timeout * 1000)
    ctx = ssl_context(settings)
    if ctx is not None:
        kwargs["ssl_context"] = ctx
    return kwargs


def faust_broker_kwargs(settings: Settings) -> dict[str, Any]:
    """faust.App keyword arguments: the brokers and their credentials. Faust hands them
    to aiokafka for its consumer, its producer and the client that creates topics."""
    import faust

    ctx = ssl_context(settings)
    credentials: Any = None
    if settings.kafka_security_protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        credentials = faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=ctx,  # SASL_SSL with a context, SASL_PLAINTEXT without
        )
    elif ctx is not None:
        credentials = faust.SSLCredentials(ctx)
    return {
        "broker": [f"kafka://{h}" for h in settings.kafka_hosts],
        "broker_credentials": credentials,
    }
