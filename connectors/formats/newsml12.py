"""NewsML 1.2 as agencies send it (AFP, ANA, Belga, EFE ...).

    NewsML / NewsEnvelope (Priority, SentFrom) / NewsItem+
      Identification/NewsIdentifier  ProviderId, DateId, NewsItemId, RevisionId
      NewsManagement                 Urgency, Status, Instruction, FirstCreated ...
      NewsComponent (nested)         NewsLines, AdministrativeMetadata, DescriptiveMetadata,
                                     ContentItem (MediaType, Format, DataContent | Href)

The text of a ContentItem's DataContent comes in every shape agencies use: an NITF
document or body.content; bare <p> paragraphs (AFP today, Format bcNITF2.5), sometimes
after a <media> element; HTML in a CDATA section (ANA's <P>); or plain lines.
An alert (AFP 'urgent') has no HeadLine and one line of text: that line is its
headline. An index file (NewsItemRefs only) and text items with no text are refused.
A photo, video or graphic item becomes a media dispatch whose body is its caption.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from connectors.errors import RefusedInput
from connectors.formats.agencies import agency_name
from connectors.formats.base import Context, Parsed, each_item, xml_root
from connectors.formats.common import (
    Element,
    attr,
    block_paragraphs,
    byline_name,
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

NAME = "newsml-1.2"
MEDIA_TYPES = {
    "photo": ItemType.picture,
    "picture": ItemType.picture,
    "image": ItemType.picture,
    "video": ItemType.video,
    "audio": ItemType.audio,
    "graphic": ItemType.graphic,
    "graphics": ItemType.graphic,
}


@dataclass(frozen=True)
class Profile:
    """An agency's NewsML 1.2: who it is, and the boilerplate it appends."""

    agency: str
    provider_ids: tuple[str, ...]
    boilerplate: re.Pattern[str] | None = None


PROFILES = (
    Profile("AFP", ("afp.com",)),
    # ANA-MPE ends every story with a Greek copyright paragraph.
    Profile("ANA", ("ana-mpe.gr",), re.compile(r"^©\s*ΑΠΕ-ΜΠΕ")),
)


def _profile(provider_id: str | None) -> Profile | None:
    return next((p for p in PROFILES if provider_id in p.provider_ids), None)


def sniff(head: bytes) -> bool:
    return xml_root(head) == "newsml"


def _data_paragraphs(data: Element) -> list[str]:
    """Paragraphs of one DataContent, whatever shape agencies give it."""
    nitf_body = next(iter(descendants(data, "body.content")), None)
    if nitf_body is not None:
        return block_paragraphs(nitf_body)
    if len(data):
        data = copy.deepcopy(data)
        for parent in list(data.iter()):
            for child in list(parent):
                if local(child.tag).lower() in ("media", "media-reference", "media-caption"):
                    parent.remove(child)  # AFP's <media> first: a picture, not the story
        paras = block_paragraphs(data)
        return paras if any(paras) else []
    raw = "".join(data.itertext())
    if "<" in raw:  # ANA: HTML in a CDATA section
        return html_paragraphs(raw)
    blocks = re.split(r"\n\s*\n", raw.strip())
    if len(blocks) == 1:
        blocks = raw.strip().splitlines()
    return [c for b in blocks if (c := clean(b))]


def _role(content_item: Element, parents: dict[Element, Element]) -> str:
    """The Role of the NewsComponent holding a ContentItem: Main, Caption, Preview ..."""
    node: Element | None = content_item
    while node is not None:
        role = first(node, "Role")
        if role is not None:
            return (attr(role, "FormalName") or "").lower()
        node = parents.get(node)
    return ""


def _media_kind(ci: Element) -> ItemType | None:
    kind = (attr(first(ci, "MediaType"), "FormalName") or "").lower()
    if kind in MEDIA_TYPES:
        return MEDIA_TYPES[kind]
    mime = (attr(first(ci, "MimeType"), "FormalName") or "").lower()
    for prefix, item_type in (("image/", ItemType.picture), ("video/", ItemType.video),
                              ("audio/", ItemType.audio)):  # fmt: skip
        if mime.startswith(prefix):
            return item_type
    return None


def _rendition(ci: Element, role: str) -> Rendition:
    props = {
        (attr(p, "FormalName") or "").lower(): attr(p, "Value") for p in descendants(ci, "Property")
    }

    def number(key: str) -> int | None:
        value = props.get(key)
        return int(value) if value and value.isdigit() else None

    return Rendition(
        name=role or "main",
        href=attr(ci, "Href"),
        mimetype=attr(first(ci, "MimeType"), "FormalName"),
        width=number("width"),
        height=number("height"),
    )


def _provider(item: Element, root: Element, provider_id: str | None) -> str | None:
    for el in (
        next(iter(descendants(item, "Provider")), None),
        first(root, "NewsEnvelope", "SentFrom"),
    ):
        party = first(el, "Party")
        if name := agency_name(attr(party, "FormalName")):
            return name
    if name := agency_name(provider_id):
        return name
    source = next(iter(descendants(item, "Source")), None)
    return agency_name(attr(first(source, "Party"), "FormalName"))


