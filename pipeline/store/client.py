"""Elasticsearch clients, sync and async, from the one settings object.

`es_kwargs(settings)` is the one place that turns WIRE_ES_* into client arguments: the URL,
credentials (WIRE_ES_API_KEY, or WIRE_ES_USERNAME / WIRE_ES_PASSWORD), TLS (WIRE_ES_CA_FILE,
WIRE_ES_VERIFY_CERTS, WIRE_ES_CLIENT_CERT / WIRE_ES_CLIENT_KEY for mutual TLS) and how long
one request may take. Reads (the API, the CLI) wait WIRE_ES_REQUEST_TIMEOUT_S and are not
retried, so an unreachable or hung node is a prompt "unavailable"; the worker bounds its
own requests with WIRE_WORKER_ES_TIMEOUT_S and retries them itself.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch, Elasticsearch

from pipeline.settings import Settings


def es_kwargs(
    settings: Settings, *, timeout: float | None = None, retries: int = 0
) -> dict[str, Any]:
    """Client arguments; `timeout` overrides WIRE_ES_REQUEST_TIMEOUT_S (seconds). By default
    one try: a node that does not answer is reported, not asked three more times."""
    kwargs: dict[str, Any] = {
        "hosts": [settings.es_url],
        "request_timeout": timeout if timeout is not None else settings.es_request_timeout_s,
        "max_retries": retries,
        "retry_on_timeout": False,
    }
    if settings.es_api_key:
        kwargs["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username and settings.es_password:
        kwargs["basic_auth"] = (settings.es_username, settings.es_password.get_secret_value())
    if settings.es_url.startswith("https"):
        kwargs["verify_certs"] = settings.es_verify_certs
        if not settings.es_verify_certs:
            kwargs["ssl_show_warn"] = False  # chosen, and said in the settings
        if settings.es_ca_file:
            kwargs["ca_certs"] = str(settings.es_ca_file)
        if settings.es_client_cert and settings.es_client_key:
            kwargs["client_cert"] = str(settings.es_client_cert)
            kwargs["client_key"] = str(settings.es_client_key)
    return kwargs


def make_es(settings: Settings, *, timeout: float | None = None, retries: int = 0) -> Elasticsearch:
    return Elasticsearch(**es_kwargs(settings, timeout=timeout, retries=retries))


def make_async_es(
    settings: Settings, *, timeout: float | None = None, retries: int = 0
) -> AsyncElasticsearch:
    return AsyncElasticsearch(**es_kwargs(settings, timeout=timeout, retries=retries))
