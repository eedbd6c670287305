"""NewsML-G2 2.x: a newsItem alone, or a newsMessage carrying several items.

Each newsItem is a dispatch: guid + version, itemMeta (itemClass, provider, pubStatus,
signal update/correction, edNote), contentMeta (urgency, headline, slugline, dateline,
located, subject qcodes incl. IPTC Media Topics, language, description) and its
content: an inlineXML body in NITF or XHTML, inlineData text, or, for a picture,
video or graphic, remoteContent renditions with the description as caption.

A packageItem groups items: each newsItem it references (itemRef/@residref) carries
the package guid in `packages`. conceptItem, knowledgeItem, planningItem and
catalogItem are refused as "not a news item" (left aside inside a newsMessage).
"""

from __future__ import annotations

from connectors.errors import RefusedInput
from connectors.formats.agencies import agency_name
from connectors.formats.base import Context, Parsed, each_item, xml_root
from connectors.formats.common import (
    Element,
    attr,
    block_paragraphs,
    byline_name,
    children,
    clean,
    dateline_from_text,
    descendants,
    finish,
    first,
    html_paragraphs,
    is_kill_advisory,
    local,
    parse_datetime,
    parse_xml,
    text,
)
from schemas import Dispatch, EditKind, ItemType, PubStatus, Rendition, Subject

NAME = "newsml-g2"
NEWS = "newsItem"
PACKAGE = "packageItem"
NOT_NEWS = ("conceptItem", "knowledgeItem", "planningItem", "catalogItem")
ROOTS = {n.lower() for n in (NEWS, PACKAGE, "newsMessage", *NOT_NEWS)}
ITEM_CLASSES = {
    "text": ItemType.text,
    "picture": ItemType.picture,
    "photo": ItemType.picture,
    "video": ItemType.video,
    "audio": ItemType.audio,
    "graphic": ItemType.graphic,
}


def sniff(head: bytes) -> bool:
    return xml_root(head) in ROOTS


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _body(item: Element) -> list[str]:
    """Paragraphs of the first inline content that has text: NITF or XHTML inlineXML,
    else inlineData (plain text or escaped HTML)."""
    for inline in descendants(item, "inlineXML"):
        body = next(
            (b for name in ("body.content", "body") for b in descendants(inline, name)), None
        )
        paras = block_paragraphs(body if body is not None else inline)
        if paras:
            return paras
    for data in descendants(item, "inlineData"):
        raw = "".join(data.itertext())
        paras = (
            html_paragraphs(raw)
            if "<" in raw
            else [t for b in raw.split("\n\n") if (t := clean(b))]
        )
        if paras:
            return paras
    return []


def _renditions(item: Element) -> list[Rendition]:
    return [
        Rendition(
            name=(attr(rc, "rendition") or "main").split(":")[-1],
            href=attr(rc, "href") or attr(rc, "residref"),
            mimetype=attr(rc, "contenttype"),
            width=_int(attr(rc, "width")),
            height=_int(attr(rc, "height")),
        )
        for rc in descendants(item, "remoteContent")
    ]


