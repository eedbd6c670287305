"""How big a document may be, and everything that follows from it: one story.

`WIRE_MAX_DOCUMENT_BYTES` (default 5 MiB) is the one limit a user sets: the largest
document a source may hand in (a file, an HTTP body, a feed). Everything else is derived
from it here, so that nothing between the source and the index refuses what the limit
lets in:

- a document becomes one or more Dispatch records on the raw topic (JSON); a record may
  be larger than its document (quotes and control characters are escaped, metadata
  added), up to `record_bytes` = 2 x the document limit + 64 KiB. A record above that
  is refused before it is sent, as a dead letter with its reason;
- producers send with gzip compression and `max.request.size` = `request_bytes`
  (a record plus its batch framing);
- every topic is created with `max.message.bytes` = `request_bytes` (Kafka checks it on
  the compressed batch; a broker's own default is ~1 MB), and an existing topic with a
  lower value is raised to it at start (pipeline.kafka.client.ensure_topics);
- consumers need nothing: Kafka returns a record larger than the fetch size on its own.

Anything over a limit goes to the dead-letter topic with `payload_size` = the size of the
whole document, on every path (CLI, drop folder, feed poller, HTTP 413).
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024
RECORD_OVERHEAD = 64 * 1024  # metadata around the text in a record (headline, ids, dates)
BATCH_OVERHEAD = 64 * 1024  # a producer batch's framing and headers around one record
COMPRESSION = "gzip"  # built into every Kafka client here; lz4/zstd need extra packages


@dataclass(frozen=True)
class Limits:
    document_bytes: int

    @property
    def record_bytes(self) -> int:
        """The largest Dispatch record (JSON) a producer may send to the raw topic."""
        return 2 * self.document_bytes + RECORD_OVERHEAD

    @property
    def request_bytes(self) -> int:
        """Producers' `max.request.size` and topics' `max.message.bytes`."""
        return self.record_bytes + BATCH_OVERHEAD

    def topic_configs(self) -> dict[str, str]:
        return {"max.message.bytes": str(self.request_bytes)}


def mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB"


def document_too_large(size: int, limit: int) -> str:
    """The one-line reason every path gives for a document over WIRE_MAX_DOCUMENT_BYTES."""
    return f"document is {mib(size)}, over the {mib(limit)} limit (WIRE_MAX_DOCUMENT_BYTES)"


def record_too_large(size: int, limit: int) -> str:
    """The reason for a parsed dispatch whose record would exceed the record limit."""
    return (
        f"dispatch record is {mib(size)} once parsed, over the {mib(limit)} record limit "
        "(2 x WIRE_MAX_DOCUMENT_BYTES + 64 KiB)"
    )


def broker_refused(topic: str, error: str) -> str:
    """Kafka refused a record the limits let through: the topic's own limit is lower."""
    return (
        f"Kafka refused the record for {topic}: {error} (the topic's max.message.bytes is "
        "below wirestream's; let the worker raise it, or raise it by hand)"
    )


# Entities and events are extracted from a dispatch's first EXTRACT_MAX_CHARS characters
# (spaCy refuses more than 1,000,000 in one text, and time and memory grow with it; a wire
# dispatch is rarely over 10,000). The whole text is kept and indexed.
EXTRACT_MAX_CHARS = 200_000


def nlp_body(body: list[str], max_chars: int = EXTRACT_MAX_CHARS) -> list[str]:
    """The paragraphs whose text ("\\n\\n"-joined) is the first `max_chars` characters of
    the whole: the same prefix, so offsets found in it hold in the whole text."""
    out: list[str] = []
    used = 0
    for paragraph in body:
        room = max_chars - used - (2 if out else 0)
        if room <= 0:
            break
        out.append(paragraph[:room])
        used += len(out[-1]) + (2 if len(out) > 1 else 0)
    return out
