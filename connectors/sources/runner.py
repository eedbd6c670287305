"""Run every feed of the feeds file side by side, each on its own schedule.

Each feed runs in its own thread and polls every `every` seconds. A poll that fails (the
server is down, a login is refused, Kafka did not acknowledge) logs one line and is
retried after a growing delay (1 s, 2 s, 4 s … up to `backoff_max`, or the feed's
interval when that is longer); one feed's failures never stop the others. Bad documents
are not failures: they go to the dead-letter topic and the feed goes on.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from connectors.sources.dropfolder import DropFolder, Outcome
from connectors.sources.feedconfig import (
    Feed,
    FeedConfigError,
    FolderFeed,
    HttpFeed,
    ImapFeed,
    RemoteFeed,
    env_secret,
)
from connectors.sources.feedpoll import (
    DEFAULT_ITEM_ID,
    DEFAULT_ITEM_VERSION,
    FeedOptions,
    FeedPoller,
)
from connectors.sources.ftp import FtpAddress, connect_ftp, tls_context
from connectors.sources.imap import ImapAddress, ImapOptions, ImapPoller
from connectors.sources.live import PollReport, Sink, SourceError
from connectors.sources.remote import RemoteFolder, RemoteOptions, RemotePoller
from connectors.sources.sftp import SftpAddress, connect_sftp

log = logging.getLogger("wirestream.feeds")


@dataclass
class LiveFeed:
    """A configured feed, ready to poll."""

    config: Feed
    poll: Callable[[], PollReport]
    check: Callable[[], list[str]]
    close: Callable[[], None] = field(default=lambda: None)

    @property
    def name(self) -> str:
        return self.config.name


def next_delay(interval: float, failures: int, backoff_max: float = 300.0) -> float:
    """Seconds to wait before the next poll: the interval, or after `failures` failed polls
    in a row, 1, 2, 4 … seconds, never more than max(backoff_max, interval)."""
    if failures <= 0:
        return interval
    return float(min(max(backoff_max, interval), 2.0 ** min(failures - 1, 30)))


def describe(exc: BaseException) -> str:
    """One line for a failed poll."""
    if isinstance(exc, SourceError):
        return str(exc)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _remote_connect(cfg: RemoteFeed) -> Callable[[], AbstractContextManager[RemoteFolder]]:
    p = cfg.parts
    user = cfg.username or cfg.url_user()
    password = env_secret(cfg.password_env, "password_env", cfg.name)
    if cfg.kind == "sftp":
        addr_s = SftpAddress(
            host=p.hostname or "",
            port=p.port or 22,
            path=p.path or ".",
            username=user,
            password=password,
            key_files=tuple(cfg.key_files),
            passphrase=env_secret(cfg.passphrase_env, "passphrase_env", cfg.name),
            known_hosts=cfg.known_hosts,
            host_key_check=cfg.host_key_check,
            timeout=cfg.timeout,
        )
        return lambda: connect_sftp(addr_s)
    addr_f = FtpAddress(
        host=p.hostname or "",
        port=p.port or 21,
        path=p.path or "/",
        username=user or "anonymous",
        password=password or "",
        tls=cfg.kind == "ftps" or p.scheme == "ftps",
        verify=cfg.tls_verify,
        ca_file=cfg.ca_file,
        timeout=cfg.timeout,
        passive=cfg.passive,
    )
    return lambda: connect_ftp(addr_f)


def build_feed(cfg: Feed, sink: Sink, state_dir: Path, max_bytes: int) -> LiveFeed:
    """The poller for one configured feed. FeedConfigError when a secret is missing."""
    state = state_dir / f"{cfg.name}.json"
    if isinstance(cfg, FolderFeed):
        return _folder_feed(cfg, sink)
    if isinstance(cfg, RemoteFeed):
        remote = RemotePoller(
            cfg.address,
            _remote_connect(cfg),
            state,
            sink,
            RemoteOptions(
                max_bytes=max_bytes,
                after=cfg.after,
                done=cfg.done,
                failed=cfg.failed,
                settle=cfg.settle,
                fmt=cfg.format,
                encoding=cfg.encoding,
            ),
        )
        return LiveFeed(cfg, remote.poll_once, remote.check)
    if isinstance(cfg, ImapFeed):
        p = cfg.parts
        tls: Literal["ssl", "starttls", "none"] = (
            "ssl" if p.scheme == "imaps" else ("starttls" if cfg.starttls else "none")
        )
        imap = ImapPoller(
            ImapAddress(
                host=p.hostname or "",
                port=p.port or (993 if tls == "ssl" else 143),
                mailbox=cfg.mailbox,
                username=cfg.username or cfg.url_user() or "",
                password=env_secret(cfg.password_env, "password_env", cfg.name) or "",
                tls=tls,
                verify=cfg.tls_verify,
                ca_file=cfg.ca_file,
                timeout=cfg.timeout,
            ),
            state,
            sink,
            ImapOptions(
                max_bytes=max_bytes,
                after=cfg.after,
                move_to=cfg.move_to,
                failed_to=cfg.failed_to,
                fmt=cfg.format,
                batch=cfg.batch,
            ),
        )
        return LiveFeed(cfg, imap.poll_once, imap.check)
    return _http_feed(cfg, sink, state, max_bytes)


def _http_feed(cfg: HttpFeed, sink: Sink, state: Path, max_bytes: int) -> LiveFeed:
    headers = dict(cfg.headers)
    params = dict(cfg.params)
    token = env_secret(cfg.token_env, "token_env", cfg.name)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    key = env_secret(cfg.api_key_env, "api_key_env", cfg.name)
    if key:
        if cfg.api_key_param:
            params[cfg.api_key_param] = key
        elif cfg.api_key_header:
            headers[cfg.api_key_header] = key
    verify: ssl.SSLContext | bool = (
        tls_context(cfg.tls_verify, cfg.ca_file) if cfg.ca_file else cfg.tls_verify
    )
    client = httpx.Client(
        timeout=cfg.timeout,
        follow_redirects=True,
        verify=verify,
        headers={"User-Agent": "wirestream"},
    )
    poller = FeedPoller(
        cfg.url,
        state,
        client,
        max_bytes,
        FeedOptions(
            headers=headers,
            params=params,
            items=cfg.items,
            item_id=tuple(cfg.item_id or DEFAULT_ITEM_ID),
            item_version=tuple(cfg.item_version or DEFAULT_ITEM_VERSION),
            next_page=cfg.next_page,
            cursor=cfg.cursor,
            cursor_param=cfg.cursor_param,
            resume=cfg.resume,
            max_pages=cfg.max_pages,
            fmt=cfg.format,
            secret_params=(cfg.api_key_param,) if key and cfg.api_key_param else (),
        ),
    )
    return LiveFeed(cfg, lambda: poller.poll_once(sink), poller.check, client.close)


def _folder_feed(cfg: FolderFeed, sink: Sink) -> LiveFeed:
    drop = DropFolder(cfg.path, settle=cfg.settle)

    def handle(path: Path, data: bytes) -> Outcome:
        result = sink.publish(data, str(path), encoding=cfg.encoding, fmt=cfg.format)
        return Outcome(result.refused is None, result.refused)

    def poll() -> PollReport:
        rep = PollReport()
        results = drop.process_ready(handle)
        if drop.candidates() and cfg.settle > 0:  # look again once they could have settled
            time.sleep(cfg.settle)
            results += drop.process_ready(handle)
        for path, outcome in results:
            if outcome.ok and outcome.reason == "already sent":
                rep.skipped += 1
            elif outcome.ok:
                rep.sent += 1
            else:
                rep.refused += 1
                rep.notes.append(f"{path.name} refused: {outcome.reason}")
        rep.waiting = len(drop.candidates())
        return rep

    def check() -> list[str]:
        files = drop.candidates()
        return [f"{p.name}  {p.stat().st_size} bytes  waiting" for p in files] or [
            f"{cfg.path}: nothing waiting"
        ]

    return LiveFeed(cfg, poll, check)


def build_feeds(
    feeds: list[Feed], sink: Sink, state_dir: Path, max_bytes: int
) -> tuple[list[LiveFeed], list[str]]:
    """The feeds that can run, and one line for each that cannot (a missing secret, …)."""
    live, problems = [], []
    for cfg in feeds:
        if not cfg.enabled:
            continue
        try:
            live.append(build_feed(cfg, sink, state_dir, max_bytes))
        except (FeedConfigError, OSError, ValueError) as exc:
            problems.append(str(exc) if str(exc).startswith("feed ") else f"feed {cfg.name}: {exc}")
    return live, problems


@dataclass
class FeedRunner:
    feeds: list[LiveFeed]
    stop: threading.Event = field(default_factory=threading.Event)
    backoff_max: float = 300.0
    failures: dict[str, int] = field(default_factory=dict)

    def run(self, once: bool = False) -> dict[str, bool]:
        """Poll every feed until `stop` is set (or once each); feed name -> last poll ok."""
        ok: dict[str, bool] = {}
        threads = [
            threading.Thread(
                target=self._loop, args=(feed, once, ok), name=f"feed-{feed.name}", daemon=True
            )
            for feed in self.feeds
        ]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.5)
        finally:
            self.stop.set()
            for feed in self.feeds:
                feed.close()
        return ok

    def _loop(self, feed: LiveFeed, once: bool, ok: dict[str, bool]) -> None:
        interval = feed.config.every
        jitter = random.Random(feed.name)
        while not self.stop.is_set():
            try:
                report = feed.poll()
            except Exception as exc:  # one feed's trouble never stops the others
                n = self.failures[feed.name] = self.failures.get(feed.name, 0) + 1
                ok[feed.name] = False
                delay = next_delay(interval, n, self.backoff_max)
                retry = "" if once else f"; retry in {delay:.0f}s (attempt {n + 1})"
                log.warning("feed %s: %s%s", feed.name, describe(exc), retry)
            else:
                self.failures[feed.name] = 0
                ok[feed.name] = True
                delay = interval
                if report.eventful or once:
                    log.info("feed %s: %s", feed.name, report.summary())
            if once:
                return
            self.stop.wait(delay * (0.9 + 0.2 * jitter.random()) if delay > 1 else delay)
