"""A newsroom's daily tool against the real stack: entity timelines (API and terminal),
alert history, and alert delivery to a real local webhook receiver and SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from elasticsearch import Elasticsearch

from pipeline.alerts.deliver import Deliverer
from pipeline.alerts.messages import verify
from pipeline.settings import Settings
from tests.helpers import FIXTURES, ROOT
from tests.integration.conftest import wait_for
from tests.receivers import smtp_server, webhook_receiver

pytestmark = pytest.mark.integration
ADMIN = {"X-API-Key": "test-admin"}
SUBSCRIBER = {"X-API-Key": "test-subscriber"}
OVH = FIXTURES / "live" / "afp-fr-ovhcloud-rachat.txt"


def _push(api: str, data: bytes) -> list[str]:
    r = httpx.post(f"{api}/v1/dispatches", content=data, headers=ADMIN, timeout=30)
    assert r.status_code == 202, r.text
    guids: list[str] = r.json()["queued"]
    return guids


def _get(api: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{api}{path}", params=params, headers=SUBSCRIBER, timeout=30)


def _wire(wire_env: dict[str, str], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=ROOT,
        env=os.environ | wire_env | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_entity_timeline_in_the_api_and_the_terminal(
    api: str, worker: Path, wire_env: dict[str, str]
) -> None:
    [guid] = _push(api, OVH.read_bytes())

    def timeline() -> dict[str, Any] | None:
        r = _get(api, "/v1/entities/OVHcloud")
        if r.status_code != 200:
            return None
        body: dict[str, Any] = r.json()
        return body if guid in [d["guid"] for d in body["dispatches"]] else None

    t = wait_for(timeline, what="OVHcloud's timeline")
    assert isinstance(t, dict)
    assert t["entity"]["id"] == "org:ovhcloud" and t["entity"]["type"] == "ORG"
    [acq] = [e for e in t["events"] if e["type"] == "acquisition" and e["dispatch_guid"] == guid]
    assert acq["type_label"] == {"en": "Acquisition", "fr": "Rachat"}
    assert (
        acq["amount"]["value"] == 60_000_000 and acq["amount"]["display"] == "60 millions d'euros"
    )
    assert acq["source"]["provider"] == "AFP" and acq["source"]["guid"] == guid
    assert acq["roles_of_entity"]
    times = [e["versioncreated"] or "" for e in t["events"]]
    assert times == sorted(times)  # oldest first
    assert "Gridscale" in {r["name"] for r in t["related"]}
    by_id = _get(api, "/v1/entities/org:ovhcloud").json()
    assert by_id["entity"] == t["entity"]
    assert _get(api, "/v1/entities/Nobody Atall").status_code == 404

    for width, height in ((80, 24), (160, 48)):
        shown = _wire(
            wire_env, "entity", "OVHcloud", COLUMNS=str(width), LINES=str(height), WIRE_UI_LANG="fr"
        )
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.splitlines()
        assert all(len(line) <= width for line in lines), shown.stdout
        assert "OVHcloud" in lines[0] and "org:ovhcloud" in lines[0]
        assert "Rachat" in shown.stdout and "60 millions d'euros" in shown.stdout
        assert "Gridscale" in shown.stdout
    as_json = orjson.loads(_wire(wire_env, "entity", "org:ovhcloud", "--json").stdout)
    assert as_json["entity"]["id"] == "org:ovhcloud"


def test_alerts_have_history_and_are_delivered_by_webhook_and_digest(
    api: str, worker: Path, settings: Settings, es: Elasticsearch, wire_env: dict[str, str]
) -> None:
    word = f"Delivtest{int(time.time())}"
    with webhook_receiver(fail_first=1) as hook, smtp_server() as mailbox:
        saved = httpx.post(
            f"{api}/v1/saved-searches",
            json={
                "name": f"desk {word}",
                "query": {"text": word},
                "delivery": {
                    "webhooks": [{"url": hook.url, "format": "slack"}],
                    "email": {"to": ["desk@example.org"], "every_minutes": 5},
                },
            },
            headers=SUBSCRIBER,
            timeout=30,
        )
        assert saved.status_code == 201, saved.text
        created = saved.json()
        secret = created["delivery"]["webhooks"][0]["secret"]
        assert secret and len(secret) >= 16  # made for us, shown once
        listed = _get(api, "/v1/saved-searches").json()
        mine = next(s for s in listed if s["id"] == created["id"])
        assert mine["delivery"]["webhooks"][0]["secret"] == "********"
        time.sleep(1.5)  # the worker reloads saved searches every 0.5 s here

        text = OVH.read_bytes().replace(b"Gridscale", word.encode())
        [guid] = _push(api, text)

        def history() -> list[dict[str, Any]]:
            r = _get(api, "/v1/alerts", saved_search=created["id"])
            assert r.status_code == 200, r.text
            alerts: list[dict[str, Any]] = r.json()["alerts"]
            return alerts

        [alert] = wait_for(history, what="the alert in the history")  # type: ignore[misc]
        assert alert["guid"] == guid and word in alert["headline"]
        assert alert["deliveries"] == []  # nothing delivered yet

        s = settings.model_copy(
            update={
                "smtp_host": mailbox.host,
                "smtp_port": mailbox.port,
                "delivery_retry_base_s": 0.2,
                "page_url": "https://wire.example",
            }
        )
        with httpx.Client() as http:
            deliverer = Deliverer(s, es, http)
            try:
                # first pass: plans; the webhook answers 500 once, then takes the retry
                def webhook_delivered() -> bool:
                    deliverer.run_once(timeout_ms=1000)
                    return len(hook.calls) >= 2

                wait_for(webhook_delivered, timeout=60, what="the webhook retried and delivered")
                # the digest is due at the end of its period: five minutes on
                later = datetime.now(UTC) + timedelta(minutes=6)
                assert deliverer.send_due(later) >= 1
            finally:
                deliverer.close()

        first, second = hook.calls[:2]
        assert first.body == second.body  # the same message, tried again
        assert verify(secret, second.headers["x-wire-signature"], second.body, time.time())
        payload = orjson.loads(second.body)
        assert payload["text"].startswith(f"«desk {word}» OVHcloud rachète")
        assert "https://wire.example/dispatches/" in payload["blocks"][0]["text"]["text"]
        [mail] = mailbox.messages
        assert mail["To"] == "desk@example.org"
        assert mail["Subject"] == f"[wirestream] «desk {word}»: 1 new dispatch"
        assert word in mail.get_body(("plain",)).get_content()

    [final] = history()
    by_channel = {d["channel"]: d for d in final["deliveries"]}
    assert by_channel["webhook"]["status"] == "delivered"
    assert by_channel["webhook"]["attempts"] == 2 and by_channel["webhook"]["target"] == hook.url
    assert by_channel["email"]["status"] == "delivered" and by_channel["email"]["attempts"] == 1

    # the log from the terminal; a second deliverer pass plans nothing twice
    logged = _wire(wire_env, "alerts", "log", "--saved-search", created["id"], "--json")
    assert logged.returncode == 0, logged.stderr
    entries = [orjson.loads(line) for line in logged.stdout.splitlines()]
    assert sorted(e["status"] for e in entries) == ["delivered", "delivered"]
    again = _wire(wire_env, "alerts", "deliver", "--once")
    assert again.returncode == 0, again.stderr
    assert len(hook.calls) == 2