def _item(item: Element, root: Element, ctx: Context) -> Dispatch:
    refs = descendants(item, "NewsItemRef")
    if refs and not any(
        first(ci, "DataContent") is not None for ci in descendants(item, "ContentItem")
    ):
        raise RefusedInput(f"NewsML 1.2 index listing {len(refs)} NewsItemRef(s), not a news item")
    ident = first(item, "Identification", "NewsIdentifier")
    provider_id = text(first(ident, "ProviderId"))
    date_id = text(first(ident, "DateId"))
    item_id = text(first(ident, "NewsItemId"))
    if not (provider_id and item_id):
        raise RefusedInput("NewsML 1.2 NewsItem without ProviderId/NewsItemId")
    profile = _profile(provider_id)
    revision = first(ident, "RevisionId")
    rev_text = text(revision) or "1"
    version = int(rev_text) if rev_text.isdigit() and int(rev_text) >= 1 else 1
    update = (attr(revision, "Update") or "N").upper()
    mgmt = first(item, "NewsManagement")
    status = (attr(first(mgmt, "Status"), "FormalName") or "Usable").lower()
    instructions = " ".join(
        attr(i, "FormalName") or ""
        for i in (descendants(mgmt, "Instruction") if mgmt is not None else [])
    )
    lines = next(iter(descendants(item, "NewsLines")), None)
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
    dateline, credit = dateline_from_text(
        text(first(lines, "DateLine")), created or ctx.received_at
    )
    meta = next(iter(descendants(item, "DescriptiveMetadata")), None)
    meta_all = descendants(item, "DescriptiveMetadata")
    language = (
        attr(first(meta, "Language"), "FormalName") or attr(item, "lang") or attr(root, "lang")
    )
    subjects = [
        Subject(code=code, scheme="subj")
        for m in meta_all
        for s in m.iter()
        if local(s.tag) in ("Subject", "SubjectMatter", "SubjectDetail")
        and (code := attr(s, "FormalName"))
    ]
    city = next(
        (attr(p, "Value") for m in meta_all for p in descendants(m, "Property")
         if attr(p, "FormalName") == "City"),
        None,
    )  # fmt: skip
    if city and not dateline.place:
        dateline = dateline.model_copy(update={"place": city})

    parents = {c: p for p in item.iter() for c in p}
    story: list[str] = []
    caption: list[str] = []
    media: list[tuple[ItemType, Rendition]] = []
    for ci in descendants(item, "ContentItem"):
        role = _role(ci, parents)
        kind_of = _media_kind(ci)
        data = first(ci, "DataContent")
        if kind_of is not None and data is None:
            media.append((kind_of, _rendition(ci, role)))
            continue
        if data is None:
            continue
        paras = _data_paragraphs(data)
        if "caption" in role:
            caption = caption or paras
        elif len(" ".join(paras)) > len(" ".join(story)):
            story = paras
    if profile and profile.boilerplate:
        story = [p for p in story if not profile.boilerplate.match(p)]

    item_type = ItemType.text
    renditions: list[Rendition] = []
    if not story and media:
        item_type = media[0][0]
        renditions = [r for _, r in media]
        news_captions = [
            t
            for nl in (descendants(lines, "NewsLine") if lines is not None else [])
            if "caption" in (attr(first(nl, "NewsLineType"), "FormalName") or "").lower()
            and (t := text(first(nl, "NewsLineText")))
        ]
        story = caption or news_captions or ([headline] if headline else [])
        if not story:
            raise RefusedInput(f"NewsML 1.2 {item_type.value} item {item_id} has no caption")
    if not story and not killed:
        raise RefusedInput(f"NewsML 1.2 text item {item_id} has no body text (empty DataContent)")
    if not headline and len(story) == 1 and item_type is ItemType.text:
        headline = story[0]  # an alert: one line, no HeadLine
    urgency = attr(first(mgmt, "Urgency"), "FormalName") or attr(
        first(root, "NewsEnvelope", "Priority"), "FormalName"
    )
    slug = text(first(lines, "SlugLine")) or text(first(item, "Identification", "NameLabel"))
    return finish(
        story,
        ctx.received_at,
        guid=f"urn:newsml:{provider_id}:{date_id or ''}:{item_id}",
        version=version,
        versioncreated=created,
        firstcreated=parse_datetime(text(first(mgmt, "FirstCreated"))),
        pubstatus=PubStatus.canceled if killed else PubStatus.usable,
        edit_kind=kind,
        urgency=int(urgency) if urgency and urgency.isdigit() and 1 <= int(urgency) <= 9 else None,
        headline=headline,
        slugline=slug,
        dateline=dateline,
        credit=credit or text(first(lines, "CreditLine")),
        byline=byline_name(text(first(lines, "ByLine"))),
        provider=(profile.agency if profile else None) or _provider(item, root, provider_id),
        subjects=subjects,
        language=language,
        type=item_type,
        renditions=renditions,
        format=NAME,
        source=ctx.source,
    )


def parse(data: bytes, ctx: Context) -> Parsed:
    root = parse_xml(data)
    items = [root] if local(root.tag) == "NewsItem" else descendants(root, "NewsItem")
    if not items:
        raise RefusedInput("NewsML 1.2 document has no NewsItem")
    return each_item(items, lambda i: _item(i, root, ctx), "NewsItem")
