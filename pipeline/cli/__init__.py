"""`wire`: the command line of wirestream, one module per command group over pipeline.cli.base."""

# Imported in the order --help lists them: each module registers its commands.
from pipeline.cli import stack, run, ingest, feeds, search, entity  # noqa: F401, I001
from pipeline.cli import subscribe, alerts, offline, dlq, index, state  # noqa: F401
from pipeline.cli.base import app


def main() -> None:
    """Every command: a server that is down or too slow is one line and exit 3, not a
    traceback (pipeline.cli.base.unavailable)."""
    from rich.markup import escape

    from pipeline.cli.base import EXIT_UNAVAILABLE, err, unavailable

    try:
        app()
    except Exception as exc:
        message = unavailable(exc)
        if message is None:
            raise
        err.print(f"[bold red]error:[/] {escape(message)}")
        raise SystemExit(EXIT_UNAVAILABLE) from None


if __name__ == "__main__":
    main()
