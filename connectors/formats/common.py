"""Helpers every structured parser shares: hardened XML, HTML to paragraphs, dates, datelines."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import lxml.html
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from connectors.errors import RefusedInput
from connectors.formats.plaintext import DATELINE, SIGNATURE, credit_sources, parse_dateline_date
from schemas import Dateline, Dispatch

Element = ET.Element


def parse_xml(data: bytes) -> Element:
    """Parse XML safely: no DTD entities, no external references, honest errors.

    The bytes go to the parser as they are, so the document's own encoding
    declaration (or BOM) decides how it is decoded.
    """
    try:
        root: Element = defused_fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
        return root
    except DefusedXmlException as exc:
        raise RefusedInput(f"hostile XML refused: {type(exc).__name__} ({exc})") from exc
    except ET.ParseError as exc:
        line, col = exc.position
        hint = ""
        if "invalid token" in str(exc) or "not well-formed" in str(exc):
            hint = " (check the encoding declaration)"
        msg = re.sub(r":\s*line \d+, column \d+$", "", str(exc))
        raise RefusedInput(f"broken XML at line {line}, column {col}: {msg}{hint}") from exc


def local(tag: str | Any) -> str:
    """Tag name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(c.tag) == name]


def first(el: Element | None, *path: str) -> Element | None:
    """Follow child names regardless of namespaces: first(item, 'itemMeta', 'pubStatus')."""
    cur = el
    for name in path:
        if cur is None:
            return None
        cur = next((c for c in cur if local(c.tag) == name), None)
    return cur


def descendants(el: Element, name: str) -> list[Element]:
    return [d for d in el.iter() if local(d.tag) == name]


def text(el: Element | None) -> str | None:
    if el is None:
        return None
    value = " ".join("".join(el.itertext()).split())
    return value or None


def attr(el: Element | None, name: str) -> str | None:
    if el is None:
        return None
    for key, value in el.attrib.items():
        if local(key) == name:
            return value
    return None


def block_paragraphs(el: Element | None) -> list[str]:
    """Paragraphs of an NITF body.content / XHTML body: one per <p> (or block), text only."""
    if el is None:
        return []
    paras = [t for p in el.iter() if local(p.tag) in ("p", "li", "h2", "h3") and (t := text(p))]
    if not paras and (t := text(el)):
        paras = [t]
    return paras


def html_paragraphs(html: str) -> list[str]:
    """Paragraphs from an HTML fragment (RSS descriptions, ninjs body_html)."""
    if not html.strip():
        return []
    if "<" not in html:
        return [" ".join(p.split()) for p in re.split(r"\n\s*\n", html) if p.strip()]
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks = [" ".join(p.text_content().split()) for p in root.iter("p", "li", "h2", "h3")]
    blocks = [b for b in blocks if b]
    if blocks:
        return blocks
    flat = lxml.html.tostring(root, method="text", encoding="unicode")
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", flat) if p.strip()]


_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601, compact NewsML/NITF ('20190221T153000Z', '20190221T153000+0000'), RFC 822."""
    if not value:
        return None
    v = value.strip()
    m = _COMPACT.match(v)
    if m:
        y, mo, d, h, mi, s, tz = m.groups()
        iso = f"{y}-{mo}-{d}T{h or '00'}:{mi or '00'}:{s or '00'}"
        if tz and tz != "Z":
            tz = tz if ":" in tz else f"{tz[:3]}:{tz[3:]}"
            iso += tz
        dt = datetime.fromisoformat(iso)
    else:
        try:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            try:
                dt = parsedate_to_datetime(v)
            except (TypeError, ValueError):
                return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def split_dateline(paragraph: str, reference: datetime) -> tuple[Dateline, str | None, str]:
    """'NEW YORK, Feb 21, 2019 (AFP) - Lead...' -> (dateline, credit, 'Lead...')."""
    m = DATELINE.match(paragraph)
    if not m:
        return Dateline(), None, paragraph
    dateline = Dateline(
        place=m.group("place").strip(),
        date=parse_dateline_date(m.group("date"), reference),
        text=paragraph[: m.end()].strip().rstrip("-–— ").strip(),
    )
    return dateline, m.group("credit").strip(), paragraph[m.end() :].strip()


def dateline_from_text(value: str | None, reference: datetime) -> tuple[Dateline, str | None]:
    """A separate dateline element: 'New York, 21 fév 2019 (AFP) -' or just 'New York'."""
    if not value:
        return Dateline(), None
    dl, credit, _rest = split_dateline(value.strip() + " x", reference)
    if dl.place:
        return dl, credit
    place = value.split(",")[0].strip(" -–—")
    return Dateline(place=place or None, text=value.strip()), None


_KILL_WORDS = re.compile(
    r"\b(?:KILL|ELIMINATE|WITHDRAWN?|ANNULATION|ANNULÉ|ANNULE|SUPPRESSION|MANDATORY KILL)\b"
)


def is_kill_advisory(*texts: str | None) -> bool:
    """Agency kill advisories shout: 'KILL', 'ELIMINATE', 'ANNULATION'."""
    return any(t and _KILL_WORDS.search(t) for t in texts)


def finish(paragraphs: list[str], received_at: datetime, **fields: Any) -> Dispatch:
    """Build a Dispatch from a parser's fields, reading a dateline out of the lead
    and a desk signature off the end when the format did not give them apart."""
    paras = [p for p in paragraphs if p]
    reference = fields.get("versioncreated") or received_at
    dateline: Dateline = fields.pop("dateline", None) or Dateline()
    credit = fields.pop("credit", None)
    if paras:
        dl, lead_credit, rest = split_dateline(paras[0], reference)
        if dl.text:
            paras[0] = rest
            if not dateline.place:
                dateline = dl
            credit = credit or lead_credit
    if paras and SIGNATURE.match(paras[-1]) and not fields.get("signature"):
        fields["signature"] = paras.pop()
    sources = fields.pop("sources", None) or credit_sources(credit)
    provider = fields.pop("provider", None) or (
        "AFP" if "AFP" in sources else (sources[-1] if sources else None)
    )
    return Dispatch(
        body=[p for p in paras if p],
        dateline=dateline,
        credit=credit,
        sources=sources,
        provider=provider,
        received_at=received_at,
        **fields,
    )


__all__ = [
    "Element",
    "attr",
    "block_paragraphs",
    "children",
    "credit_sources",
    "dateline_from_text",
    "descendants",
    "finish",
    "first",
    "html_paragraphs",
    "is_kill_advisory",
    "local",
    "parse_datetime",
    "parse_xml",
    "split_dateline",
    "text",
]
