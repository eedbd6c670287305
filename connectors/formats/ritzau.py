"""Ritzau's XML (Danish news agency): RBNews items, alone or in a queued response.

    <RBNews> NewsID, PublishDate, strapline, headline, subtitle, town, origin, section,
             version, Priority, content (escaped HTML), byLine,
             Annuleret (killed), Korrektion (correction), NyVersion (update)
    <XMLNewsQueuedResponse>/.../<ListOfRBNews><RBNews/>... : one dispatch per item

A flash has a nil headline: the first sentence of its text becomes the headline.
Entities come escaped twice at times ('&amp;apos;'): resolved by common.clean.
"""

from __future__ import annotations

from connectors.errors import RefusedInput
from connectors.formats.base import Context, Parsed, each_item, xml_root
from connectors.formats.common import (
    Element,
    derive_headline,
    descendants,
    finish,
    first,
    html_paragraphs,
    local,
    parse_datetime,
    parse_xml,
    text,
)
from schemas import Dateline, Dispatch, EditKind, PubStatus, Subject

NAME = "ritzau-xml"
ROOTS = ("rbnews", "xmlnewsqueuedresponse", "listofrbnews", "xmlnewsqueuedresult")


def sniff(head: bytes) -> bool:
    return xml_root(head) in ROOTS


def _flag(item: Element, name: str) -> bool:
    return (text(first(item, name)) or "").lower() == "true"


def _item(item: Element, ctx: Context) -> Dispatch:
    guid = text(first(item, "NewsID"))
    if not guid:
        raise RefusedInput("Ritzau RBNews without a NewsID")
    content_el = first(item, "content")
    content = "".join(content_el.itertext()) if content_el is not None else ""
    body = html_paragraphs(content)
    headline = text(first(item, "headline"))
    subtitle = text(first(item, "subtitle"))
    killed = _flag(item, "Annuleret")
    if not body and subtitle:
        body = [subtitle]
    if not body and not killed:
        raise RefusedInput(f"Ritzau item {guid} has no text (empty content)")
    if not headline and body:
        headline = derive_headline(body[0])  # a flash: no headline of its own
    raw_version = text(first(item, "version")) or "1"
    version = int(raw_version) if raw_version.isdigit() and int(raw_version) >= 1 else 1
    kind = (
        EditKind.kill if killed
        else EditKind.correction if _flag(item, "Korrektion")
        else EditKind.update if _flag(item, "NyVersion") or version > 1
        else EditKind.original
    )  # fmt: skip
    priority = text(first(item, "Priority"))
    origin = text(first(item, "origin")) or ""
    section = text(first(item, "section"))
    codes = [t for el in descendants(item, "IPTCList") for c in el if (t := text(c))]
    return finish(
        body,
        ctx.received_at,
        guid=f"urn:ritzau:{guid}",
        version=version,
        versioncreated=parse_datetime(text(first(item, "PublishDate"))),
        pubstatus=PubStatus.canceled if killed else PubStatus.usable,
        edit_kind=kind,
        urgency=int(priority)
        if priority and priority.isdigit() and 1 <= int(priority) <= 9
        else None,
        headline=headline,
        slugline=text(first(item, "strapline")),
        dateline=Dateline(place=text(first(item, "town"))),
        credit=origin.strip("/ ") or None,
        provider="Ritzau",
        subjects=[Subject(code=c, scheme="subj") for c in codes]
        + ([Subject(code=section, scheme="ritzau-section")] if section else []),
        format=NAME,
        source=ctx.source,
    )


def parse(data: bytes, ctx: Context) -> Parsed:
    root = parse_xml(data)
    items = [root] if local(root.tag) == "RBNews" else descendants(root, "RBNews")
    if not items:
        raise RefusedInput("Ritzau XML without an RBNews item")
    return each_item(items, lambda i: _item(i, ctx), "RBNews")
