"""Format detection from content and the single entry point `parse_document`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from connectors.decode import check_size, decode_text
from connectors.errors import RefusedInput
from connectors.plaintext import parse_plaintext
from schemas import Dispatch

Parser = Callable[..., list[Dispatch]]

PARSERS: dict[str, Parser] = {
    "plaintext": parse_plaintext,
}


@dataclass(frozen=True)
class ParsedDocument:
    format: str
    dispatches: list[Dispatch]


def detect_format(text: str) -> str:
    """Decide the format from the content itself, never from a file name."""
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
    text = decode_text(data, encoding)
    if not text.strip():
        raise RefusedInput("empty document (only whitespace)", stage="decode")
    name = fmt or detect_format(text)
    parser = PARSERS.get(name)
    if parser is None:
        raise RefusedInput(f"unknown format {name!r}; known: {', '.join(sorted(PARSERS))}")
    dispatches = parser(text, source=source, received_at=received_at)
    if not dispatches:
        raise RefusedInput(f"no dispatch found in this {name} document")
    for d in dispatches:
        if not d.body and not d.headline:
            raise RefusedInput(f"{name} document has neither headline nor body text")
    return ParsedDocument(format=name, dispatches=dispatches)
