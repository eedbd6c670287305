"""What a subscriber sees of a stream: positions as SSE ids, filters, SSE frames.

The position (next offset per topic-partition) is the SSE event id; a client that
reconnects with Last-Event-ID continues exactly where it stopped (as long as Kafka
retains it). The records come from the process's one reader (pipeline.kafka.fanout).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

Position = dict[tuple[str, int], int]
HEARTBEAT_SECONDS = 15.0


def encode_position(pos: Position) -> str:
    key = tuple(sorted(pos.items()))
    token = _encoded.get(key)
    if token is None:
        raw = json.dumps([[t, p, o] for (t, p), o in key], separators=(",", ":"))
        token = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        if len(_encoded) >= 4096:  # subscribers at the same position share one encoding
            _encoded.clear()
        _encoded[key] = token
    return token


_encoded: dict[tuple[tuple[tuple[str, int], int], ...], str] = {}


def decode_position(token: str | None) -> Position:
    """Parse a Last-Event-ID; raises ValueError with a reason for a malformed one."""
    if not token:
        return {}
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        items = json.loads(raw)
        return {(str(t), int(p)): int(o) for t, p, o in items}
    except (ValueError, TypeError) as exc:
        raise ValueError(f"malformed Last-Event-ID {token[:40]!r}") from exc


def event_matches(event: dict[str, Any], entities: Sequence[str], query: str) -> bool:
    """Entity filter: any of the ids or names in a role. Query: every word in the evidence."""
    if entities:
        names = {
            v.casefold()
            for rs in (event.get("roles") or {}).values()
            for r in rs
            for v in (r.get("entity_id", ""), r.get("name", ""))
        }
        if not any(e.casefold() in names for e in entities):
            return False
    if query.strip():
        text = str(event.get("evidence", "")).casefold()
        return all(w in text for w in query.casefold().split())
    return True


def sse(data: str, *, event: str | None = None, event_id: str | None = None) -> bytes:
    lines = []
    if event_id:
        lines.append(f"id: {event_id}")
    if event:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return ("\n".join(lines) + "\n\n").encode()
