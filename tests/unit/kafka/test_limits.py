"""One story for sizes (pipeline.limits): the document limit and what follows from it."""

from __future__ import annotations

import orjson

from pipeline.limits import MIB, Limits, document_too_large, record_too_large
from schemas import DeadLetter


def test_every_size_follows_from_the_document_limit() -> None:
    limits = Limits(5 * MIB)
    assert limits.record_bytes == 10 * MIB + 64 * 1024
    assert limits.request_bytes == limits.record_bytes + 64 * 1024
    assert limits.topic_configs() == {"max.message.bytes": str(limits.request_bytes)}


def test_a_document_at_the_limit_fits_a_record_even_when_escaped() -> None:
    """Quotes and backslashes double in JSON; the record limit allows for it."""
    limits = Limits(1 * MIB)
    text = '"\\' * (MIB // 2)  # 1 MiB of the worst common case
    record = orjson.dumps({"guid": "g", "body": [text], "headline": "h"})
    assert len(text.encode()) == MIB
    assert len(record) <= limits.record_bytes


def test_reasons_name_the_sizes_and_the_setting() -> None:
    assert document_too_large(2_200_000, 1_048_576) == (
        "document is 2.1 MiB, over the 1.0 MiB limit (WIRE_MAX_DOCUMENT_BYTES)"
    )
    assert "record limit" in record_too_large(11 * MIB, 10 * MIB)


def test_a_dead_letter_of_a_beginning_keeps_the_whole_documents_size() -> None:
    head = b"x" * 1000
    dl = DeadLetter.of(
        head,
        source="f",
        stage="decode",
        error="too big",
        keep_bytes=100,
        size=9_000_000,
        sha256="ab" * 32,
    )
    assert dl.payload_size == 9_000_000
    assert dl.payload_sha256 == "ab" * 32
    assert dl.truncated
    whole = DeadLetter.of(head, source="f", stage="decode", error="x", keep_bytes=5000)
    assert whole.payload_size == 1000 and not whole.truncated


def test_the_nlp_view_of_a_long_body_is_a_prefix_of_its_text() -> None:
    from pipeline.limits import nlp_body

    body = ["a" * 50, "b" * 50, "c" * 50]
    text = "\n\n".join(body)
    for cap in (10, 50, 51, 52, 53, 100, 120, 154, 1000):
        cut = "\n\n".join(nlp_body(body, cap))
        assert len(cut) <= cap and text.startswith(cut.rstrip("\n"))
    assert nlp_body(body, 1000) == body
    assert nlp_body(["x" * 300], 100) == ["x" * 100]
