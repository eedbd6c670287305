"""Prometheus metrics for connectors and agents."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DISPATCHES = Counter("wire_dispatches_total", "Dispatches by outcome", ["outcome"])
DEAD_LETTERS = Counter("wire_dead_letters_total", "Dead letters by stage", ["stage"])
EVENTS = Counter("wire_events_total", "Events published by type", ["type"])
RETRACTIONS = Counter(
    "wire_event_retractions_total", "Events withdrawn by type and reason", ["type", "reason"]
)
CONNECTOR_DOCS = Counter(
    "wire_connector_documents_total", "Documents read", ["connector", "outcome"]
)
STAGE_SECONDS = Histogram(
    "wire_stage_seconds", "Batch time per stage (lookup, extract, index, batch)", ["stage"]
)
BATCH_SIZE = Histogram(
    "wire_batch_size",
    "Records per batch taken from the raw topic",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
PUBLISH_TO_INDEXED = Histogram(
    "wire_publish_to_indexed_seconds",
    "From receipt by a connector to searchable",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
ALERTS = Counter("wire_alerts_total", "Saved-search matches published")
ALERT_FAILURES = Counter("wire_alert_failures_total", "Batches whose saved-search matching failed")
MEMORY_WRITES = Counter("wire_entity_memory_writes_total", "Entity memory entries taught")
STATE_ENTRIES = Gauge(
    "wire_state_entries",
    "Entries of the gate's windowed state tables (at the last sweep)",
    ["table"],
)
NLP_IDLE_SECONDS = Gauge(
    "wire_nlp_idle_seconds",
    "NLP process-seconds with no chunk to work on since the first batch, up to the scrape "
    "(a process idle for 1 s adds 1; only grows; pipeline.extract.runner)",
)
