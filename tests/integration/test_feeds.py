"""`wire feeds run` end to end: real FTP, FTPS, SFTP, IMAP and content-API servers on
127.0.0.1, the real Kafka of the session; each document reaches the raw topic (or the
dead-letter topic) exactly once, across restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline.settings import Settings
from tests.feedserver import ContentApi, ninjs_item, serve_api
from tests.helpers import ROOT
from tests.integration.conftest import read_topic
from tests.servers import (
    PASSWORD,
    USER,
    dispatch_text,
    email,
    free_port,
    ftp_server,
    imap_server,
    self_signed,
    sftp_server,
)

pytestmark = pytest.mark.integration
MAX_BYTES = 64 * 1024  # the document limit of these runs


def records(settings: Settings, topic: str, prefix: str, least: int) -> list[dict[str, Any]]:
    """Every record on `topic` whose source starts with `prefix` (at least `least` of them)."""

    def mine(values: list[bytes]) -> list[dict[str, Any]]:
        out = []
        for v in values:
            rec = orjson.loads(v)
            if str(rec.get("source", "")).startswith(prefix):
                out.append(rec)
        return out

    return mine(read_topic(settings, topic, lambda vs: len(mine(vs)) >= least, timeout=60))


def feeds(
    wire_env: dict[str, str], config: Path, *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = os.environ | wire_env | SECRETS | {"WIRE_MAX_DOCUMENT_BYTES": str(MAX_BYTES)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "feeds", *args, "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


SECRETS = {
    "WIRE_TEST_FTP_PASSWORD": PASSWORD,
    "WIRE_TEST_IMAP_PASSWORD": PASSWORD,
    "WIRE_TEST_API_TOKEN": "t0k3n",
    "WIRE_TEST_API_KEY": "k3y",
}


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Every kind of server, each with its own folder or mailbox."""
    with ExitStack() as stack:
        roots = {k: tmp_path / k for k in ("ftp", "ftps", "sftp")}
        for r in roots.values():
            (r / "outgoing").mkdir(parents=True)
        tls = self_signed(tmp_path / "tls")
        api = ContentApi([ninjs_item(f"FEEDS-API-{i}") for i in range(3)], page_size=2)
        g2 = ContentApi([ninjs_item(f"FEEDS-G2-{i}") for i in range(3)], page_size=2)
        yield {
            "roots": roots,
            "tls": tls,
            "ftp": stack.enter_context(ftp_server(roots["ftp"])),
            "ftps": stack.enter_context(ftp_server(roots["ftps"], tls)),
            "sftp": stack.enter_context(sftp_server(roots["sftp"], tmp_path)),
            "imap": stack.enter_context(imap_server()),
            "api": api,
            "api_url": stack.enter_context(serve_api(api)),
            "g2": g2,
            "g2_url": stack.enter_context(serve_api(g2)),
        }


def config_file(tmp_path: Path, s: dict[str, Any]) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        f"""
state_dir: {tmp_path / "state"}
defaults: {{every: 1h, timeout: 10s, settle: 0.3s}}
feeds:
  - name: agency-ftp
    kind: ftp
    url: ftp://{USER}@127.0.0.1:{s["ftp"]}/outgoing
    password_env: WIRE_TEST_FTP_PASSWORD
    after: move
  - name: agency-ftps
    kind: ftps
    url: ftps://{USER}@127.0.0.1:{s["ftps"]}/outgoing
    password_env: WIRE_TEST_FTP_PASSWORD
    ca_file: {s["tls"].cert}
    after: keep
  - name: agency-sftp
    kind: sftp
    url: sftp://{USER}@127.0.0.1:{s["sftp"].port}/outgoing
    password_env: WIRE_TEST_FTP_PASSWORD
    known_hosts: {s["sftp"].known_hosts}
    after: delete
  - name: desk-mail
    kind: imap
    url: imap://{USER}@127.0.0.1:{s["imap"].port}/INBOX
    password_env: WIRE_TEST_IMAP_PASSWORD
    after: seen
  - name: agency-api
    kind: api
    url: {s["api_url"]}/v1/feed
    token_env: WIRE_TEST_API_TOKEN
    items: data.items
    next_page: data.next_page
    resume: true
    format: ninjs
  - name: agency-g2
    kind: api
    url: {s["g2_url"]}/g2/feed
    api_key_env: WIRE_TEST_API_KEY
    next_page: link
  - name: dead-server
    kind: ftp
    url: ftp://{USER}@127.0.0.1:{free_port()}/outgoing
    password_env: WIRE_TEST_FTP_PASSWORD
"""
    )
    return path


