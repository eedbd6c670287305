"""`wire entity NAME`: a company's, a person's or a place's timeline in the terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table

from pipeline.settings import get_settings

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    from pipeline.store.entities import EntityTimeline
from pipeline.cli.base import app, elasticsearch_client, fail, out
from pipeline.cli.render import urgency_tag

KIND = {
    "ORG": ("organisation", "organisation"),
    "PER": ("person", "personne"),
    "LOC": ("place", "lieu"),
    "MISC": ("other", "autre"),
}


def render_entity(t: EntityTimeline, width: int, lang: str = "en") -> RenderableType:
    """The timeline for a terminal `width` columns wide: the events (oldest first) with
    their source, the newest dispatches, the entities named with it."""
    from pipeline.render.labels import event_label

    e = t.entity
    kind = KIND.get(e.type, ("", ""))[1 if lang == "fr" else 0]
    head = f"[bold]{escape(e.name)}[/] [dim]{kind} · {escape(e.id)}[/]"
    seen = ""
    if t.first_seen:
        seen = f" · first {t.first_seen[:10]} · last {(t.last_seen or '')[:10]}"
    facts = f"[dim]{t.dispatch_count} dispatch(es) · {t.event_count} event(s){seen}[/]"
    parts: list[RenderableType] = [head, facts]
    if e.aliases:
        parts.append(f"[dim]also written: {escape(', '.join(e.aliases[:8]))}[/]")
    wide = width >= 120
    events = Table(title="events", title_justify="left", header_style="bold", expand=True)
    events.add_column("date", no_wrap=True, width=16 if wide else 10)
    events.add_column("event", overflow="ellipsis", no_wrap=True, max_width=26 if wide else 14)
    if wide:
        events.add_column("who", overflow="fold", ratio=2)
        events.add_column("amount", no_wrap=True, justify="right")
        events.add_column("source", overflow="ellipsis", no_wrap=True, ratio=1)
    else:  # narrow: the amount on its own line under who, the source left out
        events.add_column("who, how much", overflow="fold", ratio=1)
    for ev in t.events:
        src = ev.get("source") or {}
        when = str(ev.get("versioncreated") or src.get("published") or "")
        stamp = when[:16].replace("T", " ") if wide else when[:10]
        roles = "; ".join(
            f"{r}: {', '.join(x['name'] for x in xs)}" for r, xs in (ev.get("roles") or {}).items()
        )
        amount = (ev.get("amount") or {}).get("display")
        money = f"[bold]{escape(amount)}[/]" if amount else ""
        label = escape(event_label(str(ev.get("type")), lang))
        if not wide:
            events.add_row(stamp, label, escape(roles) + (f"\n{money}" if money else ""))
            continue
        source = escape(src.get("provider") or "")
        if src.get("headline"):
            source += f" [dim]{escape(src['headline'])}[/]"
        events.add_row(stamp, label, escape(roles), money, source)
    if t.events:
        parts += ["", events]
    dispatches = Table(
        title="dispatches naming it", title_justify="left", header_style="bold", expand=True
    )
    dispatches.add_column("published", no_wrap=True, width=17)
    dispatches.add_column("agency", no_wrap=True, width=6)
    dispatches.add_column("headline", overflow="ellipsis", no_wrap=True, ratio=1)
    for d in t.dispatches[: 15 if wide else 8]:
        dispatches.add_row(
            ("~" if d.time_kind == "received" else "")
            + (d.published or "")[:16].replace("T", " ").removesuffix(" 00:00"),
            escape(d.provider or ""),
            urgency_tag(d.urgency) + escape(d.headline or d.guid),
        )
    parts += ["", dispatches]
    if t.related:
        related = ", ".join(f"{escape(r.name)} ({r.count})" for r in t.related[:15])
        parts += ["", f"[bold]named with[/] {related}"]
    return Group(*parts)


@app.command(rich_help_panel="Read the news")
def entity(
    name: Annotated[str, typer.Argument(help="A name (Amazon) or an id (org:amazon)")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object (pipe to jq)")] = False,
) -> None:
    """Everything known about a company, a person or a place: events in time order with
    their sources, the dispatches that name it, the entities named with it."""
    from pipeline.render.labels import ui_language
    from pipeline.store.entities import entity_timeline

    s = get_settings()
    with elasticsearch_client() as es:
        if not es.indices.exists_alias(name=s.dispatch_alias):
            raise fail(f"no index {s.dispatch_alias} yet: start a worker or run `wire demo`")
        found = entity_timeline(es, s, name)
    if found is None:
        raise fail(f"no entity {name!r} in {s.dispatch_alias}", 1)
    if as_json:
        sys.stdout.write(found.model_dump_json() + "\n")
        return
    out.print(render_entity(found, out.size.width, ui_language()), soft_wrap=False)
