"""IPTC 7901 wire transmissions, as agencies send them; several messages per file.

    [SOH] [ZCZC]                                    start of message
    AFP0417 4 eco 0380 Auto-Amazon-GM-emploi,2ndlead    service+number priority category
                                                        word-count keywords
    eca0124 3 i 93  dpa 1888                        DPA: national header (agency + number)
    [STX] text [ETX] [NNNN] [EOT]                   text, end of text, end of message

The header may take one line or two (keywords on the second); the control
characters may be missing (a file saved from a terminal). The text is plain wire
copy (headline, 'Paris (AFP) -' dateline, paragraphs, signature) or DPA's layout:

    Yemen/conflict/                                 keyword line(s), ending in '/'
    EXTRA | 1ST LEAD | REFILE | (Achtung)           marker lines
    Peace talks on Yemen to take place in Sweden =  headline, ending in ' ='
    By dpa correspondents =                         byline
    Washington (dpa) - ...                          dateline and paragraphs
    # Notebook ... / The following information is not intended for publication
    dpa grj rmo                                     desk signature
    212101 GMT Nov 18                               transmission time

The message number orders versions; the guid comes from service + slug (for DPA,
whose keyword lines name a topic rather than a story, + headline).
Text is 8-bit more often than not: decoded by connectors.formats.charset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.errors import RefusedInput
from connectors.formats.agencies import agency_name, known_agency
from connectors.formats.base import Context, Parsed, each_item, strip_head
from connectors.formats.charset import decode_bytes, decode_text_strict
from connectors.formats.common import byline_name, finish, is_kill_advisory
from connectors.formats.plaintext import normalise_newlines, parse_plaintext, stable_guid
from schemas import Dispatch, EditKind, PubStatus, Subject
from schemas.calendar import month_number

NAME = "iptc7901"
SOH, STX, ETX, EOT, SYN = "\x01", "\x02", "\x03", "\x04", "\x16"
HEADER = re.compile(
    r"^(?:ZCZC\s*)?(?P<svc>[A-Za-z]{2,5})(?P<num>\d{2,6})\s+(?P<prio>[1-9])\s+(?P<cat>[A-Za-z]{1,4})"
    r"\s+(?P<words>\d{1,6})\b\s*(?P<rest>.*)$"
)
# A national header after the word count: '[selector]   dpa 061', 'xxxxb APA'
NATIONAL = re.compile(
    r"^(?P<keywords>.*?)\s*\b(?P<agency>[A-Za-z][A-Za-z-]{1,12})(?:\s+(?P<seq>\d{2,5}))?$"
)
TRAILER = re.compile(
    r"^(?P<d>\d{2})(?P<h>\d{2})(?P<m>\d{2})\s+(?:GMT\s+)?(?P<mon>[A-Za-z]{3})\s+(?P<y>\d{2,4})$"
)
_MARKERS = re.compile(
    r"[,\s]*(?:\d+(?:st|nd|rd|th)lead|lead|update|urgent|prev|corr(?:ection)?|corrige|kill|eliminate"
    r"|annulation|adv(?:isory)?|\(\w+\))$",
    re.IGNORECASE,
)
_MARKER_LINE = re.compile(r"^(?:\([^()]{1,120}\)|[A-Z0-9ÄÖÜ][A-Z0-9ÄÖÜ .,/-]{1,40})$")
_BYLINE = re.compile(r"^(?:By|Von|Av|Af|Par|Por|Di|Door)\s", re.IGNORECASE)
_NOT_FOR_PUBLICATION = re.compile(
    r"^(?:# Notebook|\* \* \* \*|The following information is not (?:intended )?for publication"
    r"|Die folgenden Informationen sind nicht zur Veröffentlichung)",
    re.IGNORECASE,
)
_END_MARK = re.compile(
    r"^\((?:Schluss|Ende|End|Fin|Slut|Loppu|Fine)\)\s*(?P<desk>\S.*)?$", re.IGNORECASE
)
_SELECTOR = re.compile(r"^[a-z]{3,6}$")  # 'ccccb', 'xxxxb': routing code, not a slug
# 'dpa grj rmo', 'dpa-AFX jha/bwi/he', 'dpa kr/hme yydd z2 ts', '/mne/bek'
_DESK_SIGNATURE = re.compile(
    r"^(?:[A-Za-z]{2,8}(?:-[A-Za-z]{2,8})?\s+)?/?[a-z]{1,6}(?:/[a-z0-9]{1,6})*"
    r"(?:\s+[a-z0-9]{1,6}(?:/[a-z0-9]{1,6})*){0,10}$"
)
_COPYRIGHT_LINE = re.compile(r"^(?:©|\(c\)|copyright\b)", re.IGNORECASE)
CATEGORIES = {
    "eco": "economy", "pol": "politics", "spo": "sport", "soc": "society", "dip": "diplomacy",
    "clt": "culture", "sci": "science", "hlt": "health", "acc": "accident", "war": "conflict",
    "i": "international", "s": "sport", "e": "entertainment", "f": "finance", "p": "politics",
    "w": "economy", "k": "culture", "v": "miscellaneous", "rs": "service",
}  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """An agency's 7901: who it is and how its slug identifies a story."""

    agency: str | None
    guid_with_headline: bool = False


