"""The one way a connector hands documents to the pipeline.

parse -> each Dispatch to the raw topic (key = guid), or the refusal to the DLQ topic
with the original bytes. `publish` returns only once Kafka acknowledged, so a caller
may then move, delete or mark its input as done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

from kafka import KafkaProducer
from kafka.errors import MessageSizeTooLargeError, RecordListTooLargeError

from connectors.errors import RefusedInput
from connectors.registry import parse_document
from pipeline import metrics
from pipeline.kafka.client import (
    dispatch_headers,
    encode,
    ensure_topics,
    make_producer,
)
from pipeline.limits import Limits, broker_refused, document_too_large, record_too_large
from pipeline.settings import Settings
from schemas import DeadLetter, Dispatch


@dataclass
class Published:
    source: str
    guids: list[str] = field(default_factory=list)
    format: str | None = None
    refused: str | None = None  # one-line reason when the document was refused
    dead_letter_id: str | None = None


def again(first: DeadLetter, new: DeadLetter) -> DeadLetter:
    """`first` failed once more: its id and payload, the new stage, reason and time."""
    return first.model_copy(
        update={
            "stage": new.stage,
            "error": new.error,
            "format": new.format or first.format,
            "failed_at": new.failed_at,
            "attempts": first.attempts + 1,
            "replayed_at": None,
        }
    )


class Publisher:
    def __init__(
        self,
        settings: Settings,
        connector: str,
        producer: KafkaProducer | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        """`timeout` (seconds): how long to wait for an unreachable broker before raising
        (the API and the CLI pass WIRE_KAFKA_REQUEST_TIMEOUT_S; daemons wait longer)."""
        self.settings = settings
        self.connector = connector
        self.limits = Limits(settings.max_document_bytes)
        ensure_topics(settings, timeout=timeout)
        self.producer = producer or make_producer(settings, timeout=timeout)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.producer.flush(timeout=30)
        self.producer.close()

    def publish_dispatches(self, dispatches: list[Dispatch]) -> list[DeadLetter]:
        """Publish already-parsed dispatches and wait for Kafka's acknowledgement. One whose
        record is over the record limit (pipeline.limits) goes to the DLQ instead; the
        dead letters are returned."""
        s = self.settings
        futures, letters = [], []
        for d in dispatches:
            value = encode(d)
            if len(value) > self.limits.record_bytes:
                dl = DeadLetter.of(
                    value,
                    source=d.source or "",
                    stage="parse",
                    error=record_too_large(len(value), self.limits.record_bytes),
                    keep_bytes=s.dlq_payload_bytes,
                    fmt=d.format,
                )
                futures.append(
                    self.producer.send(s.dlq_topic, key=dl.id.encode(), value=encode(dl))
                )
                letters.append(dl)
                continue
            futures.append(
                self.producer.send(
                    s.raw_topic, key=d.guid.encode(), value=value, headers=dispatch_headers(d)
                )
            )
        for f in futures:
            f.get(timeout=30)
        metrics.CONNECTOR_DOCS.labels(self.connector, "published").inc(
            len(dispatches) - len(letters)
        )
        if letters:
            metrics.CONNECTOR_DOCS.labels(self.connector, "refused").inc(len(letters))
        return letters

    def send_dead_letter(self, dl: DeadLetter) -> None:
        """Write a dead letter (a new one, or a new state of one: same id, same key)."""
        self.producer.send(self.settings.dlq_topic, key=dl.id.encode(), value=encode(dl)).get(
            timeout=30
        )

    def publish(
        self,
        data: bytes,
        source: str,
        *,
        encoding: str | None = None,
        fmt: str | None = None,
        refused: RefusedInput | None = None,
        wait: bool = True,
        size: int | None = None,
        sha256: str | None = None,
        replaying: DeadLetter | None = None,
    ) -> Published:
        """Parse and publish one document; refusals go to the DLQ. Never raises for bad input.
        `size` / `sha256`: the whole document's, when `data` is only its beginning (a
        document over WIRE_MAX_DOCUMENT_BYTES that was not read whole).

        `replaying`: the dead letter this document comes from (`wire dlq replay`); refused
        again, that letter is updated (same id, attempts + 1, the new reason), not doubled.
        Raises KafkaError only when Kafka does not acknowledge (nothing was confirmed)."""
        s = self.settings
        out = Published(source)
        futures = []
        if refused is None and (size or len(data)) > s.max_document_bytes:
            refused = RefusedInput(
                document_too_large(size or len(data), s.max_document_bytes), stage="decode"
            )
        if refused is None:
            try:
                parsed = parse_document(
                    data,
                    source=source,
                    received_at=datetime.now(UTC),
                    max_bytes=s.max_document_bytes,
                    encoding=encoding,
                    fmt=fmt,
                )
            except RefusedInput as exc:
                refused = exc
            except Exception as exc:  # a parser bug on odd input is a refusal, not a crash
                refused = RefusedInput(f"parser error: {type(exc).__name__}: {exc}")
            else:
                out.format = parsed.format
                records = [(d, encode(d)) for d in parsed.dispatches]
                largest = max((len(v) for _, v in records), default=0)
                if largest > self.limits.record_bytes:
                    refused = RefusedInput(
                        record_too_large(largest, self.limits.record_bytes), stage="parse"
                    )
                else:
                    try:
                        for d, value in records:
                            futures.append(
                                self.producer.send(
                                    s.raw_topic,
                                    key=d.guid.encode(),
                                    value=value,
                                    headers=dispatch_headers(d),
                                )
                            )
                            out.guids.append(d.guid)
                        # Items of a multi-item document that could not become dispatches (a
                        # text item without text, ...): each dead-lettered with the document.
                        for i, reason in enumerate(parsed.skipped):
                            dl = DeadLetter.of(
                                data,
                                source=source,
                                stage="parse",
                                error=reason,
                                keep_bytes=s.dlq_payload_bytes,
                                fmt=parsed.format,
                            )
                            if replaying is not None and i == 0:
                                dl = again(replaying, dl)  # a replay updates its first letter
                            futures.append(
                                self.producer.send(
                                    s.dlq_topic, key=dl.id.encode(), value=encode(dl)
                                )
                            )
                        if wait:
                            for f in futures:
                                f.get(timeout=30)
                    except (MessageSizeTooLargeError, RecordListTooLargeError) as exc:
                        # The topic's own limit is lower than wirestream's (pipeline.limits)
                        refused = RefusedInput(broker_refused(s.raw_topic, str(exc)), stage="parse")
                    futures = []
        if refused is not None:
            dl = DeadLetter.of(
                data,
                source=source,
                stage=refused.stage,
                error=refused.reason,
                keep_bytes=s.dlq_payload_bytes,
                fmt=fmt,
                size=size,
                sha256=sha256,
            )
            if replaying is not None:
                dl = again(replaying, dl)
            futures.append(self.producer.send(s.dlq_topic, key=dl.id.encode(), value=encode(dl)))
            out.refused, out.dead_letter_id = refused.reason, dl.id
        if wait:
            for f in futures:
                f.get(timeout=30)
        metrics.CONNECTOR_DOCS.labels(self.connector, "refused" if refused else "published").inc()
        return out
