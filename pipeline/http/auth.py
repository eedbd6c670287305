"""API keys, their scopes, and browser sessions. Off when WIRE_API_KEYS is unset (the
local default).

WIRE_API_KEYS="k1:read,k2:read+subscribe,k3:admin". `admin` holds every scope.
A key travels as `X-API-Key: KEY`, `Authorization: Bearer KEY`, or, for scripts only,
`?api_key=KEY` (kept out of the access log). The web page logs in instead: POST
/v1/session with a key sets a signed, HttpOnly, SameSite=Strict cookie naming the key
(by its SHA-256, never the key itself) and when it expires; EventSource sends it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from enum import StrEnum

_KEY_IN_URL = re.compile(r"(?<=[?&]api_key=)[^&\s]+")
SESSION_COOKIE = "wire_session"


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


class SessionSigner:
    """Signs and checks session tokens: base64url(JSON {k: key fingerprint, exp}) + "." +
    base64url(HMAC-SHA256). The secret is WIRE_SESSION_SECRET, or a random one per
    process (sessions then end when the service restarts, and each process of a
    multi-process deployment would need the same secret)."""

    def __init__(self, secret: bytes | None, ttl_s: int) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.ttl_s = ttl_s

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._secret, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self, who: str, now: float | None = None) -> tuple[str, int]:
        """A token for the key fingerprint `who`, and when it expires (Unix seconds)."""
        expires = int((now if now is not None else time.time()) + self.ttl_s)
        raw = json.dumps({"k": who, "exp": expires}, separators=(",", ":")).encode()
        payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{payload}.{self._mac(payload.encode())}", expires

    def verify(self, token: str, now: float | None = None) -> str | None:
        """The key fingerprint of a valid, unexpired token; None for anything else."""
        got = self.read(token, now)
        return got[0] if got else None

    def expires(self, token: str) -> int | None:
        got = self.read(token)
        return got[1] if got else None

    def read(self, token: str, now: float | None = None) -> tuple[str, int] | None:
        """(key fingerprint, expiry) of a valid, unexpired token."""
        payload, sep, mac = token.partition(".")
        if not sep or not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            who, expires = str(data["k"]), int(data["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        if expires <= (now if now is not None else time.time()):
            return None
        return who, expires