DEFAULT = Profile(agency=None)


def sniff(head: bytes) -> bool:
    h = strip_head(head)
    if SOH.encode() in h[:64]:
        return True
    lines = [ln.strip() for ln in h[:400].decode("latin-1").splitlines() if ln.strip()]
    if not lines:
        return False
    first_line = lines[1] if lines[0] == "ZCZC" and len(lines) > 1 else lines[0]
    return bool(HEADER.match(first_line)) or lines[0].startswith("ZCZC")


def _slug_base(keywords: str) -> str:
    base = keywords.split(",")[0].strip()
    while True:
        stripped = _MARKERS.sub("", base).strip(" ,-")
        if stripped == base:
            return base
        base = stripped


def _trailer_time(line: str) -> datetime | None:
    m = TRAILER.match(line.strip())
    if not m:
        return None
    month = month_number(m.group("mon"))
    year = int(m.group("y"))
    year = year + 2000 if year < 100 else year
    if month is None:
        return None
    try:
        return datetime(
            year, month, int(m.group("d")), int(m.group("h")), int(m.group("m")), tzinfo=UTC
        )
    except ValueError:
        return None


@dataclass
class _Head:
    """What DPA-style header lines at the top of the text say."""

    keywords: list[str]
    markers: list[str]
    headline: str | None
    byline: str | None
    rest: list[str]


def _dpa_head(lines: list[str]) -> _Head | None:
    """The top block, when it is DPA's keyword / marker / 'headline =' block. It ends at
    a blank line, or where the text starts right after the ' =' line(s)."""
    start = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if start is None:
        return None
    end, seen_eq = start, False
    while end < len(lines) and lines[end].strip():
        ends_eq = lines[end].rstrip().endswith("=")
        if seen_eq and not ends_eq:
            break
        seen_eq = seen_eq or ends_eq
        end += 1
    block = [ln.strip() for ln in lines[start:end]]
    if not seen_eq and not any(ln.endswith("/") and " " not in ln for ln in block):
        return None
    head = _Head([], [], None, None, lines[end:])
    parts: list[str] = []
    for ln in block:
        if ln.endswith("/") and len(ln) < 80:
            head.keywords.append(ln.rstrip("/"))
        elif _MARKER_LINE.match(ln) and not ln.endswith("="):
            head.markers.append(ln.strip("()"))
        else:
            content = ln.rstrip("=").strip()
            if _BYLINE.match(content):
                head.byline = content
            elif content:
                parts.append(content)
    head.headline = " ".join(parts) or None
    if head.headline is None and head.keywords == [] and head.byline is None:
        return None
    return head


def _cut_notes(lines: list[str]) -> tuple[list[str], str | None]:
    """Text, then the desk signature; notes not for publication dropped."""
    out: list[str] = []
    for ln in lines:
        if _NOT_FOR_PUBLICATION.match(ln.strip()):
            break
        out.append(ln)

    def trim() -> None:
        while out and not out[-1].strip():
            out.pop()

    trim()
    while len(out) > 1 and _COPYRIGHT_LINE.match(out[-1].strip()):
        out.pop()  # the copyright trailer: boilerplate, not the story
        trim()
    signature = None
    if out and (end := _END_MARK.match(out[-1].strip())):
        out.pop()  # '(Schluss) hm/hel': end of text, then the desk's initials
        signature = end.group("desk") or None
    elif (
        len(out) > 1
        and not out[-2].strip()  # a line of its own
        and _DESK_SIGNATURE.match(out[-1].strip())
    ):
        signature = out.pop().strip()
    return out, signature


