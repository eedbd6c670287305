"""API keys and their scopes. Off when WIRE_API_KEYS is unset (the local default).

WIRE_API_KEYS="k1:read,k2:read+subscribe,k3:admin". `admin` holds every scope.
A key travels as `X-API-Key: KEY`, `Authorization: Bearer KEY`, or `?api_key=KEY`
(browsers' EventSource cannot set headers).
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum

_KEY_IN_URL = re.compile(r"(?<=[?&]api_key=)[^&\s]+")


class Scope(StrEnum):
    read = "read"  # search, dispatch detail, events, health
    subscribe = "subscribe"  # live streams, saved searches and their alerts
    admin = "admin"  # push documents, everything else


class KeyConfigError(ValueError):
    pass


def parse_api_keys(spec: str | None) -> dict[str, frozenset[Scope]]:
    """Parse WIRE_API_KEYS. Empty -> {} (no auth). A bad entry is an error at start-up."""
    keys: dict[str, frozenset[Scope]] = {}
    for entry in (spec or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        key, sep, scopes = entry.rpartition(":")
        if not sep or not key.strip():
            raise KeyConfigError(f"API key entry {entry[:6]}… needs KEY:scope[+scope]")
        try:
            parsed = frozenset(Scope(s.strip()) for s in scopes.split("+") if s.strip())
        except ValueError:
            raise KeyConfigError(
                f"unknown scope in {scopes!r}: use {', '.join(s.value for s in Scope)}"
            ) from None
        if not parsed:
            raise KeyConfigError(f"API key {key[:4]}… has no scope")
        keys[key.strip()] = parsed
    return keys


def allowed(keys: dict[str, frozenset[Scope]], key: str | None, scope: Scope) -> bool | None:
    """True when allowed; False when the key lacks the scope; None when the key is unknown."""
    if not keys:
        return True
    if not key or key not in keys:
        return None
    held = keys[key]
    return Scope.admin in held or scope in held


def key_from(headers: dict[str, str], query: dict[str, str]) -> str | None:
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return query.get("api_key") or None


def redact(text: str) -> str:
    """'/v1/stream/events?api_key=secret&type=x' -> '/v1/stream/events?api_key=***&type=x'."""
    return _KEY_IN_URL.sub("***", text)


class RedactKeys(logging.Filter):
    """Keeps `?api_key=` values out of access logs (uvicorn logs the full path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
