"""Format detection from content and the single entry point `parse_document`.

Each format is a module of `connectors.formats` (NAME, sniff, parse; see
`connectors.formats.base`). They are asked in order, most specific first: JSON, the
framed wire formats (ANPA 1312 before IPTC 7901, both before e-mail), the XML
vocabularies by their root element, and plain wire copy last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from connectors.errors import RefusedInput
from connectors.formats import (
    anpa1312,
    atom,
    iptc7901,
    newsml12,
    newsmlg2,
    ninjs,
    nitf,
    plaintext,
    rfc822,
    ritzau,
    rss,
)
from connectors.formats.base import Context, FormatModule, xml_root
from connectors.formats.common import derive_headline
from connectors.formats.decode import check_size, looks_binary
from connectors.language import detect_language, normalise_language
from schemas import Dispatch, ItemType, PubStatus

MODULES: tuple[FormatModule, ...] = (
    ninjs,
    anpa1312,
    iptc7901,
    rfc822,
    nitf,
    newsml12,
    newsmlg2,
    ritzau,
    rss,
    atom,
    plaintext,  # the fallback: sniffs everything
)
BY_NAME: dict[str, FormatModule] = {m.NAME: m for m in MODULES}
FORMATS = sorted(BY_NAME)
ALIASES = {
    "anpa": "anpa1312", "7901": "iptc7901", "newsml": "newsml-1.2", "newsml12": "newsml-1.2",
    "g2": "newsml-g2", "newsmlg2": "newsml-g2", "json": "ninjs", "ritzau": "ritzau-xml",
    "wenn": "atom", "rfc822": "email", "eml": "email", "mail": "email", "text": "plaintext",
}  # fmt: skip
HEAD_BYTES = 4096


@dataclass(frozen=True)
class ParsedDocument:
    format: str
    dispatches: list[Dispatch]
    # Items of a multi-item document left out (not news, no text), each with its reason.
    skipped: list[str] = field(default_factory=list)


def detect_format(data: bytes) -> str:
    """Decide the format from the content itself, never from a file name."""
    head = data[:HEAD_BYTES]
    for module in MODULES[:-1]:
        if module.sniff(head):
            return module.NAME
    if xml_root(head) is not None:
        return "xml"
    return plaintext.NAME


def _finish(d: Dispatch) -> Dispatch:
    """What every format gets: a language (its own, normalised, else detected) and a
    headline (the lead's first sentence when the format gave none)."""
    update: dict[str, object] = {}
    language = normalise_language(d.language)
    if language is None:
        language = detect_language(" ".join([d.headline or "", *d.body]))
    if language != d.language:
        update["language"] = language
    if not d.headline and d.body:
        update["headline"] = derive_headline(d.body[0])
    return d.model_copy(update=update) if update else d


def _has_text(d: Dispatch) -> bool:
    """A text item needs a body; a kill notice may be a headline alone."""
    killed = d.pubstatus is not PubStatus.usable
    return bool(d.body) or killed or (d.type is not ItemType.text and bool(d.headline))


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
    name = ALIASES.get(fmt or "", fmt) if fmt else detect_format(data)
    if name == "xml":
        raise RefusedInput(
            "XML document of an unknown kind (expected nitf, NewsML, newsItem, newsMessage, "
            "RBNews, rss or feed root)",
            format="xml",
        )
    module = BY_NAME.get(name)
    if module is None:
        raise RefusedInput(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    try:
        parsed = module.parse(data, Context(source, received_at, encoding))
        dispatches: list[Dispatch] = []
        skipped = list(parsed.skipped)
        for d in parsed.dispatches:
            if _has_text(d):
                dispatches.append(_finish(d))
            else:
                skipped.append(f"{name} item {d.guid} has a headline but no body text")
        if not dispatches:
            reason = skipped[0] if skipped else f"no dispatch found in this {name} document"
            more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
            raise RefusedInput(reason + more)
    except RefusedInput as exc:
        exc.format = exc.format or name
        raise
    return ParsedDocument(format=name, dispatches=dispatches, skipped=skipped)
