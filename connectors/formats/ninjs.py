"""IPTC ninjs 1.x and 2.x JSON: one item, a list, or {"items": [...]}."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from connectors.errors import RefusedInput
from connectors.formats.common import dateline_from_text, finish, html_paragraphs, parse_datetime
from schemas import Dispatch, EditKind, PubStatus, Subject


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _item(obj: Any, source: str, received_at: datetime) -> Dispatch:
    if not isinstance(obj, dict):
        raise RefusedInput("ninjs item is not a JSON object")
    guid = _str(obj.get("uri")) or _str(obj.get("guid"))
    if not guid:
        raise RefusedInput("ninjs item has no 'uri' (or 'guid')")
    headline = _str(obj.get("headline"))
    if headline is None and _list(obj.get("headlines")):  # ninjs 2.x
        headline = next(
            (_str(h.get("value")) for h in obj["headlines"] if isinstance(h, dict)), None
        )
    paragraphs: list[str] = []
    if isinstance(obj.get("body_text"), str):
        paragraphs = html_paragraphs(obj["body_text"])
    elif isinstance(obj.get("body_html"), str):
        paragraphs = html_paragraphs(obj["body_html"])
    elif _list(obj.get("bodies")):  # ninjs 2.x
        for b in obj["bodies"]:
            if isinstance(b, dict) and isinstance(b.get("value"), str):
                paragraphs = html_paragraphs(b["value"])
                if paragraphs:
                    break
    status = (_str(obj.get("pubstatus")) or "usable").lower()
    signal = str(obj.get("signal") or obj.get("ednote") or "").lower()
    version_raw = obj.get("version", 1)
    try:
        version = max(1, int(version_raw))
    except (TypeError, ValueError) as exc:
        raise RefusedInput(f"ninjs 'version' is not a number: {version_raw!r}") from exc
    killed = status in ("canceled", "withheld")
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
    place = next((_str(p.get("name")) for p in places if isinstance(p, dict)), None)
    dateline, credit = dateline_from_text(_str(obj.get("located")) or place, created or received_at)
    urgency = obj.get("urgency")
    return finish(
        paragraphs,
        received_at,
        guid=guid,
        version=version,
        versioncreated=created,
        firstcreated=parse_datetime(_str(obj.get("firstcreated"))),
        pubstatus=PubStatus(status)
        if status in ("usable", "withheld", "canceled")
        else PubStatus.usable,
        edit_kind=kind,
        urgency=urgency if isinstance(urgency, int) and 1 <= urgency <= 9 else None,
        headline=headline,
        slugline=_str(obj.get("slugline")),
        dateline=dateline,
        credit=credit or _str(obj.get("copyrightholder")),
        subjects=subjects,
        language=_str(obj.get("language")),
        format="ninjs",
        source=source,
    )


def parse_ninjs(data: bytes, *, source: str, received_at: datetime) -> list[Dispatch]:
    if data.startswith(b"\xef\xbb\xbf"):  # UTF-8 BOM: valid UTF-8, refused by strict JSON parsers
        data = data[3:]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RefusedInput(f"broken JSON: {exc}") from exc
    items = doc.get("items") if isinstance(doc, dict) and "items" in doc else doc
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        raise RefusedInput("ninjs document has no item")
    return [_item(i, source, received_at) for i in items]
