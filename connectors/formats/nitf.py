"""NITF 3.x: head/docdata (doc-id, urgency, date.issue, du-key version), hedline,
dateline, body.content, tobject subjects, management-status / ed-msg kill notices."""

from __future__ import annotations

from datetime import datetime

from connectors.errors import RefusedInput
from connectors.formats.agencies import agency_name
from connectors.formats.base import Context, Parsed, xml_root
from connectors.formats.common import (
    Element,
    attr,
    block_paragraphs,
    byline_name,
    dateline_from_text,
    descendants,
    finish,
    first,
    is_kill_advisory,
    parse_datetime,
    parse_xml,
    spaced_text,
    text,
)
from connectors.formats.plaintext import stable_guid
from schemas import Dispatch, EditKind, PubStatus, Subject

NAME = "nitf"


def sniff(head: bytes) -> bool:
    return xml_root(head) == "nitf"


def dispatch_from_nitf(
    nitf: Element, *, source: str, received_at: datetime, fmt: str = "nitf"
) -> Dispatch:
    head = first(nitf, "head")
    docdata = first(head, "docdata")
    body = first(nitf, "body")
    body_head = first(body, "body.head")
    content = first(body, "body.content")
    paragraphs = block_paragraphs(content)
    headline = text(first(body_head, "hedline", "hl1")) or text(first(head, "title"))
    doc_id = attr(first(docdata, "doc-id"), "id-string")
    version = attr(first(docdata, "du-key"), "version")
    issued = parse_datetime(attr(first(docdata, "date.issue"), "norm"))
    urgency = attr(first(docdata, "urgency"), "ed-urg")
    status = (attr(docdata, "management-status") or "usable").lower()
    ed_msg = attr(first(docdata, "ed-msg"), "info")
    killed = status in ("canceled", "cancelled", "withheld") or is_kill_advisory(ed_msg, headline)
    dateline_el = first(body_head, "dateline")
    dateline, credit = dateline_from_text(spaced_text(dateline_el), issued or received_at)
    if dateline_el is not None:
        city = text(first(dateline_el, "location", "city")) or text(first(dateline_el, "location"))
        story_date = parse_datetime(attr(first(dateline_el, "story.date"), "norm"))
        dateline = dateline.model_copy(
            update={"place": city or dateline.place, "date": story_date or dateline.date}
        )
    subjects = [
        Subject(code=code, name=attr(s, "tobject.subject.type"), scheme="subj")
        for s in descendants(nitf, "tobject.subject")
        if (code := attr(s, "tobject.subject.refnum"))
    ]
    subjects += [
        Subject(code=k, scheme="keyword")
        for kl in descendants(nitf, "key-list")
        for kw in kl
        if (k := attr(kw, "key"))
    ]
    if not paragraphs and not headline:
        raise RefusedInput("NITF document has no hedline and no body.content")
    if not paragraphs and not killed:
        raise RefusedInput(
            f"NITF document {doc_id or ''} has a headline but no body text".replace("  ", " ")
        )
    edit_kind = EditKind.kill if killed else EditKind.original
    if not killed and ed_msg and "correct" in ed_msg.lower():
        edit_kind = EditKind.correction
    elif not killed and version and version.isdigit() and int(version) > 1:
        edit_kind = EditKind.update
    return finish(
        paragraphs,
        received_at,
        guid=doc_id or stable_guid("nitf", " ".join([headline or "", *paragraphs])),
        version=int(version) if version and version.isdigit() else 1,
        versioncreated=issued,
        pubstatus=PubStatus.canceled if killed else PubStatus.usable,
        edit_kind=edit_kind,
        urgency=int(urgency) if urgency and urgency.isdigit() and 1 <= int(urgency) <= 9 else None,
        headline=headline,
        slugline=attr(first(docdata, "du-key"), "key"),
        dateline=dateline,
        credit=credit or text(first(body_head, "distributor")),
        signature=text(first(body, "body.end", "tagline")),
        byline=byline_name(spaced_text(first(body_head, "byline"))),
        subjects=subjects,
        language=attr(nitf, "lang") or attr(nitf, "baselang") or attr(first(head, "meta"), "lang"),
        provider=agency_name(text(first(body_head, "distributor")))
        or agency_name(text(first(body_head, "rights", "rights.owner")))
        or agency_name(attr(first(docdata, "doc.copyright"), "holder")),
        format=fmt,
        source=source,
    )


def parse(data: bytes, ctx: Context) -> Parsed:
    return Parsed(
        [dispatch_from_nitf(parse_xml(data), source=ctx.source, received_at=ctx.received_at)]
    )
