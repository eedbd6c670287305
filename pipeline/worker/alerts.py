"""Saved searches, worker side: each indexed batch is matched against every saved search
(one _msearch; the searches are reloaded every WIRE_SAVED_SEARCH_REFRESH_S), and the
alerts it raises are kept in the alert history index (the page's Alerts view)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from elasticsearch import AsyncElasticsearch, NotFoundError

from pipeline.settings import Settings
from pipeline.store.alerts import alert_operations
from pipeline.store.saved_searches import Alert, SavedSearch, alerts_from, build_alert_msearch
from schemas import Dispatch

log = logging.getLogger(__name__)


class AlertMatcher:
    """Reloads the saved searches every `refresh_s` and matches indexed batches."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._saved: list[SavedSearch] = []
        self._loaded_at = float("-inf")

    async def _load(self, es: AsyncElasticsearch) -> list[SavedSearch]:
        if time.monotonic() - self._loaded_at < self.settings.saved_search_refresh_s:
            return self._saved
        try:
            resp = await es.search(
                index=self.settings.saved_search_index, query={"match_all": {}}, size=1000
            )
            stored = [SavedSearch.model_validate(h["_source"]) for h in resp["hits"]["hits"]]
            # One saved before empty queries were refused would alert on every dispatch.
            self._saved = [s for s in stored if s.query.restricts()]
        except NotFoundError:
            self._saved = []  # nobody has saved a search yet
        self._loaded_at = time.monotonic()
        return self._saved

    async def match(self, es: AsyncElasticsearch, dispatches: Sequence[Dispatch]) -> list[Alert]:
        if not dispatches:
            return []
        saved = await self._load(es)
        if not saved:
            return []
        guids = [d.guid for d in dispatches]
        lines = build_alert_msearch(saved, guids, self.settings.dispatch_alias)
        resp = await es.msearch(searches=lines)
        alerts = alerts_from(saved, list(resp["responses"]), dispatches)
        await self.record(es, alerts)
        return alerts

    async def record(self, es: AsyncElasticsearch, alerts: Sequence[Alert]) -> None:
        """Keep the alerts in the history index (id = the alert's id: a replayed batch
        rewrites them). History is a convenience: a failure is logged, alerts still go out."""
        if not alerts:
            return
        try:
            resp = await es.bulk(operations=alert_operations(self.settings, alerts))
            if resp.get("errors"):
                log.warning("alert history: some of %d alerts were not kept", len(alerts))
        except Exception as exc:
            log.warning("alert history: %d alerts not kept: %s", len(alerts), exc)
