"""Format detection from content and the single entry point `parse_document`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from connectors.errors import RefusedInput
from connectors.formats.decode import check_size, decode_text, looks_binary
from connectors.formats.feeds import parse_atom, parse_rss
from connectors.formats.iptc7901 import parse_iptc7901
from connectors.formats.newsml12 import parse_newsml12
from connectors.formats.newsmlg2 import parse_newsmlg2
from connectors.formats.ninjs import parse_ninjs
from connectors.formats.nitf import parse_nitf
from connectors.formats.plaintext import parse_plaintext
from schemas import Dispatch

BytesParser = Callable[..., list[Dispatch]]

# Formats whose parser takes bytes (XML decides its own encoding; JSON is UTF-8).
BYTE_PARSERS: dict[str, BytesParser] = {
    "nitf": parse_nitf,
    "newsml-1.2": parse_newsml12,
    "newsml-g2": parse_newsmlg2,
    "rss": parse_rss,
    "atom": parse_atom,
    "ninjs": parse_ninjs,
}
# Formats whose parser takes decoded text.
TEXT_PARSERS: dict[str, BytesParser] = {
    "iptc7901": parse_iptc7901,
    "plaintext": parse_plaintext,
}
FORMATS = sorted(BYTE_PARSERS | TEXT_PARSERS)

_ROOT = re.compile(rb"<(?!\?|!)(?:[\w.-]+:)?([\w.-]+)")


@dataclass(frozen=True)
class ParsedDocument:
    format: str
    dispatches: list[Dispatch]


def detect_format(data: bytes) -> str:
    """Decide the format from the content itself, never from a file name."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "ninjs"
    if b"\x01" in head[:64]:
        return "iptc7901"
    if head.startswith(b"<"):
        m = _ROOT.search(head)
        root = m.group(1).decode("ascii", "replace").lower() if m else ""
        return {
            "nitf": "nitf",
            "newsml": "newsml-1.2",
            "newsitem": "newsml-g2",
            "newsmessage": "newsml-g2",
            "rss": "rss",
            "feed": "atom",
            "entry": "atom",
        }.get(root, "xml")
    return "plaintext"


def parse_document(
    data: bytes,
    *,
    source: str,
    received_at: datetime,
    max_bytes: int,
    encoding: str | None = None,
    fmt: str | None = None,
) -> ParsedDocument:
    """Bytes in, Dispatches out, or RefusedInput with a one-line reason."""
    check_size(data, max_bytes)
    if looks_binary(data):
        raise RefusedInput("binary content, not a text, XML or JSON document", stage="decode")
    name = fmt or detect_format(data)
    if name == "xml":
        raise RefusedInput(
            "XML document of an unknown kind (expected nitf, NewsML, newsItem, rss or feed root)"
        )
    if name in BYTE_PARSERS:
        dispatches = BYTE_PARSERS[name](data, source=source, received_at=received_at)
    elif name in TEXT_PARSERS:
        text = decode_text(data, encoding)
        if not text.strip():
            raise RefusedInput("empty document (only whitespace)", stage="decode")
        dispatches = TEXT_PARSERS[name](text, source=source, received_at=received_at)
    else:
        raise RefusedInput(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    if not dispatches:
        raise RefusedInput(f"no dispatch found in this {name} document")
    for d in dispatches:
        if not d.body and not d.headline:
            raise RefusedInput(f"{name} dispatch {d.guid} has neither headline nor body text")
    return ParsedDocument(format=name, dispatches=dispatches)
