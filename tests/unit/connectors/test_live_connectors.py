"""Drop folder and feed poller behaviour, with real files and a real local HTTP server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from connectors.sources.dropfolder import DropFolder, Outcome
from connectors.sources.feedpoll import FeedPoller
from tests.feedserver import Feed, serve_feed
from tests.helpers import FIXTURES
from tests.servers import MemorySink

RSS = (FIXTURES / "formats" / "ubisoft.rss.xml").read_bytes()
SECOND_ITEM = b"""<item>
      <title>Ubisoft : le titre bondit de 8% a la Bourse de Paris</title>
      <guid isPermaLink="false">urn:newsml:afp.com:20250327:TX-PAR-KJP77</guid>
      <pubDate>Thu, 27 Mar 2025 11:02:00 +0000</pubDate>
      <description><![CDATA[<p>Paris (AFP) - L'action Ubisoft bondissait de 8% jeudi matin a la Bourse de Paris, au lendemain de l'annonce de l'investissement de Tencent.</p>]]></description>
    </item>
  </channel>"""


def test_drop_folder_waits_for_writes_and_moves_files(tmp_path: Path) -> None:
    drop = DropFolder(tmp_path, settle=0.5)
    calls: list[str] = []

    def handle(path: Path, data: bytes) -> Outcome:
        calls.append(path.name)
        return Outcome(b"ok" in data, None if b"ok" in data else "refused: not ok")

    growing = tmp_path / "growing.txt"
    growing.write_bytes(b"half")
    (tmp_path / "ignored.part").write_bytes(b"ok, still uploading")
    assert drop.process_ready(handle) == []  # first sight: not settled yet
    growing.write_bytes(b"half and more, ok")  # still being written: the clock restarts
    assert drop.process_ready(handle) == []
    ready_at = drop._seen[growing][2] + 0.5
    assert drop.ready(growing, now=ready_at)
    drop.settle = 0  # from here on, no waiting in this test
    (tmp_path / "bad.txt").write_bytes(b"junk")
    results = drop.process_ready(handle)
    assert sorted(calls) == ["bad.txt", "growing.txt"]
    assert (tmp_path / "done" / "growing.txt").exists()
    assert (tmp_path / "failed" / "bad.txt").exists()
    assert (tmp_path / "failed" / "bad.txt.reason.txt").read_text().strip() == "refused: not ok"
    assert (tmp_path / "ignored.part").exists()
    assert {p.name for p, _ in results} == {"growing.txt", "bad.txt"}


def test_drop_folder_does_not_resend_after_a_crash(tmp_path: Path) -> None:
    doc = tmp_path / "dispatch.txt"
    doc.write_bytes(b"ok content")
    first = DropFolder(tmp_path, settle=0)
    # Crash window: published and journaled, but the process died before the move.
    import hashlib

    first._record(hashlib.sha256(doc.read_bytes()).hexdigest(), doc.name)
    calls: list[str] = []

    def handle(path: Path, data: bytes) -> Outcome:
        calls.append(path.name)
        return Outcome(True)

    restarted = DropFolder(tmp_path, settle=0)
    restarted.process_ready(handle)
    assert calls == []
    assert (tmp_path / "done" / "dispatch.txt").exists()


def test_poller_sends_each_entry_once_across_restarts(tmp_path: Path) -> None:
    feed = Feed(RSS)
    state = tmp_path / "state.json"
    sink = MemorySink()

    with serve_feed(feed) as url, httpx.Client() as client:
        poller = FeedPoller(url, state, client, max_bytes=10**6)
        assert poller.poll_once(sink).new[0].endswith("TX-PAR-KJP41")
        assert poller.poll_once(sink).status == 304
        assert feed.requests[-1]["If-None-Match"] == feed.etag
        feed.body = RSS.replace(b"  </channel>", SECOND_ITEM)
        result = poller.poll_once(sink)
        assert result.new == ["urn:newsml:afp.com:20250327:TX-PAR-KJP77"]
        restarted = FeedPoller(url, state, client, max_bytes=10**6)
        restarted.state.etag = None  # even without the validator, nothing is re-sent
        again = restarted.poll_once(sink)
        assert again.new == [] and again.skipped == 2
    assert [d.guid for d in sink.dispatches] == [
        "urn:newsml:afp.com:20250327:TX-PAR-KJP41",
        "urn:newsml:afp.com:20250327:TX-PAR-KJP77",
    ]


def test_poller_sends_a_broken_feed_to_the_dead_letters_once(tmp_path: Path) -> None:
    feed = Feed(b"<rss><channel><item><title>cut")
    sink = MemorySink()
    with serve_feed(feed) as url, httpx.Client() as client:
        poller = FeedPoller(url, tmp_path / "s.json", client, max_bytes=10**6)
        result = poller.poll_once(sink)
        assert result.refused == 1 and "refused: broken XML at line 1" in result.notes[0]
        poller.state.etag = None  # the server sends it again: no second dead letter
        assert poller.poll_once(sink).skipped == 1
    assert [(d.data, d.refused[:10]) for d in sink.refused] == [(feed.body, "broken XML")]


def test_poller_leaves_its_state_when_the_sink_does_not_confirm(tmp_path: Path) -> None:
    sink = MemorySink()
    with serve_feed(Feed(RSS)) as url, httpx.Client() as client:
        poller = FeedPoller(url, tmp_path / "s.json", client, max_bytes=10**6)
        sink.fail_next = True
        with pytest.raises(ConnectionError):
            poller.poll_once(sink)
        assert not (tmp_path / "s.json").exists()
        restarted = FeedPoller(url, tmp_path / "s.json", client, max_bytes=10**6)
        assert restarted.poll_once(sink).sent == 1  # no ETag kept: fetched and sent now
