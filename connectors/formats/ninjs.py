"""IPTC ninjs 1.x and 2.x JSON, bare or in a content API's envelope.

Accepted shapes: one item; a list of items; {"items": [...]}; a content API response
{"data": {"item": {...}}} or {"data": {"items": [{"item": {...}}, ...]}} (AP Media API
style: one dispatch per item); {"item": [...]} (BBC's ninjs feed). Fields of both
versions: uri (else guid, id, altids), headline / headlines[], body_text / body_html /
body_nitf / bodies[], altids (object or list), renditions (object or list), type.

A text item whose text is only given by reference (a 'nitf' rendition to download) is
refused with that reason; a picture, video or graphic becomes a media dispatch whose
body is its caption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.errors import RefusedInput
from connectors.formats.agencies import agency_name, known_agency
from connectors.formats.base import Context, Parsed, each_item, strip_head
from connectors.formats.charset import decode_bytes
from connectors.formats.common import (
    block_paragraphs,
    byline_name,
    dateline_from_text,
    descendants,
    finish,
    html_paragraphs,
    parse_datetime,
    parse_xml,
)
from schemas import Dispatch, EditKind, ItemType, PubStatus, Rendition, Subject

NAME = "ninjs"
MEDIA = {
    "picture": ItemType.picture,
    "photo": ItemType.picture,
    "image": ItemType.picture,
    "video": ItemType.video,
    "audio": ItemType.audio,
    "graphic": ItemType.graphic,
}


@dataclass(frozen=True)
class Profile:
    """How one provider's API differs from plain ninjs."""

    name: str
    version_offset: int = 0  # AP Media API counts versions from 0
    agency: str | None = None


PLAIN = Profile("ninjs")
CONTENT_API = Profile("content-api", version_offset=1)
BBC = Profile("bbc", agency="BBC")


def sniff(head: bytes) -> bool:
    """A JSON object, or an array of objects ('[UPDATE] ...' copy is no JSON)."""
    h = strip_head(head)
    return h.startswith(b"{") or bool(re.match(rb"\[\s*[{\]]", h))


