"""`wire`: the command line of wirestream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from connectors.sources.files import expand_paths, read_file
from pipeline.kafka.publisher import Publisher
from pipeline.settings import get_settings
from schemas import DeadLetter, Dispatch

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    from elasticsearch import Elasticsearch


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="wirestream: wire feeds in, events and search out.",
)
stack_app = typer.Typer(no_args_is_help=True, help="The local Kafka + Elasticsearch (noida-db).")
app.add_typer(stack_app, name="stack")
# soft_wrap: a one-line reason stays one line when piped or logged (no wrapping at 80 columns)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

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
    from pipeline.extract.normalise import normalise
    from pipeline.extract.stages import extract_offline

    s = get_settings()
    refused = 0
    for path in expand_paths(files):
        r = read_file(path, received_at=datetime.now(UTC), max_bytes=s.max_document_bytes)
        if r.error:
            err.print(f"[red]refused[/] {escape(str(path))}: {escape(r.error.reason)}")
            refused += 1
            continue
        for d in extract_offline([normalise(x) for x in r.dispatches], s.nlp_batch_size):
            if as_json:
                sys.stdout.write(orjson.dumps(d.model_dump(mode="json")).decode() + "\n")
                continue
            out.rule(f"[bold]{escape(d.headline or d.guid)}")
            out.print(f"{d.guid} v{d.version} · {d.language} · {d.dateline.place or '-'}")
            for e in d.entities:
                out.print(
                    f"  [cyan]{e.type.value:4}[/] {escape(e.name)}  [dim]{e.id} · {e.typed_by}[/]"
                )
            for p in d.places:
                where = f" {p.latitude:.2f},{p.longitude:.2f}" if p.latitude is not None else ""
                out.print(
                    f"  [magenta]place[/] {escape(p.name)} → {escape(p.canonical)}"
                    f" ({p.kind}, {p.country or '-'}){where}"
                )
            for t in d.subjects:
                out.print(f"  [blue]topic[/] {escape(t.code)} {escape(t.name or '')}")
            for ev in d.events:
                roles = ", ".join(f"{k}={'/'.join(r.name for r in v)}" for k, v in ev.roles.items())
                amount = f" {ev.amount.value:,.0f} {ev.amount.currency}" if ev.amount else ""
                out.print(f"  [green]{ev.type}[/] {escape(roles)}{amount} ({ev.confidence})")
    if refused:
        raise typer.Exit(EXIT_REFUSED)


@app.command("eval")
def evaluate(
    split: Annotated[
        list[str] | None,
        typer.Option("--split", help="dev, heldout, heldout2 (repeatable); default dev, heldout"),
    ] = None,
    gold_dir: Annotated[Path, typer.Option("--gold", help="Gold set folder")] = Path("eval/gold"),
    min_confidence: Annotated[
        float, typer.Option(help="Events below this confidence are not asserted")
    ] = 0.5,
    errors: Annotated[bool, typer.Option("--errors", help="List misses (dev splits only)")] = False,
    memory_from: Annotated[
        str | None,
        typer.Option(
            "--memory-from",
            help="Teach the entity memory this split first, one dispatch at a time as a "
            "running worker would, then score with it",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Scores as one JSON object")] = False,
) -> None:
    """Precision / recall / F1 of entities and events on the gold set (in process)."""
    from pipeline.extract import evaluate as ev
    from pipeline.extract.batch import extract_batch
    from pipeline.extract.memory import KnownEntity, snapshot, teach
    from pipeline.extract.normalise import normalise

    s = get_settings()

    def load(name: str) -> tuple[list[ev.GoldDispatch], list[Dispatch]]:
        path = gold_dir / f"{name}.toml"
        if not path.is_file():
            raise _fail(f"no gold split {path}", EXIT_REFUSED)
        try:
            gold = ev.load_gold(path)
        except ev.GoldError as exc:
            raise _fail(str(exc), EXIT_REFUSED) from None
        parsed: list[Dispatch] = []
        for g in gold:
            r = read_file(g.file, received_at=datetime.now(UTC), max_bytes=s.max_document_bytes)
            if r.error or len(r.dispatches) != 1:
                raise _fail(f"{g.file}: not one dispatch ({r.error})", EXIT_REFUSED)
            parsed.append(normalise(r.dispatches[0]))
        return gold, parsed

    memory: dict[str, KnownEntity] = {}
    if memory_from:
        for d in load(memory_from)[1]:
            teach(memory, extract_batch([d], memory=snapshot([d.text], memory.get)))
        err.print(f"entity memory: {len(memory)} forms learned from {memory_from}")
    reports: list[ev.Report] = []
    for name in split or ["dev", "heldout"]:
        gold, parsed = load(name)
        extracted = extract_batch(parsed, memory=memory or None)
        reports.append(ev.score(name, gold, extracted, min_confidence))
    if as_json:
        sys.stdout.write(orjson.dumps([ev.report_json(rep) for rep in reports]).decode() + "\n")
        return
    for rep in reports:
        out.print(*ev.report_tables(rep, errors and ev.errors_allowed(rep.split)), sep="\n")


@app.command()
def reextract(
    limit: Annotated[int | None, typer.Option(help="Resend at most this many")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count them")] = False,
) -> None:
    """Resend dispatches extracted by older rules, so the workers extract them again."""
    from pipeline.extract.batch import EXTRACTOR_VERSION
    from pipeline.store.backfill import count_stale, iter_stale

    s = get_settings()
    with _elasticsearch() as es:
        total = count_stale(es, s, EXTRACTOR_VERSION)
        out.print(f"{total} dispatch(es) extracted by rules older than {EXTRACTOR_VERSION}")
        if dry_run or not total:
            return
        todo = min(total, limit) if limit is not None else total
        sent = 0
        with _publisher("reextract") as pub, Progress(console=err, transient=True) as progress:
            task = progress.add_task("resending", total=todo)
            batch: list[Dispatch] = []
            for d in iter_stale(es, s, EXTRACTOR_VERSION):
                if sent + len(batch) >= todo:
                    break
                batch.append(d)
                if len(batch) == 100:
                    pub.publish_dispatches(batch)
                    sent += len(batch)
                    progress.advance(task, len(batch))
                    batch = []
            if batch:
                pub.publish_dispatches(batch)
                sent += len(batch)
        out.print(f"resent {sent} to {s.raw_topic}; the workers re-extract them")


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
    s = get_settings()
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise _fail(f"no such file or folder: {missing[0]}", EXIT_REFUSED)
    files = expand_paths(paths)
    published = refused = 0
    with _publisher("ingest") as pub, Progress(console=err, transient=True) as progress:
        task = progress.add_task("ingesting", total=len(files))
        for path in files:
            r = read_file(
                path,
                received_at=datetime.now(UTC),
                max_bytes=s.max_document_bytes,
                encoding=encoding,
                fmt=fmt,
            )
            result = pub.publish(r.data, str(path), encoding=encoding, fmt=fmt, refused=r.error)
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


@contextmanager
def _elasticsearch() -> Iterator[Elasticsearch]:
    """An Elasticsearch client, or a one-line error (exit 3) when it cannot be reached."""
    from elastic_transport import ConnectionError as ESConnectionError

    from pipeline.store.documents import make_es

    s = get_settings()
    es = make_es(s)
    try:
        yield es
    except ESConnectionError:
        raise _fail(
            f"cannot reach Elasticsearch at {s.es_url}; start it with `wire stack up`",
            EXIT_UNAVAILABLE,
        ) from None
    finally:
        es.close()


@contextmanager
def _publisher(connector: str) -> Iterator[Publisher]:
    """A Publisher, or a one-line error (exit 3) when Kafka cannot be reached."""
    from kafka.errors import KafkaError

    s = get_settings()
    try:
        pub = Publisher(s, connector)
    except (KafkaError, OSError) as exc:
        raise _fail(
            f"cannot reach Kafka at {s.kafka_bootstrap} ({type(exc).__name__}); "
            "start it with `wire stack up` or set WIRE_KAFKA_BOOTSTRAP",
            EXIT_UNAVAILABLE,
        ) from None
    try:
        yield pub
    except KafkaError as exc:
        raise _fail(f"Kafka did not acknowledge: {exc}", EXIT_UNAVAILABLE) from None
    finally:
        pub.close()


# ------------------------------------------------------------------ live connectors


@app.command()
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

    with _publisher("watch") as pub:

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


def _duration(value: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        return float(value[:-1]) * units[value[-1]] if value[-1] in units else float(value)
    except (ValueError, IndexError):
        raise typer.BadParameter(f"{value!r} is not a duration like 30s, 5m or 1h") from None


@app.command()
def poll(
    url: str,
    every: Annotated[str, typer.Option(help="Interval: 30s, 5m, 1h")] = "30s",
    once: Annotated[bool, typer.Option("--once", help="Poll once, then exit")] = False,
) -> None:
    """Poll a feed URL; send each new entry once, across restarts (ETag / If-Modified-Since)."""
    import httpx

    from connectors.sources.feedpoll import FeedPoller, state_path

    s = get_settings()
    interval = _duration(every)
    poller = FeedPoller(
        url,
        state_path(_state_dir() / "poll", url),
        httpx.Client(timeout=30, follow_redirects=True),
        s.max_document_bytes,
    )
    with _publisher("poll") as pub:
        while True:
            try:
                result = poller.poll_once(pub.publish_dispatches)
            except httpx.HTTPError as exc:
                err.print(f"[red]cannot fetch[/] {escape(url)}: {exc}")
            else:
                if result.refused:
                    if result.data:  # keep the unreadable feed in the dead-letter topic
                        pub.publish(result.data, url)
                    err.print(f"[red]refused[/] {escape(url)}: {escape(result.refused)}")
                else:
                    out.print(
                        f"{url}: HTTP {result.status}, {len(result.new)} new entr(y/ies) sent"
                    )
            if once:
                return
            time.sleep(interval)


@app.command()
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


# ------------------------------------------------------------------ dead letters

dlq_app = typer.Typer(no_args_is_help=True, help="Inspect and replay the dead-letter topic.")
app.add_typer(dlq_app, name="dlq")


def _dead_letters() -> list[DeadLetter]:
    from kafka import KafkaConsumer

    from pipeline.kafka.client import client_kwargs

    s = get_settings()
    consumer = KafkaConsumer(
        s.dlq_topic, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
        consumer_timeout_ms=1500, **client_kwargs(s),
    )  # fmt: skip
    letters = []
    try:
        for record in consumer:
            try:
                letters.append(DeadLetter.model_validate_json(record.value))
            except ValueError:
                continue
    finally:
        consumer.close()
    return letters


@dlq_app.command("list")
def dlq_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every dead letter: id, time, stage, source, reason."""
    letters = _dead_letters()
    if as_json:
        for dl in letters:
            sys.stdout.write(dl.model_dump_json(exclude={"payload_b64"}) + "\n")
        return
    table = Table(title=f"{len(letters)} dead letter(s) in {get_settings().dlq_topic}")
    for col in ("id", "failed at", "stage", "source", "reason"):
        table.add_column(col, overflow="fold")
    for dl in letters:
        table.add_row(
            dl.id[:12], dl.failed_at.strftime("%Y-%m-%d %H:%M:%S"), dl.stage, dl.source, dl.error
        )
    out.print(table)


