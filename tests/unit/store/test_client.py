"""Elasticsearch client options from the settings: credentials and TLS."""

from __future__ import annotations

from pathlib import Path

from pipeline.settings import Settings
from pipeline.store.client import es_kwargs


def test_a_private_ca_is_trusted_over_https() -> None:
    s = Settings(es_url="https://es01:9200", es_ca_file=Path("/certs/ca/ca.crt"), es_api_key="k")  # type: ignore[arg-type]
    kw = es_kwargs(s)
    assert kw["ca_certs"] == "/certs/ca/ca.crt" and kw["verify_certs"] is True
    assert kw["api_key"] == "k"


def test_no_tls_options_over_http() -> None:
    assert "ca_certs" not in es_kwargs(Settings(es_ca_file=Path("/ca.crt")))  # type: ignore[arg-type]
