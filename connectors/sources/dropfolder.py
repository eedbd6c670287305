"""A watched drop folder: files appear, get published once, move to done/ or failed/.

- A file is taken only when its size and mtime have not changed for `settle` seconds,
  so a file still being written is left alone (names ending .part/.tmp/.partial and
  hidden files are never taken: writers that rename on completion are always safe).
- The handler is called with the bytes; only after it returns (the publisher waits for
  Kafka's acknowledgement) is the file's sha256 written to a journal, then the file moved.
  After a crash between those steps, a journaled file is moved without being re-sent.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

IGNORED_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".reason.txt")
JOURNAL = ".wirestream-journal"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: str | None = None


Handler = Callable[[Path, bytes], Outcome]


class DropFolder:
    def __init__(self, root: Path, settle: float = 1.0) -> None:
        self.root = root
        self.settle = settle
        self.done = root / "done"
        self.failed = root / "failed"
        for d in (root, self.done, self.failed):
            d.mkdir(parents=True, exist_ok=True)
        self.journal = root / JOURNAL
        self._sent = self._load_journal()
        self._seen: dict[Path, tuple[int, float, float]] = {}  # size, mtime, first seen stable

    def _load_journal(self) -> set[str]:
        if not self.journal.exists():
            return set()
        return {line.split(" ", 1)[0] for line in self.journal.read_text().splitlines() if line}

    def _record(self, digest: str, name: str) -> None:
        with self.journal.open("a") as fh:
            fh.write(f"{digest} {name}\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._sent.add(digest)

    def candidates(self) -> list[Path]:
        return sorted(
            p
            for p in self.root.iterdir()
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES)
        )

    def ready(self, path: Path, now: float | None = None) -> bool:
        """True once size and mtime have held still for `settle` seconds."""
        now = time.monotonic() if now is None else now
        try:
            st = path.stat()
        except FileNotFoundError:
            self._seen.pop(path, None)
            return False
        size, mtime = st.st_size, st.st_mtime
        prev = self._seen.get(path)
        if prev is None or prev[:2] != (size, mtime):
            self._seen[path] = (size, mtime, now)
            return self.settle <= 0
        return now - prev[2] >= self.settle

    def _move(self, path: Path, folder: Path) -> Path:
        target = folder / path.name
        if target.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            target = folder / f"{path.stem}.{stamp}{path.suffix}"
        path.replace(target)
        self._seen.pop(path, None)
        return target

    def process_ready(self, handle: Handler) -> list[tuple[Path, Outcome]]:
        results = []
        for path in self.candidates():
            if not self.ready(path):
                continue
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest in self._sent:  # published before a crash, not yet moved
                results.append((self._move(path, self.done), Outcome(True, "already sent")))
                continue
            outcome = handle(path, data)
            self._record(digest, path.name)
            target = self._move(path, self.done if outcome.ok else self.failed)
            if not outcome.ok:
                target.with_name(target.name + ".reason.txt").write_text(
                    (outcome.reason or "") + "\n"
                )
            results.append((target, outcome))
        return results

    def run(self, handle: Handler, stop: threading.Event, interval: float = 0.5,
            on_result: Callable[[Path, Outcome], None] | None = None) -> None:  # fmt: skip
        """Process files as they land until `stop` is set (file events wake it early)."""
        wake = threading.Event()

        class _Wake(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                wake.set()

        observer = Observer()
        observer.schedule(_Wake(), str(self.root), recursive=False)
        observer.start()
        try:
            while not stop.is_set():
                for path, outcome in self.process_ready(handle):
                    if on_result:
                        on_result(path, outcome)
                wake.wait(interval)
                wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=5)
