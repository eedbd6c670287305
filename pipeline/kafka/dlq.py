"""The dead-letter topic, read back: every record that could not be processed, with why.

Records are keyed by the dead letter's id and the last record of an id is the letter: a
replay that fails again writes the letter anew under the same id (attempts + 1, the new
reason), one that goes through writes it with `replayed_at`. Readers collapse by id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kafka import KafkaConsumer

from pipeline.kafka.client import client_kwargs
from pipeline.settings import Settings
from schemas import DeadLetter


def read_dead_letters(settings: Settings, timeout_ms: int = 1500) -> list[DeadLetter]:
    """Every dead letter in the topic (its latest record), oldest first (a group-less
    reader: commits nothing)."""
    consumer = KafkaConsumer(
        settings.dlq_topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=timeout_ms,
        **client_kwargs(settings, timeout=settings.kafka_request_timeout_s),
    )
    letters = []
    try:
        for record in consumer:
            try:
                letters.append(DeadLetter.model_validate_json(record.value))
            except ValueError:
                continue
    finally:
        consumer.close()
    return latest_by_id(letters)


def latest_by_id(records: Iterable[DeadLetter]) -> list[DeadLetter]:
    """One letter per id, its last record, in the order ids first appeared."""
    letters: dict[str, DeadLetter] = {}
    for dl in records:
        letters[dl.id] = dl
    return list(letters.values())


def select(
    letters: Sequence[DeadLetter],
    *,
    since: datetime | None = None,
    stage: str | None = None,
    reason: str | None = None,
    include_replayed: bool = False,
) -> list[DeadLetter]:
    """Newest first: open letters (and replayed ones if asked) that failed since `since`,
    at `stage`, whose reason holds `reason` (case-insensitive)."""
    chosen = [
        dl
        for dl in letters
        if (include_replayed or dl.replayed_at is None)
        and (since is None or dl.failed_at >= since)
        and (stage is None or dl.stage == stage)
        and (reason is None or reason.lower() in dl.error.lower())
    ]
    return sorted(chosen, key=lambda dl: dl.failed_at, reverse=True)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|«[^»]*»")
# a path or URL ("/srv/drop/a.xml", "C:\\in\\b.xml", "sftp://host/x", "drop/a.xml"), not a
# pair of names such as "Latin-1/CP1252"
_PATHISH = re.compile(r"(?<!\S)(?:[/~]|[A-Za-z]:\\|\w+://)\S*|\S*[/\\]\S*\.\w+\S*")
_HEX = re.compile(r"\b[0-9a-f]{8,}\b", re.IGNORECASE)
# a number on its own, not one inside a name ("UTF-8", "cp1252", "ISO-8859-1" stay whole)
_NUMBER = re.compile(r"(?<![\w-])\d+(?:[.,]\d+)*(?![\w-])")


def reason_key(error: str) -> str:
    """A reason without what differs between near-identical ones (file names, quoted
    values, offsets, sizes, ids), so that 238 'line 1, column 12'-style rows are one group."""
    text = error.splitlines()[0] if error else ""
    text = _QUOTED.sub("…", text)
    text = _PATHISH.sub("…", text)
    text = _HEX.sub("…", text)
    text = _NUMBER.sub("N", text)
    return re.sub(r"\s+", " ", text).strip()[:200]


@dataclass
class ReasonGroup:
    reason: str  # the reason_key
    count: int = 0
    stages: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    example: DeadLetter | None = None  # the newest letter of the group


def summarise(letters: Iterable[DeadLetter]) -> list[ReasonGroup]:
    """Letters grouped by reason, the largest group first."""
    groups: dict[str, ReasonGroup] = {}
    for dl in letters:
        g = groups.setdefault(reason_key(dl.error), ReasonGroup(reason_key(dl.error)))
        g.count += 1
        g.stages.add(dl.stage)
        g.first = dl.failed_at if g.first is None else min(g.first, dl.failed_at)
        if g.last is None or dl.failed_at >= g.last:
            g.last, g.example = dl.failed_at, dl
    return sorted(groups.values(), key=lambda g: (-g.count, g.reason))
