"""How the commands print results: rich tables and lines for people, JSON for scripts."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.markup import escape
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    from pipeline.alerts.log import DeliveryEntry
from pipeline.cli.base import out

FACET_TITLES = {
    "event_types": "event types",
    "orgs": "organisations",
    "people": "people",
    "places": "places",
    "countries": "countries",
    "topics": "topics",
    "language": "language",
    "provider": "provider",
}


def when_text(published: str | None, time_kind: str = "published") -> str:
    """'2026-11-24 04:56', or 'received 2026-11-30 04:20' for undated copy."""
    stamp = (published or "")[:16].replace("T", " ")
    return f"received {stamp}" if stamp and time_kind == "received" else stamp


def urgency_tag(urgency: int | None) -> str:
    """Rich markup that makes flashes and urgent items stand out ('' for the rest)."""
    if urgency == 1:
        return "[bold white on red] FLASH [/] "
    if urgency == 2:
        return "[bold white on red] URGENT [/] "
    return ""


def render_search(result: object, query: str) -> None:
    from pipeline.render.labels import event_label, ui_language
    from pipeline.store.search import SearchResult

    assert isinstance(result, SearchResult)
    lang = ui_language()
    out.print(f"[bold]{result.total}[/] dispatch(es) match [bold]{escape(query) or '*'}[/]")
    for i, h in enumerate(result.hits, 1):
        out.print(f"\n{urgency_tag(h.urgency)}[bold]{i}. {escape(h.headline or h.guid)}[/]")
        out.print(
            f"   [dim]{when_text(h.published, h.time_kind)} · {escape(h.dateline_place or '-')}"
            f" · {h.language or '?'} · {escape(h.provider or '-')} · {escape(h.guid)}[/]"
        )
        for snip in h.snippets[:2]:
            text = escape(snip).replace("<em>", "[bold yellow]").replace("</em>", "[/]")
            out.print(f"   … {text} …")
        if h.event_types:
            out.print(
                f"   events: {escape(', '.join(event_label(t, lang) for t in h.event_types))}"
            )
        if h.also_from:
            out.print(f"   also from: {escape(', '.join(h.also_from))}")
    table = Table(title="facets", show_header=True, header_style="bold")
    table.add_column("facet")
    table.add_column("values (count)")
    for name, buckets in result.facets.items():
        if buckets and name in FACET_TITLES:
            values = [
                event_label(b.value, lang) if name == "event_types" else (b.label or b.value)
                for b in buckets
            ]
            table.add_row(
                FACET_TITLES[name],
                ", ".join(f"{escape(v)} ({b.count})" for v, b in zip(values, buckets, strict=True)),
            )
    out.print()
    out.print(table)


def event_line(rec: dict[str, object], lang: str) -> str:
    """One event or retraction as rich markup: its type in words, roles, the amount as the
    dispatch's language writes it."""
    from pipeline.render.amounts import amount_text
    from pipeline.render.labels import event_label

    raw_roles = rec.get("roles") or {}
    assert isinstance(raw_roles, dict)
    roles = " · ".join(
        f"{escape(str(role))}: [bold]{escape(', '.join(r['name'] for r in rs))}[/]"
        for role, rs in raw_roles.items()
    )
    label = escape(event_label(str(rec.get("type", "?")), lang))
    if rec.get("kind") == "retraction":
        return (
            f"[bold red]RETRACTED[/] [cyan]{label}[/] {roles} "
            f"[dim]({escape(str(rec.get('reason', '')))}: {escape(str(rec['dispatch_guid']))} "
            f"v{rec['dispatch_version']})[/]"
        )
    amount = rec.get("amount")
    money = amount_text(amount, str(rec.get("language") or "")) if isinstance(amount, dict) else ""
    return f"[bold cyan]{label}[/] {roles}" + (f" · {escape(money)}" if money else "")


def print_record(value: bytes, as_json: bool) -> None:
    """One record of `wire subscribe`: a line for people, or (`--json`) the record as the
    API's streams send it: an event or retraction with `type_label` and `amount.display`,
    an alert as it is."""
    from pipeline.render.labels import ui_language, with_display

    rec = orjson.loads(value)
    if as_json:
        shown = rec if "saved_search_id" in rec else with_display(rec)
        sys.stdout.write(orjson.dumps(shown).decode() + "\n")
        sys.stdout.flush()
        return
    if "saved_search_id" in rec:
        out.print(
            f"[bold magenta]ALERT[/] [{escape(rec['saved_search_name'])}] "
            f"{escape(rec.get('headline') or rec['guid'])} [dim]{escape(rec['guid'])} v{rec['version']}[/]"
        )
        return
    out.print(event_line(rec, ui_language()))
    if rec.get("kind") != "retraction" and rec.get("evidence"):
        out.print(f"   [dim]{escape(rec['evidence'][:200])}[/]")


