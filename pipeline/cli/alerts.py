"""`wire alerts`: deliver saved-search alerts (signed webhooks, e-mail digests), read the log."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.settings import get_settings

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    pass
from pipeline.cli.base import EXIT_UNAVAILABLE, app, elasticsearch_client, err, fail, out
from pipeline.cli.render import delivery_table

alerts_app = typer.Typer(
    no_args_is_help=True,
    help="Deliver saved-search alerts by webhook and e-mail digest; read the delivery log.",
)
app.add_typer(alerts_app, name="alerts", rich_help_panel="Read the news")


@alerts_app.command("deliver")
def deliver(
    once: Annotated[
        bool, typer.Option("--once", help="One pass (read, plan, send what is due), then exit")
    ] = False,
) -> None:
    """Send each alert to its saved search's webhooks (signed JSON, Slack- or Teams-shaped)
    and e-mail digests, retrying failures; every try goes to the delivery log. Run one."""
    import logging
    import signal
    import threading

    import httpx
    from elastic_transport import ConnectionError as ESConnectionError
    from kafka.errors import KafkaError

    from pipeline.alerts.deliver import Deliverer
    from pipeline.store.client import make_es

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    s = get_settings()
    es = make_es(s)
    stop = threading.Event()
    try:
        with httpx.Client(follow_redirects=False) as http:
            deliverer = Deliverer(s, es, http)
            try:
                if once:
                    tried = deliverer.run_once(timeout_ms=2000)
                    out.print(
                        f"tried {tried} deliveries: {dict(deliverer.counts) or 'nothing due'}"
                    )
                    return
                signal.signal(signal.SIGTERM, lambda *_: stop.set())
                err.print(
                    f"[dim]delivering alerts from {s.alerts_topic}: SMTP {s.smtp_host}:{s.smtp_port},"
                    f" log in {s.alert_deliveries_index}; Ctrl-C stops[/]"
                )
                deliverer.run(stop)
            finally:
                deliverer.close()
    except KeyboardInterrupt:
        pass
    except ESConnectionError:
        raise fail(f"cannot reach Elasticsearch at {s.es_url}", EXIT_UNAVAILABLE) from None
    except (KafkaError, OSError) as exc:
        raise fail(f"cannot reach Kafka at {s.kafka_bootstrap}: {exc}", EXIT_UNAVAILABLE) from None
    finally:
        es.close()


@alerts_app.command("log")
def delivery_log(
    saved_search: Annotated[
        str | None, typer.Option("--saved-search", help="Only this saved search (id)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Newest entries")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON entry per line")] = False,
) -> None:
    """The delivery log, newest first: channel, target, status, tries, last error."""
    from elasticsearch import NotFoundError

    from pipeline.alerts.log import log_for

    s = get_settings()
    with elasticsearch_client() as es:
        try:
            entries = log_for(es, s, saved_search_id=saved_search, size=limit)
        except NotFoundError:
            entries = []
    if as_json:
        for e in entries:
            sys.stdout.write(e.model_dump_json(exclude={"alert"}) + "\n")
        return
    out.print(delivery_table(entries))
