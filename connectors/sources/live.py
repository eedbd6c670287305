"""What every live source shares: the sink it sends to, its report, its errors.

The sink is `pipeline.kafka.publisher.Publisher` in production (parse -> raw topic,
refusal -> dead-letter topic; it returns once Kafka acknowledged). Sources depend on
the protocol here, not on Kafka.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from connectors.errors import RefusedInput
from schemas import Dispatch

# Names a writer uses while a file is still arriving (renamed when complete).
TEMPORARY_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".filepart", ".upload")


class Sent(Protocol):
    @property
    def guids(self) -> list[str]: ...

    @property
    def refused(self) -> str | None: ...


class Sink(Protocol):
    def publish(
        self,
        data: bytes,
        source: str,
        *,
        encoding: str | None = None,
        fmt: str | None = None,
        refused: RefusedInput | None = None,
        wait: bool = True,
    ) -> Sent:
        """Parse and send `data`, or send it to the dead-letter topic with the reason.

        Returns once delivery is confirmed; raises when it could not be."""
        ...

    def publish_dispatches(self, dispatches: list[Dispatch]) -> object:
        """Send already-parsed dispatches; returns once delivery is confirmed (what it
        returns, e.g. the dead letters of records over the size limit, is the sink's)."""
        ...


class SourceError(Exception):
    """A source cannot do its work now (server down, login refused, HTTP 5xx): one line,
    retried with backoff. Bad *documents* are never SourceErrors: they go to the DLQ."""


@dataclass
class PollReport:
    """What one poll did. `sent` and `refused` count documents, not dispatches."""

    sent: int = 0
    refused: int = 0
    skipped: int = 0  # already sent before (a restart, a re-upload of the same content)
    waiting: int = 0  # seen but not ready (still being written)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.sent} sent", f"{self.refused} refused"]
        if self.skipped:
            parts.append(f"{self.skipped} already sent")
        if self.waiting:
            parts.append(f"{self.waiting} still arriving")
        return ", ".join(parts) + "".join(f"; {n}" for n in self.notes)

    @property
    def eventful(self) -> bool:
        return bool(self.sent or self.refused or self.skipped or self.notes)


def is_temporary(name: str) -> bool:
    """Hidden files and the names uploaders use before renaming a finished file."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith((".", "~")) or base.lower().endswith(TEMPORARY_SUFFIXES)


def oversize(size: int, max_bytes: int) -> RefusedInput:
    """The refusal of a document over WIRE_MAX_DOCUMENT_BYTES (read no further than that)."""
    div, unit = (1_048_576, "MiB") if max_bytes >= 1_048_576 else (1024, "KiB")
    return RefusedInput(
        f"document is {size / div:.1f} {unit}, over the {max_bytes / div:.1f} {unit} limit "
        "(WIRE_MAX_DOCUMENT_BYTES)",
        stage="decode",
    )