def _find(letter_id: str) -> DeadLetter:
    matches = [dl for dl in _dead_letters() if dl.id.startswith(letter_id)]
    if len(matches) != 1:
        raise _fail(f"{len(matches)} dead letters match {letter_id!r}", 2)
    return matches[0]


@dlq_app.command("show")
def dlq_show(letter_id: str) -> None:
    """One dead letter with the start of its payload."""
    import base64

    dl = _find(letter_id)
    out.print_json(dl.model_dump_json(exclude={"payload_b64"}))
    payload = base64.b64decode(dl.payload_b64)
    out.print(escape(payload[:2000].decode("utf-8", "replace")))


@dlq_app.command("replay")
def dlq_replay(
    letter_id: Annotated[
        str | None, typer.Argument(help="Id (or prefix) of one dead letter")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter")] = False,
    fmt: Annotated[str | None, typer.Option("--format", help="Parse with this format")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Decode plain text with this encoding")
    ] = None,
) -> None:
    """Run dead letters through the pipeline again (after a fix: a new parser, --encoding, ...).

    A letter that fails again goes back to the dead-letter topic with its new reason."""
    import base64

    if (letter_id is None) == (not all_):
        raise _fail("give one dead-letter id, or --all", 2)
    letters = _dead_letters() if all_ else [_find(letter_id or "")]
    ok = failed = skipped = 0
    with _publisher("dlq-replay") as pub:
        for dl in letters:
            if dl.truncated:
                skipped += 1
                err.print(
                    f"[yellow]skipped[/] {dl.id[:12]}: payload was truncated ({dl.payload_size} bytes)"
                )
                continue
            data = base64.b64decode(dl.payload_b64)
            if dl.stage in ("decode", "parse"):
                result = pub.publish(data, dl.source, encoding=encoding, fmt=fmt)
            else:  # the payload is a Dispatch (or what claimed to be one): back onto the raw topic
                try:
                    d = Dispatch.model_validate_json(data)
                except ValueError as exc:
                    failed += 1
                    err.print(f"[red]still invalid[/] {dl.id[:12]}: {str(exc).splitlines()[0]}")
                    continue
                pub.publish_dispatches([d])
                result = None
            if result is not None and result.refused:
                failed += 1
                err.print(f"[red]refused again[/] {dl.id[:12]}: {escape(result.refused)}")
            else:
                ok += 1
    out.print(f"replayed {ok}, refused again {failed}, skipped {skipped}")
    if failed:
        raise typer.Exit(EXIT_REFUSED)


# ------------------------------------------------------------------ worker


@app.command()
def worker(
    web_port: Annotated[int | None, typer.Option(help="Worker web/metrics port")] = None,
    loglevel: Annotated[str, typer.Option()] = "info",
) -> None:
    """Run the Faust pipeline worker (start several for more partitions in parallel)."""
    from pipeline.worker.app import run_worker

    run_worker(web_port=web_port, loglevel=loglevel)


# ------------------------------------------------------------------ search


def _render_search(result: object, query: str) -> None:
    from pipeline.store.search import SearchResult

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
        if h.also_from:
            out.print(f"   also from: {escape(', '.join(h.also_from))}")
    table = Table(title="facets", show_header=True, header_style="bold")
    table.add_column("facet")
    table.add_column("values (count)")
    for name, buckets in result.facets.items():
        if buckets:
            table.add_row(
                name, ", ".join(f"{escape(b.label or b.value)} ({b.count})" for b in buckets)
            )
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
    from pipeline.store.search import SearchQuery
    from pipeline.store.search import search as run_search

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
    with _elasticsearch() as es:
        if not es.indices.exists_alias(name=s.dispatch_alias):
            raise _fail(
                f"no index {s.dispatch_alias} yet: start a worker (`wire worker`) or run `wire demo`",
                1,
            )
        result = run_search(es, s, q)
    if as_json:
        sys.stdout.write(result.model_dump_json() + "\n")
    else:
        _render_search(result, query)


# ------------------------------------------------------------------ subscribe / monitor


def _print_record(value: bytes, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(value.decode() + "\n")
        sys.stdout.flush()
        return
    rec = orjson.loads(value)
    if "saved_search_id" in rec:
        out.print(
            f"[bold magenta]ALERT[/] [{escape(rec['saved_search_name'])}] "
            f"{escape(rec.get('headline') or rec['guid'])} [dim]{escape(rec['guid'])} v{rec['version']}[/]"
        )
        return
    roles = " · ".join(
        f"{role}: [bold]{escape(', '.join(r['name'] for r in rs))}[/]"
        for role, rs in (rec.get("roles") or {}).items()
    )
    if rec.get("kind") == "retraction":
        out.print(
            f"[bold red]RETRACTED[/] [cyan]{escape(rec.get('type', '?'))}[/] {roles} "
            f"[dim]({escape(rec.get('reason', ''))}: {escape(rec['dispatch_guid'])} "
            f"v{rec['dispatch_version']})[/]"
        )
        return
    amount = rec.get("amount") or {}
    money = f" · {amount.get('value')} {amount.get('currency') or ''}" if amount else ""
    out.print(f"[bold cyan]{escape(rec.get('type', '?'))}[/] {roles}{escape(money)}")
    if rec.get("evidence"):
        out.print(f"   [dim]{escape(rec['evidence'][:200])}[/]")


@app.command()
def subscribe(
    types: Annotated[
        list[str] | None, typer.Argument(help="Event types (none = all), e.g. funding_round")
    ] = None,
    entity: Annotated[list[str] | None, typer.Option("--entity", help="Entity id or name")] = None,
    query: Annotated[str, typer.Option("--query", help="Words the evidence must hold")] = "",
    alerts: Annotated[bool, typer.Option(help="Also saved-search alerts")] = True,
    from_start: Annotated[
        bool, typer.Option("--from-start", help="Replay what Kafka still holds first")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="Stop after this many records")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line")] = False,
) -> None:
    """Stream extracted events, their retractions and saved-search alerts as they happen."""
    import asyncio

    from kafka.errors import KafkaError

    from pipeline.extract.events.types import EVENT_TYPES
    from pipeline.kafka.subscriptions import event_matches
    from pipeline.kafka.subscriptions import subscribe as open_subscription

    s = get_settings()
    unknown = [t for t in types or [] if t not in EVENT_TYPES]
    if unknown:
        raise _fail(f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}", 2)
    topics = [s.event_topic(t) for t in (types or EVENT_TYPES)]
    if alerts:
        topics.append(s.alerts_topic)

    async def run() -> None:
        sub = await open_subscription(s, topics, {}, from_start=from_start)
        seen = 0
        try:
            async for _pos, value in sub.records():
                if value is None:
                    continue
                rec = orjson.loads(value)
                if "saved_search_id" not in rec and not event_matches(rec, entity or [], query):
                    continue
                _print_record(value, as_json)
                seen += 1
                if limit is not None and seen >= limit:
                    return
        finally:
            await sub.close()

    if not as_json:
        err.print(f"[dim]following {len(topics)} topic(s) on {s.kafka_bootstrap}; Ctrl-C stops[/]")
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except (KafkaError, OSError) as exc:
        raise _fail(f"cannot reach Kafka at {s.kafka_bootstrap}: {exc}", EXIT_UNAVAILABLE) from None


def _monitor_frame(es: object, settings: object) -> RenderableType:
    from elasticsearch import Elasticsearch
    from rich.console import Group

    from pipeline.http.health import pipeline_health
    from pipeline.settings import Settings
    from pipeline.store.search import SearchQuery
    from pipeline.store.search import search as run_search

    assert isinstance(es, Elasticsearch) and isinstance(settings, Settings)
    h = pipeline_health(es, settings)
    figures = Table.grid(padding=(0, 3))
    for _ in range(6):
        figures.add_column()
    figures.add_row(
        "[dim]indexed/min[/]",
        "[dim]indexed/hour[/]",
        "[dim]indexed[/]",
        "[dim]events[/]",
        "[dim]consumer lag[/]",
        "[dim]dead letters[/]",
    )
    lag_style = "bold red" if h["total_lag"] > 100 else "bold"
    figures.add_row(
        f"[bold]{h['indexed_last_minute']}[/]",
        f"[bold]{h['indexed_last_hour']}[/]",
        f"[bold]{h['indexed_total']}[/]",
        f"[bold]{h['events_total']}[/]",
        f"[{lag_style}]{h['total_lag']}[/]",
        f"[{'bold red' if h['dead_letters'] else 'bold'}]{h['dead_letters']}[/]",
    )
    lag = Table(title=f"lag of {h['consumer_group']} on {h['raw_topic']}", header_style="bold")
    for col in ("partition", "end", "committed", "lag"):
        lag.add_column(col, justify="right")
    for p in h["lag"]:
        lag.add_row(str(p["partition"]), str(p["end"]), str(p["committed"]), str(p["lag"]))
    latest = Table(title="latest dispatches", header_style="bold", expand=True)
    widths = {"published": 16, "place": 12, "lang": 4, "headline": None, "events": 28}
    for col, width in widths.items():
        latest.add_column(
            col, overflow="ellipsis", no_wrap=True, width=width, ratio=None if width else 1
        )
    for hit in run_search(es, settings, SearchQuery(sort="time", size=10)).hits:
        latest.add_row(
            (hit.published or "")[:16].replace("T", " "),
            escape(hit.dateline_place or ""),
            hit.language or "",
            escape(hit.headline or hit.guid),
            ", ".join(hit.event_types),
        )
    return Group(figures, "", lag, latest)


@app.command()
def monitor(
    interval: Annotated[float, typer.Option(help="Seconds between refreshes", min=0.5)] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="Print one frame and exit")] = False,
) -> None:
    """A live terminal dashboard: ingest rate, consumer lag, dead letters, latest dispatches."""
    from elastic_transport import ConnectionError as ESConnectionError
    from kafka.errors import KafkaError
    from rich.live import Live

    from pipeline.store.documents import make_es

    s = get_settings()
    es = make_es(s)
    try:
        if once:
            out.print(_monitor_frame(es, s))
            return
        with Live(_monitor_frame(es, s), console=out, refresh_per_second=4) as live:
            while True:
                time.sleep(interval)
                live.update(_monitor_frame(es, s))
    except KeyboardInterrupt:
        pass
    except ESConnectionError:
        raise _fail(f"cannot reach Elasticsearch at {s.es_url}", EXIT_UNAVAILABLE) from None
    except (KafkaError, OSError) as exc:
        raise _fail(f"cannot reach Kafka at {s.kafka_bootstrap}: {exc}", EXIT_UNAVAILABLE) from None
    finally:
        es.close()


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


