"""RSS 2.0 and Atom feeds: one Dispatch per item / entry."""

from __future__ import annotations

from datetime import datetime

from connectors.errors import RefusedInput
from connectors.formats.common import (
    Element,
    attr,
    children,
    descendants,
    finish,
    first,
    html_paragraphs,
    local,
    parse_datetime,
    parse_xml,
    text,
)
from connectors.formats.plaintext import stable_guid
from schemas import Dispatch, Subject


def _raw_text(el: Element | None) -> str:
    """Element text with any XHTML children kept as markup-free text."""
    if el is None:
        return ""
    return "".join(el.itertext())


def parse_rss(data: bytes, *, source: str, received_at: datetime) -> list[Dispatch]:
    root = parse_xml(data)
    channel = first(root, "channel")
    language = text(first(channel, "language"))
    items = children(channel, "item") if channel is not None else []
    if not items:
        raise RefusedInput("RSS feed has no item")
    out = []
    for item in items:
        title = text(first(item, "title"))
        body = html_paragraphs(
            _raw_text(first(item, "encoded")) or _raw_text(first(item, "description"))
        )
        guid = text(first(item, "guid")) or text(first(item, "link"))
        out.append(
            finish(
                body,
                received_at,
                guid=guid or stable_guid("rss", " ".join([title or "", *body])),
                versioncreated=parse_datetime(text(first(item, "pubDate"))),
                headline=title,
                subjects=[
                    Subject(code=c, scheme="keyword")
                    for cat in children(item, "category")
                    if (c := text(cat))
                ],
                language=(language or "").split("-")[0] or None,
                format="rss",
                source=source,
            )
        )
    return out


def parse_atom(data: bytes, *, source: str, received_at: datetime) -> list[Dispatch]:
    root = parse_xml(data)
    entries = children(root, "entry") if local(root.tag) == "feed" else [root]
    if not entries:
        raise RefusedInput("Atom feed has no entry")
    feed_lang = attr(root, "lang")
    out = []
    for entry in entries:
        title = text(first(entry, "title"))
        content = first(entry, "content") or first(entry, "summary")
        body = html_paragraphs(_raw_text(content))
        if content is not None and len(content):  # type="xhtml": paragraphs are elements
            body = [t for p in descendants(content, "p") if (t := text(p))] or body
        ident = text(first(entry, "id"))
        out.append(
            finish(
                body,
                received_at,
                guid=ident or stable_guid("atom", " ".join([title or "", *body])),
                versioncreated=parse_datetime(
                    text(first(entry, "updated")) or text(first(entry, "published"))
                ),
                firstcreated=parse_datetime(text(first(entry, "published"))),
                headline=title,
                subjects=[
                    Subject(code=t, scheme="keyword")
                    for c in children(entry, "category")
                    if (t := attr(c, "term"))
                ],
                language=(attr(entry, "lang") or feed_lang or "").split("-")[0] or None,
                format="atom",
                source=source,
            )
        )
    return out
