"""What every route shares: the services (settings, clients) and the API-key scopes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any

from elasticsearch import Elasticsearch
from fastapi import Depends, HTTPException, Query, Request
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from pipeline.extract.events.types import EVENT_TYPES
from pipeline.http.auth import Scope, allowed, key_from, parse_api_keys
from pipeline.http.health import PipelineCollector
from pipeline.kafka.publisher import Publisher
from pipeline.settings import Settings
from pipeline.store.client import make_es


class Services:
    """One per app: the settings, the API keys, and clients opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = parse_api_keys(
            settings.api_keys.get_secret_value() if settings.api_keys else None
        )
        self.pipeline_metrics = CollectorRegistry()
        self.pipeline_metrics.register(PipelineCollector(settings))
        self._es: Elasticsearch | None = None
        self._publisher: Publisher | None = None

    def es(self) -> Elasticsearch:
        if self._es is None:
            self._es = make_es(self.settings)
        return self._es

    def publisher(self) -> Publisher:
        if self._publisher is None:
            self._publisher = Publisher(self.settings, "http-push")
        return self._publisher

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        if self._es is not None:
            self._es.close()
            self._es = None


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


Svc = Annotated[Services, Depends(services)]


def need(scope: Scope) -> Callable[[Request], str]:
    def check(request: Request) -> str:
        keys = services(request).keys
        key = key_from(dict(request.headers), dict(request.query_params))
        verdict = allowed(keys, key, scope)
        if verdict is None:
            raise HTTPException(401, "missing or unknown API key (X-API-Key header)")
        if not verdict:
            raise HTTPException(403, f"this API key lacks the '{scope}' scope")
        # Saved searches belong to a key; the key itself is never stored.
        return hashlib.sha256(key.encode()).hexdigest()[:12] if key else "anonymous"

    return check


Reader = Annotated[str, Depends(need(Scope.read))]
Subscriber = Annotated[str, Depends(need(Scope.subscribe))]
Admin = Annotated[str, Depends(need(Scope.admin))]
Many = Annotated[list[str], Query()]


def reasons(errors: Any) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'query'}: {e['msg']}" for e in errors]


def bad_request(exc: ValidationError | ValueError) -> HTTPException:
    if isinstance(exc, ValidationError):
        return HTTPException(422, {"error": "invalid query", "reasons": reasons(exc.errors())})
    return HTTPException(422, {"error": str(exc)})


def known_event_types(types: list[str]) -> None:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise HTTPException(
            422, {"error": f"unknown event type {unknown[0]!r}", "known": list(EVENT_TYPES)}
        )
