"""ANPA 1312 (AP's classic wire, also AAP and others), one or more messages per file.

    SYN SYN SOH z6715 US -----                      selector letter + message number, 0x1f,
                                                    selector code
    r z DC3 DC1 BC-BKN--Heat-Hawks 1stLd-Writethru  02-20 0500
        priority, category, format codes, cycle 'BC-' + keyword (slug), version / take,
        date MM-DD, word count
    STX
    ^BC-BKN--Heat-Hawks, 1st Ld-Writethru,416<      '^' header lines, ending '<' or '='
    ^Deng has 30 points, short-handed Heat beat Hawks 115-111<     headline
    ^Eds: Updates. With AP Photos.<                 editor's note
    ^By CHARLES ODUM=                               byline
    TAB   ATLANTA (AP) _ Luol Deng scored ...       paragraphs start with a tab
    TAB   AP-WF-02-20-16 0337GMT<                   transmission trailer
    ETX ... EOT

Tables (sports agate, format code DC2) have untabbed lines: each is kept as a line.
An alert has no headline line: its one paragraph is the headline. The guid comes
from the keyword without its take ('1stLd-Writethru'), whose lead number gives the
version, so every writethru of a story shares it. AP is the default profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.errors import RefusedInput
from connectors.formats.agencies import agency_name
from connectors.formats.base import Context, Parsed, each_item, strip_head
from connectors.formats.charset import decode_bytes, decode_text_strict
from connectors.formats.common import byline_name, finish, is_kill_advisory, split_dateline
from connectors.formats.plaintext import normalise_newlines, stable_guid
from schemas import Dispatch, EditKind, PubStatus, Subject

NAME = "anpa1312"
SYN, SOH, STX, ETX, EOT, US = "\x16", "\x01", "\x02", "\x03", "\x04", "\x1f"
FIRST = re.compile(r"^(?P<selector>[A-Za-z])(?P<num>\d{4})(?:\x1f|\s*)(?P<code>[\w-]*)\s*$")
SECOND = re.compile(
    r"^(?P<prio>[a-z])\s(?P<cat>[a-z])[\x11-\x14]*\s*(?P<cycle>(?:BC|AM|PM|AP|ED)-)?"
    r"(?P<slug>\S+)(?:\s+(?P<take>\S.*?))?\s+(?P<date>\d{2}-\d{2})(?:\s+(?P<words>\d{1,5}))?\s*$",
    re.IGNORECASE,
)
TRAILER = re.compile(
    r"^(?P<agency>[A-Z]{2,5})-(?P<code>[A-Z]{1,4})-(?P<mo>\d{2})-(?P<d>\d{2})-(?P<y>\d{2})\s+"
    r"(?P<h>\d{2})(?P<mi>\d{2})\s*GMT"
)
PRIORITY = {"f": 1, "b": 2, "u": 3, "s": 4, "r": 5, "d": 6, "a": 5, "z": 6}
CATEGORIES = {
    "a": "domestic", "i": "international", "f": "financial", "s": "sports", "e": "entertainment",
    "p": "politics", "w": "washington", "n": "state", "r": "regional", "l": "lifestyle",
    "d": "food", "c": "features", "h": "holds", "k": "commentary", "q": "sports results",
    "t": "travel", "v": "advisory", "y": "internal", "z": "special",
}  # fmt: skip
_TAKE = re.compile(
    r"(?:(?P<n>\d+)(?:st|nd|rd|th)\s*Ld|Writethru|Takes?|Adds?|Insert|Corr|Sub)", re.I
)


@dataclass(frozen=True)
class Profile:
    agency: str
    eds_note: re.Pattern[str]


AP = Profile("AP", re.compile(r"^(?:\(?Eds:|EDITOR'S NOTE)", re.IGNORECASE))


def sniff(head: bytes) -> bool:
    h = strip_head(head)
    if h.startswith(b"\x16\x16\x01") or h.startswith(b"\x16\x01"):
        return True
    lines = h[:400].decode("latin-1").replace(SOH, "").replace(SYN, "").splitlines()
    lines = [ln for ln in lines if ln.strip()]
    return (
        len(lines) >= 2
        and bool(FIRST.match(lines[0].strip()))
        and bool(SECOND.match(lines[1].strip()))
    )


def _version(take: str) -> tuple[int, EditKind]:
    m = _TAKE.search(take or "")
    if not m:
        return 1, EditKind.original
    if re.search(r"corr", take, re.I):
        return (int(m.group("n")) + 1 if m.group("n") else 2), EditKind.correction
    return (int(m.group("n")) + 1 if m.group("n") else 2), EditKind.update


def _message(chunk: str, ctx: Context) -> Dispatch:
    chunk = chunk.replace(SYN, "").replace(EOT, "")
    head, stx, rest = chunk.partition(STX)
    if not stx:  # control characters lost: two header lines, then the text
        lines = chunk.splitlines()
        head, rest = "\n".join(lines[:2]), "\n".join(lines[2:])
    head_lines = [ln.strip(" \r") for ln in head.replace(US, " ").splitlines() if ln.strip()]
    first_m = FIRST.match(head_lines[0].strip()) if head_lines else None
    second_m = next((m for ln in head_lines if (m := SECOND.match(ln.strip()))), None)
    body, _, after = rest.partition(ETX)
    header_lines: list[str] = []
    paragraphs: list[str] = []
    created: datetime | None = None
    for raw in normalise_newlines(body + "\n" + after).split("\n"):
        line = raw.rstrip()
        stripped = line.strip().rstrip("<").strip()
        if not stripped or set(stripped) <= {"_", " ", "="}:
            continue
        if (t := TRAILER.match(stripped)) is not None:
            try:
                created = datetime(
                    2000 + int(t.group("y")), int(t.group("mo")), int(t.group("d")),
                    int(t.group("h")), int(t.group("mi")), tzinfo=UTC,
                )  # fmt: skip
            except ValueError:
                created = None
            continue
        if line.startswith("^"):
            header_lines.append(line.lstrip("^").rstrip().rstrip("<=").strip())
        elif line.startswith("\t") or not header_lines or paragraphs:
            paragraphs.append(stripped.rstrip("=").strip())
        else:
            paragraphs.append(stripped)  # a table line (preformatted copy)
    slug = second_m.group("slug") if second_m else (first_m.group("code") if first_m else None)
    take = (second_m.group("take") or "").strip() if second_m else ""
    profile = AP
    eds = [h for h in header_lines if profile.eds_note.match(h)]
    bylines = [h for h in header_lines if re.match(r"^By\s", h, re.I)]
    titles = [
        h
        for h in header_lines
        if h not in eds
        and h not in bylines
        and not re.match(r"^AP (?:Photos?|Video|Graphic)\b", h)
        and not re.search(r"\b(?:Writer|Correspondent|Editor|Press)$", h)
    ]
    if (
        titles
        and slug
        and (
            titles[0].startswith(("BC-", "AM-", "PM-"))
            or slug.lower() in titles[0].lower().replace(" ", "")
        )
    ):
        titles = titles[1:]  # the first '^' line repeats the keyword
    headline = titles[0] if titles else None
    if not paragraphs:
        if headline and len(titles) > 1:
            paragraphs = titles[1:]
        else:
            raise RefusedInput(f"ANPA 1312 message {slug or ''} has no text".replace("  ", " "))
    if headline is None and len(paragraphs) <= 2:  # an alert: its line is the headline
        dateline, _credit, lead = split_dateline(paragraphs[0], ctx.received_at)
        headline = lead if dateline.place else paragraphs[0]
    version, kind = _version(take)
    killed = is_kill_advisory(take, headline, " ".join(eds))
    if killed:
        kind = EditKind.kill
    trailer_agency = None
    for raw in (body + after).splitlines():
        if t := TRAILER.match(raw.strip()):
            trailer_agency = agency_name(t.group("agency"))
    cat = second_m.group("cat").lower() if second_m else None
    prio = second_m.group("prio").lower() if second_m else None
    slug_base = re.sub(r"^(?:BC|AM|PM|AP)-", "", slug or "", flags=re.I)
    return finish(
        paragraphs,
        ctx.received_at,
        guid=stable_guid(
            NAME,
            f"{slug_base}|{(second_m.group('date') if second_m else '')}"
            if slug_base
            else " ".join([headline or "", *paragraphs[:1]]),
        ),
        version=version,
        versioncreated=created,
        urgency=PRIORITY.get(prio or ""),
        headline=headline,
        slugline=(slug + (f" {take}" if take else "")) if slug else None,
        subjects=[Subject(code=cat, name=CATEGORIES.get(cat), scheme="anpa-category")]
        if cat
        else [],
        pubstatus=PubStatus.canceled if killed else PubStatus.usable,
        edit_kind=kind,
        provider=trailer_agency or profile.agency,
        byline=byline_name(bylines[0]) if bylines else None,
        format=NAME,
        source=ctx.source,
    )


def parse(data: bytes, ctx: Context) -> Parsed:
    text = decode_text_strict(data, ctx.encoding) if ctx.encoding else decode_bytes(data)[0]
    text = text.lstrip("\ufeff")
    chunks = [c for c in re.split(r"\x16*\x01", text) if c.strip()] if SOH in text else [text]
    if not chunks:
        raise RefusedInput("no ANPA 1312 message found")
    return each_item(chunks, lambda c: _message(c, ctx), "ANPA 1312 message")
