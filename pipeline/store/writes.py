"""Writes: indices created at start, batches written in one bulk request (idempotent,
version-guarded: external versioning makes Elasticsearch itself refuse an older version)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from elasticsearch import AsyncElasticsearch, BadRequestError, Elasticsearch

from pipeline.dedup.versioning import StoredIn
from pipeline.settings import Settings
from pipeline.store.documents import (
    BulkOutcome,
    Delivery,
    bulk_operations,
    bulk_outcome,
    dispatch_mappings,
    event_mappings,
)
from schemas import Dispatch, Event


def ensure_indices(es: Elasticsearch, settings: Settings) -> None:
    """Templates, a first concrete index behind each alias. Safe to call every start."""
    from pipeline.store.lifecycle import put_templates

    put_templates(es, settings)
    mappings = {
        settings.dispatch_alias: dispatch_mappings(),
        settings.event_alias: event_mappings(),
    }
    for alias in (settings.dispatch_alias, settings.event_alias):
        if es.indices.exists_alias(name=alias):
            # Additive changes (new fields) apply in place; a changed field type raises
            # here, at start-up, and needs a reindex into -00000N+1 (deploy/README.md).
            es.indices.put_mapping(index=alias, properties=mappings[alias]["properties"])
            continue
        index = f"{alias}-000001"
        try:
            es.indices.create(index=index, aliases={alias: {"is_write_index": True}})
        except BadRequestError as exc:
            # Another worker starting at the same moment created it first.
            if exc.error != "resource_already_exists_exception":
                raise
            es.indices.put_alias(index=index, name=alias)


async def write_batch(
    es: AsyncElasticsearch,
    settings: Settings,
    dispatches: Sequence[Dispatch],
    *,
    signatures: dict[str, list[int]] | None = None,
    obsolete_events: dict[str, list[Event]] | None = None,
    deliveries: dict[str, Delivery] | None = None,
    stored_in: Mapping[str, StoredIn] | None = None,
) -> BulkOutcome:
    if not dispatches:
        return BulkOutcome()
    ops = bulk_operations(
        settings,
        dispatches,
        signatures=signatures,
        obsolete_events=obsolete_events,
        deliveries=deliveries,
        stored_in=stored_in,
    )
    resp = await es.bulk(operations=ops, refresh="wait_for")
    return bulk_outcome(dict(resp))
