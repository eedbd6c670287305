"""`wire dlq`: inspect and replay the dead-letter topic."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pipeline.kafka.dlq import read_dead_letters
from pipeline.settings import get_settings
from schemas import DeadLetter, Dispatch

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import EXIT_REFUSED, app, err, fail, out, publisher

dlq_app = typer.Typer(no_args_is_help=True, help="Inspect and replay the dead-letter topic.")


app.add_typer(dlq_app, name="dlq", rich_help_panel="Operate")


def dead_letters() -> list[DeadLetter]:
    return read_dead_letters(get_settings())


@dlq_app.command("list")
def dlq_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every dead letter: id, time, stage, source, reason."""
    letters = dead_letters()
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
        raise fail("give one dead-letter id, or --all", 2)
    letters = dead_letters() if all_ else [_find(letter_id or "")]
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
