"""Saved searches, worker side: each indexed batch is matched against every saved search.

Two paths, chosen once at start by asking the node (`detect`):
- **percolator** (a real Elasticsearch): the saved queries live in a percolator index,
  kept in step with the saved searches (reloaded every WIRE_SAVED_SEARCH_REFRESH_S;
  only changes are written), and one `percolate` query per batch finds every match,
  whatever the number of saved searches;
- **_msearch** (a node without the percolator, such as the local emulator): every saved
  query restricted to the batch's ids, in `_msearch` requests of MSEARCH_CHUNK queries.
Both mean exactly what the same query means on the search page. The alerts a batch raises
are kept in the alert history index (the page's Alerts view).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError, NotFoundError

from pipeline.settings import Settings
from pipeline.store.alerts import alert_operations
from pipeline.store.documents import dispatch_document
from pipeline.store.saved_searches import (
    Alert,
    SavedSearch,
    alerts_from,
    alerts_from_percolate,
    build_alert_msearch,
    build_percolate,
    percolator_entry,
    percolator_index,
    percolator_mappings,
)
from schemas import Dispatch

log = logging.getLogger("wirestream.worker.alerts")

MSEARCH_CHUNK = 200  # saved queries per _msearch request
PAGE = 1000  # saved searches read per request


async def detect_percolator(es: AsyncElasticsearch, settings: Settings) -> bool:
    """Whether this node runs percolate queries: its percolator index exists (created
    here if missing) and answers one. A node that cannot is left as it was."""
    index = percolator_index(settings)
    created = False
    try:
        if not await es.indices.exists(index=index):
            await es.indices.create(index=index, mappings=percolator_mappings())
            created = True
        probe = {"percolate": {"field": "query", "document": {"guid": "probe"}}}
        await es.search(index=index, query=probe, size=0)
        return True
    except (BadRequestError, ApiError) as exc:
        log.info("no percolator on this node (%s): saved searches matched by _msearch", exc)
        if created:
            with contextlib.suppress(ApiError):
                await es.indices.delete(index=index)
        return False


async def load_saved(es: AsyncElasticsearch, settings: Settings) -> list[SavedSearch]:
    """Every saved search, a page at a time (in id order)."""
    saved: list[SavedSearch] = []
    after: list[Any] | None = None
    while True:
        resp = await es.search(
            index=settings.saved_search_index,
            query={"match_all": {}},
            sort=[{"id": "asc"}],
            size=PAGE,
            search_after=after,
        )
        hits = resp["hits"]["hits"]
        saved += [SavedSearch.model_validate(h["_source"]) for h in hits]
        if len(hits) < PAGE:
            return saved
        after = hits[-1]["sort"]


class AlertMatcher:
    """Reloads the saved searches every `refresh_s` and matches indexed batches."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._saved: list[SavedSearch] = []
        self._loaded_at = float("-inf")
        self.percolator: bool | None = None  # decided on first use
        self._synced: dict[str, str] = {}  # saved search id -> its query as last stored

    async def _load(self, es: AsyncElasticsearch) -> list[SavedSearch]:
        if time.monotonic() - self._loaded_at < self.settings.saved_search_refresh_s:
            return self._saved
        if self.percolator is None:
            self.percolator = await detect_percolator(es, self.settings)
            log.info("saved searches: %s", "percolator" if self.percolator else "_msearch")
        try:
            stored = await load_saved(es, self.settings)
            # One saved before empty queries were refused would alert on every dispatch.
            self._saved = [s for s in stored if s.query.restricts()]
        except NotFoundError:
            self._saved = []  # nobody has saved a search yet
        if self.percolator:
            await self._sync(es)
        self._loaded_at = time.monotonic()
        return self._saved

    async def _sync(self, es: AsyncElasticsearch) -> None:
        """Store what changed in the percolator index (ids = saved search ids)."""
        index = percolator_index(self.settings)
        entries = {s.id: percolator_entry(s) for s in self._saved}
        wanted = {i: repr(e) for i, e in entries.items()}
        ops: list[dict[str, Any]] = []
        for i, e in entries.items():
            if self._synced.get(i) != wanted[i]:
                ops += [{"index": {"_index": index, "_id": i}}, e]
        ops += [{"delete": {"_index": index, "_id": i}} for i in self._synced.keys() - wanted]
        if ops:
            await es.bulk(operations=ops, refresh="wait_for")
        self._synced = wanted

    async def match(self, es: AsyncElasticsearch, dispatches: Sequence[Dispatch]) -> list[Alert]:
        if not dispatches:
            return []
        saved = await self._load(es)
        if not saved:
            return []
        if self.percolator:
            body = build_percolate(
                [dispatch_document(d) for d in dispatches], size=min(len(saved), 10_000)
            )
            resp = await es.search(index=percolator_index(self.settings), **body)
            found = alerts_from_percolate(saved, dict(resp), dispatches)
            await self.record(es, found)
            return found
        guids = [d.guid for d in dispatches]
        alerts: list[Alert] = []
        for i in range(0, len(saved), MSEARCH_CHUNK):
            chunk = saved[i : i + MSEARCH_CHUNK]
            lines = build_alert_msearch(chunk, guids, self.settings.dispatch_alias)
            resp = await es.msearch(searches=lines)
            alerts += alerts_from(chunk, list(resp["responses"]), dispatches)
        await self.record(es, alerts)
        return alerts

    async def record(self, es: AsyncElasticsearch, alerts: Sequence[Alert]) -> None:
        """Keep the alerts in the history index (id = the alert's id: a replayed batch
        rewrites them). History is a convenience: a failure is logged, alerts still go out."""
        if not alerts:
            return
        try:
            # refreshed now: the history is read (page, GET /v1/alerts) as the alert goes out,
            # not a refresh interval later; alerts are few and the index small
            resp = await es.bulk(operations=alert_operations(self.settings, alerts), refresh=True)
            if resp.get("errors"):
                log.warning("alert history: some of %d alerts were not kept", len(alerts))
        except Exception as exc:
            log.warning("alert history: %d alerts not kept: %s", len(alerts), exc)