def _gone(pidfile: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pidfile):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


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
    from pipeline.store.documents import make_es

    s = get_settings()
    es = make_es(s)
    deadline = time.monotonic() + timeout
    found = 0
    pidfile = _state_dir() / "worker.pid"
    try:
        while time.monotonic() < deadline:
            if not _alive(pidfile):
                log = (_state_dir() / "worker.log").read_text(errors="replace").splitlines()
                reason = next((line for line in reversed(log) if "Error" in line), "see the log")
                raise _fail(
                    f"the worker exited: {reason.strip()[:300]} ({_state_dir() / 'worker.log'})"
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
    out.print(_start_background("api", ["serve"]))
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
        f"\nweb page: http://{s.api_host}:{s.api_port}/ · API: http://{s.api_host}:{s.api_port}/docs"
        " · next: [bold]wire search 'Amazon' --org Amazon[/], [bold]wire subscribe[/], [bold]wire monitor[/]"
        " · [bold]wire stop[/] to stop everything"
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
            # The worker leaves its consumer group on the way out: the broker must still be
            # up for that, or the worker keeps retrying it long after the stack is gone.
            if not _gone(pidfile, timeout=30):
                os.killpg(pid, signal.SIGKILL)
                out.print(f"{name} did not stop within 30 s: killed")
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
