"""Live connectors and the dead-letter tools, end to end on the real stack."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from pipeline.http.app import create_app
from pipeline.settings import Settings
from tests.feedserver import Feed, serve_feed
from tests.helpers import FIXTURES
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration
Wire = Callable[..., subprocess.CompletedProcess[str]]


def variant(path: Path, tag: str) -> bytes:
    """The Ubisoft story under its own id and with its own words: not a copy of another test's."""
    data = path.read_bytes().replace(b"TX-PAR-KJP41", f"TX-PAR-{tag}".encode())
    return data.replace(b"Ubisoft", f"Ubisoft {tag}".encode())


def indexed(es: Elasticsearch, settings: Settings, guid: str) -> bool:
    return bool(es.exists(index=settings.dispatch_alias, id=guid))


def test_http_push_queues_refuses_and_limits(
    worker: Path, settings: Settings, es: Elasticsearch
) -> None:
    nitf = variant(FIXTURES / "formats" / "ubisoft.nitf.xml", "PUSH1")
    # In process, without the session's API keys: this test is about the push contract.
    with TestClient(create_app(settings.model_copy(update={"api_keys": None}))) as client:
        ok = client.post(
            "/v1/dispatches", content=nitf, headers={"content-type": "application/xml"}
        )
        assert ok.status_code == 202, ok.text
        assert ok.json() == {
            "queued": ["urn:newsml:afp.com:20250327:TX-PAR-PUSH1"],
            "format": "nitf",
        }
        bad = client.post("/v1/dispatches", content="<nitf><body><body.content><p>coupé".encode())
        assert bad.status_code == 422
        assert bad.json()["error"].startswith("broken XML at line 1")
        assert len(bad.json()["dead_letter_id"]) == 32
        big = client.post("/v1/dispatches", content=b"x" * (settings.max_document_bytes + 1))
        assert big.status_code == 413
        assert client.get("/openapi.json").json()["paths"]["/v1/dispatches"]["post"]["responses"][
            "422"
        ]
    wait_for(
        lambda: indexed(es, settings, "urn:newsml:afp.com:20250327:TX-PAR-PUSH1"),
        what="pushed NITF",
    )


def test_watch_folder_publishes_and_sorts_files(
    run_wire: Wire, worker: Path, settings: Settings, es: Elasticsearch, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    ninjs = variant(FIXTURES / "formats" / "ubisoft.ninjs.json", "WATCH1")
    (drop / "afp-ubisoft.json").write_bytes(ninjs)
    (drop / "truncated.xml").write_bytes(b'<?xml version="1.0"?><newsItem guid="x"><contentMeta>')
    (drop / "upload.part").write_bytes(b"still arriving")
    result = run_wire("watch", str(drop), "--once")
    assert result.returncode == 0, result.stderr
    assert (drop / "done" / "afp-ubisoft.json").exists()
    assert (drop / "failed" / "truncated.xml").exists()
    assert "broken XML" in (drop / "failed" / "truncated.xml.reason.txt").read_text()
    assert (drop / "upload.part").exists()
    wait_for(
        lambda: indexed(es, settings, "urn:newsml:afp.com:20250327:TX-PAR-WATCH1"),
        what="watched file",
    )
    # Restart: nothing left to send, nothing sent twice.
    again = run_wire("watch", str(drop), "--once")
    assert again.returncode == 0 and again.stdout.strip() == ""


def test_poll_sends_new_entries_once(
    run_wire: Wire, worker: Path, settings: Settings, es: Elasticsearch
) -> None:
    rss = variant(FIXTURES / "formats" / "ubisoft.rss.xml", "POLL1")
    with serve_feed(Feed(rss)) as url:
        first = run_wire("poll", url, "--once")
        assert first.returncode == 0, first.stderr
        assert "HTTP 200, 1 new" in first.stdout
        second = run_wire("poll", url, "--once")
        assert "HTTP 304, 0 new" in second.stdout
    wait_for(
        lambda: indexed(es, settings, "urn:newsml:afp.com:20250327:TX-PAR-POLL1"),
        what="polled entry",
    )


def test_dlq_list_and_replay_after_a_fix(
    run_wire: Wire, worker: Path, settings: Settings, es: Elasticsearch, tmp_path: Path
) -> None:
    latin1 = tmp_path / "afp-fr-defense-latin1.txt"
    shutil.copy(FIXTURES / "bad" / "afp-fr-latin1.txt", latin1)
    assert run_wire("ingest", str(latin1)).returncode == 2
    listing = run_wire("dlq", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    letters = [orjson.loads(line) for line in listing.stdout.splitlines()]
    mine = [dl for dl in letters if dl["source"] == str(latin1)]
    assert len(mine) == 1 and mine[0]["stage"] == "decode"
    wrong = run_wire("dlq", "replay", mine[0]["id"][:12])
    assert wrong.returncode == 2 and "refused again" in wrong.stderr
    # the failed replay updated the letter: still one for this file, two attempts
    again = [
        orjson.loads(line)
        for line in run_wire("dlq", "list", "--json", "--stage", "decode").stdout.splitlines()
    ]
    assert [(dl["id"], dl["attempts"]) for dl in again if dl["source"] == str(latin1)] == [
        (mine[0]["id"], 2)
    ]
    table = run_wire("dlq", "list", "--limit", "1", "--since", "1h")
    assert table.returncode == 0, table.stderr
    assert "by reason" in table.stdout and "newest 1 of" in table.stdout
    fixed = run_wire("dlq", "replay", mine[0]["id"][:12], "--encoding", "cp1252")
    assert fixed.returncode == 0, fixed.stderr
    assert "replayed 1" in fixed.stdout
    # a replay that went through leaves the list (--include-replayed shows it)
    listed = run_wire("dlq", "list", "--json").stdout.splitlines()
    open_ids = [orjson.loads(x)["id"] for x in listed]
    assert mine[0]["id"] not in open_ids
    replayed = run_wire("dlq", "list", "--json", "--include-replayed").stdout.splitlines()
    [done] = [orjson.loads(x) for x in replayed if mine[0]["id"] in x]
    assert done["replayed_at"] and done["attempts"] == 3

    def defence_searchable() -> bool:
        hits = es.search(index=settings.dispatch_alias, query={"match": {"body": "Défense"}})[
            "hits"
        ]["hits"]
        return any(h["_source"]["source"] == str(latin1) for h in hits)

    wait_for(defence_searchable, what="the replayed Latin-1 dispatch")
