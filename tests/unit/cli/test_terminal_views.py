"""Terminal views at a fixed 80x24 and 160x48: nothing spills, headlines keep their room,
urgent items stand out, events read as words and amounts as people write them."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import orjson
import pytest
from rich.console import Console

from pipeline.cli.render import MonitorData, MonitorView, event_line, render_monitor
from pipeline.store.search import Hit

HEADLINE = (
    "La start-up française Mistral AI lève 600 millions d'euros auprès de fonds américains "
    "et européens pour accélérer"
)


def hit(i: int, urgency: int | None = None, headline: str = HEADLINE) -> Hit:
    return Hit(
        guid=f"urn:test:{i}",
        version=1,
        score=None,
        headline=headline,
        published=f"2026-11-24T04:{i:02d}:00+00:00",
        language="fr",
        urgency=urgency,
        dateline_place="PARIS",
        provider="AFP",
        snippets=[],
        orgs=[],
        people=[],
        places=[],
        event_types=["funding_round", "personnel.hire"],
    )


def data(partitions: int = 4, hits: int = 40) -> MonitorData:
    return MonitorData(
        health={
            "indexed_last_minute": 3,
            "indexed_last_hour": 120,
            "indexed_total": 5000,
            "events_total": 900,
            "total_lag": 7,
            "dead_letters": 2,
            "consumer_group": "wirestream-pipeline",
            "raw_topic": "wire.raw",
            "lag": [
                {"partition": p, "end": 100, "committed": 98, "lag": 2} for p in range(partitions)
            ],
        },
        hits=[hit(0, urgency=1, headline="Séisme au Japon")]
        + [hit(i, urgency=2 if i == 1 else 5) for i in range(1, hits)],
    )


def draw(renderable: object, width: int, height: int) -> list[str]:
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, color_system=None
    )
    console.print(renderable)
    return console.export_text().rstrip("\n").split("\n")


@pytest.mark.parametrize(("width", "height"), [(80, 24), (160, 48), (100, 30), (60, 20)])
def test_monitor_fits_the_terminal(width: int, height: int) -> None:
    lines = draw(MonitorView(data(), "fr"), width, height)
    assert len(lines) <= height - 1, "\n".join(lines)
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    text = "\n".join(lines)
    assert "FLASH" in text and "URGENT" in text
    rows = [line for line in lines if "Mistral" in line]
    assert len(rows) >= 5
    # the headline gets the room that is left, never 'La …'
    assert all("La start-up française Mistral" in row for row in rows), text


def test_monitor_at_80x24_and_160x48() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the hits' year: no year in 80 columns
    small = "\n".join(draw(render_monitor(data(), 80, 24, "fr", now=now), 80, 24))
    big = "\n".join(draw(render_monitor(data(), 160, 48, "fr", now=now), 160, 48))
    assert "lag per partition p0:2 p1:2 p2:2 p3:2" in small  # one line when space is short
    assert "partition" in big and "committed" in big  # the table when there is room
    assert "Levée de fonds" in big and "funding_round" not in big  # labels, not codes
    assert "2026-11-24 04:05" in big and "11-24 04:05" in small
    assert "lang" in big and "lang" not in small
    # a tall terminal shows more of the latest dispatches
    assert big.count("Mistral") > small.count("Mistral")


def test_monitor_shows_the_year_when_it_is_not_this_one() -> None:
    """In 80 columns the time drops its year, unless the copy is from another year; a time
    of receipt (no publication time in the copy) is marked and the mark explained."""
    old = data(hits=3)
    old.hits[1] = old.hits[1].model_copy(update={"published": "2025-03-27T13:20:00+00:00"})
    old.hits[2] = old.hits[2].model_copy(update={"time_kind": "received"})
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    small = "\n".join(draw(render_monitor(old, 80, 24, now=now), 80, 24))
    assert "2025-03-27" in small and "2026-11-24" not in small and "11-24 04:00" in small
    assert "~11-24 04:02" in small and "~ time received" in small
    later = "\n".join(draw(render_monitor(old, 80, 24, now=now.replace(year=2027)), 80, 24))
    assert "2026-11-24" in later


def test_monitor_with_many_partitions_keeps_room_for_dispatches() -> None:
    lines = draw(render_monitor(data(partitions=24), 160, 48), 160, 48)
    assert len(lines) <= 47
    assert sum("Mistral" in line for line in lines) >= 10


def test_event_lines_read_as_words() -> None:
    event = {
        "type": "funding_round",
        "language": "fr",
        "roles": {"company": [{"name": "Mistral AI", "entity_id": "org:mistral-ai"}]},
        "amount": {"value": 600_000_000.0, "currency": "EUR", "text": "600 M€"},
    }
    fr = "\n".join(draw(event_line(event, "fr"), 80, 24))
    en = "\n".join(draw(event_line(event, "en"), 80, 24))
    assert "Levée de fonds company: Mistral AI · 600 millions d'euros" in fr
    assert "Funding round company: Mistral AI · 600 millions d'euros" in en  # as written
    assert "600000000" not in fr
    english = event | {"language": "en", "amount": {"value": 7e8, "currency": "USD"}}
    assert "$700 million" in "\n".join(draw(event_line(english, "en"), 80, 24))
    retraction = {
        "kind": "retraction",
        "type": "investment",
        "reason": "killed",
        "dispatch_guid": "g",
        "dispatch_version": 4,
        "roles": {},
    }
    assert "RETRACTED Investissement" in "\n".join(draw(event_line(retraction, "fr"), 80, 24))


def test_subscribe_prints_amounts_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli.render import print_record

    event = {
        "type": "investment",
        "language": "fr",
        "roles": {},
        "amount": {"value": 700000000.0, "currency": "USD", "text": "x"},
        "evidence": "Amazon a investi 700 millions de dollars dans Rivian.",
    }
    print_record(orjson.dumps(event), as_json=False)
    printed = capsys.readouterr().out
    assert "700 millions de dollars" in printed and "700000000.0" not in printed
    print_record(orjson.dumps(event), as_json=True)
    assert orjson.loads(capsys.readouterr().out)["amount"]["value"] == 700000000.0  # JSON: numbers


def test_entity_timeline_at_80_and_160_columns() -> None:
    from pipeline.cli.entity import render_entity
    from pipeline.store.entities import Appearance, Entity, EntityTimeline, Related

    event = {
        "id": "e1",
        "type": "acquisition",
        "dispatch_guid": "g1",
        "language": "fr",
        "versioncreated": "2026-11-20T00:00:00Z",
        "roles": {
            "acquirer": [{"entity_id": "org:ovhcloud", "name": "OVHcloud", "type": "ORG"}],
            "target": [{"entity_id": "org:gridscale", "name": "Gridscale", "type": "ORG"}],
        },
        "amount": {"value": 6e7, "currency": "EUR", "display": "60 millions d'euros"},
        "source": {"guid": "g1", "provider": "AFP", "headline": HEADLINE},
    }
    t = EntityTimeline(
        entity=Entity(id="org:ovhcloud", name="OVHcloud", type="ORG", aliases=["OVH"]),
        dispatch_count=12,
        event_count=1,
        first_seen="2026-11-01T00:00:00Z",
        last_seen="2026-11-20T00:00:00Z",
        events=[event],
        dispatches=[
            Appearance(
                guid=f"g{i}",
                headline=HEADLINE,
                provider="AFP",
                published=f"2026-11-{i + 10}T08:00:00Z",
                urgency=2 if i == 0 else None,
            )
            for i in range(12)
        ],
        related=[
            Related(id=f"org:x{i}", name=f"Company number {i}", type="ORG", count=12 - i)
            for i in range(12)
        ],
    )
    for width in (80, 160):
        lines = draw(render_entity(t, width, "fr"), width, 48)
        text = "\n".join(lines)
        assert all(len(line) <= width for line in lines), text
        assert lines[0].startswith("OVHcloud organisation · org:ovhcloud")
        assert "Rachat" in text and "60 millions d'euros" in text.replace("\u00a0", " ")
        assert "URGENT" in text and "named with Company number 0 (12)" in text
    assert "La start-up française Mistral AI lève 600 millions" in "\n".join(
        draw(render_entity(t, 160, "fr"), 160, 48)
    )


def test_subscribe_json_reads_like_the_api_streams(capsys: pytest.CaptureFixture[str]) -> None:
    """`wire subscribe --json` prints an event as /v1/stream/events sends it: codes and
    numbers kept, `type_label` and `amount.display` beside them; an alert as it is."""
    from pipeline.cli.render import print_record

    event = {
        "id": "ev1",
        "type": "funding_round",
        "language": "fr",
        "amount": {"value": 45e6, "currency": "EUR", "text": "45 millions d'euros"},
        "roles": {"target": [{"entity_id": "org:mistral-ai", "name": "Mistral AI"}]},
    }
    alert = {"saved_search_id": "s1", "saved_search_name": "IA", "guid": "g", "version": 1}
    print_record(orjson.dumps(event), as_json=True)
    print_record(orjson.dumps(alert), as_json=True)
    first, second = (orjson.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["type"] == "funding_round" and first["amount"]["value"] == 45e6
    assert first["type_label"] == {"en": "Funding round", "fr": "Levée de fonds"}
    assert first["amount"]["display"] == "45 millions d'euros"
    assert second == alert


def test_delivery_log_reads_in_80_columns() -> None:
    """`wire alerts log`: each entry in two lines (three with an error), the webhook's URL
    shown, the headline cut to the line instead of one word per line."""
    from pipeline.alerts.log import DeliveryEntry
    from pipeline.cli.render import delivery_table
    from pipeline.store.saved_searches import Alert

    at = datetime(2026, 11, 30, 9, 26, tzinfo=UTC)
    alert = Alert(
        id="s1:g:1",
        saved_search_id="s1",
        saved_search_name="desk Delivtest1764494765",
        owner="apps-key",
        guid="g",
        version=1,
        headline=HEADLINE,
        published=at,
        provider="AFP",
        language="fr",
        matched_at=at,
    )
    common = {
        "alert_id": alert.id,
        "saved_search_id": "s1",
        "saved_search_name": alert.saved_search_name,
        "owner": "apps-key",
        "created_at": at,
        "next_attempt_at": at,
        "alert": alert,
    }
    entries = [
        DeliveryEntry(
            id="a|webhook:0",
            channel="webhook",
            target="https://hooks.slack.example/services/T000/B000/XXXXXXXX",
            status="delivered",
            attempts=2,
            last_error="HTTP 502 from hooks.slack.example (first try)",
            **common,
        ),
        DeliveryEntry(
            id="a|email", channel="email", target="desk@example.org", status="pending", **common
        ),
    ]
    lines = draw(delivery_table(entries), 80, 24)
    text = "\n".join(lines)
    assert all(len(line) <= 80 for line in lines), text
    # the headline and the target one line each (cut, not wrapped a word per line)
    assert sum("La start-up française" in line for line in lines) == 2, text
    assert sum("→ https://hooks" in line or "→ desk@" in line for line in lines) == 2, text
    assert len(lines) <= 14, text
    assert (
        "La start-up" in text and "→ https://hooks.slack" in text and "→ desk@example.org" in text
    )
    assert "HTTP 502" in text and "webhook" in text and "delivered" in text
