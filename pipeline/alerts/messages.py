"""What a delivery sends, as pure functions: webhook payloads, their HMAC signature, digest
e-mails, and when to try again."""

from __future__ import annotations

import hashlib
import hmac
import html
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Literal
from urllib.parse import quote

from pipeline.render.labels import event_label
from pipeline.store.saved_searches import Alert

SIGNATURE_HEADER = "X-Wire-Signature"
DELIVERY_HEADER = "X-Wire-Delivery"
MAX_BACKOFF_S = 900.0


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`X-Wire-Signature` value: 't=UNIX,v1=HEX', HEX = HMAC-SHA256(secret, 'UNIX.' + body).
    The timestamp is signed too, so a receiver can refuse old replays."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance_s: float = 300) -> bool:
    """What a receiver does: the signature matches and is recent (constant-time compare)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff(attempts: int, base_s: float) -> float:
    """Seconds before try number attempts + 1: base, 2 base, 4 base ... at most 15 min."""
    return float(min(MAX_BACKOFF_S, base_s * 2 ** max(0, attempts - 1)))


def dispatch_url(page_url: str, guid: str) -> str:
    return f"{page_url.rstrip('/')}/dispatches/{quote(guid, safe='')}"


def urgency_word(urgency: int | None) -> str | None:
    return {1: "FLASH", 2: "URGENT"}.get(urgency or 0)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else ""


def _line(a: Alert) -> str:
    """'URGENT · AFP · Paris · 2026-11-24 04:56 UTC': what, who, where, when."""
    bits = [urgency_word(a.urgency), a.provider, a.dateline_place, _when(a.published)]
    return " · ".join(b for b in bits if b)


def _events(a: Alert) -> str:
    return ", ".join(event_label(t, a.language) for t in a.event_types)


def text_line(a: Alert, page_url: str) -> str:
    """One plain line for chat: «saved search» headline (meta) url."""
    meta = _line(a)
    return (
        f"«{a.saved_search_name}» {a.headline or a.guid}"
        + (f" ({meta})" if meta else "")
        + f" {dispatch_url(page_url, a.guid)}"
    )


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(
    a: Alert, fmt: Literal["slack", "teams", "json"], page_url: str
) -> dict[str, Any]:
    """The JSON body for one alert: a Slack incoming-webhook message, a Teams message with
    an adaptive card, or the alert itself (with a `text` line any chat accepts)."""
    url = dispatch_url(page_url, a.guid)
    headline = a.headline or a.guid
    events = _events(a)
    if fmt == "slack":
        context = f"Saved search *{_slack_escape(a.saved_search_name)}*"
        if events:
            context += f" · {_slack_escape(events)}"
        urgent = urgency_word(a.urgency)
        return {
            "text": text_line(a, page_url),
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": (f":rotating_light: *{urgent}* " if urgent else "")
                        + f"*<{url}|{_slack_escape(headline)}>*\n{_slack_escape(_line(a))}",
                    },
                },
                {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
            ],
        }
    if fmt == "teams":
        facts = [
            {"title": title, "value": value}
            for title, value in (
                ("Saved search", a.saved_search_name),
                ("Agency", a.provider or ""),
                ("Place", a.dateline_place or ""),
                ("Published", _when(a.published)),
                ("Events", events),
            )
            if value
        ]
        body: list[dict[str, Any]] = []
        if urgency_word(a.urgency):
            body.append(
                {
                    "type": "TextBlock",
                    "text": urgency_word(a.urgency),
                    "color": "Attention",
                    "weight": "Bolder",
                }
            )
        body += [
            {
                "type": "TextBlock",
                "text": headline,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "FactSet", "facts": facts},
        ]
        return {
            "type": "message",
            "summary": text_line(a, page_url),
            "text": text_line(a, page_url),
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": body,
                        "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": url}],
                    },
                }
            ],
        }
    return {
        "text": text_line(a, page_url),
        "url": url,
        "alert": a.model_dump(mode="json"),
        "event_labels": {t: event_label(t, a.language) for t in a.event_types},
    }


def digest_email(
    saved_search_name: str,
    alerts: Sequence[Alert],
    *,
    sender: str,
    to: Sequence[str],
    page_url: str,
) -> EmailMessage:
    """One e-mail with every alert of the period, newest first: plain text and HTML."""
    ordered = sorted(alerts, key=lambda a: a.published or a.matched_at, reverse=True)
    n = len(ordered)
    urgent = sum(1 for a in ordered if urgency_word(a.urgency))
    msg = EmailMessage()
    msg["Subject"] = (
        f"[wirestream] «{saved_search_name}»: {n} new dispatch{'es' if n > 1 else ''}"
        + (f" ({urgent} urgent)" if urgent else "")
    )
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = make_msgid(domain="wirestream")
    lines = [f"{n} new dispatch(es) match your saved search «{saved_search_name}».", ""]
    for a in ordered:
        tag = urgency_word(a.urgency)
        lines.append((f"[{tag}] " if tag else "") + (a.headline or a.guid))
        meta = " · ".join(
            b for b in (a.provider, a.dateline_place, _when(a.published), _events(a)) if b
        )
        if meta:
            lines.append(f"  {meta}")
        lines.append(f"  {dispatch_url(page_url, a.guid)}")
        lines.append("")
    lines.append(f"Alerts page: {page_url.rstrip('/')}/#alerts")
    msg.set_content("\n".join(lines))
    items = []
    for a in ordered:
        tag = urgency_word(a.urgency)
        meta = " · ".join(
            b for b in (a.provider, a.dateline_place, _when(a.published), _events(a)) if b
        )
        items.append(
            "<li style='margin-bottom:10px'>"
            + (f"<b style='color:#b3261e'>{tag}</b> " if tag else "")
            + f"<a href='{html.escape(dispatch_url(page_url, a.guid))}'><b>{html.escape(a.headline or a.guid)}</b></a>"
            + f"<br><span style='color:#5d6670'>{html.escape(meta)}</span></li>"
        )
    msg.add_alternative(
        "<html><body style='font-family:system-ui,sans-serif'>"
        f"<p>{n} new dispatch(es) match your saved search <b>«{html.escape(saved_search_name)}»</b>.</p>"
        f"<ol>{''.join(items)}</ol>"
        f"<p><a href='{html.escape(page_url.rstrip('/'))}/#alerts'>Alerts page</a></p>"
        "</body></html>",
        subtype="html",
    )
    return msg
