"""Re-extraction after the rules improve: find what older rules extracted, send it again.

The worker re-extracts a dispatch that comes again unchanged when the index says older
rules produced it (pipeline.dedup.versioning, Verdict.reextract). Replaying the raw topic
does that while Kafka still holds the copy; `wire reextract` covers the rest by
resending the stored dispatches from Elasticsearch to the raw topic. Both are
idempotent: a dispatch already extracted by the running rules is a plain duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from elasticsearch import Elasticsearch

from pipeline.settings import Settings
from schemas import Dispatch


def stale_extraction_query(current: str) -> dict[str, Any]:
    """Live dispatches extracted by another version of the rules (or before versions)."""
    return {
        "bool": {
            "filter": [{"term": {"pubstatus": "usable"}}],
            "must_not": [{"term": {"extracted_by": current}}],
        }
    }


def count_stale(es: Elasticsearch, settings: Settings, current: str) -> int:
    resp = es.count(index=settings.dispatch_alias, query=stale_extraction_query(current))
    return int(resp["count"])


def iter_stale(
    es: Elasticsearch, settings: Settings, current: str, page: int = 200
) -> Iterator[Dispatch]:
    """The stored dispatches to re-extract, in guid order, one page at a time."""
    after: list[Any] | None = None
    while True:
        resp = es.search(
            index=settings.dispatch_alias,
            query=stale_extraction_query(current),
            sort=[{"guid": "asc"}],
            size=page,
            source_includes=["dispatch"],
            search_after=after,
        )
        hits = resp["hits"]["hits"]
        for h in hits:
            yield Dispatch.model_validate(h["_source"]["dispatch"])
        if len(hits) < page:
            return
        after = hits[-1]["sort"]
