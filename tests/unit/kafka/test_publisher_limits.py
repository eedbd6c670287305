"""Every path refuses what is over the limits the same way (pipeline.kafka.publisher)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from kafka.errors import MessageSizeTooLargeError

from pipeline.http.bounded import read_bounded
from pipeline.kafka import publisher as publisher_module
from pipeline.kafka.publisher import Publisher
from pipeline.settings import Settings
from schemas import DeadLetter

PLAIN = (
    "Paris, 24 nov 2026 (AFP) - La start-up Mistral AI a levé 600 millions d'euros "
    "auprès de fonds américains, a-t-elle annoncé lundi.\n\nafp/rp"
)


class _Done:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> None:
        if self.error:
            raise self.error


class FakeProducer:
    def __init__(self, refuse_raw: bool = False) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.refuse_raw = refuse_raw

    def send(self, topic: str, key: bytes, value: bytes, headers: Any = None) -> _Done:
        if self.refuse_raw and topic.endswith(".raw"):
            return _Done(MessageSizeTooLargeError("over max.message.bytes"))
        self.sent.append((topic, value))
        return _Done()

    def flush(self, timeout: float | None = None) -> None: ...

    def close(self) -> None: ...


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(publisher_module, "ensure_topics", lambda s, **kw: None)
    return Settings(max_document_bytes=64 * 1024, dlq_payload_bytes=1024, topic_prefix="t")


def _letters(producer: FakeProducer) -> list[DeadLetter]:
    return [DeadLetter.model_validate_json(v) for t, v in producer.sent if t == "t.dlq"]


def test_a_document_over_the_limit_is_a_dead_letter_with_its_whole_size(
    settings: Settings,
) -> None:
    producer = FakeProducer()
    pub = Publisher(settings, "test", producer=producer)  # type: ignore[arg-type]
    head = b"x" * (settings.max_document_bytes + 1)  # what a source read of a 9 MB file
    out = pub.publish(head, "big.txt", size=9_000_000, sha256="cd" * 32)
    assert out.refused == "document is 8.6 MiB, over the 0.1 MiB limit (WIRE_MAX_DOCUMENT_BYTES)"
    [dl] = _letters(producer)
    assert (dl.payload_size, dl.payload_sha256, dl.stage) == (9_000_000, "cd" * 32, "decode")
    assert not [t for t, _ in producer.sent if t == "t.raw"]


def test_a_record_over_the_record_limit_is_refused_before_it_is_sent(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    producer = FakeProducer()
    pub = Publisher(settings, "test", producer=producer)  # type: ignore[arg-type]
    monkeypatch.setattr(pub, "limits", type("L", (), {"record_bytes": 100})())
    out = pub.publish(PLAIN.encode(), "small.txt")
    assert out.refused and "record limit" in out.refused
    [dl] = _letters(producer)
    assert dl.payload_size == len(PLAIN.encode())
    assert not [t for t, _ in producer.sent if t == "t.raw"]


def test_a_broker_refusal_is_a_dead_letter_not_a_crash(settings: Settings) -> None:
    producer = FakeProducer(refuse_raw=True)
    pub = Publisher(settings, "test", producer=producer)  # type: ignore[arg-type]
    out = pub.publish(PLAIN.encode(), "small.txt")
    assert out.refused and "Kafka refused the record" in out.refused
    [dl] = _letters(producer)
    assert dl.payload_size == len(PLAIN.encode())


def test_a_feed_entry_over_the_record_limit_is_dead_lettered(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from connectors.registry import parse_document

    producer = FakeProducer()
    pub = Publisher(settings, "poll", producer=producer)  # type: ignore[arg-type]
    [d] = parse_document(
        PLAIN.encode(), source="feed", received_at=datetime.now(UTC), max_bytes=10_000
    ).dispatches
    monkeypatch.setattr(pub, "limits", type("L", (), {"record_bytes": 100})())
    [dl] = pub.publish_dispatches([d])
    assert "record limit" in dl.error and _letters(producer)[0].id == dl.id
    assert orjson.loads(_letters(producer)[0].model_dump_json())["payload_size"] > 100


def test_an_http_body_is_read_whole_but_kept_bounded() -> None:
    async def chunks() -> Any:
        for _ in range(10):
            yield b"y" * 1000

    body = asyncio.run(read_bounded(chunks(), limit=2500))
    assert body.size == 10_000 and len(body.head) == 2501 and body.over(2500)
    import hashlib

    assert body.sha256 == hashlib.sha256(b"y" * 10_000).hexdigest()
