"""AFP NewsML 1.2: NewsEnvelope / NewsItem, Identification (ProviderId, DateId,
NewsItemId, RevisionId with PreviousRevision and Update), NewsManagement (Urgency,
Status, Instruction), NewsLines, DescriptiveMetadata, and the NITF body inside."""

from __future__ import annotations

from datetime import datetime

from connectors.errors import RefusedInput
from connectors.formats.common import (
    Element,
    attr,
    block_paragraphs,
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


def _item(item: Element, envelope: Element | None, source: str, received_at: datetime) -> Dispatch:
    ident = first(item, "Identification", "NewsIdentifier")
    provider_id = text(first(ident, "ProviderId"))
    date_id = text(first(ident, "DateId"))
    item_id = text(first(ident, "NewsItemId"))
    if not (provider_id and item_id):
        raise RefusedInput("NewsML 1.2 NewsItem without ProviderId/NewsItemId")
    revision = first(ident, "RevisionId")
    version = int(text(revision) or "1")
    update = (attr(revision, "Update") or "N").upper()
    mgmt = first(item, "NewsManagement")
    status = (attr(first(mgmt, "Status"), "FormalName") or "Usable").lower()
    instructions = " ".join(
        attr(i, "FormalName") or ""
        for i in (descendants(mgmt, "Instruction") if mgmt is not None else [])
    )
    lines = first(item, "NewsComponent", "NewsLines")
    headline = text(first(lines, "HeadLine"))
    killed = status in ("canceled", "cancelled", "withheld") or is_kill_advisory(
        instructions, headline
    )
    if killed:
        kind = EditKind.kill
    elif "correct" in instructions.lower():
        kind = EditKind.correction
    elif version > 1 or update in ("U", "A"):
        kind = EditKind.update
    else:
        kind = EditKind.original
    created = parse_datetime(text(first(mgmt, "ThisRevisionCreated")))
    reference = created or received_at
    dateline, credit = dateline_from_text(text(first(lines, "DateLine")), reference)
    meta = next(iter(descendants(item, "DescriptiveMetadata")), None)
    language = attr(first(meta, "Language"), "FormalName")
    subjects = [
        Subject(code=code, scheme="subj")
        for s in (descendants(meta, "Subject") if meta is not None else [])
        if (code := attr(s, "FormalName"))
    ]
    city = next(
        (attr(p, "Value") for p in (descendants(meta, "Property") if meta is not None else [])
         if attr(p, "FormalName") == "City"),
        None,
    )  # fmt: skip
    if city and not dateline.place:
        dateline = dateline.model_copy(update={"place": city})
    body = next(iter(descendants(item, "body.content")), None)
    urgency = attr(first(mgmt, "Urgency"), "FormalName") or attr(
        first(envelope, "Priority"), "FormalName"
    )
    return finish(
        block_paragraphs(body),
        received_at,
        guid=f"urn:newsml:{provider_id}:{date_id or ''}:{item_id}",
        version=version,
        versioncreated=created,
        firstcreated=parse_datetime(text(first(mgmt, "FirstCreated"))),
        pubstatus=PubStatus.canceled if killed else PubStatus.usable,
        edit_kind=kind,
        urgency=int(urgency) if urgency and urgency.isdigit() and 1 <= int(urgency) <= 9 else None,
        headline=headline,
        slugline=text(first(lines, "SlugLine")) or text(first(item, "Identification", "NameLabel")),
        dateline=dateline,
        credit=credit or text(first(lines, "CreditLine")),
        subjects=subjects,
        language=language,
        format="newsml-1.2",
        source=source,
    )


def parse_newsml12(data: bytes, *, source: str, received_at: datetime) -> list[Dispatch]:
    root = parse_xml(data)
    envelope = first(root, "NewsEnvelope")
    items = descendants(root, "NewsItem")
    if not items:
        raise RefusedInput("NewsML 1.2 document has no NewsItem")
    return [_item(i, envelope, source, received_at) for i in items]
