"""Helpers every structured parser shares: hardened XML, HTML to paragraphs, dates, datelines."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import lxml.etree
import lxml.html
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from connectors.errors import RefusedInput
from connectors.formats.agencies import known_agency
from connectors.formats.charset import decode_bytes, fix_mojibake, is_utf8
from connectors.formats.plaintext import DATELINE, SIGNATURE, credit_sources, parse_dateline_date
from schemas import Dateline, Dispatch

Element = ET.Element

_DECLARATION = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])([A-Za-z0-9._:-]+)\2""")


def xml_as_utf8(data: bytes) -> bytes:
    """The document in UTF-8 with a declaration that says so, whatever it declared.

    The declared encoding is used when the bytes agree with it; a file that declares
    ISO-8859-1 but is UTF-8 (or declares UTF-8 but is CP1252) is read as what it is
    (connectors.formats.charset), never as mojibake."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data  # UTF-16 with a BOM: the parser reads it as it is
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    m = _DECLARATION.match(data[:300])
    declared = m.group(3).decode("ascii").lower() if m else None
    if declared in (None, "utf-8", "utf8") and is_utf8(data):
        return data
    if data.isascii() and declared not in ("utf-16", "utf-32"):
        return data
    text, _ = decode_bytes(data, declared)
    out = text.encode("utf-8")
    if m:
        out = _DECLARATION.sub(lambda d: d.group(1) + d.group(2) + b"UTF-8" + d.group(2), out, 1)
    return out


def parse_xml(data: bytes) -> Element:
    """Parse XML safely: no DTD entities, no external references, honest errors.

    The document's declared encoding is honoured when its bytes agree with it, and
    detected when they do not (`xml_as_utf8`).
    """
    data = xml_as_utf8(data)
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


_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")


def clean(value: str) -> str:
    """One line of text: entities escaped twice upstream resolved ('&amp;apos;'),
    double-encoded UTF-8 repaired ('DÃ©cÃ¨s'), whitespace collapsed."""
    if "&" in value and _ENTITY.search(value):
        value = html.unescape(value)
    return " ".join(fix_mojibake(value).split())


def text(el: Element | None) -> str | None:
    if el is None:
        return None
    value = clean("".join(el.itertext()))
    return value or None


def spaced_text(el: Element | None) -> str | None:
    """An element's text where its children are separate fields ('<city>Paris</city><story.date>
    30 Nov</story.date>' -> 'Paris 30 Nov'): a space between pieces that would otherwise
    touch, none before punctuation. For running text with inline markup, use text()."""
    if el is None:
        return None
    out = ""
    for piece in el.itertext():
        touching = out and piece and not out[-1].isspace() and not piece[0].isspace()
        if touching and piece[0] not in ",.;:)]»":
            out += " "
        out += piece
    return clean(out) or None


_BY = re.compile(r"^(?:by|par|de|von|por|door)\s+", re.IGNORECASE)


def byline_name(value: str | None) -> str | None:
    """Who wrote it, from a byline as printed: 'By Marie DUPONT' -> 'Marie DUPONT',
    'Par Paul Roux, à Lagos' -> 'Paul Roux, à Lagos'; nothing for an empty one."""
    if not value:
        return None
    name = _BY.sub("", clean(value)).strip(" ,;-=")
    if not name or known_agency(name):  # 'NTB', 'TT', 'The Associated Press': the provider
        return None
    return name


def attr(el: Element | None, name: str) -> str | None:
    if el is None:
        return None
    for key, value in el.attrib.items():
        if local(key) == name:
            return value
    return None


BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "pre", "blockquote"})


def block_paragraphs(el: Element | None) -> list[str]:
    """Paragraphs of an NITF body.content / XHTML body / bare DataContent: one per <p>
    (or block), text only; a block holding blocks gives its inner blocks once."""
    if el is None:
        return []
    paras = []
    for p in el.iter():
        if local(p.tag).lower() not in BLOCKS:
            continue
        if any(local(d.tag).lower() in BLOCKS for d in p.iter() if d is not p):
            continue  # <p><h3>..</h3></p>: the inner block speaks for it
        if t := text(p):
            paras.append(t)
    if not paras and (t := text(el)):
        paras = [t]
    return paras


def html_paragraphs(markup: str) -> list[str]:
    """Paragraphs from an HTML fragment (RSS descriptions, ninjs body_html)."""
    if not markup.strip():
        return []
    if "<" not in markup:
        return [c for p in re.split(r"\n\s*\n", markup) if (c := clean(p))]
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return [c for p in re.split(r"\n\s*\n", markup) if (c := clean(p))]
    blocks = []
    for p in root.iter("p", "li", "h1", "h2", "h3", "h4", "pre", "blockquote"):
        if any(d.tag in BLOCKS for d in p.iterdescendants() if isinstance(d.tag, str)):
            continue
        if b := clean(p.text_content()):
            blocks.append(b)
    if blocks:
        return blocks
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    flat = lxml.html.tostring(root, method="text", encoding="unicode")
    return [c for p in re.split(r"\n\s*\n", flat) if (c := clean(p))]


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
    if not value or not re.search(r"[^\W\d_]", value):
        return Dateline(), None  # none, or only a date ('4/4/2018', '20170102T222800+0000')
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


HEADLINE_MAX = 140
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý«\"])")
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright\b)", re.IGNORECASE)


def derive_headline(lead: str) -> str:
    """First sentence of the lead, cut on a word boundary: a title for copy that has none."""
    first_sentence = _SENTENCE_END.split(lead, maxsplit=1)[0]
    if len(first_sentence) <= HEADLINE_MAX:
        return first_sentence.rstrip(".")
    cut = first_sentence[:HEADLINE_MAX].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def strip_copyright(paragraphs: list[str]) -> list[str]:
    """Drop a trailing copyright notice ('© ΑΠΕ-ΜΠΕ ΑΕ ...', 'Copyright 2019 The Associated
    Press ...'): boilerplate, not the story."""
    paras = list(paragraphs)
    while len(paras) > 1 and _COPYRIGHT.match(paras[-1]):
        paras.pop()
    return paras


def finish(paragraphs: list[str], received_at: datetime, **fields: Any) -> Dispatch:
    """Build a Dispatch from a parser's fields, reading a dateline out of the lead
    and a desk signature off the end when the format did not give them apart."""
    paras = strip_copyright([c for p in paragraphs if (c := clean(p))])
    for key in ("headline", "slugline"):
        if isinstance(fields.get(key), str):
            fields[key] = clean(fields[key]) or None
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
    "clean",
    "credit_sources",
    "dateline_from_text",
    "derive_headline",
    "descendants",
    "finish",
    "first",
    "html_paragraphs",
    "is_kill_advisory",
    "local",
    "parse_datetime",
    "parse_xml",
    "split_dateline",
    "strip_copyright",
    "text",
    "xml_as_utf8",
]