def test_every_kind_reaches_the_raw_topic_once_across_a_restart(
    settings: Settings, wire_env: dict[str, str], servers: dict[str, Any], tmp_path: Path
) -> None:
    s, roots = servers, servers["roots"]
    (roots["ftp"] / "outgoing" / "ftp-1.txt").write_bytes(dispatch_text("FeedsFtpOne"))
    (roots["ftp"] / "outgoing" / "ftp-2.txt.part").write_bytes(dispatch_text("FeedsFtpTwo"))
    (roots["ftp"] / "outgoing" / "huge.txt").write_bytes(dispatch_text("Huge", "x" * MAX_BYTES))
    (roots["ftps"] / "outgoing" / "ftps-1.txt").write_bytes(dispatch_text("FeedsFtpsOne"))
    (roots["sftp"] / "outgoing" / "sftp-1.txt").write_bytes(dispatch_text("FeedsSftpOne"))
    s["imap"].append(email("Levée", dispatch_text("FeedsMailOne"), "f1@afp.example"))
    config = config_file(tmp_path, s)

    first = feeds(wire_env, config, "run", "--once")
    # One feed's server is down: a one-line error and exit 3, the others all ran.
    assert first.returncode == 3, first.stdout + first.stderr
    log = first.stdout + first.stderr
    assert "feed dead-server: cannot connect to ftp://127.0.0.1:" in log
    assert "feed agency-ftp: 1 sent, 1 refused" in log

    # Restarted, with one new document for each source.
    (roots["ftp"] / "outgoing" / "ftp-2.txt.part").rename(roots["ftp"] / "outgoing" / "ftp-2.txt")
    (roots["ftps"] / "outgoing" / "ftps-2.txt").write_bytes(dispatch_text("FeedsFtpsTwo"))
    (roots["sftp"] / "outgoing" / "sftp-2.txt").write_bytes(dispatch_text("FeedsSftpTwo"))
    s["imap"].append(email("Rachat", dispatch_text("FeedsMailTwo"), "f2@afp.example"))
    s["api"].items.append(ninjs_item("FEEDS-API-3"))
    s["g2"].items.append(ninjs_item("FEEDS-G2-3"))
    second = feeds(wire_env, config, "run", "--once", "--only", "agency-ftp", "--only",
                   "agency-ftps", "--only", "agency-sftp", "--only", "desk-mail",
                   "--only", "agency-api", "--only", "agency-g2")  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr

    raw = settings.raw_topic
    ftp = f"ftp://{USER}@127.0.0.1:{s['ftp']}/outgoing/"
    assert sorted(r["source"] for r in records(settings, raw, ftp, 2)) == [
        ftp + "ftp-1.txt",
        ftp + "ftp-2.txt",
    ]
    [huge] = records(settings, settings.dlq_topic, ftp, 1)
    assert huge["source"] == ftp + "huge.txt"
    assert huge["error"].endswith("over the 64.0 KiB limit (WIRE_MAX_DOCUMENT_BYTES)")
    assert sorted(p.name for p in (roots["ftp"] / "outgoing" / "done").iterdir()) == [
        "ftp-1.txt",
        "ftp-2.txt",
    ]
    assert (roots["ftp"] / "outgoing" / "failed" / "huge.txt").exists()

    ftps = f"ftps://{USER}@127.0.0.1:{s['ftps']}/outgoing/"
    assert sorted(r["source"] for r in records(settings, raw, ftps, 2)) == [
        ftps + "ftps-1.txt",
        ftps + "ftps-2.txt",
    ]
    assert (roots["ftps"] / "outgoing" / "ftps-1.txt").exists()  # after: keep

    sftp = f"sftp://{USER}@127.0.0.1:{s['sftp'].port}/outgoing/"
    assert sorted(r["source"] for r in records(settings, raw, sftp, 2)) == [
        sftp + "sftp-1.txt",
        sftp + "sftp-2.txt",
    ]
    assert list((roots["sftp"] / "outgoing").iterdir()) == []  # after: delete

    # Each message reaches the raw topic or the dead-letter topic once, whatever the
    # formats make of an e-mail (headers and all: the raw RFC 822 bytes are sent).
    mail = f"imap://{USER}@127.0.0.1:{s['imap'].port}/INBOX;"
    mail_raw = [r for r in read_topic(settings, raw, lambda v: True) if mail.encode() in r]
    mail_dlq = [
        r for r in read_topic(settings, settings.dlq_topic, lambda v: True) if mail.encode() in r
    ]
    assert len(mail_raw) + len(mail_dlq) == 2
    assert s["imap"].uids(criteria="SEEN") == s["imap"].uids()

    api = records(settings, raw, s["api_url"] + "/v1/feed", 4)
    assert sorted(r["guid"] for r in api) == [f"urn:test:FEEDS-API-{i}" for i in range(4)]
    g2 = records(settings, raw, s["g2_url"] + "/g2/feed", 4)
    assert sorted(r["guid"] for r in g2) == [f"urn:test:FEEDS-G2-{i}" for i in range(4)]
    assert {r["format"] for r in g2} == {"newsml-g2"}


