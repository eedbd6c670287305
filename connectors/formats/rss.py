"""RSS 2.0 (and RSS 1.0 / RDF) feeds: one Dispatch per item."""

from __future__ import annotations

import re

from connectors.errors import RefusedInput
from connectors.formats.base import Context, Parsed, each_item, xml_root
from connectors.formats.common import (
    Element,
    byline_name,
    children,
    descendants,
    finish,
    first,
    html_paragraphs,
    parse_datetime,
    parse_xml,
    text,
)
from connectors.formats.plaintext import stable_guid
from schemas import Dispatch, Subject

NAME = "rss"


def sniff(head: bytes) -> bool:
    return xml_root(head) in ("rss", "rdf")


def raw_text(el: Element | None) -> str:
    """Element text with any XHTML children kept as markup-free text."""
    if el is None:
        return ""
    return "".join(el.itertext())


def _author(item: Element) -> str | None:
    """Dublin Core's creator, else RSS's author ('news@wire.example (Anna Smith)' -> the
    name); an agency named as author is the provider, not a byline."""
    author = text(first(item, "creator")) or text(first(item, "author"))
    if author and (m := re.search(r"\(([^)]+)\)\s*$", author)) and "@" in author:
        author = m.group(1)
    return None if not author or "@" in author else byline_name(author)


def _item(item: Element, language: str | None, ctx: Context) -> Dispatch:
    title = text(first(item, "title"))
    body = html_paragraphs(raw_text(first(item, "encoded")) or raw_text(first(item, "description")))
    if not body:
        raise RefusedInput(f"RSS item {title or ''!r} has no text (no description)")
    guid = text(first(item, "guid")) or text(first(item, "link"))
    return finish(
        body,
        ctx.received_at,
        guid=guid or stable_guid("rss", " ".join([title or "", *body])),
        versioncreated=parse_datetime(text(first(item, "pubDate")) or text(first(item, "date"))),
        headline=title,
        byline=_author(item),
        subjects=[
            Subject(code=c, scheme="keyword")
            for cat in children(item, "category")
            if (c := text(cat))
        ],
        language=(language or "").split("-")[0] or None,
        format=NAME,
        source=ctx.source,
    )


def parse(data: bytes, ctx: Context) -> Parsed:
    root = parse_xml(data)
    channel = first(root, "channel")
    language = text(first(channel, "language"))
    items = children(channel, "item") if channel is not None else []
    items = items or descendants(root, "item")  # RSS 1.0: items beside the channel
    if not items:
        raise RefusedInput("RSS feed has no item")
    return each_item(items, lambda i: _item(i, language, ctx), "RSS item")
