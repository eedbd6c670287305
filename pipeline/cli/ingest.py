"""`wire ingest`, `wire watch`, `wire poll`: documents into the raw topic."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from connectors.sources.files import expand_paths, read_file
from pipeline.settings import get_settings

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import EXIT_REFUSED, app, duration, err, fail, out, publisher
from pipeline.cli.stack import state_dir


@app.command(rich_help_panel="Feed it")
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders")],
    fmt: Annotated[str | None, typer.Option("--format", help="Skip detection")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Decode plain text with this encoding")
    ] = None,
) -> None:
    """Publish each dispatch in PATHS to the raw topic (keyed by guid).

    Refused files go to the dead-letter topic with the reason; exit 2 if any was refused.
    """
    s = get_settings()
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise fail(f"no such file or folder: {missing[0]}", EXIT_REFUSED)
    files = expand_paths(paths)
    published = refused = 0
    with publisher("ingest") as pub, Progress(console=err, transient=True) as progress:
        task = progress.add_task("ingesting", total=len(files))
        for path in files:
            r = read_file(
                path,
                received_at=datetime.now(UTC),
                max_bytes=s.max_document_bytes,
                encoding=encoding,
                fmt=fmt,
            )
            result = pub.publish(
                r.data,
                str(path),
                encoding=encoding,
                fmt=fmt,
                refused=r.error,
                size=r.size,
                sha256=r.sha256,
            )
            if result.refused:
                refused += 1
                err.print(f"[red]refused[/] {escape(str(path))}: {escape(result.refused)}")
            published += len(result.guids)
            progress.advance(task)
    out.print(
        f"{len(files)} file(s): {published} dispatch(es) published to {s.raw_topic}, "
        f"{refused} refused (sent to {s.dlq_topic})"
    )
    if refused:
        raise typer.Exit(EXIT_REFUSED)


@app.command(rich_help_panel="Feed it")
def watch(
    folder: Path,
    settle: Annotated[float, typer.Option(help="Seconds a file must stay unchanged")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Process what is ready, then exit")] = False,
) -> None:
    """Publish files as they land in FOLDER; move each to done/ or failed/ (with a .reason.txt)."""
    import threading

    from connectors.sources.dropfolder import DropFolder, Outcome

    drop = DropFolder(folder, settle=0.0 if once else settle)

    def report(path: Path, outcome: Outcome) -> None:
        if outcome.ok:
            out.print(f"[green]sent[/] {escape(path.name)}")
        else:
            err.print(f"[red]refused[/] {escape(path.name)}: {escape(outcome.reason or '')}")

    with publisher("watch") as pub:

        def handle(path: Path, data: bytes) -> Outcome:
            result = pub.publish(data, str(path))
            return Outcome(result.refused is None, result.refused)

        if once:
            for path, outcome in drop.process_ready(handle):
                report(path, outcome)
            return
        out.print(f"watching {folder} (Ctrl-C to stop)")
        stop = threading.Event()
        try:
            drop.run(handle, stop, on_result=report)
        except KeyboardInterrupt:
            stop.set()


@app.command(rich_help_panel="Feed it")
def poll(
    url: str,
    every: Annotated[str, typer.Option(help="Interval: 30s, 5m, 1h")] = "30s",
    once: Annotated[bool, typer.Option("--once", help="Poll once, then exit")] = False,
) -> None:
    """Poll a feed URL; send each new entry once, across restarts (ETag / If-Modified-Since).

    For authenticated APIs, pagination and many feeds at once, see `wire feeds`."""
    import httpx

    from connectors.sources.feedpoll import FeedPoller, state_path
    from connectors.sources.live import SourceError

    s = get_settings()
    interval = duration(every)
    poller = FeedPoller(
        url,
        state_path(state_dir() / "poll", url),
        httpx.Client(timeout=30, follow_redirects=True),
        s.max_document_bytes,
    )
    with publisher("poll") as pub:
        while True:
            try:
                result = poller.poll_once(pub)
            except SourceError as exc:
                err.print(f"[red]cannot fetch[/] {escape(str(exc))}")
            else:
                for note in result.notes:
                    err.print(f"[red]refused[/] {escape(note)}")
                out.print(f"{url}: HTTP {result.status}, {result.sent} new entr(y/ies) sent")
            if once:
                return
            time.sleep(interval)
