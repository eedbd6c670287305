"""Elasticsearch clients, sync and async, from the one settings object (URL, API key or user, TLS)."""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch, Elasticsearch

from pipeline.settings import Settings


def _client_kwargs(settings: Settings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"hosts": [settings.es_url], "request_timeout": 30}
    if settings.es_api_key:
        kwargs["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username and settings.es_password:
        kwargs["basic_auth"] = (settings.es_username, settings.es_password.get_secret_value())
    if settings.es_url.startswith("https"):
        kwargs["verify_certs"] = settings.es_verify_certs
        if settings.es_ca_certs and settings.es_verify_certs:
            kwargs["ca_certs"] = str(settings.es_ca_certs)
    return kwargs


def make_es(settings: Settings) -> Elasticsearch:
    return Elasticsearch(**_client_kwargs(settings))


def make_async_es(settings: Settings) -> AsyncElasticsearch:
    return AsyncElasticsearch(**_client_kwargs(settings))
