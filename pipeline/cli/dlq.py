"""`wire dlq`: inspect and replay the dead-letter topic."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pipeline.kafka.dlq import read_dead_letters, select, summarise
from pipeline.settings import get_settings
from schemas import DeadLetter, Dispatch

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import EXIT_REFUSED, app, err, fail, out, publisher, since_arg

dlq_app = typer.Typer(no_args_is_help=True, help="Inspect and replay the dead-letter topic.")


app.add_typer(dlq_app, name="dlq", rich_help_panel="Operate")

STAGES = "decode, parse, validate, normalise, extract, index"

Since = Annotated[
    str | None,
    typer.Option(help="Only letters that failed since then: 30m, 2h, 7d or a date (2026-11-24)"),
]
Stage = Annotated[str | None, typer.Option(help=f"Only this stage: {STAGES}")]
Reason = Annotated[str | None, typer.Option(help="Only reasons holding these words")]
Replayed = Annotated[
    bool, typer.Option("--include-replayed", help="Also letters a replay got through")
]


def dead_letters() -> list[DeadLetter]:
    return read_dead_letters(get_settings())


def _stamp(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if at else ""


def summary_table(letters: list[DeadLetter], title: str, top: int | None = None) -> Table:
    groups = summarise(letters)
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("count", justify="right")
    table.add_column("stage")
    table.add_column("last", no_wrap=True)
    table.add_column("reason (example id)", overflow="fold", ratio=1)
    for g in groups[:top]:
        example = g.example.id[:12] if g.example else ""
        table.add_row(
            str(g.count),
            ", ".join(sorted(g.stages)),
            _stamp(g.last),
            f"{escape(g.reason)} [dim]({example})[/]",
        )
    if top is not None and len(groups) > top:
        table.caption = f"{len(groups) - top} more reason(s): wire dlq summary"
    return table


@dlq_app.command("list")
def dlq_list(
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Newest letters shown [default: 20; all with --json]"),
    ] = None,
    since: Since = None,
    stage: Stage = None,
    reason: Reason = None,
    include_replayed: Replayed = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON letter per line")] = False,
) -> None:
    """Dead letters grouped by reason, then the newest: id, time, stage, source, reason."""
    when = since_arg(since)
    everything = dead_letters()
    letters = select(
        everything, since=when, stage=stage, reason=reason, include_replayed=include_replayed
    )
    if as_json:
        for dl in letters[:limit]:
            sys.stdout.write(dl.model_dump_json(exclude={"payload_b64"}) + "\n")
        return
    shown = letters[: limit or 20]
    s = get_settings()
    if not letters:
        out.print(f"no dead letter in {s.dlq_topic} matches ({len(everything)} in all)")
        return
    out.print(summary_table(letters, f"{len(letters)} dead letter(s) by reason", top=5))
    table = Table(
        title=f"newest {len(shown)} of {len(letters)}", title_justify="left", header_style="bold"
    )
    table.add_column("id", no_wrap=True)
    table.add_column("failed at", no_wrap=True)
    table.add_column("stage", no_wrap=True)
    table.add_column("source", overflow="ellipsis", no_wrap=True, max_width=40)
    table.add_column("reason", overflow="fold", ratio=1)
    for dl in shown:
        tries = f" [dim](x{dl.attempts})[/]" if dl.attempts > 1 else ""
        replayed = f" [green]replayed {_stamp(dl.replayed_at)}[/]" if dl.replayed_at else ""
        table.add_row(
            dl.id[:12],
            _stamp(dl.failed_at),
            dl.stage,
            escape(dl.source),
            escape(dl.error.splitlines()[0] if dl.error else "") + tries + replayed,
        )
    if len(letters) > len(shown):
        table.caption = f"{len(letters) - len(shown)} older: --limit, --since, --stage, --reason"
    out.print(table)


@dlq_app.command("summary")
def dlq_summary(
    since: Since = None,
    stage: Stage = None,
    include_replayed: Replayed = False,
) -> None:
    """Dead letters grouped by reason: how many, at which stage, when last, an example id."""
    letters = select(
        dead_letters(), since=since_arg(since), stage=stage, include_replayed=include_replayed
    )
    out.print(summary_table(letters, f"{len(letters)} dead letter(s) by reason"))


def _find(letter_id: str) -> DeadLetter:
    matches = [dl for dl in dead_letters() if dl.id.startswith(letter_id)]
    if len(matches) != 1:
        raise fail(f"{len(matches)} dead letters match {letter_id!r}", 2)
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
    all_: Annotated[bool, typer.Option("--all", help="Replay every open dead letter")] = False,
    since: Since = None,
    stage: Stage = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Parse with this format")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Decode plain text with this encoding")
    ] = None,
) -> None:
    """Run dead letters through the pipeline again (after a fix: a new parser, --encoding, ...).

    A letter refused again is updated with its new reason (same id, one more attempt); one
    that goes through is marked replayed and leaves `wire dlq list`."""
    import base64

    if (letter_id is None) == (not all_):
        raise fail("give one dead-letter id, or --all", 2)
    letters = (
        select(dead_letters(), since=since_arg(since), stage=stage)
        if all_
        else [_find(letter_id or "")]
    )
    ok = failed = skipped = 0
    with publisher("dlq-replay") as pub:
        for dl in letters:
            if dl.truncated:
                skipped += 1
                err.print(
                    f"[yellow]skipped[/] {dl.id[:12]}: payload was truncated ({dl.payload_size} bytes)"
                )
                continue
            data = base64.b64decode(dl.payload_b64)
            if dl.stage in ("decode", "parse"):
                result = pub.publish(data, dl.source, encoding=encoding, fmt=fmt, replaying=dl)
            else:  # the payload is a Dispatch (or what claimed to be one): back onto the raw topic
                try:
                    d = Dispatch.model_validate_json(data)
                except ValueError as exc:
                    failed += 1
                    reason = str(exc).splitlines()[0]
                    pub.send_dead_letter(
                        dl.model_copy(
                            update={
                                "error": reason,
                                "attempts": dl.attempts + 1,
                                "failed_at": datetime.now(UTC),
                            }
                        )
                    )
                    err.print(f"[red]still invalid[/] {dl.id[:12]}: {escape(reason)}")
                    continue
                pub.publish_dispatches([d])
                result = None
            if result is not None and result.refused:
                failed += 1
                err.print(f"[red]refused again[/] {dl.id[:12]}: {escape(result.refused)}")
            else:
                ok += 1
                pub.send_dead_letter(
                    dl.model_copy(
                        update={"attempts": dl.attempts + 1, "replayed_at": datetime.now(UTC)}
                    )
                )
    out.print(f"replayed {ok}, refused again {failed}, skipped {skipped}")
    if failed:
        raise typer.Exit(EXIT_REFUSED)
