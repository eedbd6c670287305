"""IPTC 7901 wire transmissions: SOH, header line, STX, text, ETX; several per file.

    SOH AFP0417 4 eco 0380 Auto-Amazon-GM-emploi,2ndlead
    STX <headline line> / dateline lead / body / signature / '211530 GMT FEB 19' ETX

Header fields: service + message number, priority (1 = flash .. 5), category,
word count, keywords (the story slug). The message number increases with each
transmission, so it orders versions; the guid comes from service + slug base, so
every lead, update, correction or kill of one story shares it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from connectors.errors import RefusedInput
from connectors.formats.common import is_kill_advisory
from connectors.formats.plaintext import parse_plaintext, stable_guid
from schemas import Dispatch, EditKind, PubStatus, Subject
from schemas.calendar import month_number

SOH, STX, ETX = "\x01", "\x02", "\x03"
HEADER = re.compile(
    r"^(?:ZCZC\s+)?(?P<svc>[A-Z]{2,5})(?P<num>\d{2,6})\s+(?P<prio>[1-9])\s+(?P<cat>[A-Za-z]{2,4})"
    r"\s+(?P<words>\d{1,6})\s*(?P<keywords>.*)$"
)
TRAILER = re.compile(
    r"^(?P<d>\d{2})(?P<h>\d{2})(?P<m>\d{2})\s+GMT\s+(?P<mon>[A-Za-z]{3})\s+(?P<y>\d{2,4})$"
)
_MARKERS = re.compile(
    r"[,\s]*(?:\d+(?:st|nd|rd|th)lead|lead|update|urgent|prev|corr(?:ection)?|corrige|kill|eliminate"
    r"|annulation|adv(?:isory)?|\(\w+\))$",
    re.IGNORECASE,
)
CATEGORIES = {
    "eco": "economy", "pol": "politics", "spo": "sport", "soc": "society", "dip": "diplomacy",
    "clt": "culture", "sci": "science", "hlt": "health", "acc": "accident", "war": "conflict",
}  # fmt: skip


def _slug_base(keywords: str) -> str:
    base = keywords.split(",")[0].strip()
    while True:
        stripped = _MARKERS.sub("", base).strip(" ,-")
        if stripped == base:
            return base
        base = stripped


def _trailer_time(line: str, reference: datetime) -> datetime | None:
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


def _message(chunk: str, source: str, received_at: datetime) -> Dispatch:
    head, _, rest = chunk.partition(STX)
    body, _, _ = rest.partition(ETX)
    header_line = next((line.strip() for line in head.splitlines() if line.strip()), "")
    m = HEADER.match(header_line)
    if m is None:
        raise RefusedInput(f"IPTC 7901 header not understood: {header_line[:60]!r}")
    lines = body.strip("\r\n").splitlines()
    created = None
    if lines and (created := _trailer_time(lines[-1], received_at)):
        lines = lines[:-1]
    keywords = m.group("keywords").strip()
    [parsed] = parse_plaintext("\n".join(lines), source=source, received_at=received_at)
    killed = is_kill_advisory(keywords, parsed.headline, *(parsed.body[:1]))
    lowered = keywords.lower()
    kind = (
        EditKind.kill if killed
        else EditKind.correction if re.search(r"corr|corrige", lowered)
        else EditKind.update if re.search(r"lead|update|prev", lowered)
        else EditKind.original
    )  # fmt: skip
    cat = m.group("cat").lower()
    return parsed.model_copy(
        update={
            "guid": stable_guid("iptc7901", f"{m.group('svc')}|{_slug_base(keywords)}"),
            "version": int(m.group("num")),
            "versioncreated": created or parsed.versioncreated,
            "urgency": int(m.group("prio")),
            "slugline": keywords or parsed.slugline,
            "subjects": [Subject(code=cat, name=CATEGORIES.get(cat), scheme="iptc7901-category")],
            "pubstatus": PubStatus.canceled if killed else PubStatus.usable,
            "edit_kind": kind,
            "provider": parsed.provider or m.group("svc"),
            "format": "iptc7901",
        }
    )


def parse_iptc7901(text: str, *, source: str, received_at: datetime) -> list[Dispatch]:
    chunks = [c for c in text.split(SOH)[1:] if c.strip()]
    if not chunks:
        raise RefusedInput("no IPTC 7901 message (SOH) found")
    return [_message(c, source, received_at) for c in chunks]
