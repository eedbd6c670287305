"""`wire search`: full-text and faceted search."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.settings import get_settings

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import app, elasticsearch_client, event_types_named, fail
from pipeline.cli.render import render_search


@app.command(rich_help_panel="Read the news")
def search(
    query: Annotated[str, typer.Argument(help="Free text (French/English analysis)")] = "",
    org: Annotated[
        list[str] | None,
        typer.Option("--org", help="Organisation, its name as the facets list it (repeatable)"),
    ] = None,
    person: Annotated[
        list[str] | None, typer.Option("--person", help="Person, as the facets list them")
    ] = None,
    place: Annotated[
        list[str] | None, typer.Option("--place", help="Place, as the facets list them")
    ] = None,
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            help="Event type: its code (funding_round) or label ('Funding round', "
            "'Levée de fonds'); repeatable",
        ),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the copy: fr, en")] = None,
    since: Annotated[
        datetime | None, typer.Option("--since", help="Published at or after (2026-11-24)")
    ] = None,
    until: Annotated[datetime | None, typer.Option("--until", help="Published before")] = None,
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
        raise fail("--sort is 'relevance' or 'time'", 2)
    codes = event_types_named(event)
    q = SearchQuery(
        text=query,
        orgs=org or [],
        people=person or [],
        places=place or [],
        event_types=codes,
        language=lang,
        since=since,
        until=until,
        size=size,
        sort=sort,
        include_killed=include_killed,
    )
    with elasticsearch_client() as es:
        if not es.indices.exists_alias(name=s.dispatch_alias):
            raise fail(
                f"no index {s.dispatch_alias} yet: start a worker (`wire worker`) or run `wire demo`",
                1,
            )
        result = run_search(es, s, q)
    if as_json:
        sys.stdout.write(result.model_dump_json() + "\n")
    else:
        render_search(result, query)
