"""The two effects of delivery: one signed HTTP POST, one SMTP submission. Each returns
None when it went through, else a one-line reason (the delivery log keeps it)."""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage

import httpx
import orjson

from pipeline.alerts.messages import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from pipeline.settings import Settings


def post_webhook(
    client: httpx.Client,
    url: str,
    payload: dict[str, object],
    *,
    secret: str,
    delivery_id: str,
    timeout_s: float,
    now: float | None = None,
) -> str | None:
    body = orjson.dumps(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "wirestream-alerts/1",
        SIGNATURE_HEADER: sign(secret, body, int(now if now is not None else time.time())),
        DELIVERY_HEADER: delivery_id,
    }
    try:
        resp = client.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    if resp.status_code >= 300:
        return f"HTTP {resp.status_code}: {resp.text[:200]}"
    return None


def send_email(settings: Settings, msg: EmailMessage) -> str | None:
    try:
        smtp: smtplib.SMTP
        if settings.smtp_ssl:
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=30,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None
