"""`wire`: the command line of wirestream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from connectors.files import expand_paths, read_file
from pipeline.settings import get_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="wirestream: wire feeds in, events and search out.",
)
stack_app = typer.Typer(no_args_is_help=True, help="The local Kafka + Elasticsearch (noida-db).")
app.add_typer(stack_app, name="stack")
out = Console()
err = Console(stderr=True)

EXIT_REFUSED = 2
EXIT_UNAVAILABLE = 3


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


# ------------------------------------------------------------------ stack


@stack_app.command("up")
def stack_up() -> None:
    """Start Kafka + Elasticsearch locally (idempotent); waits until both answer."""
    from pipeline import stack

    try:
        out.print(stack.up(get_settings()))
    except stack.StackError as exc:
        raise _fail(str(exc)) from None


@stack_app.command("down")
def stack_down() -> None:
    """Stop the local stack (data stays in WIRE_STACK_DIR)."""
    from pipeline import stack

    try:
        out.print(stack.down(get_settings()))
    except stack.StackError as exc:
        raise _fail(str(exc)) from None


@stack_app.command("status")
def stack_status() -> None:
    """Does Kafka answer? Does Elasticsearch answer? Exit 0 only when both do."""
    from pipeline import stack

    s = get_settings()
    st = stack.status(s)
    out.print(f"kafka          {s.kafka_bootstrap:28} {'up' if st['kafka'] else 'DOWN'}")
    out.print(f"elasticsearch  {s.es_url:28} {'up' if st['elasticsearch'] else 'DOWN'}")
    if not all(st.values()):
        raise typer.Exit(1)


# ------------------------------------------------------------------ parse / extract (offline)


@app.command()
def parse(
    file: Path,
    fmt: Annotated[str | None, typer.Option("--format", help="Skip detection")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Decode plain text with this encoding")
    ] = None,
) -> None:
    """Print the parsed Dispatch(es) of FILE, one JSON line each. Exit 2 if unreadable."""
    s = get_settings()
    r = read_file(
        file,
        received_at=datetime.now(UTC),
        max_bytes=s.max_document_bytes,
        encoding=encoding,
        fmt=fmt,
    )
    if r.error:
        raise _fail(f"{file}: {r.error.reason}", EXIT_REFUSED)
    for d in r.dispatches:
        sys.stdout.write(orjson.dumps(d.model_dump(mode="json")).decode() + "\n")


@app.command()
def extract(
    files: list[Path],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per dispatch")] = False,
) -> None:
    """Parse and run every enrichment stage in process (no Kafka, no Elasticsearch)."""
    from pipeline.extract import extract_batch
    from pipeline.normalise import normalise

    s = get_settings()
    refused = 0
    for path in expand_paths(files):
        r = read_file(path, received_at=datetime.now(UTC), max_bytes=s.max_document_bytes)
        if r.error:
            err.print(f"[red]refused[/] {escape(str(path))}: {escape(r.error.reason)}")
            refused += 1
            continue
        for d in extract_batch([normalise(x) for x in r.dispatches], s.nlp_batch_size):
            if as_json:
                sys.stdout.write(orjson.dumps(d.model_dump(mode="json")).decode() + "\n")
                continue
            out.rule(f"[bold]{escape(d.headline or d.guid)}")
            out.print(f"{d.guid} v{d.version} · {d.language} · {d.dateline.place or '-'}")
            for e in d.entities:
                out.print(f"  [cyan]{e.type.value:4}[/] {escape(e.name)}  [dim]{e.id}[/]")
            for ev in d.events:
                roles = ", ".join(f"{k}={'/'.join(r.name for r in v)}" for k, v in ev.roles.items())
                amount = f" {ev.amount.value:,.0f} {ev.amount.currency}" if ev.amount else ""
                out.print(f"  [green]{ev.type}[/] {escape(roles)}{amount} ({ev.confidence})")
    if refused:
        raise typer.Exit(EXIT_REFUSED)


# ------------------------------------------------------------------ ingest


@app.command()
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
    from kafka.errors import KafkaError

    from pipeline.kafka_io import (
        dead_letter,
        dispatch_headers,
        encode,
        ensure_topics,
        make_producer,
    )

    s = get_settings()
    files = expand_paths(paths)
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise _fail(f"no such file or folder: {missing[0]}", EXIT_REFUSED)
    try:
        ensure_topics(s)
        producer = make_producer(s)
    except (KafkaError, OSError) as exc:
        raise _fail(
            f"cannot reach Kafka at {s.kafka_bootstrap} ({type(exc).__name__}); "
            "start it with `wire stack up` or set WIRE_KAFKA_BOOTSTRAP",
            EXIT_UNAVAILABLE,
        ) from None
    published = refused = 0
    futures = []
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("ingesting", total=len(files))
        for path in files:
            r = read_file(
                path,
                received_at=datetime.now(UTC),
                max_bytes=s.max_document_bytes,
                encoding=encoding,
                fmt=fmt,
            )
            if r.error:
                refused += 1
                dl = dead_letter(
                    r.data,
                    source=str(path),
                    stage=r.error.stage,
                    error=r.error.reason,
                    keep_bytes=s.dlq_payload_bytes,
                )
                futures.append(producer.send(s.dlq_topic, key=dl.id.encode(), value=encode(dl)))
                err.print(f"[red]refused[/] {escape(str(path))}: {escape(r.error.reason)}")
            for d in r.dispatches:
                futures.append(
                    producer.send(
                        s.raw_topic,
                        key=d.guid.encode(),
                        value=encode(d),
                        headers=dispatch_headers(d),
                    )
                )
                published += 1
            progress.advance(task)
        producer.flush(timeout=30)
    failed = 0
    for f in futures:
        try:
            f.get(timeout=10)
        except KafkaError as exc:
            failed += 1
            err.print(f"[red]not delivered[/]: {exc}")
    producer.close()
    out.print(
        f"{len(files)} file(s): {published} dispatch(es) published to {s.raw_topic}, "
        f"{refused} refused (sent to {s.dlq_topic})"
    )
    if failed:
        raise _fail(f"{failed} message(s) were not acknowledged by Kafka", EXIT_UNAVAILABLE)
    if refused:
        raise typer.Exit(EXIT_REFUSED)


# ------------------------------------------------------------------ worker


@app.command()
def worker(
    web_port: Annotated[int | None, typer.Option(help="Worker web/metrics port")] = None,
    loglevel: Annotated[str, typer.Option()] = "info",
) -> None:
    """Run the Faust pipeline worker (start several for more partitions in parallel)."""
    from pipeline.app import run_worker

    run_worker(web_port=web_port, loglevel=loglevel)


# ------------------------------------------------------------------ search


def _render_search(result: object, query: str) -> None:
    from pipeline.search import SearchResult

    assert isinstance(result, SearchResult)
    out.print(f"[bold]{result.total}[/] dispatch(es) match [bold]{escape(query) or '*'}[/]")
    for i, h in enumerate(result.hits, 1):
        when = (h.published or "")[:16].replace("T", " ")
        out.print(f"\n[bold]{i}. {escape(h.headline or h.guid)}[/]")
        out.print(
            f"   [dim]{when} · {h.dateline_place or '-'} · {h.language or '?'} · {h.provider or '-'} · {h.guid}[/]"
        )
        for snip in h.snippets[:2]:
            text = escape(snip).replace("<em>", "[bold yellow]").replace("</em>", "[/]")
            out.print(f"   … {text} …")
        if h.event_types:
            out.print(f"   events: {', '.join(h.event_types)}")
    table = Table(title="facets", show_header=True, header_style="bold")
    table.add_column("facet")
    table.add_column("values (count)")
    for name, buckets in result.facets.items():
        if buckets:
            table.add_row(name, ", ".join(f"{escape(b.value)} ({b.count})" for b in buckets))
    out.print()
    out.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Free text (French/English analysis)")] = "",
    org: Annotated[list[str] | None, typer.Option("--org")] = None,
    person: Annotated[list[str] | None, typer.Option("--person")] = None,
    place: Annotated[list[str] | None, typer.Option("--place")] = None,
    event: Annotated[list[str] | None, typer.Option("--event", help="Event type")] = None,
    lang: Annotated[str | None, typer.Option("--lang")] = None,
    since: Annotated[datetime | None, typer.Option("--since")] = None,
    until: Annotated[datetime | None, typer.Option("--until")] = None,
    size: Annotated[int, typer.Option("--size", min=0, max=200)] = 10,
    sort: Annotated[str, typer.Option(help="relevance or time")] = "relevance",
    include_killed: Annotated[bool, typer.Option("--include-killed")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object (pipe to jq)")] = False,
) -> None:
    """Search indexed dispatches: highlighted hits and facet counts."""
    from elastic_transport import ConnectionError as ESConnectionError

    from pipeline.index import make_es
    from pipeline.search import SearchQuery
    from pipeline.search import search as run_search

    s = get_settings()
    if sort not in ("relevance", "time"):
        raise _fail("--sort is 'relevance' or 'time'", 2)
    q = SearchQuery(
        text=query,
        orgs=org or [],
        people=person or [],
        places=place or [],
        event_types=event or [],
        language=lang,
        since=since,
        until=until,
        size=size,
        sort=sort,
        include_killed=include_killed,
    )
    es = make_es(s)
    try:
        if not es.indices.exists_alias(name=s.dispatch_alias):
            raise _fail(
                f"no index {s.dispatch_alias} yet: start a worker (`wire worker`) or run `wire demo`",
                1,
            )
        result = run_search(es, s, q)
    except ESConnectionError:
        raise _fail(
            f"cannot reach Elasticsearch at {s.es_url}; start it with `wire stack up`",
            EXIT_UNAVAILABLE,
        ) from None
    finally:
        es.close()
    if as_json:
        sys.stdout.write(result.model_dump_json() + "\n")
    else:
        _render_search(result, query)


# ------------------------------------------------------------------ demo


def _state_dir() -> Path:
    d = get_settings().stack_dir.resolve().parent
    d.mkdir(parents=True, exist_ok=True)
    return d


def _alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _start_background(name: str, args: list[str]) -> str:
    state = _state_dir()
    pidfile, logfile = state / f"{name}.pid", state / f"{name}.log"
    pid = _alive(pidfile)
    if pid:
        return f"{name} already running (pid {pid}, log {logfile})"
    with logfile.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pidfile.write_text(str(proc.pid))
    return f"{name} started (pid {proc.pid}, log {logfile})"


def _wait_searchable(guids: set[str], timeout: float) -> int:
    from pipeline.index import make_es

    s = get_settings()
    es = make_es(s)
    deadline = time.monotonic() + timeout
    found = 0
    try:
        while time.monotonic() < deadline:
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


@app.command()
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
        raise _fail(str(exc)) from None
    out.print(_start_background("worker", ["worker"]))
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
        found = _wait_searchable(guids, timeout)
    out.print(f"{found}/{len(guids)} dispatch(es) searchable in {s.dispatch_alias}\n")
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
        "\nnext: [bold]wire search 'Amazon' --org Amazon[/] · [bold]wire stop[/] to stop everything"
    )
    if found < len(guids):
        raise _fail(
            f"only {found} of {len(guids)} sample dispatches became searchable; see .wirestream/worker.log"
        )


@app.command()
def stop() -> None:
    """Stop what `wire demo` started: worker, API and the local stack."""
    from pipeline import stack

    for name in ("api", "worker"):
        pidfile = _state_dir() / f"{name}.pid"
        pid = _alive(pidfile)
        if pid:
            os.killpg(pid, signal.SIGTERM)
            out.print(f"{name} stopped (pid {pid})")
        pidfile.unlink(missing_ok=True)
    try:
        out.print(stack.down(get_settings()))
    except stack.StackError as exc:
        raise _fail(str(exc)) from None


def main() -> None:
    app()


if __name__ == "__main__":
    main()
