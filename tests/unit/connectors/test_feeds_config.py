"""The feeds file, the runner's backoff and the pure parts of the live sources."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.sources.feedconfig import (
    FeedConfigError,
    HttpFeed,
    ImapFeed,
    RemoteFeed,
    load_feeds,
    parse_duration,
)
from connectors.sources.live import PollReport, is_temporary
from connectors.sources.remote import RemoteFile, Stability
from connectors.sources.runner import FeedRunner, LiveFeed, build_feeds, next_delay
from connectors.sources.state import Ledger, load_json, save_json
from pipeline.cli.base import app, out
from tests.feedserver import ContentApi, ninjs_item, serve_api
from tests.helpers import ROOT
from tests.servers import MemorySink, free_port

EXAMPLE = ROOT / "deploy" / "feeds.example.yaml"


def write(tmp_path: Path, text: str, name: str = "feeds.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_durations() -> None:
    assert [parse_duration(v) for v in (30, "30s", "5m", "1.5h", "2d", "0.5")] == [
        30.0,
        30.0,
        300.0,
        5400.0,
        172800.0,
        0.5,
    ]
    for bad in ("soon", "", "-5s", True):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_the_example_file_is_valid_and_covers_every_kind() -> None:
    feeds = load_feeds(EXAMPLE)
    kinds = {f.kind for f in feeds.feeds}
    assert kinds >= {"folder", "ftp", "ftps", "sftp", "imap", "api", "rss"}
    for f in feeds.feeds:
        assert "password" not in f.address  # secrets only by variable name
    api = feeds.get("ap-media")
    assert isinstance(api, HttpFeed) and api.items == "data.items" and api.resume


def test_defaults_apply_where_a_kind_has_the_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
defaults: {every: 2m, after: delete, timeout: 10s}
feeds:
  - {name: box, kind: imap, url: "imaps://desk@mail.example.net/INBOX", password_env: P}
  - {name: drop, kind: sftp, url: "sftp://wire@sftp.example.net:2222/out", every: 15s}
  - {name: api, kind: api, url: "https://api.example.net/feed"}
""",
    )
    feeds = load_feeds(path)
    box, drop, api = feeds.feeds
    assert isinstance(box, ImapFeed) and box.every == 120 and box.after == "delete"
    assert box.mailbox == "INBOX" and box.url_user() == "desk"
    assert isinstance(drop, RemoteFeed) and drop.every == 15 and drop.after == "delete"
    assert drop.address == "sftp://wire@sftp.example.net:2222/out"
    assert isinstance(api, HttpFeed) and api.timeout == 10 and api.every == 120


def test_toml_works_too(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[feeds]]\nname = "x"\nkind = "rss"\nurl = "https://example.net/a.rss"\nevery = "1m"\n',
        "feeds.toml",
    )
    assert load_feeds(path).feeds[0].every == 60


def test_every_mistake_is_reported_with_its_feed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
feeds:
  - {name: a, kind: ftp, url: "ftp://u:hunter2@ftp.example.net/x"}
  - {name: b, kind: imap, url: "imaps://mail.example.net", after: archive}
  - {name: c, kind: api, url: "https://x.example", format: docx, colour: blue}
  - {name: a, kind: gopher, url: "gopher://x"}
  - {name: "bad name", kind: rss, url: "https://x.example/rss", every: 0}
