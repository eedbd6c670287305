"""RFC 822 / MIME e-mail dispatches (agencies' mail services, desks forwarding copy).

Subject -> headline (RFC 2047 encoded words decoded, 'Fwd:' / '[TAG]' prefixes off),
Message-ID -> guid, Date -> versioncreated, From -> agency when the address says so.
The text is the first text/plain part (else text/html), with its transfer encoding
(quoted-printable, base64) undone and its declared charset verified
(connectors.formats.charset), then read as plain wire copy (dateline, signature).
Attachments that are themselves wire documents are not unpacked.
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr

from connectors.errors import RefusedInput
from connectors.formats.agencies import known_agency
from connectors.formats.base import Context, Parsed, strip_head
from connectors.formats.charset import decode_bytes
from connectors.formats.common import clean, finish, html_paragraphs, parse_datetime
from connectors.formats.plaintext import parse_plaintext, stable_guid

NAME = "email"
_HEADER = re.compile(rb"^([A-Za-z][A-Za-z0-9-]{1,40}):[ \t]?", re.M)
_MAIL_HEADERS = {
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"received",
    b"return-path", b"content-type", b"reply-to", b"sender", b"delivered-to", b"cc",
}  # fmt: skip
_SIGNATURE_BLOCK = re.compile(r"^-- ?\r?$", re.M)
_SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:(?:re|fwd?|tr|wg|aw)\s*:|\[[^\]]{1,30}\]))+\s*", re.I)


def sniff(head: bytes) -> bool:
    h = strip_head(head)
    block = re.split(rb"\r?\n\r?\n", h, maxsplit=1)[0]
    first_line = block.split(b"\n", 1)[0]
    if not (_HEADER.match(first_line) or first_line.startswith(b"From ")):
        return False
    names = {m.group(1).lower() for m in _HEADER.finditer(block)}
    return len(names & _MAIL_HEADERS) >= 2 and (b"from" in names or b"subject" in names)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    return decode_bytes(payload, part.get_content_charset())[0]


def _body_part(msg: EmailMessage) -> tuple[str, str] | None:
    """(text, subtype) of the text the mail carries, plain preferred."""
    found: dict[str, Message] = {}
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.get_content_disposition() == "attachment":
            continue
        found.setdefault(part.get_content_subtype(), part)
    for subtype in ("plain", "html"):
        if subtype in found:
            return _part_text(found[subtype]), subtype
    return None


def parse(data: bytes, ctx: Context) -> Parsed:
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)
    try:
        subject = str(msg.get("Subject") or "")
    except (ValueError, TypeError, IndexError):
        subject = ""
    if "\ufffd" in subject or re.search(r"[\udc80-\udcff]", subject):
        raw = re.search(rb"^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)", data, re.M | re.I)
        subject = decode_bytes(raw.group(1))[0] if raw else subject
    headline = clean(_SUBJECT_PREFIX.sub("", subject)) or None
    part = _body_part(msg)
    if part is None:
        raise RefusedInput("e-mail has no text part (text/plain or text/html)")
    content, subtype = part
    if subtype == "html":
        paragraphs = html_paragraphs(content)
        content = "\n\n".join(paragraphs)
    content = _SIGNATURE_BLOCK.split(content, maxsplit=1)[0]  # '-- ' and the sender's card
    if not content.strip():
        raise RefusedInput(f"e-mail {headline or ''!r} has no body text")
    [copy] = parse_plaintext(content, source=ctx.source, received_at=ctx.received_at)
    if not copy.body:
        raise RefusedInput(f"e-mail {headline or ''!r} has no body text")
    body = copy.body
    if copy.headline and copy.headline != headline:
        body = [copy.headline, *body] if headline else body
        headline = headline or copy.headline
    message_id = str(msg.get("Message-ID") or "").strip().strip("<>")
    _name, address = parseaddr(str(msg.get("From") or ""))
    date = str(msg.get("Date") or "") or None
    return Parsed(
        [
            finish(
                body,
                ctx.received_at,
                guid=f"urn:email:{message_id}"[:512]
                if message_id
                else stable_guid(NAME, " ".join([headline or "", *body])),
                versioncreated=parse_datetime(date) or copy.versioncreated,
                headline=headline,
                slugline=copy.slugline,
                dateline=copy.dateline,
                credit=copy.credit,
                sources=copy.sources,
                signature=copy.signature,
                provider=copy.provider or known_agency(address) or known_agency(_name),
                format=NAME,
                source=ctx.source,
            )
        ]
    )
