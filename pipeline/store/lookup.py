"""The gate's look-up: what the index holds for a batch's guids, content hashes and stories."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from elasticsearch import AsyncElasticsearch

from pipeline.dedup.similarity import Candidate, bands
from pipeline.dedup.versioning import Known
from pipeline.settings import Settings
from pipeline.store.documents import STATE_FIELDS, known_from_source
from schemas import Dispatch


async def lookup_state(
    es: AsyncElasticsearch,
    settings: Settings,
    dispatches: Sequence[Dispatch],
    signatures: dict[str, list[int]],
) -> tuple[dict[str, Known], dict[str, str], list[Candidate]]:
    """One round trip per question for a whole batch: what is indexed under these guids,
    which live guid already owns these content hashes, which stories look alike."""
    if not dispatches:
        return {}, {}, []
    guids = sorted({d.guid for d in dispatches})
    hashes = sorted({d.content_hash for d in dispatches if d.content_hash})
    band_keys = sorted({b for sig in signatures.values() for b in bands(sig)})

    async def alike() -> tuple[dict[str, str], list[Candidate]]:
        """One query for both: live owners of these content hashes (boosted, so they
        come first) and dispatches sharing a MinHash band (story look-alikes)."""
        should: list[dict[str, Any]] = []
        if hashes:
            owned = [{"terms": {"content_hash": hashes}}, {"term": {"pubstatus": "usable"}}]
            should.append(
                {"constant_score": {"filter": {"bool": {"filter": owned}}, "boost": 1000}}
            )
        if band_keys:
            should.append({"constant_score": {"filter": {"terms": {"lsh_bands": band_keys}}}})
        if not should:
            return {}, []
        resp = await es.search(
            index=settings.dispatch_alias,
            query={"bool": {"should": should, "minimum_should_match": 1}},
            source_includes=["guid", "content_hash", "pubstatus", "story_id", "minhash"],
            size=len(hashes) * 2 + 100,
        )
        owners: dict[str, str] = {}
        candidates: list[Candidate] = []
        wanted = set(hashes)
        for h in resp["hits"]["hits"]:
            src = h["_source"]
            if src.get("content_hash") in wanted and src.get("pubstatus", "usable") == "usable":
                owners.setdefault(src["content_hash"], src["guid"])
            if src.get("minhash"):
                candidates.append(
                    Candidate(
                        src["guid"], src.get("story_id") or src["guid"], tuple(src["minhash"])
                    )
                )
        return owners, candidates

    # Two independent questions: asked at once, one round trip of latency.
    got, (owners, candidates) = await asyncio.gather(
        es.mget(index=settings.dispatch_alias, ids=guids, source_includes=STATE_FIELDS),
        alike(),
    )
    known = {
        doc["_id"]: known_from_source(doc["_source"]) for doc in got["docs"] if doc.get("found")
    }
    return known, owners, candidates
