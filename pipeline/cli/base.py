"""What every command shares: the Typer app, consoles, exit codes, clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from pipeline.kafka.publisher import Publisher
from pipeline.settings import get_settings

if TYPE_CHECKING:  # the NLP stack loads only for the commands that use it
    from elasticsearch import Elasticsearch


def help_type(param: object, shown: str | None) -> str | None:
    """What an option's --help row says about its value, as a word: nothing for a flag
    (--json, --help take no value), TEXT, INTEGER, NUMBER, DATE, PATH otherwise; a metavar
    given by the command is kept. Typer 0.2x prints the Python type (`<bool>`, `<list[str]>`,
    `<int range>`), which reads as noise to people."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    if getattr(param, "metavar", None):
        return shown
    if not shown:
        return shown
    inner = shown.strip("<>").removesuffix("...").rstrip(">").lstrip("<")
    many = shown.endswith("...")
    if inner.startswith("list[") and inner.endswith("]"):
        inner = inner[5:-1]
    words = {
        "str": "TEXT",
        "int": "INTEGER",
        "int range": "INTEGER",
        "float": "NUMBER",
        "float range": "NUMBER",
        "datetime": "DATE",
        "bool": "",
    }
    word = words.get(inner)
    if word is None:
        word = "PATH" if "path" in inner.lower() or "file" in inner.lower() else inner.upper()
    return (word + ("..." if many else "")) or None


def _quiet_help_types() -> None:
    """Route typer's rich --help through help_type (a no-op on a typer without the hook)."""
    from typer import core

    for cls in (core.TyperOption, core.TyperArgument):
        original = getattr(cls, "display_type_rich", None)
        if original is None or getattr(original, "__wire_quiet__", False):
            continue

        def display_type_rich(self: object, ctx: object, _orig: object = original) -> str | None:
            return help_type(self, _orig(self, ctx))  # type: ignore[operator]

        display_type_rich.__wire_quiet__ = True  # type: ignore[attr-defined]
        cls.display_type_rich = display_type_rich  # type: ignore[method-assign]


_quiet_help_types()


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="wirestream: wire feeds in, events and search out.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"wirestream {version('wirestream')}")
        raise typer.Exit()


@app.callback()
def _root(
    _version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit",
    ),
) -> None:
    """wirestream: wire feeds in, events and search out."""


# soft_wrap: a one-line reason stays one line when piped or logged (no wrapping at 80 columns)
out = Console(soft_wrap=True)


err = Console(stderr=True, soft_wrap=True)


EXIT_REFUSED = 2


EXIT_UNAVAILABLE = 3


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def event_types_named(names: list[str] | None) -> list[str]:
    """The event type codes `names` give (codes or labels, as the terminal shows them);
    exit 2 naming the first that is no type, with the list of known ones."""
    from pipeline.extract.events.types import EVENT_TYPES
    from pipeline.render.labels import event_type_code

    codes: list[str] = []
    for name in names or []:
        code = event_type_code(name)
        if code is None:
            raise fail(f"unknown event type {name!r}; known: {', '.join(EVENT_TYPES)}", 2)
        codes.append(code)
    return codes


def _local(address: str) -> bool:
    return any(h in address for h in ("localhost", "127.0.0.1", "[::1]"))


def unavailable(exc: BaseException) -> str | None:
    """One line saying which server is down or too slow, for an exception that means so;
    None for any other exception (a bug keeps its traceback)."""
    from aiokafka.errors import KafkaError as AIOKafkaError
    from elastic_transport import ConnectionTimeout, TransportError
    from elasticsearch import ApiError
    from kafka.errors import KafkaError

    from pipeline.http.health import one_line

    s = get_settings()
    es_hint = "; start it with `wire stack up`" if _local(s.es_url) else ""
    kafka_hint = "; start it with `wire stack up`" if _local(s.kafka_bootstrap) else ""
    if isinstance(exc, ConnectionTimeout):
        return (
            f"search unavailable: Elasticsearch at {s.es_url} did not answer within "
            f"{s.es_request_timeout_s:g} s (WIRE_ES_REQUEST_TIMEOUT_S)"
        )
    if isinstance(exc, TransportError):
        return f"search unavailable: cannot reach Elasticsearch at {s.es_url}{es_hint}"
    if isinstance(exc, ApiError) and (exc.meta.status in (401, 403, 429) or exc.meta.status >= 500):
        return (
            f"search unavailable: Elasticsearch at {s.es_url} answered {exc.meta.status} "
            f"({one_line(exc, 160)})"
        )
    if isinstance(exc, KafkaError | AIOKafkaError):
        return f"Kafka unavailable at {s.kafka_bootstrap} ({one_line(exc, 160)}){kafka_hint}"
    return None


@contextmanager
def elasticsearch_client() -> Iterator[Elasticsearch]:
    """An Elasticsearch client, or a one-line error (exit 3) when it cannot be reached or
    does not answer within WIRE_ES_REQUEST_TIMEOUT_S."""
    from pipeline.store.client import make_es

    s = get_settings()
    es = make_es(s)
    try:
        yield es
    except Exception as exc:
        message = unavailable(exc)
        if message is None:
            raise
        raise fail(message, EXIT_UNAVAILABLE) from None
    finally:
        es.close()


@contextmanager
def publisher(connector: str) -> Iterator[Publisher]:
    """A Publisher, or a one-line error (exit 3) when Kafka cannot be reached."""
    from kafka.errors import KafkaError

    s = get_settings()
    try:
        pub = Publisher(s, connector, timeout=s.kafka_request_timeout_s)
    except (KafkaError, OSError) as exc:
        raise fail(
            f"cannot reach Kafka at {s.kafka_bootstrap} ({type(exc).__name__}); "
            "start it with `wire stack up` or set WIRE_KAFKA_BOOTSTRAP",
            EXIT_UNAVAILABLE,
        ) from None
    try:
        yield pub
    except KafkaError as exc:
        raise fail(f"Kafka did not acknowledge: {exc}", EXIT_UNAVAILABLE) from None
    finally:
        pub.close()


def duration(value: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        return float(value[:-1]) * units[value[-1]] if value[-1] in units else float(value)
    except (ValueError, IndexError):
        raise typer.BadParameter(f"{value!r} is not a duration like 30s, 5m or 1h") from None


def since_arg(value: str | None, now: datetime | None = None) -> datetime | None:
    """'--since 2h' (30m, 7d: that long ago) or an ISO date / time ('2026-11-24',
    '2026-11-24T08:00'; UTC when no offset is given)."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if value[-1] in units and value[:-1].replace(".", "", 1).isdigit():
        return now - timedelta(seconds=float(value[:-1]) * units[value[-1]])
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither a duration (30m, 2h, 7d) nor a date (2026-11-24)"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
