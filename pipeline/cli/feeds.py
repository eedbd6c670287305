"""`wire feeds run | list | check`: every live source of the feeds file."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pipeline.cli.base import EXIT_UNAVAILABLE, app, err, fail, out, publisher
from pipeline.cli.stack import state_dir
from pipeline.settings import get_settings

if TYPE_CHECKING:
    from connectors.errors import RefusedInput
    from connectors.sources.feedconfig import FeedsFile
    from connectors.sources.live import Sent
    from schemas import Dispatch

feeds_app = typer.Typer(
    no_args_is_help=True,
    help="Live sources from one feeds file: folders, FTP/FTPS, SFTP, IMAP, content APIs, RSS.",
)
app.add_typer(feeds_app, name="feeds", rich_help_panel="Feed it")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="The feeds file (default: WIRE_FEEDS_FILE, feeds.yaml)"),
]


def _load(config: Path | None) -> FeedsFile:
    from connectors.sources.feedconfig import FeedConfigError, load_feeds

    try:
        return load_feeds(config or get_settings().feeds_file)
    except FeedConfigError as exc:
        lines = str(exc).splitlines()
        for line in lines[1:]:
            err.print(f"  {escape(line)}")
        raise fail(lines[0]) from None


def _state_dir(feeds: FeedsFile) -> Path:
    return feeds.state_dir or state_dir() / "feeds"


class _NoSink:
    """`check` reads only: anything trying to send is a bug."""

    def publish(
        self,
        data: bytes,
        source: str,
        *,
        encoding: str | None = None,
        fmt: str | None = None,
        refused: RefusedInput | None = None,
        wait: bool = True,
    ) -> Sent:
        raise RuntimeError("wire feeds check never sends")

    def publish_dispatches(self, dispatches: list[Dispatch]) -> object:
        raise RuntimeError("wire feeds check never sends")


@feeds_app.command("run")
def feeds_run(
    config: ConfigOption = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run just this feed (repeatable)")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Poll every feed once, then exit")] = False,
) -> None:
    """Run every enabled feed side by side, each on its own schedule, until stopped.

    A feed whose server is down logs one line per attempt and retries with backoff;
    the others go on. With --once, exit 3 if any feed could not be polled."""
    from connectors.sources.runner import FeedRunner, build_feeds

    feeds = _load(config)
    chosen = [feeds.get(n) for n in only] if only else feeds.feeds
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO, force=True)
    for noisy in ("kafka", "asyncssh", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    s = get_settings()
    with publisher("feeds") as pub:
        live, problems = build_feeds(chosen, pub, _state_dir(feeds), s.max_document_bytes)
        for line in problems:
            err.print(f"[red]not started[/] {escape(line)}")
        if not live:
            raise fail("no feed to run")
        runner = FeedRunner(live)
        if not once:
            out.print(
                f"running {len(live)} feed(s): {', '.join(f.name for f in live)} (Ctrl-C to stop)"
            )

            def stop(signum: int, frame: FrameType | None) -> None:
                runner.stop.set()

            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, stop)
                signal.signal(signal.SIGINT, stop)
        ok = runner.run(once=once)
    if once and (problems or not all(ok.get(f.name, False) for f in live)):
        raise typer.Exit(EXIT_UNAVAILABLE)


@feeds_app.command("list")
def feeds_list(config: ConfigOption = None) -> None:
    """The feeds of the file: kind, address, schedule, format, and whether their secrets are set."""
    feeds = _load(config)
    table = Table(title=f"{len(feeds.feeds)} feed(s), state in {_state_dir(feeds)}")
    for col in ("name", "kind", "address", "every", "format", "secrets", "state"):
        table.add_column(col, overflow="fold")
    for f in feeds.feeds:
        secrets = ", ".join(
            f"{var} {'[green]set[/]' if var in os.environ else '[red]missing[/]'}"
            for var in f.secrets().values()
        )
        state = _state_dir(feeds) / f"{f.name}.json"
        table.add_row(
            f.name + ("" if f.enabled else " [dim](disabled)[/]"),
            f.kind,
            escape(f.address),
            f"{f.every:g}s",
            f.format or "detect",
            secrets or "-",
            "saved" if state.exists() else "new",
        )
    out.print(table)


@feeds_app.command("check")
def feeds_check(name: str, config: ConfigOption = None) -> None:
    """Connect to one feed and say what a poll would send now; sends and records nothing."""
    from connectors.sources.feedconfig import FeedConfigError
    from connectors.sources.live import SourceError
    from connectors.sources.runner import build_feed, describe

    feeds = _load(config)
    try:
        cfg = feeds.get(name)
        live = build_feed(cfg, _NoSink(), _state_dir(feeds), get_settings().max_document_bytes)
    except FeedConfigError as exc:
        raise fail(str(exc)) from None
    try:
        lines = live.check()
    except (SourceError, OSError) as exc:
        raise fail(f"feed {name}: {describe(exc)}", EXIT_UNAVAILABLE) from None
    finally:
        live.close()
    out.print(f"[bold]{escape(name)}[/] ({cfg.kind}, {escape(cfg.address)})")
    for line in lines:
        out.print(f"  {escape(line)}")
