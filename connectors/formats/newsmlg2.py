"""NewsML-G2 2.x newsItem (alone or in a newsMessage): guid + version, itemMeta
(pubStatus, signal update/correction, edNote), contentMeta (urgency, headline,
slugline, dateline, located, subject qcodes incl. IPTC Media Topics, language),
and an inlineXML body in NITF or XHTML."""

from __future__ import annotations

from datetime import datetime

from connectors.errors import RefusedInput
from connectors.formats.common import (
    Element,
    attr,
    block_paragraphs,
    children,
    dateline_from_text,
    descendants,
    finish,
    first,
    is_kill_advisory,
    parse_datetime,
    parse_xml,
    text,
)
from schemas import Dispatch, EditKind, PubStatus, Subject


def _item(item: Element, source: str, received_at: datetime) -> Dispatch:
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
    if killed:
        kind = EditKind.kill
    elif "correction" in signals:
        kind = EditKind.correction
    elif "update" in signals or int(attr(item, "version") or 1) > 1:
        kind = EditKind.update
    else:
        kind = EditKind.original
    created = parse_datetime(text(first(meta, "versionCreated")))
    dateline, credit = dateline_from_text(text(first(cmeta, "dateline")), created or received_at)
    located = text(first(cmeta, "located", "name"))
    if located and not dateline.place:
        dateline = dateline.model_copy(update={"place": located})
    subjects = []
    for s in children(cmeta, "subject") if cmeta is not None else []:
        code = attr(s, "qcode")
        if code:
            scheme = code.split(":")[0] if ":" in code else None
            subjects.append(Subject(code=code, name=text(first(s, "name")), scheme=scheme))
    body_root = next(iter(descendants(item, "inlineXML")), None)
    body = next(
        (b for name in ("body.content", "body") for b in descendants(body_root, name)), None
    ) if body_root is not None else None  # fmt: skip
    language = attr(first(cmeta, "language"), "tag") or attr(item, "lang")
    urgency = text(first(cmeta, "urgency"))
    version = attr(item, "version") or "1"
    return finish(
        block_paragraphs(body),
        received_at,
        guid=guid,
        version=int(version) if version.isdigit() and int(version) >= 1 else 1,
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
        provider=(attr(first(meta, "provider"), "qcode") or "").split(":")[-1].upper() or None,
        subjects=subjects,
        language=language,
        format="newsml-g2",
        source=source,
    )


def parse_newsmlg2(data: bytes, *, source: str, received_at: datetime) -> list[Dispatch]:
    root = parse_xml(data)
    items = [root] if root.tag.endswith("newsItem") else descendants(root, "newsItem")
    if not items:
        raise RefusedInput("NewsML-G2 document has no newsItem")
    return [_item(i, source, received_at) for i in items]
