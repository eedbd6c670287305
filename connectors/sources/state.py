"""Connector state on disk: JSON written atomically (temp file, fsync, rename).

A source saves its state only after the publisher confirmed what it records, so a crash
leaves either the old state (the document is sent again: at-least-once, and the worker
drops exact re-sends) or the new one (never sent twice), never a torn file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def load_json(path: Path) -> dict[str, Any]:
    """The saved object, or {} when there is none yet."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return raw if isinstance(raw, dict) else {}


def save_json(path: Path, obj: dict[str, Any]) -> None:
    """Replace `path` with `obj` atomically: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w") as fh:
        json.dump(obj, fh, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Ledger:
    """An insertion-ordered map of keys to a short note, keeping the newest `limit` keys."""

    def __init__(self, items: dict[str, str] | Iterable[str] = (), limit: int = 50_000) -> None:
        self.limit = limit
        self._items: dict[str, str] = (
            dict(items) if isinstance(items, dict) else dict.fromkeys(items, "")
        )
        self._trim()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> str | None:
        return self._items.get(key)

    def add(self, key: str, note: str = "") -> None:
        self._items.pop(key, None)
        self._items[key] = note
        self._trim()

    def discard(self, key: str) -> None:
        self._items.pop(key, None)

    def to_dict(self) -> dict[str, str]:
        return dict(self._items)

    def _trim(self) -> None:
        while len(self._items) > self.limit:
            del self._items[next(iter(self._items))]
