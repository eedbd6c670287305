"""Plain wire copy, as agencies print it.

    [SLUG-LINE]                         optional, one token with hyphens
    [Headline]                          optional, a short line
    New York (awp/afp) - Lead paragraph...
    Body paragraphs separated by blank lines.
    afp/rp                              desk signature

The dateline carries the place, an optional date and the credit line.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from connectors.errors import RefusedInput
from connectors.formats.base import Context, Parsed
from connectors.formats.decode import decode_text
from schemas import Dateline, Dispatch
from schemas.calendar import month_number

NAME = "plaintext"


def sniff(head: bytes) -> bool:
    """The fallback: anything no other format claims."""
    return True


def parse(data: bytes, ctx: Context) -> Parsed:
    """Plain copy declares no charset: UTF-8 (or what --encoding says), else refused
    with a hint, rather than guessed."""
    text = decode_text(data, ctx.encoding)
    if not text.strip():
        raise RefusedInput("empty document (only whitespace)", stage="decode")
    return Parsed(parse_plaintext(text, source=ctx.source, received_at=ctx.received_at))


DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-Ý][^\n(),]{0,60}?)"
    r"(?:\s*\((?P<country>[^()\n]{2,30})\))?"  # 'ROUBAIX (France), 20 nov 2026 (AFP) -'
    r"(?:,\s*(?P<date>[^()\n]{3,40}?))?"
    # '(AFP) -', AP's '(AP) _', EFE's '(EFE).-', NTB's '(NTB):'
    r"\s*\((?P<credit>[^\W\d_][\w ./&'-]{0,40})\)\s*\.?\s*(?:[-–—]+|_|:)\s*",
)
SIGNATURE = re.compile(r"^[A-Za-z]{2,8}(?:[/-][A-Za-z0-9]{1,10}){1,6}$")
SLUGLINE = re.compile(r"^[A-Za-zÀ-ÿ0-9]+(?:[-,][A-Za-zÀ-ÿ0-9]+){1,10}$")
_DATE_DMY = re.compile(r"(?P<d>\d{1,2})(?:er)?\s+(?P<m>[A-Za-zéû]+)\.?(?:\s+(?P<y>\d{4}))?")
_DATE_MDY = re.compile(r"(?P<m>[A-Za-z]+)\.?\s+(?P<d>\d{1,2})(?:,\s*(?P<y>\d{4}))?")


def normalise_newlines(text: str) -> str:
    """CR LF, CR CR LF (a terminal's doubled CR) and lone CR all become LF."""
    return re.sub(r"\r+\n|\r", "\n", text)


def _paragraphs(text: str) -> list[str]:
    text = normalise_newlines(text)
    blocks = re.split(r"\n\s*\n", text)
    return [" ".join(line.strip() for line in b.splitlines() if line.strip()) for b in blocks]


def parse_dateline_date(text: str | None, reference: datetime) -> datetime | None:
    """'Feb 21, 2019', '24 nov 2026', 'Nov 24' -> a date (year from reference if absent)."""
    if not text:
        return None
    for rx in (_DATE_DMY, _DATE_MDY):
        m = rx.search(text)
        if not m:
            continue
        month = month_number(m.group("m"))
        if month is None:
            continue
        year = int(m.group("y")) if m.group("y") else reference.year
        try:
            return datetime(year, month, int(m.group("d")), tzinfo=UTC)
        except ValueError:
            return None
    return None


def credit_sources(credit: str | None) -> list[str]:
    if not credit:
        return []
    return [part.strip().upper() for part in re.split(r"[/,&]| and ", credit) if part.strip()]


def stable_guid(kind: str, text: str) -> str:
    """A guid for input that carries none: the same words give the same guid."""
    canonical = " ".join(text.split()).casefold()
    return f"urn:wirestream:{kind}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def parse_plaintext(text: str, *, source: str, received_at: datetime) -> list[Dispatch]:
    paras = [p for p in _paragraphs(text) if p]
    headline: str | None = None
    slugline: str | None = None
    signature: str | None = None
    dateline = Dateline()
    credit: str | None = None

    if paras and SIGNATURE.match(paras[-1]):
        signature = paras.pop()

    # Header lines before the dateline paragraph (slug, headline).
    lead_index = next((i for i, p in enumerate(paras[:4]) if DATELINE.match(p)), None)
    if lead_index is not None:
        header_lines = [
            line.strip()
            for block in re.split(r"\n\s*\n", normalise_newlines(text))[:lead_index]
            for line in block.splitlines()
            if line.strip()
        ]
        for p in header_lines:
            if slugline is None and headline is None and SLUGLINE.match(p) and " " not in p:
                slugline = p
            elif headline is None:
                headline = p
        paras = paras[lead_index:]
        m = DATELINE.match(paras[0])
        assert m is not None
        place = m.group("place").strip()
        credit = m.group("credit").strip()
        dateline = Dateline(
            place=place,
            date=parse_dateline_date(m.group("date"), received_at),
            text=paras[0][: m.end()].strip().rstrip("-–— ").strip(),
        )
        paras[0] = paras[0][m.end() :].strip()
    elif len(paras) > 1 and len(paras[0]) <= 160 and not paras[0].endswith((".", "!", "?")):
        headline = paras.pop(0)

    sources = credit_sources(credit)
    provider = None
    if signature:
        first = signature.split("/")[0].split("-")[0].upper()
        provider = first if first in sources or not sources else None
    if provider is None and sources:
        provider = "AFP" if "AFP" in sources else sources[-1]

    return [
        Dispatch(
            guid=stable_guid("plaintext", text),
            version=1,
            versioncreated=dateline.date,
            received_at=received_at,
            headline=headline,
            slugline=slugline,
            body=[p for p in paras if p],
            dateline=dateline,
            credit=credit,
            sources=sources,
            provider=provider,
            signature=signature,
            format="plaintext",
            source=source,
        )
    ]