""",
    )
    with pytest.raises(FeedConfigError) as info:
        load_feeds(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}:"
    text = "\n".join(lines)
    assert "feeds[0] (a): url: no password in the URL; name its variable in password_env" in text
    assert "feeds[1] (b): after: Input should be 'seen', 'move', 'delete' or 'keep'" in text
    assert "feeds[2] (c): format: 'docx' is not one of" in text
    assert "feeds[2] (c): colour: Extra inputs are not permitted" in text
    assert "feeds[3] (a): Input tag 'gopher' found using 'kind' does not match" in text
    assert "feeds[4] (bad name): name: 'bad name': use letters" in text
    assert "feeds[4] (bad name): every: must be more than 0 seconds" in text


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(FeedConfigError, match=r"no such file \(start from deploy/feeds\.example"):
        load_feeds(tmp_path / "none.yaml")
    assert (Path(__file__).parents[3] / "deploy" / "feeds.example.yaml").is_file()
    with pytest.raises(FeedConfigError, match="not valid YAML: line 1, column 17: expected"):
        load_feeds(write(tmp_path, "feeds: [unclosed"))
    with pytest.raises(FeedConfigError, match="expected a mapping with a 'feeds' list"):
        load_feeds(write(tmp_path, "- just\n- a list\n"))
    dup = "feeds:\n" + "  - {name: x, kind: folder, path: /tmp}\n" * 2
    with pytest.raises(FeedConfigError, match="feed names must be unique: x"):
        load_feeds(write(tmp_path, dup))


def test_a_missing_secret_stops_that_feed_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WIRE_TEST_NO_SUCH_SECRET", raising=False)
    monkeypatch.setenv("WIRE_TEST_TOKEN", "t0k3n")
    path = write(
        tmp_path,
        """
feeds:
  - {name: needs-secret, kind: ftp, url: "ftp://u@127.0.0.1/x", password_env: WIRE_TEST_NO_SUCH_SECRET}
  - {name: fine, kind: api, url: "http://127.0.0.1:9/feed", token_env: WIRE_TEST_TOKEN}
  - {name: paused, kind: rss, url: "http://127.0.0.1:9/rss", enabled: false}
""",
    )
    live, problems = build_feeds(load_feeds(path).feeds, MemorySink(), tmp_path, 10**6)
    assert [f.name for f in live] == ["fine"]
    assert problems == [
        "feed needs-secret: environment variable WIRE_TEST_NO_SUCH_SECRET (password_env) is not set"
    ]
    for f in live:
        f.close()


def test_backoff_grows_and_is_capped() -> None:
    assert next_delay(30, 0) == 30
    assert [next_delay(30, n) for n in range(1, 7)] == [1, 2, 4, 8, 16, 32]
    assert next_delay(30, 20) == 300  # capped at backoff_max
    assert next_delay(3600, 20) == 3600  # or at the interval, when that is longer
    assert next_delay(30, 3, backoff_max=2) == 4 and next_delay(30, 9, backoff_max=2) == 30


def test_a_feed_that_is_down_retries_and_never_stops_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_TEST_TOKEN", "t0k3n")
    api = ContentApi([ninjs_item("R0"), ninjs_item("R1")])
    sink = MemorySink()
    with serve_api(api) as base:
        path = write(
            tmp_path,
            f"""
feeds:
  - {{name: down, kind: ftp, url: "ftp://wire@127.0.0.1:{free_port()}/out", every: 1h, timeout: 2}}
  - name: up
    kind: api
    url: "{base}/v1/feed"
    token_env: WIRE_TEST_TOKEN
    items: data.items
    next_page: data.next_page
    resume: true
    every: 0.2s
