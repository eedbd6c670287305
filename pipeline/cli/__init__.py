"""`wire`: the command line of wirestream, one module per command group over pipeline.cli.base."""

# Imported in the order --help lists them: each module registers its commands.
from pipeline.cli import stack, run, ingest, search, entity, subscribe, alerts, offline, dlq, index  # noqa: F401, I001
from pipeline.cli.base import app


def main() -> None:
    app()


if __name__ == "__main__":
    main()
