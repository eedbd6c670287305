"""Atom feeds and entries: one Dispatch per entry.

WENN-style Atom (entertainment wire) puts its own metadata beside each entry:
wenn_cm:ContentMetadata (title, first_line) and wenn_nm:NewsManagement
(original_article_id, published, updated); its content is plain text with blank
lines between paragraphs. Those fields fill in what the Atom elements leave out.
"""

from __future__ import annotations

from connectors.errors import RefusedInput
from connectors.formats.agencies import known_agency
from connectors.formats.base import Context, Parsed, each_item, xml_root
from connectors.formats.common import (
    Element,
    attr,
    byline_name,
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
from connectors.formats.rss import raw_text
from schemas import Dispatch, Subject

NAME = "atom"
WENN_NS = "feed.wenn.com/xmlns"


def sniff(head: bytes) -> bool:
    return xml_root(head) in ("feed", "entry")


def _is_wenn(root: Element) -> bool:
    return any(WENN_NS in str(el.tag) for el in root.iter())


def _item(entry: Element, feed_lang: str | None, wenn: bool, ctx: Context) -> Dispatch:
    cm = first(entry, "ContentMetadata")
    nm = first(entry, "NewsManagement")
    title = text(first(entry, "title")) or text(first(cm, "title"))
    content = first(entry, "content")
    if content is None or not raw_text(content).strip():
        content = first(entry, "summary")
    body = html_paragraphs(raw_text(content))
    if content is not None and len(content):  # type="xhtml": paragraphs are elements
        body = [t for p in descendants(content, "p") if (t := text(p))] or body
    if not body:
        raise RefusedInput(f"Atom entry {title or ''!r} has no content")
    ident = text(first(nm, "original_article_id")) or text(first(entry, "id"))
    updated = text(first(entry, "updated")) or text(first(nm, "updated"))
    published = text(first(entry, "published")) or text(first(nm, "published"))
    author = text(first(entry, "author", "name"))
    return finish(
        body,
        ctx.received_at,
        guid=ident or stable_guid("atom", " ".join([title or "", *body])),
        versioncreated=parse_datetime(updated or published),
        firstcreated=parse_datetime(published),
        headline=title,
        subjects=[
            Subject(code=t, scheme="keyword")
            for c in children(entry, "category")
            if (t := attr(c, "term"))
        ],
        provider="WENN" if wenn else known_agency(author),
        byline=byline_name(author),
        language=(attr(entry, "lang") or feed_lang or "").split("-")[0] or None,
        format=NAME,
        source=ctx.source,
    )


def parse(data: bytes, ctx: Context) -> Parsed:
    root = parse_xml(data)
    entries = children(root, "entry") if local(root.tag) == "feed" else [root]
    if not entries:
        raise RefusedInput("Atom feed has no entry")
    wenn = _is_wenn(root)
    feed_lang = attr(root, "lang")
    return each_item(entries, lambda e: _item(e, feed_lang, wenn, ctx), "Atom entry")
