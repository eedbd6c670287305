"""The content-API poller against a real local HTTP API: auth, pages, cursors, items, ETag."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from connectors.sources.feedpoll import FeedOptions, FeedPoller, item_key, json_path
from connectors.sources.live import SourceError
from tests.feedserver import ContentApi, ninjs_item, serve_api
from tests.servers import MemorySink

BEARER = {"Authorization": "Bearer t0k3n"}


def guids(sink: MemorySink) -> list[str]:
    return [d.guid for d in sink.dispatches]


def test_json_path_and_item_keys() -> None:
    doc = {"data": {"items": [{"item": {"altids": {"itemid": "ab12"}, "version": 3}}]}}
    assert json_path(doc, "data.items.0.item.altids.itemid") == "ab12"
    assert json_path(doc, "data.items.-1.item.version") == 3
    assert json_path(doc, "data.items.5") is None and json_path(doc, "data.nope.x") is None
    item = doc["data"]["items"][0]  # type: ignore[index]
    assert item_key(item, ["uri", "item.altids.itemid"], ["item.version"]) == "ab12|3"
    anonymous = item_key({"headline": "x"}, ["uri"], ["version"])
    assert anonymous.startswith("sha256:")
    assert anonymous == item_key({"headline": "x"}, ["uri"], ["version"])  # stable


def test_continuation_feed_sends_each_item_once_across_restarts(tmp_path: Path) -> None:
    api = ContentApi([ninjs_item(f"C{i}") for i in range(5)], page_size=2)
    sink = MemorySink()
    options = FeedOptions(
        headers=BEARER, items="data.items", next_page="data.next_page", resume=True
    )
    state = tmp_path / "api.json"
    with serve_api(api) as base, httpx.Client() as client:
        poller = FeedPoller(f"{base}/v1/feed", state, client, 10**6, options)
        first = poller.poll_once(sink)
        assert (first.sent, first.pages) == (5, 4)  # 2 + 2 + 1, then an empty page
        assert guids(sink) == [f"urn:test:C{i}" for i in range(5)]
        assert poller.state.resume_url == f"{base}/v1/feed?cursor=5"
        # Restarted: it asks for what comes after the last item it sent, nothing else.
        api.items += [ninjs_item("C5"), ninjs_item("C1", version=2, words="Mise à jour.")]
        restarted = FeedPoller(f"{base}/v1/feed", state, client, 10**6, options)
        second = restarted.poll_once(sink)
        assert second.sent == 2
        assert api.requests[-2][0] == "/v1/feed?cursor=5"
    assert guids(sink)[5:] == ["urn:test:C5", "urn:test:C1"]
    assert [d.version for d in sink.dispatches][-1] == 2
    assert all(h.get("Authorization") == "Bearer t0k3n" for _, h in api.requests)


def test_listing_newest_first_with_an_api_key_stops_at_what_it_sent(tmp_path: Path) -> None:
    api = ContentApi([ninjs_item(f"L{i}") for i in range(5)], page_size=2)
    sink = MemorySink()
    options = FeedOptions(headers={"X-API-Key": "k3y"}, items="items", next_page="links.next")
    with serve_api(api) as base, httpx.Client() as client:
        poller = FeedPoller(f"{base}/v1/latest", tmp_path / "s.json", client, 10**6, options)
        assert poller.poll_once(sink).sent == 5
        api.items.append(ninjs_item("L5"))
        asked = len(api.requests)
        report = poller.poll_once(sink)
        # The first page brings the new item and one already sent; no need to go further.
        assert (report.sent, report.skipped, report.pages) == (1, 1, 1)
        assert len(api.requests) == asked + 1
    assert sorted(guids(sink)) == sorted(f"urn:test:L{i}" for i in range(6))


def test_g2_pages_follow_the_link_header_and_use_etags(tmp_path: Path) -> None:
    api = ContentApi([ninjs_item(f"G{i}") for i in range(3)], page_size=2)
    sink = MemorySink()
    options = FeedOptions(headers=BEARER, next_page="link")
    with serve_api(api) as base, httpx.Client() as client:
        poller = FeedPoller(f"{base}/g2/feed", tmp_path / "s.json", client, 10**6, options)
        first = poller.poll_once(sink)
        assert (first.sent, first.pages) == (3, 2)
        assert {d.format for d in sink.dispatches} == {"newsml-g2"}
        again = poller.poll_once(sink)
        assert again.status == 304 and again.sent == 0
        assert api.requests[-1][1]["If-None-Match"] == poller.state.etag
        api.items.append(ninjs_item("G3"))  # on the first page: its ETag changes
        third = poller.poll_once(sink)
        assert (third.sent, third.skipped, third.pages) == (1, 1, 1)
    assert guids(sink) == ["urn:test:G2", "urn:test:G1", "urn:test:G0", "urn:test:G3"]


def test_a_bad_item_goes_to_the_dead_letters_alone(tmp_path: Path) -> None:
    empty = {"uri": "urn:test:EMPTY", "version": "1", "headline": "", "body_text": ""}
    api = ContentApi([ninjs_item("B0"), empty, ninjs_item("B2")], page_size=5)
    sink = MemorySink()
    options = FeedOptions(
        headers=BEARER, items="data.items", next_page="data.next_page", resume=True
    )
    with serve_api(api) as base, httpx.Client() as client:
        poller = FeedPoller(f"{base}/v1/feed", tmp_path / "s.json", client, 10**6, options)
        report = poller.poll_once(sink)
    assert (report.sent, report.refused) == (2, 1)
    assert guids(sink) == ["urn:test:B0", "urn:test:B2"]
    [letter] = sink.refused
    assert "no body text" in (letter.refused or "")
    assert letter.source.endswith("#urn:test:EMPTY|1")


def test_an_item_over_the_size_limit_is_refused_with_its_size(tmp_path: Path) -> None:
    big = ninjs_item("HUGE", words="mot " * 5000)
    api = ContentApi([big, ninjs_item("SMALL")], page_size=5)
    sink = MemorySink(max_bytes=8192)
    options = FeedOptions(
        headers=BEARER, items="data.items", next_page="data.next_page", resume=True
    )
    with serve_api(api) as base, httpx.Client() as client:
        poller = FeedPoller(f"{base}/v1/feed", tmp_path / "s.json", client, 8192, options)
        report = poller.poll_once(sink)
    assert (report.sent, report.refused) == (1, 1)
    assert "over the 0.0 MiB limit (WIRE_MAX_DOCUMENT_BYTES)" in (sink.refused[0].refused or "")


def test_refused_credentials_and_outages_are_source_errors(tmp_path: Path) -> None:
    api = ContentApi([ninjs_item("A0")])
    with serve_api(api) as base, httpx.Client() as client:
        wrong = FeedOptions(headers={"Authorization": "Bearer nope"}, items="data.items")
        poller = FeedPoller(f"{base}/v1/feed", tmp_path / "a.json", client, 10**6, wrong)
        with pytest.raises(SourceError, match=r"HTTP 401 from .* \(check the feed's credentials\)"):
            poller.poll_once(MemorySink())
        api.down = True
        ok = FeedPoller(
            f"{base}/v1/feed", tmp_path / "b.json", client, 10**6, FeedOptions(headers=BEARER)
        )
        with pytest.raises(SourceError, match="HTTP 503"):
            ok.poll_once(MemorySink())
    with httpx.Client() as client:  # the server is gone
        gone = FeedPoller(base + "/v1/feed", tmp_path / "c.json", client, 10**6)
        with pytest.raises(SourceError, match="cannot fetch"):
            gone.poll_once(MemorySink())
    assert not (tmp_path / "a.json").exists() and not (tmp_path / "b.json").exists()


def test_cursor_paging_sends_the_cursor_back(tmp_path: Path) -> None:
    api = ContentApi([ninjs_item(f"K{i}") for i in range(3)], page_size=2)
    sink = MemorySink()
    # This API's next_page URL holds the cursor; read it as a cursor to exercise the option.
    with serve_api(api) as base, httpx.Client() as client:
        options = FeedOptions(
            headers=BEARER, items="data.items", cursor="data.next_page", cursor_param="after"
        )
        poller = FeedPoller(f"{base}/v1/feed", tmp_path / "s.json", client, 10**6, options)
        poller.poll_once(sink)
        assert "after=" in api.requests[1][0]


def test_an_api_key_sent_as_a_parameter_is_never_shown(tmp_path: Path) -> None:
    api = ContentApi([ninjs_item("S0"), {"uri": "urn:test:S1", "version": "1"}], page_size=5)
    sink = MemorySink()
    options = FeedOptions(
        headers=BEARER,
        params={"apikey": "s3cr3t"},
        items="data.items",
        next_page="data.next_page",
        resume=True,
        secret_params=("apikey",),
    )
    with serve_api(api) as base, httpx.Client() as client:
        poller = FeedPoller(f"{base}/v1/feed", tmp_path / "s.json", client, 10**6, options)
        poller.poll_once(sink)
        assert all("apikey=s3cr3t" in path for path, _ in api.requests)  # sent...
    assert "s3cr3t" not in (tmp_path / "s.json").read_text()  # ...never kept or shown
    assert all("s3cr3t" not in d.source for d in sink.deliveries)
    assert sink.refused and all("s3cr3t" not in d.source for d in sink.refused)