def _item(item: Element, ctx: Context, packages: dict[str, list[str]]) -> Dispatch:
    guid = attr(item, "guid")
    if not guid:
        raise RefusedInput("NewsML-G2 newsItem without a guid attribute")
    meta = first(item, "itemMeta")
    cmeta = first(item, "contentMeta")
    status = (attr(first(meta, "pubStatus"), "qcode") or "stat:usable").split(":")[-1].lower()
    signals = (
        " ".join((attr(s, "qcode") or "").lower() for s in children(meta, "signal"))
        if meta is not None
        else ""
    )
    ed_note = text(first(meta, "edNote"))
    headline = text(first(cmeta, "headline"))
    killed = (
        status in ("canceled", "withheld") or is_kill_advisory(ed_note) or "sig:kill" in signals
    )
    raw_version = attr(item, "version") or "1"
    version = int(raw_version) if raw_version.isdigit() and int(raw_version) >= 1 else 1
    if killed:
        kind = EditKind.kill
    elif "correction" in signals:
        kind = EditKind.correction
    elif "update" in signals or version > 1:
        kind = EditKind.update
    else:
        kind = EditKind.original
    item_class = (attr(first(meta, "itemClass"), "qcode") or "ninat:text").split(":")[-1].lower()
    item_type = ITEM_CLASSES.get(item_class, ItemType.text)
    created = parse_datetime(text(first(meta, "versionCreated")))
    dateline, credit = dateline_from_text(
        text(first(cmeta, "dateline")), created or ctx.received_at
    )
    located = text(first(cmeta, "located", "name"))
    if located and not dateline.place:
        dateline = dateline.model_copy(update={"place": located})
    subjects = []
    for s in children(cmeta, "subject") if cmeta is not None else []:
        code = attr(s, "qcode")
        if code:
            scheme = code.split(":")[0] if ":" in code else None
            subjects.append(Subject(code=code, name=text(first(s, "name")), scheme=scheme))
    body = _body(item)
    renditions: list[Rendition] = []
    if item_type is not ItemType.text:
        renditions = _renditions(item)
        if not body:
            captions = children(cmeta, "description") if cmeta is not None else []
            caption = next(
                (text(d) for d in captions if "caption" in (attr(d, "role") or "")), None
            ) or next((t for d in captions if (t := text(d))), None)
            body = [caption] if caption else ([headline] if headline else [])
        if not body:
            raise RefusedInput(f"NewsML-G2 {item_type.value} item {guid} has no caption")
    elif not body and not killed:
        if descendants(item, "remoteContent"):
            raise RefusedInput(
                f"NewsML-G2 text item {guid} gives its text by reference (remoteContent), "
                "not inline"
            )
        raise RefusedInput(f"NewsML-G2 text item {guid} has no body text")
    if not headline and len(body) == 1 and item_type is ItemType.text:
        headline = body[0]  # an alert: one line, no headline
    language = (
        attr(first(cmeta, "language"), "tag")
        or attr(item, "lang")
        or next((lang for i in descendants(item, "inlineXML") if (lang := attr(i, "lang"))), None)
    )
    provider_el = first(meta, "provider")
    provider = agency_name(attr(provider_el, "qcode")) or agency_name(
        attr(provider_el, "literal") or text(provider_el)
    )
    urgency = text(first(cmeta, "urgency"))
    return finish(
        body,
        ctx.received_at,
        guid=guid,
        version=version,
        versioncreated=created,
        firstcreated=parse_datetime(text(first(meta, "firstCreated"))),
        pubstatus=PubStatus.withheld
        if status == "withheld"
        else PubStatus.canceled
        if killed
        else PubStatus.usable,
        edit_kind=kind,
        urgency=int(urgency) if urgency and urgency.isdigit() and 1 <= int(urgency) <= 9 else None,
        headline=headline,
        slugline=text(first(cmeta, "slugline")),
        dateline=dateline,
        credit=credit or text(first(cmeta, "creditline")),
        byline=byline_name(text(first(cmeta, "by"))),
        provider=provider,
        subjects=subjects,
        language=language,
        type=item_type,
        renditions=renditions,
        packages=packages.get(guid, []),
        format=NAME,
        source=ctx.source,
    )


def parse(data: bytes, ctx: Context) -> Parsed:
    root = parse_xml(data)
    kinds = (NEWS, PACKAGE, *NOT_NEWS)
    items = [root] if local(root.tag) in kinds else [
        el for el in root.iter() if local(el.tag) in kinds
    ]  # fmt: skip
    news = [i for i in items if local(i.tag) == NEWS]
    pkgs = [i for i in items if local(i.tag) == PACKAGE]
    other = [i for i in items if local(i.tag) in NOT_NEWS]
    packages: dict[str, list[str]] = {}
    for pkg in pkgs:
        pkg_guid = attr(pkg, "guid")
        for ref in descendants(pkg, "itemRef"):
            if pkg_guid and (target := attr(ref, "residref")):
                packages.setdefault(target, []).append(pkg_guid)
    if not news:
        if pkgs:
            refs = sum(len(descendants(p, "itemRef")) for p in pkgs)
            raise RefusedInput(
                f"NewsML-G2 packageItem is not a news item: it groups {refs} item(s) "
                "sent as their own newsItems"
            )
        if other:
            raise RefusedInput(f"NewsML-G2 {local(other[0].tag)} is not a news item")
        raise RefusedInput("NewsML-G2 document has no newsItem")
    # Beside news items, the others (concepts, plans) are simply not dispatches.
    return each_item(news, lambda i: _item(i, ctx, packages), NEWS)
