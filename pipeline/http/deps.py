"""What every route shares: the services (settings, clients), who is asking (an API key
or a browser session) and its scopes, parameter types whose documentation is what they
accept, and the documented error answers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

from elasticsearch import Elasticsearch
from fastapi import Depends, HTTPException, Query, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, APIKeyQuery
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.extract.events.types import EVENT_TYPES
from pipeline.http.auth import SESSION_COOKIE, Scope, SessionSigner, allowed, parse_api_keys
from pipeline.http.health import PipelineCollector
from pipeline.kafka.fanout import Hub
from pipeline.kafka.publisher import Publisher
from pipeline.settings import Settings
from pipeline.store.client import make_es
from pipeline.store.search import IsoDateTime


def fingerprint(key: str) -> str:
    """Who a key is, without the key: saved searches and sessions keep this."""
    return hashlib.sha256(key.encode()).hexdigest()


class Services:
    """One per app: the settings, the API keys, and clients opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = parse_api_keys(
            settings.api_keys.get_secret_value() if settings.api_keys else None
        )
        self.key_by_fingerprint = {fingerprint(k): k for k in self.keys}
        self.sessions = SessionSigner(
            settings.session_secret.get_secret_value().encode()
            if settings.session_secret
            else None,
            ttl_s=int(settings.session_hours * 3600),
        )
        self.pipeline_metrics = CollectorRegistry()
        self.pipeline_metrics.register(PipelineCollector(settings))
        self._es: Elasticsearch | None = None
        self._publisher: Publisher | None = None
        self._hub: Hub | None = None

    def es(self) -> Elasticsearch:
        """Reads answer within WIRE_ES_REQUEST_TIMEOUT_S, or raise (-> 503)."""
        if self._es is None:
            self._es = make_es(self.settings)
        return self._es

    def publisher(self) -> Publisher:
        """Waits WIRE_KAFKA_REQUEST_TIMEOUT_S for an unreachable broker, then raises (-> 503)."""
        if self._publisher is None:
            self._publisher = Publisher(
                self.settings, "http-push", timeout=self.settings.kafka_request_timeout_s
            )
        return self._publisher

    @property
    def hub(self) -> Hub:
        """The process's one reader of the stream topics (started by the first subscriber)."""
        if self._hub is None:
            s = self.settings
            topics = [s.dispatches_topic, s.alerts_topic, *(s.event_topic(t) for t in EVENT_TYPES)]
            self._hub = Hub(s, topics)
        return self._hub

    async def aclose(self) -> None:
        if self._hub is not None:
            await self._hub.stop()
            self._hub = None
        self.close()

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

# How a caller proves who it is (OpenAPI security schemes: any one of them).
KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key (WIRE_API_KEYS)"
)
KEY_QUERY = APIKeyQuery(
    name="api_key",
    auto_error=False,
    description="An API key in the URL, for scripts only (never logged; the web page "
    "uses a session cookie instead)",
)
SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The browser session POST /v1/session sets (HttpOnly, SameSite=Strict)",
)


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() or None if auth.lower().startswith("bearer ") else None


def caller_key(
    svc: Services, header: str | None, query: str | None, cookie: str | None, bearer: str | None
) -> str | None:
    """The API key a request carries: header, bearer token, URL, or a valid session."""
    if header or bearer or query:
        return header or bearer or query
    if cookie:
        who = svc.sessions.verify(cookie)
        if who is not None:
            return svc.key_by_fingerprint.get(who)
    return None


def need(scope: Scope) -> Callable[..., str]:
    def check(
        request: Request,
        header: Annotated[str | None, Security(KEY_HEADER)] = None,
        query: Annotated[str | None, Security(KEY_QUERY)] = None,
        cookie: Annotated[str | None, Security(SESSION)] = None,
    ) -> str:
        svc = services(request)
        key = caller_key(svc, header, query, cookie, _bearer(request))
        verdict = allowed(svc.keys, key, scope)
        if verdict is None:
            raise HTTPException(
                401, "missing or unknown API key (X-API-Key header, or log in: POST /v1/session)"
            )
        if not verdict:
            raise HTTPException(403, f"this API key lacks the '{scope}' scope")
        # Saved searches belong to a key; the key itself is never stored.
        return fingerprint(key)[:12] if key else "anonymous"

    return check


Reader = Annotated[str, Depends(need(Scope.read))]
Subscriber = Annotated[str, Depends(need(Scope.subscribe))]
Admin = Annotated[str, Depends(need(Scope.admin))]
Many = Annotated[list[str], Query()]


# ---------------------------------------------------------------- parameter types

IsoTime = IsoDateTime  # a date-time written as one, never a bare number

EventTypeName = StrEnum("EventTypeName", {t: t for t in EVENT_TYPES})  # type: ignore[misc]


# ---------------------------------------------------------------- errors


class ErrorBody(BaseModel):
    """Every refusal: one line, sometimes with reasons or what is known."""

    model_config = ConfigDict(extra="allow")
    error: str
    reasons: list[str] | None = None
    dependency: str | None = None


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


Responses = dict[int | str, dict[str, Any]]
UNAUTHORIZED: Responses = {
    401: _doc("No API key or session, or an unknown key"),
    403: _doc("The key lacks this route's scope"),
}
INVALID: Responses = {422: _doc("A parameter or the body is invalid; `reasons` says which and why")}
UNAVAILABLE: Responses = {
    503: _doc("Elasticsearch or Kafka did not answer in time; `dependency` names which")
}
NOT_INDEXED: Responses = {
    404: _doc("Nothing indexed yet (no index behind the alias: is a worker running?)")
}
READ_RESPONSES: Responses = {
    **UNAUTHORIZED,
    **INVALID,
    **NOT_INDEXED,
    **UNAVAILABLE,
}


def reasons(errors: Any) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'query'}: {e['msg']}" for e in errors]


def bad_request(exc: ValidationError | ValueError) -> HTTPException:
    if isinstance(exc, ValidationError):
        return HTTPException(422, {"error": "invalid query", "reasons": reasons(exc.errors())})
    return HTTPException(422, {"error": str(exc)})
