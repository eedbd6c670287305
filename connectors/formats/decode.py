"""Bytes to text, refusing what is not text instead of guessing silently."""

from __future__ import annotations

import codecs

from connectors.errors import RefusedInput
from pipeline.limits import document_too_large

# Control characters that legitimately appear in wire copy: tab, LF, CR, and the
# IPTC 7901 / ANPA 1312 framing characters SOH, STX, ETX, EOT, SYN, DC1-DC4, US, plus form feed.
_ALLOWED_CONTROLS = {
    0x09,
    0x0A,
    0x0D,
    0x01,
    0x02,
    0x03,
    0x04,
    0x0C,
    0x11,
    0x12,
    0x13,
    0x14,
    0x16,
    0x1E,
    0x1F,
}


def check_size(data: bytes, max_bytes: int) -> None:
    if not data.strip():
        raise RefusedInput("empty document (0 bytes of content)", stage="decode")
    if len(data) > max_bytes:
        raise RefusedInput(document_too_large(len(data), max_bytes), stage="decode")


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 0x20 and b not in _ALLOWED_CONTROLS)
    return controls > max(8, len(sample) // 100)


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """Decode a text document. UTF-8 (with or without BOM) unless `encoding` is given.

    A document that is not valid UTF-8 is refused with the offset of the first bad
    byte and a hint, rather than decoded as mojibake.
    """
    if looks_binary(data):
        raise RefusedInput("binary content, not a text or XML document", stage="decode")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise RefusedInput(f"unknown encoding {encoding!r}", stage="decode") from exc
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise RefusedInput(f"not valid {encoding} at byte {exc.start}", stage="decode") from exc
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RefusedInput(f"not valid UTF-16 at byte {exc.start}", stage="decode") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            data.decode("cp1252")
            hint = " (looks like Latin-1/CP1252: re-encode to UTF-8 or pass --encoding cp1252)"
        except UnicodeDecodeError:
            pass
        raise RefusedInput(f"not valid UTF-8 at byte {exc.start}{hint}", stage="decode") from exc