""",
        )
        live, problems = build_feeds(load_feeds(path).feeds, sink, tmp_path / "state", 10**6)
        assert problems == []
        runner = FeedRunner(live)
        caplog.set_level(logging.INFO, logger="wirestream.feeds")
        thread = threading.Thread(target=runner.run)
        thread.start()
        time.sleep(4.5)  # attempts at 0, 1 and 3 s (the next at 7 s)
        runner.stop.set()
        thread.join(10)
    assert not thread.is_alive()
    down = [r.getMessage() for r in caplog.records if r.getMessage().startswith("feed down:")]
    assert len(down) == 3
    assert down[0].startswith("feed down: cannot connect to ftp://127.0.0.1:")
    assert [d.rsplit("; ", 1)[1] for d in down] == [
        "retry in 1s (attempt 2)",
        "retry in 2s (attempt 3)",
        "retry in 4s (attempt 4)",
    ]
    up = [r.getMessage() for r in caplog.records if r.getMessage().startswith("feed up:")]
    assert up == ["feed up: 2 sent, 0 refused"]  # later polls find nothing new: no line
    assert [d.guid for d in sink.dispatches] == ["urn:test:R0", "urn:test:R1"]


def test_a_failing_poll_is_logged_and_the_next_one_runs() -> None:
    calls: list[int] = []

    def poll() -> PollReport:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom\nwith a second line")
        return PollReport(sent=1)

    from connectors.sources.feedconfig import FolderFeed

    feed = LiveFeed(FolderFeed(name="f", kind="folder", path=Path("/x"), every=0.01), poll, list)
    runner = FeedRunner([feed], backoff_max=0.01)
    ok = runner.run(once=True)
    assert ok == {"f": False} and runner.failures == {"f": 1}


def test_stability_needs_two_looks_settle_apart() -> None:
    s = Stability(settle=5)
    a1, b1 = RemoteFile("a", 10, "1"), RemoteFile("b", 5, "1")
    assert s.observe([a1, b1], now=0) == []
    assert s.observe([a1, RemoteFile("b", 7, "2")], now=3) == []  # too soon; b grew
    assert s.observe([a1, RemoteFile("b", 7, "2")], now=5) == [a1]
    assert s.observe([RemoteFile("b", 7, "2")], now=8.5) == [RemoteFile("b", 7, "2")]
    assert s.observe([a1], now=9) == []  # a vanished in between: seen anew


def test_temporary_names() -> None:
    for name in (".hidden", "a.xml.part", "b.TMP", "c.filepart", "~lock", "dir/.x", "d.partial"):
        assert is_temporary(name), name
    for name in ("a.xml", "partial.xml", "b.txt", "tmp.json"):
        assert not is_temporary(name), name


def test_ledger_and_atomic_state(tmp_path: Path) -> None:
    ledger = Ledger(limit=3)
    for k in "abcd":
        ledger.add(k, k.upper())
    ledger.add("b", "again")  # re-adding makes it the newest
    ledger.add("e")
    assert list(ledger.to_dict()) == ["d", "b", "e"] and "a" not in ledger
    assert Ledger(["x", "y"]).to_dict() == {"x": "", "y": ""}
    path = tmp_path / "deep" / "s.json"
    assert load_json(path) == {}
    save_json(path, {"sent": ledger.to_dict()})
    save_json(path, {"sent": {"z": "ok"}})
    assert load_json(path) == {"sent": {"z": "ok"}}
    assert sorted(p.name for p in path.parent.iterdir()) == ["s.json"]


def test_cli_lists_feeds_and_checks_one_without_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_TEST_TOKEN", "t0k3n")
    monkeypatch.delenv("WIRE_TEST_MISSING", raising=False)
    api = ContentApi([ninjs_item("Q0"), ninjs_item("Q1")])
    with serve_api(api) as base:
        path = write(
            tmp_path,
            f"""
state_dir: {tmp_path / "state"}
feeds:
  - {{name: agency, kind: api, url: "{base}/v1/feed", token_env: WIRE_TEST_TOKEN, items: data.items}}
  - {{name: mail, kind: imap, url: "imaps://desk@127.0.0.1/INBOX", password_env: WIRE_TEST_MISSING}}
""",
        )
        monkeypatch.setattr(out, "width", 200)
        cli = CliRunner()
        listed = cli.invoke(app, ["feeds", "list", "--config", str(path)], terminal_width=200)
        assert listed.exit_code == 0, listed.output
        assert "WIRE_TEST_TOKEN set" in listed.output
        assert "WIRE_TEST_MISSING missing" in listed.output
        checked = cli.invoke(app, ["feeds", "check", "agency", "-c", str(path)], terminal_width=200)
        assert checked.exit_code == 0, checked.output
        assert "2 item(s) on the page, 2 not sent yet" in checked.output
        missing = cli.invoke(app, ["feeds", "check", "mail", "-c", str(path)])
        assert missing.exit_code == 1
        assert "WIRE_TEST_MISSING (password_env) is not set" in missing.output
        unknown = cli.invoke(app, ["feeds", "check", "nope", "-c", str(path)])
        assert unknown.exit_code == 1 and "no feed named 'nope'" in unknown.output
    assert not (tmp_path / "state").exists()  # check records nothing