@dataclass
class MonitorData:
    """What one refresh of `wire monitor` read: pipeline health (PipelineHealth as JSON)
    and the latest hits (none while Elasticsearch is down)."""

    health: dict[str, Any]
    hits: list[Any] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """Whether every dependency answered."""
        return bool(self.health.get("status", "ok") == "ok")


def monitor_data(es: object, settings: object, size: int = 40) -> MonitorData:
    from elasticsearch import Elasticsearch

    from pipeline.http.health import pipeline_health
    from pipeline.settings import Settings
    from pipeline.store.search import SearchQuery
    from pipeline.store.search import search as run_search

    assert isinstance(es, Elasticsearch) and isinstance(settings, Settings)
    h = pipeline_health(es, settings)
    if h.dependencies["elasticsearch"].status == "down":
        return MonitorData(h.model_dump(mode="json"))
    hits = run_search(es, settings, SearchQuery(sort="time", size=size)).hits
    return MonitorData(h.model_dump(mode="json"), hits)


def render_monitor(
    data: MonitorData, width: int, height: int, lang: str = "en", now: datetime | None = None
) -> RenderableType:
    """One frame of the dashboard, laid out for a terminal of width x height: narrow ones
    get a one-line lag and short columns so the headline keeps the room; tall ones get the
    lag table per partition; the latest dispatches fill the lines that are left. Flashes
    and urgent items (urgency 1-2) are marked and bold."""
    from rich import box
    from rich.console import Group

    from pipeline.render.labels import event_label
    from pipeline.store.documents import display_case

    h = data.health
    lag_style = "bold red" if (h["total_lag"] or 0) > 100 else "bold"
    dead_style = "bold red" if h["dead_letters"] else "bold"

    def fig(key: str) -> str:  # a figure its dependency could not give reads as a dash
        return "–" if h.get(key) is None else str(h[key])

    deps: list[RenderableType] = []  # one line per dependency: up (and how fast) or why down
    for name, d in (h.get("dependencies") or {}).items():
        if d["status"] == "up":
            state, why = "[bold green]up[/]", f"{d.get('latency_ms')} ms"
        else:
            state, why = "[bold red]DOWN[/]", f"[red]{escape(d.get('error') or '')}[/]"
        dep = Text.from_markup(
            f"{name} [dim]{escape(d['address'])}[/] {state} {why}", overflow="ellipsis"
        )
        dep.no_wrap = True
        deps.append(dep)
    if deps:
        deps.append("")
    figures: RenderableType
    if width >= 80:
        figures = Table.grid(padding=(0, 3 if width >= 100 else 2))
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
        figures.add_row(
            f"[bold]{fig('indexed_last_minute')}[/]",
            f"[bold]{fig('indexed_last_hour')}[/]",
            f"[bold]{fig('indexed_total')}[/]",
            f"[bold]{fig('events_total')}[/]",
            f"[{lag_style}]{fig('total_lag')}[/]",
            f"[{dead_style}]{fig('dead_letters')}[/]",
        )
        top = 2
    else:  # one line on a narrow terminal
        figures = Text.from_markup(
            f"[bold]{fig('indexed_last_minute')}[/]/min · [bold]{fig('indexed_last_hour')}[/]/h · "
            f"[bold]{fig('indexed_total')}[/] indexed · [bold]{fig('events_total')}[/] events · "
            f"lag [{lag_style}]{fig('total_lag')}[/] · "
            f"[{dead_style}]{fig('dead_letters')}[/] dead",
            overflow="ellipsis",
        )
        figures.no_wrap = True
        top = 1
    parts: list[RenderableType] = [*deps, figures, ""]
    used = len(deps) + top + 1
    partitions = h["lag"]
    # table: title, top rule, header, rule, rows, bottom rule
    if width >= 100 and height - used - (len(partitions) + 6) - 6 >= 12:
        lag = Table(title="consumer lag", header_style="bold")
        for col in ("partition", "end", "committed", "lag"):
            lag.add_column(col, justify="right")
        for p in partitions:
            lag.add_row(str(p["partition"]), str(p["end"]), str(p["committed"]), str(p["lag"]))
        parts += [f"[dim]{escape(h['consumer_group'])} on {escape(h['raw_topic'])}[/]", lag]
        used += len(partitions) + 6
    else:
        per = " ".join(f"p{p['partition']}:{p['lag']}" for p in partitions)
        line = f"[dim]lag per partition[/] {per} [dim]({escape(h['consumer_group'])})[/]"
        compact = Text.from_markup(line, overflow="ellipsis")
        compact.no_wrap = True
        parts.append(compact)
        used += 1
    if (
        not data.hits
        and (h.get("dependencies") or {}).get("elasticsearch", {}).get("status") == "down"
    ):  # nothing to list: the line above says why
        return Group(*parts)
    latest = Table(
        title="latest dispatches",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        expand=True,
    )
    wide = width >= 120
    columns: dict[str, int | None] = (
        {"published": 17, "place": 16, "lang": 4, "headline": None, "events": 34}
        if wide
        else {"time": 12, "place": 12, "headline": None}
    )
    for col, w in columns.items():
        latest.add_column(col, overflow="ellipsis", no_wrap=True, width=w, ratio=None if w else 1)
    rows = max(1, height - used - 5)  # title, header, rule, a spare line for the cursor
    this_year = (now or datetime.now(UTC)).strftime("%Y")
    if any(hit.time_kind == "received" for hit in data.hits[:rows]):
        latest.caption = "~ time received: the copy gave no publication time"
        rows = max(1, rows - 1)
    for hit in data.hits[:rows]:
        stamp = (hit.published or "")[:16].replace("T", " ")
        headline = urgency_tag(hit.urgency) + escape(hit.headline or hit.guid)
        mark = "~" if hit.time_kind == "received" else ""  # received, not published
        cells = (
            [
                mark + stamp,
                escape(display_case(hit.dateline_place or "")),
                hit.language or "",
                headline,
                escape(", ".join(event_label(t, lang) for t in hit.event_types)),
            ]
            if wide
            # the narrow column drops the year, unless it is not this one
            else [
                mark + (stamp[5:] if stamp[:4] == this_year else stamp[:10]),
                escape(display_case(hit.dateline_place or "")),
                headline,
            ]
        )
        urgent = hit.urgency is not None and hit.urgency <= 2
        latest.add_row(*cells, style="bold" if urgent else None)
    parts += ["", latest]
    return Group(*parts)