def test_feeds_run_polls_until_stopped_and_resumes_where_it_was(
    settings: Settings, wire_env: dict[str, str], tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    api = ContentApi([ninjs_item("FEEDS-LIVE-0")], page_size=5)
    with serve_api(api) as base:
        config = tmp_path / "feeds.yaml"
        config.write_text(
            f"""
state_dir: {tmp_path / "state"}
feeds:
  - {{name: drop, kind: folder, path: {drop}, every: 0.3s, settle: 0.2s}}
  - name: live-api
    kind: api
    url: {base}/v1/feed
    token_env: WIRE_TEST_API_TOKEN
    items: data.items
    next_page: data.next_page
    resume: true
    every: 0.5s
"""
        )

        def run_until(done: Callable[[], object]) -> str:
            log = tmp_path / "feeds.log"
            env = os.environ | wire_env | SECRETS
            with log.open("wb") as fh:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "pipeline.cli", "feeds", "run", "-c", str(config)],
                    cwd=ROOT,
                    env=env,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + 90
                while not done():
                    assert proc.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.5)
            finally:
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(30) == 0, log.read_text()
            return log.read_text()

        (drop / "live-1.txt").write_bytes(dispatch_text("FeedsLiveDrop"))
        log = run_until(lambda: (drop / "done" / "live-1.txt").exists() and len(api.requests) > 2)
        assert "running 2 feed(s): drop, live-api" in log
        api.items.append(ninjs_item("FEEDS-LIVE-1"))
        asked = len(api.requests)
        run_until(lambda: len(api.requests) > asked + 1)
        assert api.requests[asked][0] == "/v1/feed?cursor=1"  # where the last run stopped
    live = records(settings, settings.raw_topic, base + "/v1/feed", 2)
    assert sorted(r["guid"] for r in live) == ["urn:test:FEEDS-LIVE-0", "urn:test:FEEDS-LIVE-1"]
    assert len(records(settings, settings.raw_topic, str(drop), 1)) == 1
