"""Create what the pipeline needs (topics, index templates, aliases). Idempotent."""

from __future__ import annotations

from pipeline.extract.events.types import EVENT_TYPES
from pipeline.kafka.client import ensure_topics
from pipeline.kafka.topics import changelog_topics
from pipeline.settings import Settings
from pipeline.store.alerts import ensure_alert_indices
from pipeline.store.client import make_es
from pipeline.store.saved_searches import ensure_saved_search_index
from pipeline.store.writes import ensure_indices


def prepare_infrastructure(settings: Settings) -> None:
    ensure_topics(
        settings,
        [
            settings.alerts_topic,
            *(settings.event_topic(t) for t in EVENT_TYPES),
            *changelog_topics(settings),  # before Faust creates them: compacted
        ],
    )
    es = make_es(settings)
    try:
        ensure_indices(es, settings)
        ensure_saved_search_index(es, settings)
        ensure_alert_indices(es, settings)
    finally:
        es.close()