class MonitorView:
    """A frame that lays itself out for the console it is drawn on (Live redraws it at the
    terminal's current size, so resizing the window re-flows the dashboard)."""

    def __init__(self, data: MonitorData, lang: str = "en") -> None:
        self.data = data
        self.lang = lang

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        height = options.height or console.size.height
        yield render_monitor(self.data, options.max_width, height, self.lang)


def delivery_table(entries: Sequence[DeliveryEntry]) -> Table:
    """`wire alerts log`: one entry in two or three lines whatever the width: the headline
    and where it went (webhook URL, digest addresses) cut to the line, the last error whole;
    the channel over its status and tries."""
    from rich.console import Group

    table = Table(title=f"{len(entries)} delivery(ies)", title_justify="left", header_style="bold")
    table.add_column("created", no_wrap=True)
    table.add_column("search", overflow="ellipsis", no_wrap=True, max_width=12)
    table.add_column("via", no_wrap=True)
    table.add_column("alert → where · error", ratio=1, min_width=20)
    colour = {"delivered": "green", "failed": "bold red", "retrying": "yellow", "pending": "dim"}
    for e in entries:
        lines: list[RenderableType] = [
            Text(e.alert.headline or e.alert.guid, no_wrap=True, overflow="ellipsis"),
            Text(f"→ {e.target}", style="dim", no_wrap=True, overflow="ellipsis"),
        ]
        if e.last_error:
            lines.append(Text(e.last_error, style="red", overflow="fold"))
        tries = f" ({e.attempts})" if e.attempts else ""
        table.add_row(
            e.created_at.strftime("%m-%d %H:%M"),
            e.saved_search_name,
            f"{e.channel}\n[{colour[e.status]}]{e.status}[/]{tries}",
            Group(*lines),
        )
    return table
