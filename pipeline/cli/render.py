"""How the commands print results: rich tables and lines for people, JSON for scripts."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import orjson
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import out


def render_search(result: object, query: str) -> None:
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


def print_record(value: bytes, as_json: bool) -> None:
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


def monitor_frame(es: object, settings: object) -> tuple[RenderableType, bool]:
    """One dashboard frame, and whether every dependency answered."""
    from elasticsearch import Elasticsearch
    from rich.console import Group

    from pipeline.http.health import pipeline_health
    from pipeline.settings import Settings
    from pipeline.store.search import SearchQuery
    from pipeline.store.search import search as run_search

    assert isinstance(es, Elasticsearch) and isinstance(settings, Settings)
    h = pipeline_health(es, settings)
    deps = Table.grid(padding=(0, 2))
    for name, d in h.dependencies.items():
        state = "[bold green]up[/]" if d.status == "up" else "[bold red]DOWN[/]"
        why = f"[red]{escape(d.error or '')}[/]" if d.status == "down" else f"{d.latency_ms} ms"
        deps.add_row(name, escape(d.address), state, why)

    def fig(value: int | None, alarm: bool = False) -> str:
        if value is None:
            return "[dim]–[/]"
        return f"[{'bold red' if alarm else 'bold'}]{value}[/]"

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
    figures.add_row(
        fig(h.indexed_last_minute),
        fig(h.indexed_last_hour),
        fig(h.indexed_total),
        fig(h.events_total),
        fig(h.total_lag, (h.total_lag or 0) > 100),
        fig(h.dead_letters, bool(h.dead_letters)),
    )
    lag = Table(title=f"lag of {h.consumer_group} on {h.raw_topic}", header_style="bold")
    for col in ("partition", "end", "committed", "lag"):
        lag.add_column(col, justify="right")
    for p in h.lag:
        lag.add_row(str(p.partition), str(p.end), str(p.committed), str(p.lag))
    if h.dependencies["elasticsearch"].status == "down":
        return Group(deps, "", figures, "", lag), False
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
    return Group(deps, "", figures, "", lag, latest), h.status == "ok"
