"""A polled remote folder (FTP, FTPS, SFTP): each finished file sent once, then moved or deleted.

- **Partial uploads are left alone**: hidden and temporary names (`.x`, `*.part`, `*.tmp`,
  `*.filepart`, …) are never taken, and a file is taken only once its size and
  modification time have held still across two listings at least `settle` seconds apart
  (a poll lists twice when something new has not settled yet).
- **Never twice**: the state file records each file sent (name + size + mtime) and the
  sha256 of its content; it is written atomically only after the sink confirmed. A file
  still there under a recorded key (a crash between sending and moving, or `after: keep`)
  is finished without being sent again; the same content under another name or mtime is
  not sent again either.
- **After**: `move` to the done folder (refused files to the failed folder), `delete`
  (refused files stay where they are: only what reached the raw topic is deleted), or
  `keep` (the server's folder is read-only to us; the state alone prevents re-sending).
- **Too big**: a file over WIRE_MAX_DOCUMENT_BYTES is read no further than that and goes
  to the dead-letter topic with its size in the reason.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from connectors.errors import RefusedInput
from connectors.sources.live import PollReport, Sink, SourceError, is_temporary, oversize
from connectors.sources.state import Ledger, load_json, save_json

After = Literal["move", "delete", "keep"]


@dataclass(frozen=True)
class RemoteFile:
    name: str  # in the polled folder
    size: int
    mtime: str  # as the server states it ("" when it does not)

    @property
    def key(self) -> str:
        return f"{self.name}|{self.size}|{self.mtime}"


class RemoteFolder(Protocol):
    """One connection to one remote folder, for one poll."""

    def listing(self) -> list[RemoteFile]:
        """The plain files of the folder (no sub-folders)."""
        ...

    def read(self, name: str, limit: int) -> bytes:
        """The file's first `limit` bytes at most (all of it when it is smaller);
        SourceError when it cannot be read (gone since the listing, no permission)."""
        ...

    def move(self, name: str, folder: str) -> str:
        """Move the file into `folder` (relative to the polled one unless absolute),
        creating it if needed; returns the new path."""
        ...

    def delete(self, name: str) -> None: ...


Connect = Callable[[], AbstractContextManager[RemoteFolder]]


class Stability:
    """Decides when a listed file has finished arriving: the same size and mtime seen in
    two listings at least `settle` seconds apart. Pure: time comes in as `now`."""

    def __init__(self, settle: float) -> None:
        self.settle = settle
        self._first: dict[str, tuple[int, str, float]] = {}  # name -> size, mtime, since

    def observe(self, files: Sequence[RemoteFile], now: float) -> list[RemoteFile]:
        """Record this listing; return the files that are ready."""
        ready: list[RemoteFile] = []
        current: dict[str, tuple[int, str, float]] = {}
        for f in files:
            prev = self._first.get(f.name)
            if prev is not None and prev[:2] == (f.size, f.mtime):
                current[f.name] = prev
                if now - prev[2] >= self.settle:
                    ready.append(f)
            else:
                current[f.name] = (f.size, f.mtime, now)
        self._first = current  # files gone from the listing are forgotten
        return ready

    def forget(self, name: str) -> None:
        self._first.pop(name, None)


@dataclass(frozen=True)
class RemoteOptions:
    max_bytes: int
    after: After = "move"
    done: str = "done"
    failed: str = "failed"
    settle: float = 5.0
    fmt: str | None = None
    encoding: str | None = None


class RemoteState:
    """`sent`: file key -> "ok" | "refused" | "duplicate"; `hashes`: sha256 of content sent."""

    def __init__(self, path: Path) -> None:
        self.path = path
        raw = load_json(path)
        self.sent = Ledger(raw.get("sent", {}))
        self.hashes = Ledger(raw.get("hashes", {}))

    def save(self) -> None:
        save_json(self.path, {"sent": self.sent.to_dict(), "hashes": self.hashes.to_dict()})


class RemotePoller:
    """Poll one remote folder. `address` (no secrets) names the folder in sources and logs."""

    def __init__(
        self,
        address: str,
        connect: Connect,
        state_file: Path,
        sink: Sink,
        options: RemoteOptions,
        *,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address.rstrip("/")
        self.connect = connect
        self.sink = sink
        self.options = options
        self.state = RemoteState(state_file)
        self.stability = Stability(options.settle)
        self.sleep, self.clock = sleep, clock

    def _candidates(self, folder: RemoteFolder) -> list[RemoteFile]:
        return sorted(
            (f for f in folder.listing() if not is_temporary(f.name)), key=lambda f: f.name
        )

    def poll_once(self) -> PollReport:
        report = PollReport()
        with self.connect() as folder:
            files = self._candidates(folder)
            ready = self.stability.observe(files, self.clock())
            unsettled = [f for f in files if f not in ready and f.key not in self.state.sent]
            if unsettled and self.options.settle > 0:  # look again once it could have settled
                self.sleep(self.options.settle)
                files = self._candidates(folder)
                ready = self.stability.observe(files, self.clock())
            ready_names = {f.name for f in ready}
            report.waiting = sum(
                1 for f in files if f.name not in ready_names and f.key not in self.state.sent
            )
            for f in ready:
                self._take(folder, f, report)
            # Recorded files still there (a crash before the move, or `after: keep`).
            for f in files:
                if f.name not in ready_names and f.key in self.state.sent:
                    self._finish(folder, f, self.state.sent.get(f.key) or "ok", report)
        return report

    def check(self) -> list[str]:
        """What a poll would do now, without sending, moving or recording anything."""
        with self.connect() as folder:
            listed = folder.listing()
        lines = []
        for f in sorted(listed, key=lambda f: f.name):
            if is_temporary(f.name):
                what = "ignored (temporary name)"
            elif f.key in self.state.sent:
                what = f"already sent ({self.state.sent.get(f.key)})"
            elif f.size > self.options.max_bytes:
                what = "new, over the size limit: would go to the dead-letter topic"
            else:
                what = "new"
            lines.append(f"{f.name}  {f.size} bytes  {f.mtime or '-'}  {what}")
        return lines or ["(the folder is empty)"]

    def _take(self, folder: RemoteFolder, f: RemoteFile, report: PollReport) -> None:
        if f.key in self.state.sent:
            self._finish(folder, f, self.state.sent.get(f.key) or "ok", report)
            return
        limit = self.options.max_bytes + 1
        try:
            data = folder.read(f.name, limit)
        except SourceError as exc:  # taken away meanwhile, or unreadable: the next poll sees
            report.notes.append(str(exc))
            self.stability.forget(f.name)
            return
        refused: RefusedInput | None = None
        if f.size > self.options.max_bytes or len(data) > self.options.max_bytes:
            refused = oversize(max(f.size, len(data)), self.options.max_bytes)
        digest = hashlib.sha256(data).hexdigest()
        if refused is None and digest in self.state.hashes:
            outcome = "duplicate"  # the same content, re-uploaded or renamed: sent already
            report.skipped += 1
        else:
            result = self.sink.publish(
                data,
                f"{self.address}/{f.name}",
                encoding=self.options.encoding,
                fmt=self.options.fmt,
                refused=refused,
            )
            outcome = "refused" if result.refused else "ok"
            if result.refused:
                report.refused += 1
                report.notes.append(f"{f.name} refused: {result.refused}")
            else:
                report.sent += 1
                self.state.hashes.add(digest, f.name)
        self.state.sent.add(f.key, outcome)
        self.state.save()  # only now: the sink confirmed
        self._finish(folder, f, outcome, report)

    def _finish(
        self, folder: RemoteFolder, f: RemoteFile, outcome: str, report: PollReport
    ) -> None:
        after, ok = self.options.after, outcome != "refused"
        try:
            if after == "move":
                folder.move(f.name, self.options.done if ok else self.options.failed)
            elif after == "delete" and ok:
                folder.delete(f.name)
            else:
                return
        except (OSError, SourceError) as exc:
            report.notes.append(f"sent, but cannot {after} {f.name}: {exc}")
            return
        self.stability.forget(f.name)