def _str(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _altids(obj: dict[str, Any]) -> dict[str, str]:
    raw = obj.get("altids")
    if isinstance(raw, dict):
        return {str(k): v for k, val in raw.items() if (v := _str(val))}
    return {
        role: value
        for a in _list(raw)
        if isinstance(a, dict) and (role := _str(a.get("role"))) and (value := _str(a.get("value")))
    }


def _guid(obj: dict[str, Any], altids: dict[str, str]) -> str | None:
    uri = _str(obj.get("uri"))
    if uri and re.match(r"https?://", uri):
        uri = uri.split("?", 1)[0].split("#", 1)[0]  # API links carry per-request tokens
    return uri or _str(obj.get("guid")) or _str(obj.get("id")) or altids.get("itemid")


def _headline(obj: dict[str, Any]) -> str | None:
    headline = _str(obj.get("headline"))
    if headline is None:
        heads = [h for h in _list(obj.get("headlines")) if isinstance(h, dict)]
        main = [h for h in heads if _str(h.get("role")) in (None, "main")] or heads
        headline = next((v for h in main if (v := _str(h.get("value")))), None)
    return headline or _str(obj.get("title"))


def _nitf_paragraphs(markup: str) -> list[str]:
    root = parse_xml(markup.encode("utf-8"))
    body = next(iter(descendants(root, "body.content")), None)
    return block_paragraphs(body if body is not None else root)


def _body(obj: dict[str, Any]) -> list[str]:
    for key, read in (
        ("body_text", html_paragraphs),
        ("body_html", html_paragraphs),
        ("body_nitf", _nitf_paragraphs),
        ("body_xhtml", html_paragraphs),
    ):
        value = obj.get(key)
        if isinstance(value, str) and value.strip() and (paras := read(value)):
            return paras
    for b in _list(obj.get("bodies")):  # ninjs 2.x
        if isinstance(b, dict) and isinstance(b.get("value"), str):
            paras = html_paragraphs(b["value"])
            if paras:
                return paras
    return []


def _caption(obj: dict[str, Any]) -> str | None:
    for key in ("description_caption", "description_text", "caption", "description_usage"):
        if value := _str(obj.get(key)):
            return value
    for d in _list(obj.get("descriptions")):  # ninjs 2.x
        if isinstance(d, dict) and (value := _str(d.get("value"))):
            return value
    return None


def _renditions(obj: dict[str, Any]) -> list[Rendition]:
    raw = obj.get("renditions")
    pairs: list[tuple[str, dict[str, Any]]] = (
        [(str(k), v) for k, v in raw.items() if isinstance(v, dict)]
        if isinstance(raw, dict)
        else [(_str(r.get("name")) or "main", r) for r in _list(raw) if isinstance(r, dict)]
    )
    out = []
    for name, r in pairs:
        width, height = _int(r.get("width")), _int(r.get("height"))
        out.append(
            Rendition(
                name=name,
                href=_str(r.get("href")),
                mimetype=_str(r.get("mimetype")) or _str(r.get("contenttype")),
                width=width if width is not None and width >= 0 else None,
                height=height if height is not None and height >= 0 else None,
            )
        )
    return out


def _provider(obj: dict[str, Any], profile: Profile) -> str | None:
    raw = obj.get("provider")
    name = _str(raw) or _str(_dict(raw).get("name"))
    return (
        agency_name(name)
        or profile.agency
        or known_agency(_str(obj.get("copyrightholder")))
        or known_agency(_str(obj.get("uri")))
    )


def _item(obj: Any, profile: Profile, ctx: Context) -> Dispatch:
    if not isinstance(obj, dict):
        raise RefusedInput("ninjs item is not a JSON object")
    altids = _altids(obj)
    guid = _guid(obj, altids)
    if not guid:
        raise RefusedInput("ninjs item has no 'uri' (or 'guid', 'id', altids.itemid)")
    headline = _headline(obj)
    item_type = MEDIA.get((_str(obj.get("type")) or "text").lower(), ItemType.text)
    paragraphs = _body(obj)
    renditions = _renditions(obj)
    status = (_str(obj.get("pubstatus")) or "usable").lower()
    killed = status in ("canceled", "withheld")
    if item_type is not ItemType.text:
        if not paragraphs:
            caption = _caption(obj) or headline
            paragraphs = [caption] if caption else []
        if not paragraphs:
            raise RefusedInput(f"ninjs {item_type.value} item {guid} has no caption")
    elif not paragraphs and not killed:
        by_reference = [r.name for r in renditions if r.href]
        if by_reference:
            raise RefusedInput(
                f"ninjs text item {guid} has no body: its text is only by reference "
                f"(rendition {', '.join(by_reference[:3])})"
            )
        raise RefusedInput(f"ninjs text item {guid} has no body text")
    signals: list[Any] = _list(obj.get("signals")) or [obj.get("signal")]
    signal = " ".join(str(s) for s in [*signals, obj.get("ednote")] if s).lower()
    version_raw = obj.get("version", 1 - profile.version_offset)
    try:
        version = max(1, int(version_raw) + profile.version_offset)
    except (TypeError, ValueError, OverflowError) as exc:
        raise RefusedInput(f"ninjs 'version' is not a number: {version_raw!r}") from exc
    kind = (
        EditKind.kill if killed
        else EditKind.correction if "correct" in signal
        else EditKind.update if version > 1
        else EditKind.original
    )  # fmt: skip
    subjects = [
        Subject(
            code=str(s.get("code") or s.get("uri")),
            name=_str(s.get("name")),
            scheme=_str(s.get("scheme")),
        )
        for key in ("subject", "subjects")
        for s in _list(obj.get(key))
        if isinstance(s, dict) and (s.get("code") or s.get("uri"))
    ]
    created = parse_datetime(_str(obj.get("versioncreated")))
    places = _list(obj.get("place")) or _list(obj.get("places"))
    place = _str(_dict(obj.get("datelinelocation")).get("city")) or next(
        (_str(p.get("name")) for p in places if isinstance(p, dict)), None
    )
    dateline, credit = dateline_from_text(
        _str(obj.get("located")) or place, created or ctx.received_at
    )
    urgency = obj.get("urgency")
    return finish(
        paragraphs,
        ctx.received_at,
        guid=guid[:512],
        version=version,
        versioncreated=created,
        firstcreated=parse_datetime(_str(obj.get("firstcreated"))),
        pubstatus=PubStatus(status)
        if status in ("usable", "withheld", "canceled")
        else PubStatus.usable,
        edit_kind=kind,
        urgency=urgency
        if isinstance(urgency, int) and not isinstance(urgency, bool) and 1 <= urgency <= 9
        else None,
        headline=headline,
        slugline=_str(obj.get("slugline")),
        dateline=dateline,
        credit=credit or _str(obj.get("copyrightholder")),
        byline=byline_name(_str(obj.get("byline")) or _str(obj.get("by"))),
        provider=_provider(obj, profile),
        subjects=subjects,
        language=_str(obj.get("language")),
        type=item_type,
        renditions=renditions if item_type is not ItemType.text else [],
        altids=altids,
        format=NAME,
        source=ctx.source,
    )


def _unwrap(entry: Any) -> Any:
    """{"meta": ..., "item": {...}} (a content API feed entry) -> the item."""
    if isinstance(entry, dict) and isinstance(entry.get("item"), dict) and "uri" not in entry:
        return entry["item"]
    return entry


def items_of(doc: Any) -> tuple[list[Any], Profile]:
    if isinstance(doc, list):
        return [_unwrap(i) for i in doc], PLAIN
    if not isinstance(doc, dict):
        return [], PLAIN
    data = doc.get("data")
    if isinstance(data, dict) and ("item" in data or "items" in data):
        if isinstance(data.get("item"), dict):
            return [data["item"]], CONTENT_API
        return [_unwrap(i) for i in _list(data.get("items"))], CONTENT_API
    if isinstance(doc.get("items"), list):
        return [_unwrap(i) for i in doc["items"]], PLAIN
    if isinstance(doc.get("item"), list):
        profile = BBC if {"total", "offset"} & doc.keys() else PLAIN
        return [_unwrap(i) for i in doc["item"]], profile
    if isinstance(doc.get("item"), dict) and "uri" not in doc:
        return [doc["item"]], PLAIN
    return [doc], PLAIN


def parse(data: bytes, ctx: Context) -> Parsed:
    if data.startswith(b"\xef\xbb\xbf"):  # UTF-8 BOM: valid UTF-8, refused by strict JSON parsers
        data = data[3:]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "utf-8" not in str(exc).lower():
            raise RefusedInput(f"broken JSON: {exc}") from exc
        try:  # JSON must be UTF-8; an 8-bit file is read as what it is
            doc = orjson.loads(decode_bytes(data)[0])
        except orjson.JSONDecodeError as exc2:
            raise RefusedInput(f"broken JSON: {exc2}") from exc2
    items, profile = items_of(doc)
    if not items:
        raise RefusedInput("ninjs document has no item")
    return each_item(items, lambda i: _item(i, profile, ctx), "ninjs item")
