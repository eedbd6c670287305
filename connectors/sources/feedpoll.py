"""Poll an RSS/Atom (or any supported) feed URL; send each entry once, across restarts.

Conditional GET with ETag / If-Modified-Since; the state (validators and the keys of
entries already sent) is written atomically after the handler confirms publication.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from connectors.errors import RefusedInput
from connectors.registry import parse_document
from schemas import Dispatch

MAX_REMEMBERED = 10_000


@dataclass
class FeedState:
    etag: str | None = None
    last_modified: str | None = None
    sent: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> FeedState:
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        return cls(raw.get("etag"), raw.get("last_modified"), list(raw.get("sent", [])))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "etag": self.etag,
                    "last_modified": self.last_modified,
                    "sent": self.sent[-MAX_REMEMBERED:],
                }
            )
        )
        os.replace(tmp, path)


@dataclass
class PollResult:
    status: int
    new: list[Dispatch] = field(default_factory=list)
    refused: str | None = None
    data: bytes = b""  # the refused document, for the dead-letter topic


def entry_key(d: Dispatch) -> str:
    """An entry is 'the same' while its guid, version and content are."""
    stamp = d.versioncreated.isoformat() if d.versioncreated else ""
    body = hashlib.sha256("\n".join([d.headline or "", *d.body]).encode()).hexdigest()[:16]
    return f"{d.guid}|{d.version}|{stamp}|{body}"


def state_path(state_dir: Path, url: str) -> Path:
    return state_dir / f"{hashlib.sha1(url.encode()).hexdigest()}.json"


class FeedPoller:
    def __init__(self, url: str, state_file: Path, client: httpx.Client, max_bytes: int) -> None:
        self.url, self.state_file, self.client, self.max_bytes = url, state_file, client, max_bytes
        self.state = FeedState.load(state_file)

    def poll_once(self, publish: Callable[[list[Dispatch]], None]) -> PollResult:
        headers = {}
        if self.state.etag:
            headers["If-None-Match"] = self.state.etag
        if self.state.last_modified:
            headers["If-Modified-Since"] = self.state.last_modified
        resp = self.client.get(self.url, headers=headers)
        if resp.status_code == 304:
            return PollResult(304)
        if resp.status_code != 200:
            return PollResult(resp.status_code, refused=f"HTTP {resp.status_code} from {self.url}")
        try:
            parsed = parse_document(
                resp.content,
                source=self.url,
                received_at=datetime.now(UTC),
                max_bytes=self.max_bytes,
            )
        except RefusedInput as exc:
            return PollResult(200, refused=exc.reason, data=resp.content)
        sent = set(self.state.sent)
        new = [d for d in parsed.dispatches if entry_key(d) not in sent]
        if new:
            publish(new)  # raises if not acknowledged: state is then left as it was
        self.state.sent.extend(entry_key(d) for d in new)
        self.state.etag = resp.headers.get("ETag")
        self.state.last_modified = resp.headers.get("Last-Modified")
        self.state.save(self.state_file)
        return PollResult(200, new=new)
