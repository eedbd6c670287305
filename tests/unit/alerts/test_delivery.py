"""Alert delivery: payloads, signatures, digests and retries as data; then the two effects
against a real local HTTP receiver and a real local SMTP server (aiosmtpd), no mocks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from pipeline.alerts.log import DeliveryEntry, after_attempt, digest_groups, plan
from pipeline.alerts.messages import (
    backoff,
    digest_email,
    dispatch_url,
    sign,
    verify,
    webhook_payload,
)
from pipeline.alerts.send import post_webhook, send_email
from pipeline.settings import Settings
from pipeline.store.saved_searches import (
    Alert,
    AlertDelivery,
    EmailDigest,
    SavedSearch,
    SavedSearchIn,
    Webhook,
)
from pipeline.store.search import SearchQuery
from tests.receivers import smtp_server, webhook_receiver

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PAGE = "https://wire.example/"


def alert(i: int = 1, urgency: int | None = None, language: str = "fr") -> Alert:
    return Alert(
        id=f"s1:urn:afp:{i}:1",
        saved_search_id="s1",
        saved_search_name="Levées de fonds",
        owner="anonymous",
        guid=f"urn:afp:{i}",
        version=1,
        headline=f"Mistral AI lève 600 millions d'euros <{i}>",
        published=NOW - timedelta(minutes=i),
        provider="AFP",
        language=language,
        matched_at=NOW,
        urgency=urgency,
        dateline_place="PARIS",
        event_types=["funding_round"],
    )


def saved(every: int = 30) -> SavedSearch:
    return SavedSearch(
        id="s1",
        name="Levées de fonds",
        owner="anonymous",
        query=SearchQuery(event_types=["funding_round"]),
        created=NOW,
        delivery=AlertDelivery(
            webhooks=[
                Webhook(url="https://hooks.example/a", format="slack", secret="s" * 20),
                Webhook(url="https://hooks.example/b", format="teams", secret="t" * 20),
            ],
            email=EmailDigest(to=["desk@example.org"], every_minutes=every),
        ),
    )


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    import hashlib
    import hmac

    body = b'{"text":"x"}'
    header = sign("k" * 16, body, 1_700_000_000)
    expected = hmac.new(b"k" * 16, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify("k" * 16, header, body, now=1_700_000_100)
    assert not verify("k" * 16, header, body + b" ", now=1_700_000_100)  # body changed
    assert not verify("wrong-secret-xxxx", header, body, now=1_700_000_100)
    assert not verify("k" * 16, header, body, now=1_700_009_000)  # too old: a replay
    assert not verify("k" * 16, "garbage", body, now=1_700_000_000)


def test_retries_wait_longer_each_time() -> None:
    assert [backoff(n, 5) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(30, 5) == 900  # at most 15 minutes


def test_slack_payload() -> None:
    p = webhook_payload(alert(urgency=2), "slack", PAGE)
    assert p["text"].startswith("«Levées de fonds» Mistral AI lève 600 millions d'euros <1>")
    section = p["blocks"][0]["text"]["text"]
    assert section.startswith(":rotating_light: *URGENT* ")
    assert f"<{dispatch_url(PAGE, 'urn:afp:1')}|Mistral AI" in section
    assert "&lt;1&gt;" in section  # Slack's escaping
    assert "Levée de fonds" in p["blocks"][1]["elements"][0]["text"]  # label, in French
    assert dispatch_url(PAGE, "urn:afp:1") == "https://wire.example/dispatches/urn%3Aafp%3A1"


def test_teams_payload_is_an_adaptive_card() -> None:
    p = webhook_payload(alert(urgency=1, language="en"), "teams", PAGE)
    assert p["type"] == "message" and p["text"]
    [att] = p["attachments"]
    card = att["content"]
    assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0] == {
        "type": "TextBlock",
        "text": "FLASH",
        "color": "Attention",
        "weight": "Bolder",
    }
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Events"] == "Funding round" and facts["Agency"] == "AFP"
    assert card["actions"][0]["url"].endswith("/dispatches/urn%3Aafp%3A1")


def test_json_payload_keeps_the_alert() -> None:
    p = webhook_payload(alert(), "json", PAGE)
    assert p["alert"]["guid"] == "urn:afp:1" and p["event_labels"] == {
        "funding_round": "Levée de fonds"
    }
    assert p["text"]


def test_digest_email_lists_every_alert_newest_first() -> None:
    msg = digest_email(
        "Levées de fonds",
        [alert(3), alert(1, urgency=1), alert(2)],
        sender="wirestream <alerts@example.org>",
        to=["desk@example.org", "chef@example.org"],
        page_url=PAGE,
    )
    assert msg["Subject"] == "[wirestream] «Levées de fonds»: 3 new dispatches (1 urgent)"
    assert msg["To"] == "desk@example.org, chef@example.org"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert text.index("<1>") < text.index("<2>") < text.index("<3>")
    assert "[FLASH] Mistral AI" in text and "Levée de fonds" in text
    assert "https://wire.example/dispatches/urn%3Aafp%3A2" in text
    assert "&lt;1&gt;" in html and "<b style='color:#b3261e'>FLASH</b>" in html


def test_plan_each_webhook_now_and_the_digest_at_the_end_of_its_period() -> None:
    entries = plan(alert(), saved(every=30), NOW)
    assert [(e.id, e.channel, e.next_attempt_at) for e in entries] == [
        ("s1:urn:afp:1:1|webhook:0", "webhook", NOW),
        ("s1:urn:afp:1:1|webhook:1", "webhook", NOW),
        ("s1:urn:afp:1:1|email", "email", NOW + timedelta(minutes=30)),
    ]
    assert entries[2].target == "desk@example.org"
    assert plan(alert(), saved().model_copy(update={"delivery": AlertDelivery()}), NOW) == []


def test_a_failing_delivery_is_retried_then_failed() -> None:
    [entry, *_] = plan(alert(), saved(), NOW)
    kw = {"max_attempts": 3, "retry_base_s": 5.0}
    first = after_attempt(entry, "HTTP 500", NOW, **kw)
    assert (first.status, first.attempts, first.next_attempt_at) == (
        "retrying",
        1,
        NOW + timedelta(seconds=5),
    )
    second = after_attempt(first, "HTTP 500", NOW, **kw)
    assert second.next_attempt_at == NOW + timedelta(seconds=10)
    third = after_attempt(second, "timeout", NOW, **kw)
    assert (third.status, third.attempts, third.last_error) == ("failed", 3, "timeout")
    ok = after_attempt(first, None, NOW, **kw)
    assert (ok.status, ok.attempts, ok.delivered_at, ok.last_error) == ("delivered", 2, NOW, None)


def test_a_due_digest_takes_every_open_email_of_its_saved_search() -> None:
    a, b = (plan(alert(i), saved(), NOW)[2] for i in (1, 2))
    other = plan(alert(3), saved(), NOW)[2].model_copy(update={"saved_search_id": "s2"})
    groups = digest_groups([a], [a, b, other])
    assert {k: [e.alert_id for e in v] for k, v in groups.items()} == {
        "s1": ["s1:urn:afp:1:1", "s1:urn:afp:2:1"]
    }


def test_saved_search_delivery_is_validated() -> None:
    with pytest.raises(ValueError, match="not an e-mail address"):
        EmailDigest(to=["not-an-address"])
    with pytest.raises(ValueError):
        Webhook(url="ftp://x")
    with pytest.raises(ValueError):
        Webhook(url="https://x", secret="short")
    item = SavedSearchIn.model_validate(
        {
            "name": "n",
            "query": {"text": "Airbus"},
            "delivery": {"webhooks": [{"url": "https://h/x"}]},
        }
    )
    assert item.delivery.webhooks[0].format == "json"
    assert saved().delivery.masked().webhooks[0].secret == "********"


def test_webhook_post_is_signed_and_a_refusal_is_a_reason() -> None:
    payload = webhook_payload(alert(), "slack", PAGE)
    with webhook_receiver(fail_first=1) as hook, httpx.Client() as client:
        refused = post_webhook(
            client, hook.url, payload, secret="k" * 20, delivery_id="d1", timeout_s=5
        )
        assert refused is not None and refused.startswith("HTTP 500")
        assert (
            post_webhook(client, hook.url, payload, secret="k" * 20, delivery_id="d1", timeout_s=5)
            is None
        )
        call = hook.calls[-1]
        assert call.path == "/hook" and call.headers["content-type"] == "application/json"
        assert call.headers["x-wire-delivery"] == "d1"
        assert verify("k" * 20, call.headers["x-wire-signature"], call.body, now=time.time())
        assert orjson.loads(call.body) == payload
    with httpx.Client() as client:  # nobody listens any more
        gone = post_webhook(
            client, hook.url, payload, secret="k" * 20, delivery_id="d", timeout_s=2
        )
        assert gone is not None and "Connect" in gone


def test_digest_goes_through_a_real_smtp_server() -> None:
    msg = digest_email(
        "Levées de fonds",
        [alert(1), alert(2)],
        sender="wirestream <alerts@example.org>",
        to=["desk@example.org"],
        page_url=PAGE,
    )
    with smtp_server() as box:
        s = Settings(smtp_host=box.host, smtp_port=box.port)
        assert send_email(s, msg) is None
        [got] = box.messages
        assert got["Subject"] == msg["Subject"]
        assert box.envelopes == [("alerts@example.org", ["desk@example.org"])]
        assert "<2>" in got.get_body(("plain",)).get_content()
    refused = send_email(Settings(smtp_host="127.0.0.1", smtp_port=box.port), msg)
    assert refused is not None and "Connection" in refused


def test_entries_round_trip_as_json() -> None:
    entry = plan(alert(), saved(), NOW)[0]
    assert DeliveryEntry.model_validate(orjson.loads(entry.model_dump_json())) == entry