def _message(chunk: str, ctx: Context) -> Dispatch:
    chunk = chunk.replace(SYN, "").replace(EOT, "")
    if STX in chunk:
        head, _, rest = chunk.partition(STX)
        head_lines = [ln.strip() for ln in head.splitlines() if ln.strip() and ln.strip() != "ZCZC"]
    else:  # control characters lost: the header is the first line(s)
        all_lines = chunk.splitlines()
        head_lines, rest_lines = [], []
        for i, ln in enumerate(all_lines):
            if ln.strip() and ln.strip() != "ZCZC":
                head_lines = [ln.strip()]
                rest_lines = all_lines[i + 1 :]
                break
        rest = "\n".join(rest_lines)
    body, _, _after = rest.partition(ETX)
    body = re.split(r"^\s*NNNN\s*$", body, maxsplit=1, flags=re.M)[0]
    if not head_lines:
        raise RefusedInput("IPTC 7901 message without a header line")
    m = HEADER.match(head_lines[0])
    svc = m.group("svc") if m else ""
    keywords = (m.group("rest") if m else head_lines[0]).strip()
    profile, agency = DEFAULT, None
    national = NATIONAL.match(keywords)
    if national and (agency := known_agency(national.group("agency"))):
        profile = Profile(agency=agency, guid_with_headline=agency.startswith("DPA"))
        keywords = national.group("keywords").strip()
    if _SELECTOR.match(keywords):
        keywords = ""
    if m and not keywords and len(head_lines) > 1:
        keywords = head_lines[1].rstrip("/")  # two-line header: keywords on the second line

    lines = normalise_newlines(body).strip("\n").split("\n")
    created = None
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and (created := _trailer_time(lines[-1])):
        lines.pop()
    for after_line in _after.splitlines():  # the time after ETX ('111604 Nov 26')
        created = created or _trailer_time(after_line)
    lines, signature = _cut_notes(lines)
    dpa = _dpa_head(lines)
    text = "\n".join(dpa.rest if dpa else lines)
    if not text.strip() and not (dpa and dpa.headline):
        raise RefusedInput(f"IPTC 7901 message {svc}{m.group('num') if m else ''} has no text")
    [parsed] = parse_plaintext(text, source=ctx.source, received_at=ctx.received_at)
    headline = (dpa.headline if dpa else None) or parsed.headline
    slug = (
        (" / ".join(dpa.keywords) if dpa and dpa.keywords else None) or keywords or parsed.slugline
    )
    markers = " ".join(dpa.markers) if dpa else ""
    killed = is_kill_advisory(keywords, markers, headline, *(parsed.body[:1]))
    lowered = f"{keywords} {markers}".lower()
    kind = (
        EditKind.kill if killed
        else EditKind.correction if re.search(r"corr|corrige|berichtigung|korrektur", lowered)
        else EditKind.update if re.search(r"lead|update|prev|refile|neu|zusammenfassung", lowered)
        else EditKind.original
    )  # fmt: skip
    story_key = f"{svc}|{_slug_base(slug or '')}"
    if profile.guid_with_headline or not slug:
        story_key += f"|{headline or ' '.join(parsed.body[:1])}"
    cat = m.group("cat").lower() if m else None
    provider = profile.agency or parsed.provider or agency_name(svc) or (svc.upper() or None)
    return finish(
        parsed.body,
        ctx.received_at,
        guid=stable_guid(NAME, story_key),
        version=max(1, int(m.group("num"))) if m else 1,
        versioncreated=created or parsed.versioncreated,
        urgency=int(m.group("prio")) if m else None,
        headline=headline,
        slugline=slug,
        subjects=[Subject(code=cat, name=CATEGORIES.get(cat), scheme="iptc7901-category")]
        if cat
        else [],
        pubstatus=PubStatus.canceled if killed else PubStatus.usable,
        edit_kind=kind,
        dateline=parsed.dateline,
        credit=parsed.credit,
        sources=parsed.sources,
        signature=parsed.signature or signature,
        byline=byline_name(dpa.byline if dpa else None),
        provider=provider,
        format=NAME,
        source=ctx.source,
    )


def split_messages(text: str) -> list[str]:
    if SOH in text:
        return [c for c in text.split(SOH)[1:] if c.strip()]
    if re.search(r"^ZCZC\b", text, re.M):
        return [c for c in re.split(r"^(?=ZCZC\b)", text, flags=re.M) if c.strip()]
    return [text] if text.strip() else []


def parse(data: bytes, ctx: Context) -> Parsed:
    text = decode_text_strict(data, ctx.encoding) if ctx.encoding else decode_bytes(data)[0]
    chunks = split_messages(text)
    if not chunks:
        raise RefusedInput("no IPTC 7901 message (SOH or ZCZC) found")
    return each_item(chunks, lambda c: _message(c, ctx), "IPTC 7901 message")
