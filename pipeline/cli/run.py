"""`wire worker`, `wire serve`, `wire demo`, `wire stop`: running the pipeline."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from connectors.sources.files import expand_paths, read_file
from pipeline.settings import get_settings

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import EXIT_REFUSED, app, fail, out
from pipeline.cli.ingest import ingest
from pipeline.cli.search import search
from pipeline.cli.stack import alive, gone, start_background, state_dir


@app.command(rich_help_panel="Run the pipeline")
def serve(
    host: Annotated[str | None, typer.Option(help="Default WIRE_API_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default WIRE_API_PORT")] = None,
) -> None:
    """Run the HTTP service: push endpoint, health, metrics, OpenAPI docs at /docs."""
    import logging

    import uvicorn

    from pipeline.http.app import create_app
    from pipeline.http.auth import RedactKeys

    s = get_settings()
    logging.getLogger("uvicorn.access").addFilter(RedactKeys())
    uvicorn.run(create_app(s), host=host or s.api_host, port=port or s.api_port, log_level="info")


@app.command(rich_help_panel="Run the pipeline")
def worker(
    web_port: Annotated[int | None, typer.Option(help="Worker web/metrics port")] = None,
    loglevel: Annotated[str, typer.Option()] = "info",
) -> None:
    """Run the Faust pipeline worker (start several for more partitions in parallel)."""
    from pipeline.worker.app import run_worker

    run_worker(web_port=web_port, loglevel=loglevel)


@app.command(
    hidden=True, context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def supervise(ctx: typer.Context, name: str) -> None:
    """Run `wire ARGS…` (after NAME) and start it again whenever it dies (pipeline.supervisor)."""
    import sys

    from pipeline.supervisor import supervise as keep_running

    def say(line: str) -> None:
        sys.stdout.write(f"{line}\n")
        sys.stdout.flush()

    cmd = [sys.executable, "-m", "pipeline.cli", *ctx.args]
    raise typer.Exit(keep_running(cmd, sys.stdout.buffer, say=say))


def wait_searchable(guids: set[str], timeout: float) -> int:
    from pipeline.store.client import make_es

    s = get_settings()
    es = make_es(s)
    deadline = time.monotonic() + timeout
    found = 0
    pidfile = state_dir() / "worker.pid"
    try:
        while time.monotonic() < deadline:
            if not alive(pidfile):
                log = (state_dir() / "worker.log").read_text(errors="replace").splitlines()
                reason = next((line for line in reversed(log) if "Error" in line), "see the log")
                raise fail(
                    f"the worker exited: {reason.strip()[:300]} ({state_dir() / 'worker.log'})"
                )
            try:
                resp = es.search(
                    index=s.dispatch_alias, query={"ids": {"values": sorted(guids)}}, size=0
                )
                found = int(resp["hits"]["total"]["value"])
            except Exception:
                found = 0
            if found >= len(guids):
                break
            time.sleep(0.5)
    finally:
        es.close()
    return found


@app.command(rich_help_panel="Run the pipeline")
def demo(
    samples: Annotated[Path, typer.Option(help="Folder of sample dispatches")] = Path("samples"),
    query: Annotated[str, typer.Option(help="Search shown at the end")] = "Rivian",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for indexing")] = 180.0,
) -> None:
    """Start everything locally (stack, worker), replay SAMPLES, show a search."""
    from pipeline import stack

    s = get_settings()
    try:
        out.print(stack.up(s))
    except stack.StackError as exc:
        raise fail(str(exc)) from None
    # Supervised: a worker or API that dies is started again (pipeline.supervisor).
    out.print(start_background("worker", ["supervise", "worker", "worker"]))
    out.print(start_background("api", ["supervise", "api", "serve"]))
    guids: set[str] = set()
    for path in expand_paths([samples]):
        r = read_file(path, received_at=datetime.now(UTC), max_bytes=s.max_document_bytes)
        guids.update(d.guid for d in r.dispatches)
    try:
        ingest([samples], None, None)
    except typer.Exit as exc:  # refused samples are reported above; keep going
        if exc.exit_code not in (0, EXIT_REFUSED):
            raise
    with out.status(
        f"waiting for {len(guids)} dispatch(es) to be searchable (first start loads spaCy)…"
    ):
        found = wait_searchable(guids, timeout)
    out.print(f"{found}/{len(guids)} dispatch(es) searchable in {s.dispatch_alias}")
    # saved-search alerts beyond the page: webhooks and e-mail digests (topics exist by now)
    out.print(start_background("alerts", ["alerts", "deliver"]) + "\n")
    search(
        query=query,
        org=None,
        person=None,
        place=None,
        event=None,
        lang=None,
        since=None,
        until=None,
        size=5,
        sort="relevance",
        include_killed=False,
        as_json=False,
    )
    out.print(
        f"\nweb page: http://{s.api_host}:{s.api_port}/ · API: http://{s.api_host}:{s.api_port}/docs"
        " · next: [bold]wire search 'Amazon' --org Amazon[/], [bold]wire entity Amazon[/],"
        " [bold]wire subscribe[/], [bold]wire monitor[/]"
        " · [bold]wire stop[/] to stop everything"
    )
    if found < len(guids):
        raise fail(
            f"only {found} of {len(guids)} sample dispatches became searchable; see .wirestream/worker.log"
        )


@app.command(rich_help_panel="Run the pipeline")
def stop() -> None:
    """Stop what `wire demo` started: alert delivery, API, worker and the local stack."""
    from pipeline import stack

    for name in ("alerts", "api", "worker"):
        pidfile = state_dir() / f"{name}.pid"
        pid = alive(pidfile)
        if pid:
            os.killpg(pid, signal.SIGTERM)
            # The worker leaves its consumer group on the way out: the broker must still be
            # up for that, or the worker keeps retrying it long after the stack is gone.
            if not gone(pidfile, timeout=30):
                os.killpg(pid, signal.SIGKILL)
                out.print(f"{name} did not stop within 30 s: killed")
            out.print(f"{name} stopped (pid {pid})")
        pidfile.unlink(missing_ok=True)
    try:
        out.print(stack.down(get_settings()))
    except stack.StackError as exc:
        raise fail(str(exc)) from None
