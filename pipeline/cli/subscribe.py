"""`wire subscribe`, `wire monitor`: events, alerts and the pipeline, live."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from pipeline.settings import get_settings

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import EXIT_UNAVAILABLE, app, err, event_types_named, fail, out
from pipeline.cli.render import MonitorView, monitor_data, print_record


@app.command(rich_help_panel="Read the news")
def subscribe(
    types: Annotated[
        list[str] | None,
        typer.Argument(help="Event types (none = all): codes or labels, e.g. funding_round"),
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

    from aiokafka.errors import KafkaError as AIOKafkaError
    from kafka.errors import KafkaError

    from pipeline.extract.events.types import EVENT_TYPES
    from pipeline.kafka.fanout import Hub
    from pipeline.kafka.subscriptions import event_matches

    s = get_settings()
    topics = [s.event_topic(t) for t in (event_types_named(types) or EVENT_TYPES)]
    if alerts:
        topics.append(s.alerts_topic)

    async def run() -> None:
        hub = Hub(s, topics)  # the same reader the API shares, here for one subscriber
        sub = await hub.subscribe(topics, {}, from_start=from_start)
        seen = 0
        try:
            async for _pos, record in sub.records():
                if record is None:
                    continue
                value = record.value
                rec = orjson.loads(value)
                if "saved_search_id" not in rec and not event_matches(rec, entity or [], query):
                    continue
                print_record(value, as_json)
                seen += 1
                if limit is not None and seen >= limit:
                    return
        finally:
            await sub.close()
            await hub.stop()

    if not as_json:
        err.print(f"[dim]following {len(topics)} topic(s) on {s.kafka_bootstrap}; Ctrl-C stops[/]")
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except (KafkaError, AIOKafkaError, OSError) as exc:
        raise fail(f"cannot reach Kafka at {s.kafka_bootstrap}: {exc}", EXIT_UNAVAILABLE) from None


@app.command(rich_help_panel="Read the news")
def monitor(
    interval: Annotated[float, typer.Option(help="Seconds between refreshes", min=0.5)] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="Print one frame and exit")] = False,
) -> None:
    """A live terminal dashboard: ingest rate, consumer lag, dead letters, latest dispatches."""
    from aiokafka.errors import KafkaError as AIOKafkaError
    from elastic_transport import ConnectionError as ESConnectionError
    from kafka.errors import KafkaError
    from rich.live import Live

    from pipeline.render.labels import ui_language
    from pipeline.store.client import make_es

    s = get_settings()
    es = make_es(s)
    lang = ui_language()
    try:
        if once:
            data = monitor_data(es, s)
            out.print(MonitorView(data, lang))
            if not data.healthy:  # shown above: which dependency is down, and why
                raise typer.Exit(EXIT_UNAVAILABLE)
            return
        view = MonitorView(monitor_data(es, s), lang)
        with Live(view, console=out, refresh_per_second=4, screen=False) as live:
            while True:
                time.sleep(interval)
                view = MonitorView(monitor_data(es, s), lang)
                live.update(view)
    except KeyboardInterrupt:
        pass
    except ESConnectionError:
        raise fail(f"cannot reach Elasticsearch at {s.es_url}", EXIT_UNAVAILABLE) from None
    except (KafkaError, AIOKafkaError, OSError) as exc:
        raise fail(f"cannot reach Kafka at {s.kafka_bootstrap}: {exc}", EXIT_UNAVAILABLE) from None
    finally:
        es.close()
