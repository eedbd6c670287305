"""Elasticsearch client options from the settings: credentials and TLS."""

from __future__ import annotations

from pathlib import Path

from pipeline.settings import Settings
from pipeline.store.client import _client_kwargs


def test_a_private_ca_is_trusted_over_https() -> None:
    s = Settings(es_url="https://es01:9200", es_ca_certs=Path("/certs/ca/ca.crt"), es_api_key="k")  # type: ignore[arg-type]
    kw = _client_kwargs(s)
    assert kw["ca_certs"] == "/certs/ca/ca.crt" and kw["verify_certs"] is True
    assert kw["api_key"] == "k"


def test_no_ca_without_verification_or_over_http() -> None:
    off = Settings(es_url="https://es01:9200", es_ca_certs=Path("/ca.crt"), es_verify_certs=False)  # type: ignore[arg-type]
    assert "ca_certs" not in _client_kwargs(off)
    assert "ca_certs" not in _client_kwargs(Settings(es_ca_certs=Path("/ca.crt")))  # type: ignore[arg-type]
