"""`wire parse`, `wire extract`, `wire eval`, `wire reextract`: the stages without a running pipeline."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.markup import escape
from rich.progress import Progress

from connectors.sources.files import expand_paths, read_file
from pipeline.settings import get_settings
from schemas import Dispatch

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import EXIT_REFUSED, app, elasticsearch_client, err, fail, out, publisher


@app.command(rich_help_panel="Without servers")
def parse(
    file: Annotated[Path | None, typer.Argument()] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Skip detection")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Decode plain text with this encoding")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Every file under DIR: per format and agency, parsed, refused (why), "
            "empty, languages (and a manifest.toml's expectations, if DIR has one)",
        ),
    ] = None,
) -> None:
    """Print the parsed Dispatch(es) of FILE, one JSON line each. Exit 2 if unreadable."""
    s = get_settings()
    if report is not None:
        from connectors.report import report_text

        sys.stdout.write(report_text(report, max_bytes=s.max_document_bytes) + "\n")
        return
    if file is None:
        raise fail("give a FILE to parse, or --report DIR")
    r = read_file(
        file,
        received_at=datetime.now(UTC),
        max_bytes=s.max_document_bytes,
        encoding=encoding,
        fmt=fmt,
    )
    if r.error:
        raise fail(f"{file}: {r.error.reason}", EXIT_REFUSED)
    for d in r.dispatches:
        sys.stdout.write(orjson.dumps(d.model_dump(mode="json")).decode() + "\n")


@app.command(rich_help_panel="Without servers")
def extract(
    files: list[Path],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per dispatch")] = False,
) -> None:
    """Parse and run every enrichment stage in process (no Kafka, no Elasticsearch)."""
    from pipeline.extract.normalise import normalise
    from pipeline.extract.stages import extract_offline
    from pipeline.render.amounts import format_amount
    from pipeline.render.labels import event_label, ui_language

    s = get_settings()
    lang = ui_language()
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
                amount = (
                    f" · {format_amount(ev.amount.value, ev.amount.currency, d.language)}"
                    if ev.amount
                    else ""
                )
                out.print(
                    f"  [green]{escape(event_label(ev.type, lang))}[/] [dim]{ev.type}[/]"
                    f" {escape(roles)}{escape(amount)} ({ev.confidence})"
                )
    if refused:
        raise typer.Exit(EXIT_REFUSED)


@app.command("eval", rich_help_panel="Without servers")
def evaluate(
    split: Annotated[
        list[str] | None,
        typer.Option(
            "--split",
            help="dev, dev-b, dev-c, heldout, heldout2 ... heldout7 (repeatable); default dev, heldout",
        ),
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
            raise fail(f"no gold split {path}", EXIT_REFUSED)
        try:
            gold = ev.load_gold(path)
        except ev.GoldError as exc:
            raise fail(str(exc), EXIT_REFUSED) from None
        parsed: list[Dispatch] = []
        for g in gold:
            r = read_file(g.file, received_at=datetime.now(UTC), max_bytes=s.max_document_bytes)
            if r.error or len(r.dispatches) != 1:
                raise fail(f"{g.file}: not one dispatch ({r.error})", EXIT_REFUSED)
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


@app.command(rich_help_panel="Operate")
def reextract(
    limit: Annotated[int | None, typer.Option(help="Resend at most this many")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count them")] = False,
) -> None:
    """Resend dispatches extracted by older rules, so the workers extract them again."""
    from pipeline.extract.batch import EXTRACTOR_VERSION
    from pipeline.store.backfill import count_stale, iter_stale

    s = get_settings()
    with elasticsearch_client() as es:
        total = count_stale(es, s, EXTRACTOR_VERSION)
        out.print(f"{total} dispatch(es) extracted by rules older than {EXTRACTOR_VERSION}")
        if dry_run or not total:
            return
        todo = min(total, limit) if limit is not None else total
        sent = 0
        with publisher("reextract") as pub, Progress(console=err, transient=True) as progress:
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
